/**
 * A listener's life: open QueryService.Listen, feed its messages to a
 * ListenView (listen-view.ts), and when the stream breaks for a reason that
 * another attempt can fix, open it again from the last resume token after a
 * backoff (retry-policy.ts, with the listener's own limits). A token the
 * server no longer knows (OUT_OF_RANGE) starts the listener over from a
 * fresh snapshot. Every other error ends the listener and is the caller's.
 *
 * A server that cannot be reached (isUnreachable: a restart, a deploy, the
 * network down) is waited out for as long as it takes, as Firestore's
 * listeners do: only time fixes it, and a listener that died after a minute
 * of it would leave every caller to write this loop. Its bound is the
 * caller's: the signal, or leaving the loop; onReconnect reports each
 * attempt (`unreachable: true`) so an application can say it is offline,
 * or give up. A server that answers and then fails without progress is a
 * fault another attempt may not fix: those streams count towards
 * `reconnect.attemptsMax`, and the listener ends with the last error.
 *
 * Listen runs until cancelled, so it bypasses the transport's deadline and
 * retries (HttpClient.ts): this loop is its retry policy.
 */
import type { DocumentData } from "./value-codec.js";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ListenResponse } from "./gen/impossibledb/v1/query_service_pb.js";
import { LISTEN_BACKOFF_INITIAL_MS_DEFAULT, LISTEN_BACKOFF_MAX_MS_DEFAULT, LISTEN_IDLE_TIMEOUT_MS_DEFAULT, LISTEN_RECONNECT_ATTEMPTS_MAX_DEFAULT } from "./limits.js";
import type { ListenView, QuerySnapshot } from "./listen-view.js";
import { backoffMs, RETRY_OPTIONS, retryPolicy, sleep as realSleep, type RetryOptions } from "./retry-policy.js";
import { checkOptions, type OptionKinds } from "./options.js";

/** Options of a listener. */
export interface ListenOptions {
  /** Stops the listener: the iterator ends, no callback runs after it. */
  signal?: AbortSignal;
  /**
   * Reconnects after transient failures: `attemptsMax` counts the streams
   * opened in a row without reaching a resume token that reached the server,
   * the first included (LISTEN_RECONNECT_ATTEMPTS_MAX_DEFAULT, 10; 1 never
   * reconnects); streams that could not reach it (isUnreachable) do not
   * count: the listener waits out a server that is down until `signal`
   * aborts. The wait before the n-th reconnect in a row is drawn from
   * [0, min(maxBackoffMs, initialBackoffMs * 2^(n-1)))
   * (LISTEN_BACKOFF_*_MS_DEFAULT by default: at most 15 s). Reaching a
   * resume token resets both counts.
   */
  reconnect?: RetryOptions;
  /**
   * Called before each reconnect, with the error that broke the stream
   * (logging, metrics, an "offline" indicator): `attempt` counts the
   * reconnects in a row without a token; `unreachable` is true when the
   * stream could not reach the server (the listener keeps trying; abort
   * `signal` to give up).
   */
  onReconnect?: (info: { attempt: number; delayMs: number; error: ConnectError; restart: boolean; unreachable: boolean }) => void;
  /** Waits between attempts (tests replace it); a timer when unset. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Reconnects (from the last token) when a stream has sent nothing for
   * this long, in ms: the server sends a quiet listener a heartbeat at
   * least every 20 s, so silence means a dead connection (a half-open TCP
   * connection, a proxy that dropped it). LISTEN_IDLE_TIMEOUT_MS_DEFAULT
   * (45 s) when unset; 0 turns the watchdog off.
   */
  idleTimeoutMs?: number;
}

/** Every key of ListenOptions (options.ts refuses any other). */
const LISTEN_OPTIONS = { signal: "signal", reconnect: "checked", onReconnect: "function", sleep: "function", idleTimeoutMs: "number" } as const satisfies OptionKinds<ListenOptions>;

/**
 * Refuses a listener's unknown options, and its `reconnect` options' (a
 * misspelt `reconect` would keep the defaults without a word). `where`
 * names the call (`listen()`, `onSnapshot()`).
 */
export function checkListenOptions(where: string, options: ListenOptions | undefined): void {
  checkOptions(where, options, LISTEN_OPTIONS, { retry: "reconnect", onRetry: "onReconnect", timeoutMs: "idleTimeoutMs" });
  checkOptions(`${where}: reconnect`, options?.reconnect, RETRY_OPTIONS);
}

/** Opens one Listen stream, resuming after `resumeToken` when it is not empty. */
export type OpenListen = (resumeToken: string, signal: AbortSignal) => AsyncIterable<ListenResponse>;

/**
 * True when a broken stream is worth opening again from the last token:
 * the server or the network was briefly unavailable (UNAVAILABLE; UNKNOWN,
 * which is how a failed fetch surfaces in browsers; ABORTED, which is how
 * Node's transports report a connection cut mid-stream, and Listen itself
 * never answers), a proxy cancelled or timed out the request (CANCELED
 * when the listener did not cancel, DEADLINE_EXCEEDED), the body ended without the protocol's end of stream,
 * or the server asked to resume (RESOURCE_EXHAUSTED while it buffered a
 * transaction; only with a token: without one it means the query matches
 * too much, which another attempt does not fix).
 */
export function isListenTransient(error: ConnectError, hasToken: boolean): boolean {
  switch (error.code) {
    case Code.Unavailable:
    case Code.Unknown:
    case Code.Canceled:
    case Code.Aborted:
    case Code.DeadlineExceeded:
      return true;
    case Code.ResourceExhausted:
      return hasToken;
    default:
      // connect reports a body cut short as a protocol error: INVALID_ARGUMENT
      // "missing EndStreamResponse" (Connect), INTERNAL "missing trailer" (gRPC-Web).
      return /missing (EndStreamResponse|trailer)/.test(error.rawMessage);
  }
}

/**
 * True when a stream failed before it delivered anything because the server
 * could not be reached: UNAVAILABLE (connection refused or reset, a proxy's
 * 502/503/504, the idle watchdog) or, in browsers, UNKNOWN from a fetch
 * that failed (its cause a TypeError). The listener retries these without
 * counting them (see the file comment).
 */
export function isUnreachable(error: ConnectError, delivered: boolean): boolean {
  if (delivered) return false;
  return error.code === Code.Unavailable || (error.code === Code.Unknown && error.cause instanceof TypeError);
}

/**
 * The listener's snapshots, from `open` through `view`, reconnecting as
 * the file comment says. Ends when `options.signal` aborts or the consumer
 * stops; throws a ConnectError when the stream fails for good:
 * INVALID_ARGUMENT (a bad query, an offset), RESOURCE_EXHAUSTED (the query
 * matches more than LISTEN_MATCHED_DOCUMENTS_MAX documents), OUT_OF_RANGE on a fresh
 * listen, or the last transient error after `reconnect.attemptsMax`
 * streams in a row that reached the server and no token (a server that
 * cannot be reached is retried until `options.signal` aborts).
 */
export async function* listenSnapshots<T extends DocumentData>(open: OpenListen, view: ListenView<T>, options: ListenOptions = {}): AsyncGenerator<QuerySnapshot<T>> {
  checkListenOptions("listen()", options);
  const policy = retryPolicy({
    attemptsMax: LISTEN_RECONNECT_ATTEMPTS_MAX_DEFAULT,
    initialBackoffMs: LISTEN_BACKOFF_INITIAL_MS_DEFAULT,
    maxBackoffMs: LISTEN_BACKOFF_MAX_MS_DEFAULT,
    ...options.reconnect,
  });
  const sleep = options.sleep ?? realSleep;
  const idleTimeoutMs = options.idleTimeoutMs ?? LISTEN_IDLE_TIMEOUT_MS_DEFAULT;
  const controller = new AbortController();
  const stop = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted === true) return;
  options.signal?.addEventListener("abort", stop, { once: true });
  // Streams in a row without progress: all of them (the backoff's
  // exponent), and those that reached the server (bounded by attemptsMax).
  let failures = 0;
  let reachedFailures = 0;
  try {
    // Each turn is one stream; a turn ends in a reconnect or leaves the loop.
    // Failures that reached the server are bounded by policy.attemptsMax;
    // the others by the caller's signal (the file comment says why).
    for (;;) {
      // Each stream has its own signal, so the idle watchdog can drop it
      // without stopping the listener.
      const streamController = new AbortController();
      const dropStream = (): void => streamController.abort();
      controller.signal.addEventListener("abort", dropStream, { once: true });
      const watchdog = idleWatchdog(idleTimeoutMs, dropStream);
      const openedWith = view.resumeToken;
      const stream = open(openedWith, streamController.signal)[Symbol.asyncIterator]();
      let error: ConnectError;
      let delivered = false;
      let ended = false;
      for (;;) {
        let next: IteratorResult<ListenResponse>;
        watchdog.arm();
        try {
          next = await stream.next();
        } catch (err) {
          watchdog.disarm();
          controller.signal.removeEventListener("abort", dropStream);
          if (controller.signal.aborted) return;
          error = watchdog.fired
            ? new ConnectError(`Listen sent nothing for ${idleTimeoutMs} ms (the server sends a heartbeat at least every 20 s): reconnecting`, Code.Unavailable)
            : ConnectError.from(err);
          break;
        }
        watchdog.disarm();
        if (next.done === true) {
          controller.signal.removeEventListener("abort", dropStream);
          error = new ConnectError("Listen ended without being cancelled", Code.Unavailable);
          ended = true; // the server answered: not unreachable
          break;
        }
        delivered = true;
        // Outside the try: an error of the view is not the network's.
        const snap = view.receive(next.value);
        // Only progress resets the count: a resumed stream's first message
        // repeats the token it was opened with, and a stream that fails
        // right after it (a query that now matches too much) must not
        // reconnect forever.
        if (next.value.resumeToken !== "" && next.value.resumeToken !== openedWith) {
          failures = 0;
          reachedFailures = 0;
        }
        if (snap !== null) yield snap;
      }
      const restart = error.code === Code.OutOfRange && view.resumeToken !== "";
      if (!restart && !isListenTransient(error, view.resumeToken !== "")) throw error;
      const unreachable = !restart && isUnreachable(error, delivered || ended);
      failures += 1;
      if (!unreachable) reachedFailures += 1;
      if (reachedFailures >= policy.attemptsMax) throw error;
      if (restart) view.restart();
      else view.disconnected();
      const delayMs = restart ? 0 : backoffMs(policy, failures);
      options.onReconnect?.({ attempt: failures, delayMs, error, restart, unreachable });
      try {
        await sleep(delayMs, controller.signal);
      } catch {
        return; // cancelled while waiting
      }
    }
  } finally {
    options.signal?.removeEventListener("abort", stop);
    // Closes the stream when the consumer stopped early.
    controller.abort();
  }
}

/** A timer that calls `onIdle` when armed for `timeoutMs` without being disarmed; off when `timeoutMs` is 0. */
function idleWatchdog(timeoutMs: number, onIdle: () => void) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const state = {
    fired: false,
    arm(): void {
      if (timeoutMs <= 0) return;
      timer = setTimeout(() => {
        state.fired = true;
        onIdle();
      }, timeoutMs);
    },
    disarm(): void {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
  return state;
}

/**
 * Runs `snapshots` and calls `onNext` with each, until the returned
 * function is called. An error that ends the listener, or one thrown by
 * `onNext`, goes to `onError` (to console.error without one); nothing is
 * called after unsubscribing.
 */
export function subscribe<S>(snapshots: (signal: AbortSignal) => AsyncIterable<S>, onNext: (snapshot: S) => void, onError?: (error: ConnectError) => void): () => void {
  const controller = new AbortController();
  const report = onError ?? ((error: ConnectError) => console.error(`ImpossibleDB listener failed: ${error.message}`));
  void (async () => {
    try {
      for await (const snap of snapshots(controller.signal)) {
        if (controller.signal.aborted) return;
        onNext(snap);
      }
    } catch (err) {
      if (!controller.signal.aborted) report(ConnectError.from(err));
    }
  })();
  return () => controller.abort();
}
