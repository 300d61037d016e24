// Lets `npm start` (scripts/start.mjs) notice that whatever started it has
// died. `npm start` runs `sh -c "… && node scripts/start.mjs"`, so when npm
// is killed outright (SIGKILL), the shell and start.mjs live on, and with
// them the servers, while the terminal shows `npm start` as finished. So
// start.mjs watches its parent and, under `npm run` (npm sets
// npm_lifecycle_event), the npm process above that shell too.
import { readFileSync } from "node:fs";

/** How often the watched processes are checked. */
const PARENT_POLL_INTERVAL_MS = 500;

/**
 * Calls `onGone` once when this process's parent, or (under npm) its
 * grandparent, is gone. The timer is unref'd: it never keeps the process
 * alive by itself.
 */
export function watchParents(onGone) {
  const parent = process.ppid;
  const watched = [parent];
  const grandparent = process.env.npm_lifecycle_event === undefined ? null : parentOf(parent);
  // Pid 1 (or a subreaper) adopting the shell is not npm.
  if (grandparent !== null && grandparent > 1) watched.push(grandparent);
  const timer = setInterval(() => {
    // A parent that dies makes the kernel give us a new one, so a changed
    // ppid is as good a sign as a missing pid (and immune to pid reuse).
    const gone = process.ppid !== parent || watched.some((pid) => !alive(pid));
    if (!gone) return;
    clearInterval(timer);
    onGone();
  }, PARENT_POLL_INTERVAL_MS);
  timer.unref();
}

/** The parent pid of `pid`, from /proc (Linux); null where that cannot be read. */
function parentOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may hold spaces; fields follow it.
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return err.code === "EPERM";
  }
}
