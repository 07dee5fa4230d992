/**
 * Turns the `<p>` of `azureml://datastores/<ds>/paths/<p>` into a clean blob prefix inside the
 * datastore's container. The result is also used for local file names when files are downloaded,
 * so anything that could climb out of a folder or change container is refused, not repaired.
 */

export class InvalidInputPathError extends Error {
  override readonly name = 'InvalidInputPathError';
  readonly code = 'InvalidInputPath';
  readonly status = 400;
  /** A path that may not be read is refused again on every retry. */
  readonly fatal = true;
  constructor(
    message: string,
    /** The value as given, for the error's `target`. */
    readonly input: string,
  ) {
    super(message);
  }

  toErrorBody(): { error: { code: string; message: string; target: string } } {
    return { error: { code: this.code, message: this.message, target: this.input } };
  }
}

export interface DatastoreLocation {
  datastore: string;
  /** Relative blob prefix: no leading '/', '' for the whole datastore, a trailing '/' kept for folders. */
  path: string;
}

/** Blob names are at most 1024 characters. */
const MAX_LENGTH = 1024;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** The short form and the long workspace-qualified one (azureml://subscriptions/.../workspaces/<w>/datastores/...). */
const DATASTORE_URI =
  /^azureml:\/\/(?:subscriptions\/[^/]+\/resource[gG]roups\/[^/]+\/(?:providers\/Microsoft\.MachineLearningServices\/)?workspaces\/[^/]+\/)?datastores\/([^/]+)\/paths\/?(.*)$/;
const DATASTORE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$/;

function refuse(input: string, why: string): never {
  throw new InvalidInputPathError(`Invalid datastore path '${input}': ${why}`, input);
}

/** Decodes percent-encoding exactly once; anything still encoded afterwards is refused. */
function decodeOnce(raw: string): string {
  if (/%(?![0-9a-f]{2})/i.test(raw)) refuse(raw, "a '%' must start a percent-encoded byte (%XX).");
  // An encoded separator would make one segment look like two after decoding (or the reverse).
  if (/%(2f|5c)/i.test(raw)) refuse(raw, "encoded '/' or '\\' (%2F, %5C) is not allowed.");
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    refuse(raw, 'the percent-encoding is not valid UTF-8.');
  }
  if (/%[0-9a-f]{2}/i.test(decoded)) refuse(raw, 'double percent-encoding is not allowed.');
  return decoded;
}

/**
 * A blob name as the `<p>` of a datastore URI, so that normalizeDatastorePath gives it back: the
 * characters a URI path gives a meaning to ('%', '?', '#') encoded, the rest kept readable.
 */
export const datastorePathOf = (blobName: string): string => blobName.replace(/[%?#]/g, (c) => encodeURIComponent(c));

/** Validates and normalises a datastore-relative path; throws InvalidInputPathError. */
export function normalizeDatastorePath(raw: string): string {
  if (CONTROL.test(raw)) refuse(raw, 'control characters (including NUL) are not allowed.');
  if (raw.includes('\\')) refuse(raw, "backslashes are not allowed; use '/'.");
  if (/[?#]/.test(raw)) refuse(raw, "'?' and '#' are not allowed (encode them as %3F and %23).");
  const path = decodeOnce(raw);
  if (CONTROL.test(path)) refuse(raw, 'control characters (including NUL) are not allowed.');
  if (path.startsWith('/')) refuse(raw, "the path must be relative to the datastore (no leading '/').");
  if (path.length > MAX_LENGTH) refuse(raw, `longer than ${MAX_LENGTH} characters.`);
  const segments = path.split('/');
  if (segments[segments.length - 1] === '') segments.pop(); // a trailing '/' marks a folder
  for (const segment of segments) {
    if (segment === '') refuse(raw, "empty segments ('//') are not allowed.");
    if (segment === '.' || segment === '..') refuse(raw, "'.' and '..' segments are not allowed.");
  }
  return path;
}

/**
 * Splits a datastore URI (either form) without checking the parts; undefined for other URIs.
 * A leading '/' of the path is kept, so normalizeDatastorePath refuses it.
 */
export function splitDatastoreUri(uri: string): DatastoreLocation | undefined {
  const m = DATASTORE_URI.exec(uri);
  return m ? { datastore: m[1]!, path: m[2]! } : undefined;
}

/**
 * Parses a datastore URI (either form) into its datastore and clean path; undefined for other
 * URIs; InvalidInputPathError (target: the whole URI) when the name or the path is unusable.
 */
export function parseDatastoreUri(uri: string): DatastoreLocation | undefined {
  const split = splitDatastoreUri(uri);
  if (!split) return undefined;
  if (!DATASTORE_NAME.test(split.datastore)) {
    refuse(uri, `'${split.datastore}' is not a datastore name (letters, digits, '_' and '-').`);
  }
  try {
    return { datastore: split.datastore, path: normalizeDatastorePath(split.path) };
  } catch (err) {
    // Report the whole URI as the target: that is what the caller sent.
    if (err instanceof InvalidInputPathError) throw new InvalidInputPathError(err.message, uri);
    throw err;
  }
}
