import { useState } from 'react';
import {
  Button, ProgressBar, Subtitle2, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, makeStyles, tokens,
} from '@fluentui/react-components';
import { enc, type ArmResource } from '../api';
import { can } from '../auth';
import { ErrorBar, FINAL, Loading, PageHeader, Section, StatusBadge, duration, formatTime, useLoad, useSession, useShowMore, type Paged } from '../common';
import { Link } from '../router';
import { JobCharts } from './JobCharts';

const PREVIEW_BYTES = 8192;
const PREVIEW_ROWS = 20;

const useStyles = makeStyles({
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: `${tokens.spacingVerticalXS} ${tokens.spacingHorizontalL}`, margin: 0 },
  pre: { whiteSpace: 'pre-wrap', fontSize: tokens.fontSizeBase200, maxHeight: '200px', overflow: 'auto', margin: 0 },
  progress: { maxWidth: '720px' },
});

interface Problem {
  miniBatchIndex: number;
  status: string;
  files: string[];
  attempts: number;
  failedItems: number;
  error?: { code: string; message: string; stack?: string };
  itemErrors: { file: string; message: string }[];
}

export function JobPage({ endpoint, job }: { endpoint: string; job: string }) {
  const { api, session } = useSession();
  const styles = useStyles();
  const path = `batchEndpoints/${enc(endpoint)}/jobs/${enc(job)}`;
  const loaded = useLoad(() => api.get<ArmResource>(path), [api, path], (j) => (j && !FINAL.has(j.properties.status) ? 1000 : undefined));
  const [actionError, setActionError] = useState<unknown>();
  if (loaded.error && !loaded.data) return <ErrorBar error={loaded.error} />;
  if (!loaded.data) return <Loading />;
  const p = loaded.data.properties;
  const progress = p.progress ?? {};
  const done = (progress.miniBatchesSucceeded ?? 0) + (progress.miniBatchesFailed ?? 0);
  const total = progress.miniBatchesTotal ?? 0;
  const running = Math.max(total - done - (progress.miniBatchesPending ?? 0), 0);
  const final = FINAL.has(p.status);
  const [outputName, output] = Object.entries(p.outputData ?? {})[0] ?? [];
  // The errors are read again whenever the job reports more failures (or ends): read once, the table kept the first ones only.
  const failures = `${progress.miniBatchesFailed ?? 0}/${progress.itemsFailed ?? 0}/${p.status}`;

  const cancel = async () => {
    setActionError(undefined);
    try {
      await api.json('POST', `${path}/cancel`);
      // The button goes away once the job is Canceled: focus goes to the job's heading first, not to the page's start.
      document.querySelector<HTMLElement>('main h1')?.focus();
      loaded.reload();
    } catch (err) {
      setActionError(err);
    }
  };

  return (
    <Section>
      <PageHeader title={`Job ${job}`}>
        {/* A live region: a screen reader hears Running, then Completed, without leaving its place. */}
        <span role="status">
          <StatusBadge status={p.status} />
        </span>
        {can(session, 'Invoke') && !final ? <Button onClick={() => void cancel()}>Cancel job</Button> : null}
      </PageHeader>
      <p>
        <Link to={`/endpoints/${enc(endpoint)}/runs`}>Back to the runs of {endpoint}</Link>
      </p>
      <ErrorBar error={actionError} />
      {loaded.error ? <ErrorBar error={loaded.error} title="The job could not be refreshed; trying again" /> : null}
      {p.error ? <ErrorBar error={{ message: p.error.message }} title={`Job failed: ${p.error.code}`} /> : null}
      <div className={styles.progress}>
        <p id="job-progress-text">
          Mini-batches: {progress.miniBatchesSucceeded ?? 0} succeeded, {progress.miniBatchesFailed ?? 0} failed, {running} running,{' '}
          {progress.miniBatchesPending ?? 0} pending, of {total}
          <br />
          Items: {progress.itemsSucceeded ?? 0} succeeded, {progress.itemsFailed ?? 0} failed, of {progress.itemsTotal ?? 0}
        </p>
        <ProgressBar
          aria-label="Job progress"
          aria-describedby="job-progress-text"
          value={total ? done / total : final ? 1 : 0}
          thickness="large"
          color={p.status === 'Failed' ? 'error' : progress.miniBatchesFailed ? 'warning' : p.status === 'Completed' ? 'success' : 'brand'}
        />
      </div>
      <dl className={styles.facts}>
        <dt>Deployment</dt>
        <dd>{p.deploymentName}</dd>
        <dt>Created</dt>
        <dd>{formatTime(p.creationTime)} by {p.createdBy?.name}</dd>
        <dt>Started</dt>
        <dd>{formatTime(p.startTime) || 'not yet'}</dd>
        <dt>Ended</dt>
        <dd>{formatTime(p.endTime) || 'not yet'}</dd>
        <dt>Duration</dt>
        <dd>{duration(p.startTime ?? p.creationTime, p.endTime)}</dd>
        <dt>Input</dt>
        <dd>
          {Object.entries(p.inputData ?? {}).map(([name, i]: [string, any]) => (
            <div key={name}>
              {name}: {i.jobInputType ?? i.JobInputType} {i.uri ?? i.Uri ?? i.value ?? i.Value}
            </div>
          ))}
        </dd>
        <dt>Output</dt>
        <dd>
          {outputName}: {(output as any)?.uri}
        </dd>
        <dt>Settings</dt>
        <dd data-testid="effective-settings">
          mini-batch size {p.miniBatchSize}, instance count {p.instanceCount}, max concurrency per instance {p.maxConcurrencyPerInstance}, error threshold{' '}
          {p.errorThreshold}, retries {p.retrySettings?.maxRetries}, timeout {p.retrySettings?.timeout}, {p.outputAction}, output file {p.outputFileName}, logging{' '}
          {p.loggingLevel}
        </dd>
        {p.logsUri ? (
          <>
            <dt>Logs</dt>
            <dd>{p.logsUri}</dd>
          </>
        ) : null}
      </dl>
      {progress.miniBatchesFailed || progress.itemsFailed || p.status === 'Failed' ? <Errors path={path} changed={failures} /> : null}
      {p.status === 'Completed' && p.outputAction !== 'SummaryOnly' ? <OutputPreview path={path} fileName={p.outputFileName} /> : null}
      {p.startTime ? <JobCharts path={path} startTime={p.startTime} live={!final} /> : null}
      {p.startTime ? <Logs path={path} changed={`${done}/${p.status}`} /> : null}
    </Section>
  );
}

/** Failed mini-batches and items, with the files, attempts and stack (GET .../errors). */
function Errors({ path, changed }: { path: string; changed: string }) {
  const { api } = useSession();
  const styles = useStyles();
  const errors = useLoad(() => api.get<Paged<Problem>>(`${path}/errors`), [api, path, changed]);
  // The route answers 100 at a time: a job with more failed mini-batches listed only the first 100.
  const { items, control: showMore } = useShowMore(errors.data, path, (e) => String(e.miniBatchIndex));
  return (
    <>
      <Subtitle2 as="h2">Errors</Subtitle2>
      <ErrorBar error={errors.error} />
      {errors.data && items.length === 0 ? <p>No failed mini-batches.</p> : null}
      {items.length ? (
        <Table aria-label="Errors">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Mini-batch</TableHeaderCell>
              <TableHeaderCell>Files</TableHeaderCell>
              <TableHeaderCell>Attempts</TableHeaderCell>
              <TableHeaderCell>Failed items</TableHeaderCell>
              <TableHeaderCell>Error</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((e) => (
              <TableRow key={e.miniBatchIndex}>
                <TableCell>{e.miniBatchIndex}</TableCell>
                <TableCell>{e.files.join(', ')}</TableCell>
                <TableCell>{e.attempts}</TableCell>
                <TableCell>{e.failedItems}</TableCell>
                <TableCell>
                  {e.error ? (
                    <>
                      <strong>{e.error.code}</strong>: {e.error.message}
                      {e.error.stack ? (
                        <details>
                          <summary>Stack</summary>
                          <pre className={styles.pre}>{e.error.stack}</pre>
                        </details>
                      ) : null}
                    </>
                  ) : null}
                  {e.itemErrors.map((i, n) => (
                    <div key={n}>
                      {i.file}: {i.message}
                    </div>
                  ))}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      ) : null}
      {showMore}
    </>
  );
}

/** The first rows of the output (one ranged read), and a download of the whole file. */
function OutputPreview({ path, fileName }: { path: string; fileName: string }) {
  const { api } = useSession();
  const [downloadError, setDownloadError] = useState<unknown>();
  const preview = useLoad(async () => {
    const res = await api.raw('GET', `${path}/output`, { headers: { range: `bytes=0-${PREVIEW_BYTES - 1}` } });
    const size = Number(res.headers.get('content-range')?.split('/')[1] ?? res.text.length);
    const lines = res.text.split('\n');
    // A cut read ends mid-line: drop that partial line.
    if (size > PREVIEW_BYTES) lines.pop();
    return { rows: lines.filter(Boolean).slice(0, PREVIEW_ROWS), size };
  }, [api, path]);
  const download = async () => {
    setDownloadError(undefined);
    try {
      const res = await api.raw('GET', `${path}/output`);
      const url = URL.createObjectURL(new Blob([res.text], { type: 'text/csv' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = fileName;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setDownloadError(err);
    }
  };
  return (
    <>
      <Subtitle2 as="h2">Output preview</Subtitle2>
      <ErrorBar error={preview.error} />
      {preview.data ? (
        <>
          <p>
            First {preview.data.rows.length} rows of {preview.data.size} bytes.{' '}
            <Button size="small" onClick={() => void download()}>
              Download {fileName}
            </Button>
          </p>
          <ErrorBar error={downloadError} />
          <Table aria-label="Output preview" size="small">
            <TableBody>
              {preview.data.rows.map((line, i) => (
                <TableRow key={i}>
                  {line.split(',').map((cell, j) => (
                    <TableCell key={j}>{cell}</TableCell>
                  ))}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </>
      ) : null}
    </>
  );
}

/**
 * The log files the job wrote (GET .../logs), each shown on request: each mini-batch's scoring output
 * as soon as it finished, the job's overview and error summary when it ended. The list is read again
 * as mini-batches finish.
 */
function Logs({ path, changed }: { path: string; changed: string }) {
  const { api } = useSession();
  const styles = useStyles();
  const logs = useLoad(() => api.list(`${path}/logs`) as unknown as Promise<{ name: string; size: number }[]>, [api, path, changed]);
  const [shown, setShown] = useState<{ name: string; text?: string; error?: unknown }>();
  const show = async (name: string) => {
    try {
      setShown({ name, text: (await api.raw('GET', `${path}/logs/${name}`)).text });
    } catch (error) {
      setShown({ name, error });
    }
  };
  return (
    <>
      <Subtitle2 as="h2">Logs</Subtitle2>
      <ErrorBar error={logs.error} />
      {logs.data?.length === 0 ? <p>No logs yet.</p> : null}
      <p>
        {(logs.data ?? []).map((l) => (
          <span key={l.name}>
            <Button size="small" onClick={() => void show(l.name)} aria-pressed={shown?.name === l.name}>
              {l.name} ({l.size} bytes)
            </Button>{' '}
          </span>
        ))}
      </p>
      {shown?.error ? <ErrorBar error={shown.error} /> : null}
      {shown?.text !== undefined ? (
        <pre className={styles.pre} aria-label={`Log ${shown.name}`} tabIndex={0}>
          {shown.text}
        </pre>
      ) : null}
    </>
  );
}
