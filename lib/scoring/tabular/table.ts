/**
 * Rows read from one tabular file, a chunk at a time so large files stay in bounded memory.
 * Values are kept as the format gives them (CSV: strings, JSONL: JSON values, Parquet: typed
 * values); converting them to what the model needs happens later, where the model's input type
 * is known, so the error can say which row, column and value is wrong.
 */
export interface TableChunk {
  /** 0-based index, within the file, of this chunk's first row. */
  readonly firstRow: number;
  readonly rowCount: number;
  /** Every column the file has (CSV header, Parquet schema, keys seen in this JSONL chunk). */
  readonly fileColumns: readonly string[];
  /** Values of the selected columns, each of length `rowCount`. */
  readonly columns: ReadonlyMap<string, ArrayLike<unknown>>;
  /** 1-based source line of each row (CSV, JSONL); absent for Parquet. */
  readonly lines?: readonly number[];
}

export interface ReadTableOptions {
  /** Rows per chunk. */
  chunkRows: number;
  /** Columns to keep (others are skipped, and not even decoded for Parquet); all when absent. */
  columns?: readonly string[];
  /** Name used in error messages (default: the file's base name). */
  displayName?: string;
  /** The file's content, already in memory: read instead of the file (whose name then only gives the format). */
  bytes?: Uint8Array;
}

/** "row 12 (line 14)": where a chunk's row is, for messages. Rows are 0-based like the output. */
export function describeRow(chunk: TableChunk, index: number): string {
  const line = chunk.lines?.[index];
  return `row ${chunk.firstRow + index}${line === undefined ? '' : ` (line ${line})`}`;
}

/** Keeps only the wanted columns that exist, in file order. */
export function selectColumns(fileColumns: readonly string[], wanted: readonly string[] | undefined): string[] {
  if (!wanted) return [...fileColumns];
  const set = new Set(wanted);
  return fileColumns.filter((c) => set.has(c));
}
