// Port checks for `npm start` (scripts/start.mjs): both ports are checked
// before anything starts, so a second `npm start` says which port is taken
// and how to choose others, instead of failing halfway with a stack trace.
import net from "node:net";

/** The interface the servers listen on (see local-server.mjs). */
const HOST = "127.0.0.1";
/** How many port pairs are tried when suggesting free ones. */
const SUGGESTION_TRIES_MAX = 20;

/** `text` as a port number (1-65535), `fallback` when unset, null when it is not a port. */
export function parsePort(text, fallback) {
  if (text === undefined || text === "") return fallback;
  const port = Number(text);
  return /^\d+$/.test(text) && port >= 1 && port <= 65535 ? port : null;
}

/**
 * Checks that every port in `ports` ({ name, role, port }) can be listened
 * on. Resolves to null when all can, else to a message for the user that
 * names each port in the way and suggests free ones.
 */
export async function checkPorts(ports) {
  const problems = [];
  for (const p of ports) {
    const outcome = await probe(p.port);
    if (outcome === "busy") problems.push(`port ${p.port} (${p.name}, ${p.role}) is already in use, perhaps by another npm start`);
    else if (outcome !== "free") problems.push(`port ${p.port} (${p.name}, ${p.role}) cannot be listened on: ${outcome}`);
  }
  if (problems.length === 0) return null;
  const [worker, frontdoor] = await suggestPorts(ports.map((p) => p.port));
  return `${problems.join("; ")}.\nChoose other ports, for example:\n  PORT=${worker} FRONTDOOR_PORT=${frontdoor} npm start`;
}

/** "free", "busy", or the error code that kept `port` from being listened on (EACCES for a privileged port). */
function probe(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", (err) => resolve(err.code === "EADDRINUSE" ? "busy" : (err.code ?? err.message)));
    server.listen({ port, host: HOST, exclusive: true }, () => server.close(() => resolve("free")));
  });
}

/** Two neighbouring free ports above the ones asked for (8790 and 8791 if none is found). */
async function suggestPorts(asked) {
  let candidate = Math.max(8788, ...asked) + 2;
  for (let i = 0; i < SUGGESTION_TRIES_MAX && candidate < 65535; i++, candidate += 2) {
    if ((await probe(candidate)) === "free" && (await probe(candidate + 1)) === "free") return [candidate, candidate + 1];
  }
  return [8790, 8791];
}
