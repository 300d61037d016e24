#!/usr/bin/env node
// Runs one server of the local database (wrangler dev, the front door) so
// that it cannot outlive the process that started it, however that process
// ends.
//
//   node scripts/child-guard.mjs COMMAND ARGS...
//
// scripts/local-server.mjs starts this guard with a pipe on its stdin that
// it never writes to. The guard runs COMMAND as the leader of a process
// group of its own; everything COMMAND starts (wrangler runs workerd) stays
// in that group. The guard stops the whole group when:
//   - its stdin reaches end of file: the kernel closes the pipe when the
//     starting process dies, also by SIGKILL, which no handler can catch;
//   - it gets SIGTERM, SIGINT or SIGHUP (how local-server stops it).
// Stopping is SIGTERM to the group, then SIGKILL to what is left after
// GUARD_GRACE_MS. When COMMAND exits, for whatever reason, the guard kills
// what is left of its group (workerd may outlive wrangler for a moment) and
// exits with COMMAND's code, so the parent sees the exit.
import { spawn } from "node:child_process";

/** How long the group may take to stop after SIGTERM before it is killed. */
export const GUARD_GRACE_MS = 2_000;

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  console.error("child-guard: usage: child-guard.mjs COMMAND ARGS...");
  process.exit(2);
}
if (process.stdin.isTTY) {
  // With a terminal on stdin, end of file would not mean the parent died.
  console.error("child-guard: stdin must be a pipe from the process to watch, not a terminal");
  process.exit(2);
}

// COMMAND leads its own group (detached) so that the guard can kill the
// group without killing itself first. Its stdin is /dev/null: only the guard
// holds the pipe, so the pipe's end of file depends on the parent alone.
const child = spawn(command, args, { detached: true, stdio: ["ignore", "inherit", "inherit"] });
let stopping = false;

child.once("error", (err) => {
  console.error(`child-guard: cannot run ${command}: ${err.message}`);
  process.exit(127);
});
child.once("exit", (code, signal) => {
  killGroup("SIGKILL");
  process.exit(code ?? 128 + signalNumber(signal));
});

process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, stop);

/** Asks COMMAND's group to stop, and kills it if it has not after the grace period. */
function stop() {
  if (stopping) return;
  stopping = true;
  killGroup("SIGTERM");
  // unref: once COMMAND exits, the exit handler ends the guard, and this
  // timer must not keep it alive.
  setTimeout(() => killGroup("SIGKILL"), GUARD_GRACE_MS).unref();
}

function killGroup(signal) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group has already exited.
  }
}

function signalNumber(signal) {
  return { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal] ?? 0;
}
