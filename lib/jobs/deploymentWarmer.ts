import type { Endpoint } from '../registry/endpoints';
import type { ResolvedDeployment } from '../registry/registry';
import { messageOf } from '../util/messageOf';
import { deploymentAssets } from './deploymentAssets';
import type { JobActivityDeps } from './activities/deps';
import { parallelismOf, scorerSpecOf, type ScorerSource } from './activities/scorerSpec';

/** What warming a deployment's scorer needs; the composition root supplies it. */
export interface DeploymentWarmerDeps extends Pick<JobActivityDeps, 'localModel' | 'localCode'> {
  scorer: Pick<JobActivityDeps['scorer'], 'warm'>;
  resolveDeployment(endpointName: string, deploymentName?: string): Promise<ResolvedDeployment>;
  listEndpoints(): Promise<Endpoint[]>;
  log(level: 'debug' | 'info' | 'warning', message: string): void;
  /** Deployments warmed at once, and at app start (0: none). */
  limit: number;
}

/**
 * Starts a deployment's scoring workers ahead of its first job, as a running service would: when
 * the deployment is created or updated on this instance, and at app start for the endpoints'
 * default deployments. It downloads the model to the local asset cache, starts the workers and
 * runs the pool's warm-up (model loaded, per-row code optimized), so the job's prepare finds the
 * pool warm (same spec, same pool) instead of paying for it while its first mini-batches wait.
 * Best effort: it never throws and nobody waits for it; a failure is logged, and the job reports
 * it in its own words (the asset cache and the worker keep no failure). Bounded: at most `limit`
 * deployments at once (others are skipped), the pool's idle timeout ends unused workers.
 * Scoring scripts get their model and code downloaded only: their init() runs with a job's
 * params, in the job, where its logs and failures belong.
 */
export class DeploymentWarmer {
  readonly #warming = new Set<string>();
  /** Asked again while warming (a second PUT may have changed the model or settings): once more after. */
  readonly #again = new Set<string>();

  constructor(private readonly deps: DeploymentWarmerDeps) {}

  /** Warms one deployment (the endpoint's default when none is named); resolves when done, never rejects. */
  async warm(endpointName: string, deploymentName?: string): Promise<void> {
    const key = `${endpointName}/${deploymentName ?? ''}`.toLowerCase();
    if (this.deps.limit < 1) return;
    if (this.#warming.has(key)) {
      this.#again.add(key);
      return;
    }
    const what = deploymentName ? `deployment '${deploymentName}' of batch endpoint '${endpointName}'` : `the default deployment of batch endpoint '${endpointName}'`;
    if (this.#warming.size >= this.deps.limit) {
      this.deps.log('debug', `Scoring workers of ${what} not warmed ahead: ${this.#warming.size} deployment(s) are warming already`);
      return;
    }
    this.#warming.add(key);
    try {
      await this.#warmOnce(endpointName, deploymentName, what);
    } finally {
      this.#warming.delete(key);
    }
    if (this.#again.delete(key)) await this.warm(endpointName, deploymentName);
  }

  /** Resolves, downloads and warms; logs the outcome, never throws. */
  async #warmOnce(endpointName: string, deploymentName: string | undefined, what: string): Promise<void> {
    const started = Date.now();
    try {
      const resolved = await this.deps.resolveDeployment(endpointName, deploymentName);
      const source: ScorerSource = { ...deploymentAssets(resolved), settings: resolved.settings };
      const spec = await scorerSpecOf(this.deps, source);
      if (spec.kind === 'script') {
        this.deps.log('info', `Model and code of ${what} downloaded ahead of its first job in ${Date.now() - started} ms (its scoring script starts with the job)`);
        return;
      }
      const { ready, errors } = await this.deps.scorer.warm(spec, parallelismOf(resolved.settings), {});
      if (errors.length > 0) {
        this.deps.log('warning', `Scoring workers of ${what} could not be warmed (${ready} ready); its jobs will report this: ${errors[0]}`);
      } else {
        this.deps.log('info', `Scoring workers of ${what} warmed ahead of its first job: ${ready} worker(s) with the model loaded in ${Date.now() - started} ms`);
      }
    } catch (err) {
      this.deps.log('warning', `Scoring workers of ${what} could not be warmed; its jobs will report this: ${messageOf(err)}`);
    }
  }

  /**
   * At app start: the default deployments of the most recently changed endpoints, at most `limit`
   * (a big registry is not warmed whole). Resolves when done, never rejects.
   */
  async warmDefaults(): Promise<void> {
    if (this.deps.limit < 1) return;
    let endpoints: Endpoint[];
    try {
      endpoints = await this.deps.listEndpoints();
    } catch (err) {
      this.deps.log('warning', `Scoring workers not warmed at start: the endpoints could not be listed: ${messageOf(err)}`);
      return;
    }
    const recent = endpoints
      .filter((e) => e.properties.defaults?.deploymentName)
      .sort((a, b) => b.systemData.lastModifiedAt.localeCompare(a.systemData.lastModifiedAt))
      .slice(0, this.deps.limit);
    await Promise.all(recent.map((e) => this.warm(e.name, e.properties.defaults!.deploymentName)));
  }
}
