import type { InputLocation } from '../locations/uri';

/** The one data input of a job, as the invoke named it (the URI is resolved when the job prepares). */
export interface JobDataInput {
  name: string;
  type: 'UriFolder' | 'UriFile';
  uri: string;
  /**
   * The URI the invoke resolved `uri` to (validateInputUri): a data asset's `dataUri` (so
   * `@latest` is pinned at invoke) or the canonical datastore URI. Used when set.
   */
  resolvedUri?: string;
}

/** How a mini-batch's file is fetched: through a datastore, by blob URL (the app's clients or its identity), or public https. */
export type InputFileRef = InputLocation;

export interface InputFile {
  /** Name relative to the input folder (or the file name for uri_file): it appears in outputs. */
  name: string;
  ref: InputFileRef;
  size?: number;
}
