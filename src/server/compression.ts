/**
 * gzip for Connect, built on the Web Streams CompressionStream that Workers
 * provide (connect-node's gzip needs node:zlib). Clients such as
 * connect-python compress requests by default, so the Worker must accept it.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { joinChunks } from "./bytes.js";

async function pipeThrough(bytes: Uint8Array, transform: ReadableWritablePair<Uint8Array, Uint8Array>, readMaxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(transform);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > readMaxBytes) {
      throw new ConnectError(`message is larger than configured readMaxBytes ${readMaxBytes} after decompression`, Code.ResourceExhausted);
    }
    chunks.push(chunk);
  }
  return joinChunks(chunks, total);
}

/** gzip, for `acceptCompression`. */
export const compressionGzip: Compression = {
  name: "gzip",
  compress(bytes) {
    return pipeThrough(bytes, new CompressionStream("gzip") as ReadableWritablePair<Uint8Array, Uint8Array>, Number.MAX_SAFE_INTEGER);
  },
  async decompress(bytes, readMaxBytes) {
    if (bytes.byteLength === 0) return new Uint8Array(0);
    try {
      return await pipeThrough(bytes, new DecompressionStream("gzip") as ReadableWritablePair<Uint8Array, Uint8Array>, readMaxBytes);
    } catch (err) {
      if (err instanceof ConnectError) throw err;
      // The compressed bytes are a POST's body, a GET's `message` parameter
      // or one enveloped message: the message names none of them.
      throw new ConnectError("the request message is not valid gzip", Code.InvalidArgument);
    }
  },
};
