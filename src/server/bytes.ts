/** Byte helpers of the request path. */

/**
 * `chunks` joined into one array of `totalBytes` bytes (the sum of their
 * lengths, which the caller counted while collecting them).
 */
export function joinChunks(chunks: readonly Uint8Array[], totalBytes: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(totalBytes);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  if (offset !== totalBytes) throw new Error(`invariant broken: chunks hold ${offset} bytes, not ${totalBytes}`);
  return out;
}
