/**
 * Fault injection for tests and chaos runs (all off by default): the failure modes of the real
 * runtime that a single local host would otherwise never show.
 */
export interface FaultSettings {
  /** Share of activity executions run a second time, half of them concurrently, half late. */
  duplicateActivity: number;
  /** Completions reach the orchestrator in random order (delayed and shuffled within an episode). */
  reorder: boolean;
  /** Share of episodes that fail after the orchestrator ran, before their history commit. */
  episodeFail: number;
  /** Messages taken into one episode: unlimited locally, 32 like the Azure Storage provider. */
  maxEpisodeMessages: number;
}

export const NO_FAULTS: FaultSettings = { duplicateActivity: 0, reorder: false, episodeFail: 0, maxEpisodeMessages: Infinity };

/** The Azure Storage provider's control-queue batch: at most 32 messages per episode. */
const AZURE_EPISODE_MESSAGES = 32;

function share(env: NodeJS.ProcessEnv, name: string): number {
  const text = env[name];
  if (text === undefined || text === '') return 0;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new Error(`${name} must be a share between 0 and 1 (found '${text}').`);
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const text = (env[name] ?? '').trim().toLowerCase();
  if (text === '' || text === 'false' || text === '0') return false;
  if (text === 'true' || text === '1') return true;
  throw new Error(`${name} must be true or false (found '${env[name]}').`);
}

export function readFaults(env: NodeJS.ProcessEnv): FaultSettings {
  const mode = (env.DEVHOST_EPISODE_MODE ?? '').trim().toLowerCase();
  if (mode !== '' && mode !== 'local' && mode !== 'azure') {
    throw new Error(`DEVHOST_EPISODE_MODE must be 'local' or 'azure' (found '${env.DEVHOST_EPISODE_MODE}').`);
  }
  return {
    duplicateActivity: share(env, 'DEVHOST_FAULT_DUPLICATE_ACTIVITY'),
    reorder: flag(env, 'DEVHOST_FAULT_REORDER'),
    episodeFail: share(env, 'DEVHOST_FAULT_EPISODE_FAIL'),
    maxEpisodeMessages: mode === 'azure' ? AZURE_EPISODE_MESSAGES : Infinity,
  };
}

export function describeFaults(f: FaultSettings): string | undefined {
  const parts = [
    f.duplicateActivity > 0 && `duplicate activity executions ${f.duplicateActivity * 100}%`,
    f.reorder && 'completions reordered',
    f.episodeFail > 0 && `episodes failed before commit ${f.episodeFail * 100}%`,
    Number.isFinite(f.maxEpisodeMessages) && `at most ${f.maxEpisodeMessages} messages per episode (azure mode)`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : undefined;
}

/** Fisher-Yates, in place. */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
