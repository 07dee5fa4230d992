/**
 * Which blobs in the inbox start a job. `<endpoint>/<drop>/.../_SUCCESS` completes the folder
 * `<endpoint>/<drop>` (Hadoop's and Spark's "folder complete" marker); a file right under the
 * endpoint's folder, `<endpoint>/<file>`, is a job on that one file. Anything else (the files of a
 * folder not yet complete, `_job.json`, hidden or `_`-named files) starts nothing.
 */

export const SUCCESS_MARKER = '_SUCCESS';
export const JOB_FILE = '_job.json';
export const RESULT_FILE = '_result.json';

export interface Drop {
  endpoint: string;
  /** The drop's name under the endpoint: the folder (may hold `/`) or the single file. */
  name: string;
  kind: 'folder' | 'file';
  /** Blob path of the drop in the inbox: `<endpoint>/<name>`. */
  path: string;
}

const skipped = (segment: string) => segment.startsWith('_') || segment.startsWith('.');

/** The drop a new inbox blob completes, or undefined when it completes none. */
export function dropOf(blobName: string): Drop | undefined {
  const segments = blobName.split('/');
  if (segments.length < 2 || segments.some((s) => s === '')) return undefined;
  const [endpoint, ...rest] = segments as [string, ...string[]];
  if (skipped(endpoint)) return undefined;
  if (rest.length === 1) {
    const file = rest[0]!;
    if (skipped(file)) return undefined;
    return { endpoint, name: file, kind: 'file', path: `${endpoint}/${file}` };
  }
  if (rest[rest.length - 1] !== SUCCESS_MARKER) return undefined;
  const folder = rest.slice(0, -1);
  if (folder.some(skipped)) return undefined;
  const name = folder.join('/');
  return { endpoint, name, kind: 'folder', path: `${endpoint}/${name}` };
}
