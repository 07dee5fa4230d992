import { messageOf } from '../../util/messageOf';
import { InputFileError } from './errors';
import { ownArrayBuffer } from './source';
import { selectColumns, type TableChunk } from './table';

/**
 * Reads a Parquet file with hyparquet, one row group (scan range) at a time and only the wanted
 * columns. hyparquet-compressors adds the codecs other writers use (gzip, brotli, zstd, lz4);
 * hyparquet alone only reads snappy and uncompressed files.
 */
export async function* readParquet(
  filePath: string,
  displayName: string,
  chunkRows: number,
  wanted?: readonly string[],
  bytes?: Uint8Array,
): AsyncGenerator<TableChunk> {
  // Both packages are ESM-only; dynamic import keeps this module CommonJS.
  const { asyncBufferFromFile, parquetMetadataAsync, parquetScan, parquetSchema } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');

  let scan;
  let fileColumns: string[];
  try {
    const file = bytes ? ownArrayBuffer(bytes) : await asyncBufferFromFile(filePath);
    const metadata = await parquetMetadataAsync(file);
    fileColumns = parquetSchema(metadata).children.map((c) => c.element.name);
    scan = await parquetScan({ file, metadata, compressors, columns: selectColumns(fileColumns, wanted) });
  } catch (err) {
    throw new InputFileError(displayName, `not a readable Parquet file (${messageOf(err)})`, { cause: err });
  }
  if (scan.metadata.num_rows === 0n) throw new InputFileError(displayName, 'the Parquet file has no rows');

  const columns = selectColumns(fileColumns, wanted);
  for (const range of scan.ranges) {
    // One read per column and row group, then slices: reading each slice separately would
    // decode the row group's pages again for every chunk.
    const data = new Map<string, ArrayLike<unknown>>();
    try {
      for (const column of columns) {
        data.set(column, await scan.readColumn({ column, rowStart: range.rowStart, rowEnd: range.rowEnd }));
      }
    } catch (err) {
      const where = `rows ${range.rowStart}-${range.rowEnd - 1}`;
      throw new InputFileError(displayName, `cannot decode Parquet ${where} (${messageOf(err)})`, { cause: err });
    }
    for (let start = range.rowStart; start < range.rowEnd; start += chunkRows) {
      const end = Math.min(start + chunkRows, range.rowEnd);
      const slice = new Map<string, ArrayLike<unknown>>();
      for (const [name, values] of data) slice.set(name, sliceOf(values, start - range.rowStart, end - range.rowStart));
      yield { firstRow: start, rowCount: end - start, fileColumns, columns: slice };
    }
  }
}

function sliceOf(values: ArrayLike<unknown>, from: number, to: number): ArrayLike<unknown> {
  if (from === 0 && to === values.length) return values;
  // Typed arrays share memory with subarray(); plain arrays copy the (small) chunk.
  return ArrayBuffer.isView(values) ? (values as unknown as Float64Array).subarray(from, to) : Array.prototype.slice.call(values, from, to);
}
