import type { BlobClient } from '@azure/storage-blob';

/** A size past which a blob is not downloaded, and the error that says so. */
export interface ReadLimit {
  bytes: number;
  tooLarge(size: number): Error;
}

/**
 * A blob's content as one version: its size and ETag first, then that many bytes If-Match that
 * ETag (a 412 when it changed in between: the caller reads again, or lets its trigger retry).
 * An unpinned download of the size read could be the first bytes of a longer, newer version.
 * With `limit`, a bigger blob is refused from its size, before anything is downloaded.
 */
export async function readPinned(blob: BlobClient, limit?: ReadLimit): Promise<{ data: Buffer; etag: string | undefined }> {
  const { etag, contentLength = 0 } = await blob.getProperties();
  if (limit && contentLength > limit.bytes) throw limit.tooLarge(contentLength);
  if (contentLength === 0) return { data: Buffer.alloc(0), etag };
  return { data: await blob.downloadToBuffer(0, contentLength, { conditions: { ifMatch: etag } }), etag };
}
