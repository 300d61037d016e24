/**
 * Reading a document's JSON from stdin (`put` and `add` without a JSON
 * argument). Stdin is read as a stream: a synchronous read of fd 0
 * (readFileSync(0)) fails with EAGAIN when stdin is a non-blocking pipe
 * whose writer has not written yet, as a slow producer's pipe often is.
 * What is read is bounded by STDIN_BYTES_MAX.
 */
import { CliError } from "./errors.js";
import { STDIN_BYTES_MAX } from "./limits.js";
import { DOCUMENT_BYTES_MAX } from "../limits.js";

/** The text of `input` (stdin by default), refused with a CliError (exit 2) past `bytesMax` bytes or when it is a terminal. */
export async function readStdin(input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin, bytesMax = STDIN_BYTES_MAX): Promise<string> {
  if (input.isTTY === true) throw new CliError("give the document as a JSON argument, or pipe it on stdin");
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of input) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : (chunk as Buffer);
    bytes += buffer.length;
    if (bytes > bytesMax) {
      throw new CliError(
        `stdin holds more than ${sizeText(bytesMax)} (STDIN_BYTES_MAX), and a document is at most ${sizeText(DOCUMENT_BYTES_MAX)} of JSON (DOCUMENT_BYTES_MAX); nothing was sent`,
      );
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, bytes).toString("utf8");
}

/** `bytes` as people read a size: `2 MiB` when a whole number of MiB, else `N bytes`. */
function sizeText(bytes: number): string {
  const mib = 1024 * 1024;
  return bytes % mib === 0 ? `${bytes / mib} MiB` : `${bytes} bytes`;
}
