/** The log levels a scoring script can write with `context.logger` (`warn` is an alias of `warning`). */
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

/** A deployment's `loggingLevel`: Warning hides info and debug, Info hides debug. */
export type LoggingLevel = 'Warning' | 'Info' | 'Debug';

export interface LogEntry {
  level: LogLevel;
  message: string;
}

/**
 * Identifies one deployment's scorer. Equal specs share warm workers (loaded script, `init()`
 * done, ONNX sessions open); different specs never share a worker, so their environment
 * variables and module state stay apart.
 */
export interface ScorerSpec {
  kind: 'script' | 'tabular';
  /** Local model folder (MLflow folder) or `.onnx` file; `AZUREML_MODEL_DIR` and `context.modelDir`. */
  modelPath: string;
  /** Local folder of the code asset (script kind). */
  codeDir?: string;
  /** Path relative to codeDir, e.g. 'score.js' or 'src/score.mjs' (script kind). */
  scoringScript?: string;
  environmentVariables: Record<string, string>;
  loggingLevel: LoggingLevel;
}

export interface MiniBatchTask {
  /**
   * Local paths, and the names shown in outputs and errors (the input-relative names). The no-code
   * scorer also takes a file's `bytes` instead (its `path` then only gives the format by its
   * extension): transferred to the worker, not copied, so the caller's view is emptied.
   */
  files: { path: string; name: string; bytes?: Uint8Array }[];
  /** Literal inputs of the invoke: `context.params`. */
  params: Record<string, string>;
  miniBatchIndex: number;
  /** Counted from the moment a worker starts the mini-batch (not while it waits for a worker). */
  timeoutMs: number;
  /** Output block size in characters (default 8 MiB): the most output a worker holds at once. */
  outputBlockBytes?: number;
}

export interface MiniBatchResult {
  /**
   * The output lines, in order, UTF-8, each ending in '\n' (decodeLines() splits them): only when
   * the caller gave no `onBlock` (ScorerPool.run), which then received the output block by block.
   */
  output?: Uint8Array;
  /** The output's blocks, in order (numbers given to `onBlock`); blocks of failed files are not listed. */
  blocks: number[];
  outputRows: number;
  succeededItems: number;
  failedItems: number;
  /** Per-item failures: a bad file (tabular), or a note when run() returned fewer elements (script). */
  itemErrors: { file: string; message: string }[];
  /** What the scorer logged through `context.logger`, filtered by loggingLevel and capped. */
  logs: LogEntry[];
  /** Time spent in the worker: loading and init() (first mini-batch of a worker) plus scoring. */
  durationMs: number;
}

