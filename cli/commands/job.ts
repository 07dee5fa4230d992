import type { Command } from 'commander';
import { INVOKE, READ, enc } from '../client';
import { action } from '../context';
import { downloadOutput } from '../download';
import { findJob, jobPath } from '../jobLookup';
import { streamJob } from '../stream';
import { jobRow } from '../views';
import { leaf } from './shared';

interface JobFlags {
  name: string;
  endpointName?: string;
}

export function registerJobCommands(program: Command): void {
  const group = program.command('job').description('Follow, download and cancel batch jobs');
  const named = (cmd: Command) =>
    cmd.requiredOption('-n, --name <job>', 'job name').option('-e, --endpoint-name <name>', "the job's endpoint (default: looked up)");

  named(leaf(group, 'show', 'Show a job'))
    .option('--web', "print the job's studio page (az ml opens it in a browser)")
    .action(
      action<JobFlags & { web?: boolean }>(async (o, ctx) => {
        const { job } = await findJob(ctx, o.name, o.endpointName);
        // The job's studio page, as the service names it, where az ml's --web opens ml.azure.com's.
        if (o.web) ctx.note(`Studio: ${job.properties.interactionEndpoints.Studio.endpoint}`);
        return job;
      }, jobRow),
    );

  leaf(group, 'list', 'List jobs, newest first (of one endpoint with --endpoint-name)')
    .option('-e, --endpoint-name <name>', 'endpoint name')
    .option('--parent-job-name <name>', 'az ml compatibility: a batch job has no child jobs here, so this shows that job')
    .option('--top <n>', 'at most this many jobs')
    .action(
      action<{ endpointName?: string; parentJobName?: string; top?: string }>(async (o, ctx) => {
        if (o.parentJobName) return [(await findJob(ctx, o.parentJobName, o.endpointName)).job];
        const top = o.top ? Number(o.top) : Infinity;
        const endpoints = o.endpointName ? [o.endpointName] : (await ctx.client.list('batchEndpoints')).map((e: any) => e.name as string);
        const jobs = (await Promise.all(endpoints.map((e) => ctx.client.list(`batchEndpoints/${enc(e)}/jobs`, READ, top)))).flat();
        jobs.sort((a: any, b: any) => String(b.properties?.creationTime).localeCompare(String(a.properties?.creationTime)));
        return jobs.slice(0, top);
      }, jobRow),
    );

  named(leaf(group, 'stream', 'Follow a job: live progress and its log lines; exit 0 only when it completes'))
    .option('--interval <ms>', 'poll interval in ms', '1000')
    .action(
      action<JobFlags & { interval: string }>(async (o, ctx) => {
        const { endpoint } = await findJob(ctx, o.name, o.endpointName);
        await streamJob(ctx, endpoint, o.name, { intervalMs: Number(o.interval) });
        return undefined;
      }),
    );

  named(leaf(group, 'download', "Download a completed job's output (resumes an interrupted download)"))
    .option('--output-name <name>', 'the named output', 'score')
    .option('--download-path <dir>', 'folder to download to', '.')
    .option('--all', 'az ml compatibility: the one output is all there is')
    .action(
      action<JobFlags & { outputName: string; downloadPath: string }>(async (o, ctx) => {
        const { endpoint, job } = await findJob(ctx, o.name, o.endpointName);
        const done = await downloadOutput(ctx, endpoint, job, o.outputName, o.downloadPath);
        return o.output === 'json' && !o.query ? undefined : done;
      }),
    );

  named(leaf(group, 'cancel', 'Cancel a job (no partial output is written)')).action(
    action<JobFlags>(async (o, ctx) => {
      const { endpoint } = await findJob(ctx, o.name, o.endpointName);
      const res = await ctx.client.request('POST', `${jobPath(endpoint, o.name)}/cancel`, { roles: INVOKE });
      ctx.note(`Cancel of job ${o.name} requested (status ${res.body?.properties?.status}).`);
      return undefined;
    }),
  );
}
