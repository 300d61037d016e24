/**
 * Last-resort cleanup when the harness exits before stopping a system
 * normally (Ctrl-C: Miniflare's own signal handler exits the process at
 * once). Each cleanup is synchronous, because that is all Node runs on
 * 'exit': signal the server, delete the temp dir.
 */
const cleanups = new Set<() => void>();

process.on("exit", () => {
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // Best effort: the process is going away.
    }
  }
});

/** Registers `cleanup`; call the returned function once the system stopped normally. */
export function onExitCleanup(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}
