/**
 * The SDK's transport (the seed's HttpClient): wraps any Connect transport
 * so that every call has a deadline and idempotent calls are retried with
 * exponential backoff and jitter when the server says "try again later"
 * (UNAVAILABLE, RESOURCE_EXHAUSTED). Transactions retry ABORTED one level up,
 * in runTransaction, because a commit that aborted must redo its reads.
 *
 * The deadline covers all attempts: each retry gets what is left of it, and
 * no retry starts when its backoff would outlast it.
 *
 * A server that says how long to wait (a rate limit's RESOURCE_EXHAUSTED
 * with `google.rpc.RetryInfo`, retry-info.ts) is waited for: its delay plus
 * the usual jittered backoff, so clients refused together do not all come
 * back at the same instant.
 *
 * A DEADLINE_EXCEEDED of the SDK's own deadline says how long it was and
 * what set it (the call's timeoutMs, the client's timeoutMs or
 * streamTimeoutMs, or their defaults, CALL_TIMEOUT_MS_DEFAULT and
 * STREAM_TIMEOUT_MS_DEFAULT): Connect's own words, "the operation timed
 * out", name neither, and a caller whose many calls queue behind each other
 * cannot tell which knob to turn.
 */
import type { DescMessage, DescMethodStreaming, DescMethodUnary, MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, type StreamResponse, type Transport, type UnaryResponse } from "@connectrpc/connect";
import { CALL_TIMEOUT_MS_DEFAULT, STREAM_TIMEOUT_MS_DEFAULT } from "./limits.js";
import { backoffMs, isIdempotent, isRefusedAtTheDoor, isTransient, retryPolicy, sleep as realSleep, type RetryOptions, type RetryPolicy } from "./retry-policy.js";
import { retryInfoDelayMs, serverRetryDelayMs } from "./retry-info.js";

/** Options of createRetryingTransport. */
export interface RetryingTransportOptions {
  /** Retry policy; retries are on by default. */
  retry?: RetryOptions;
  /** Deadline of a unary call that names none, in ms. */
  timeoutMs?: number;
  /** Deadline of a server stream that names none, in ms. */
  streamTimeoutMs?: number;
  /** Waits between attempts (tests replace it); a timer when unset. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The clock, in ms (tests replace it); Date.now when unset. */
  now?: () => number;
  /** Called before each retry, with the error that caused it. */
  onRetry?: (info: { method: string; attempt: number; delayMs: number; error: ConnectError }) => void;
}

/** Wraps `inner` with deadlines and retries. */
export function createRetryingTransport(inner: Transport, options: RetryingTransportOptions = {}): Transport {
  const policy = retryPolicy(options.retry);
  const ctx: RetryContext = {
    policy,
    sleep: options.sleep ?? realSleep,
    now: options.now ?? Date.now,
    onRetry: options.onRetry ?? (() => {}),
  };
  const unaryTimeoutMs = options.timeoutMs ?? CALL_TIMEOUT_MS_DEFAULT;
  const streamTimeoutMs = options.streamTimeoutMs ?? STREAM_TIMEOUT_MS_DEFAULT;
  const unarySource = options.timeoutMs === undefined ? `CALL_TIMEOUT_MS_DEFAULT; the client's timeoutMs option sets another` : "the client's timeoutMs option";
  const streamSource = options.streamTimeoutMs === undefined ? `STREAM_TIMEOUT_MS_DEFAULT; the client's streamTimeoutMs option sets another` : "the client's streamTimeoutMs option";
  return {
    unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: MessageInitShape<I>,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      const attempt = (remainingMs: number) => inner.unary(method, signal, remainingMs, header, input, contextValues);
      const deadline = timeoutMs === undefined ? { ms: unaryTimeoutMs, source: unarySource } : { ms: timeoutMs, source: "this call's timeoutMs option" };
      return withRetries(ctx, method, signal, deadline, attempt);
    },
    stream<I extends DescMessage, O extends DescMessage>(
      method: DescMethodStreaming<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: AsyncIterable<MessageInitShape<I>>,
      contextValues?: ContextValues,
    ): Promise<StreamResponse<I, O>> {
      // Only server streams with one request are retried: the request can be
      // sent again. Retries happen while opening the stream and before its
      // first message; after that, the caller has seen results and must
      // decide itself.
      const deadline = timeoutMs === undefined ? { ms: streamTimeoutMs, source: streamSource } : { ms: timeoutMs, source: "this call's timeoutMs option" };
      if (method.methodKind !== "server_streaming") return inner.stream(method, signal, deadline.ms, header, input, contextValues);
      return collect(input).then((requests) =>
        openStream(ctx, method, signal, deadline, (remainingMs) => inner.stream(method, signal, remainingMs, header, replay(requests), contextValues)),
      );
    },
  };
}

interface RetryContext {
  policy: RetryPolicy;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
  onRetry: NonNullable<RetryingTransportOptions["onRetry"]>;
}

/** A call's deadline: how long, in ms, and what set it, as its DEADLINE_EXCEEDED names it. */
interface Deadline {
  readonly ms: number;
  /** The option (or default) that set it: "the client's timeoutMs option". */
  readonly source: string;
}

/** Connect's message for a deadline its timer ended (protocol/signals.ts). */
const CONNECT_TIMED_OUT_MESSAGE = "the operation timed out";

/**
 * `error`, when it is the SDK's own deadline passing (Connect's timer, in
 * its words), with a message that names the deadline and what set it, the
 * original as cause; else unchanged. A DEADLINE_EXCEEDED the server sent
 * is the server's own and stays as it came, even when it arrives after the
 * client's deadline (a poll with 1 ms left).
 */
function namingDeadline(error: ConnectError, deadline: Deadline): ConnectError {
  if (error.code !== Code.DeadlineExceeded || error.rawMessage !== CONNECT_TIMED_OUT_MESSAGE) return error;
  return new ConnectError(`${deadlineText(deadline)} passed (${error.rawMessage})`, Code.DeadlineExceeded, error.metadata, undefined, error);
}

/** "the deadline of 10000 ms (CALL_TIMEOUT_MS_DEFAULT; ...)": how long and what set it. */
function deadlineText(deadline: Deadline): string {
  return `the deadline of ${deadline.ms} ms (${deadline.source})`;
}

/** Errors of calls this client gave up on before sending an attempt that could have been applied. */
const unsentErrors = new WeakSet<Error>();

function unsent(error: ConnectError): ConnectError {
  unsentErrors.add(error);
  return error;
}

/**
 * True when `error` ended a call before it sent an attempt the server could
 * have carried out: its deadline passed before the first attempt, or before
 * a retry (a call that is not idempotent is retried only after the server
 * refused it at the door, applying nothing). So a commit that fails so was
 * not applied, and may be sent again.
 */
export function wasNeverSent(error: unknown): boolean {
  return error instanceof Error && unsentErrors.has(error);
}

async function withRetries<T>(
  ctx: RetryContext,
  method: DescMethodUnary | DescMethodStreaming,
  signal: AbortSignal | undefined,
  deadline: Deadline,
  attempt: (remainingMs: number) => Promise<T>,
): Promise<T> {
  const deadlineMs = deadline.ms;
  const started = ctx.now();
  const idempotent = isIdempotent(method);
  for (let n = 1; ; n++) {
    const remainingMs = deadlineMs - (ctx.now() - started);
    if (remainingMs <= 0) throw unsent(new ConnectError(`${deadlineText(deadline)} passed before attempt ${n}`, Code.DeadlineExceeded));
    try {
      return await attempt(remainingMs);
    } catch (err) {
      const error = namingDeadline(outcomeUnknownIfCut(ConnectError.from(err)), deadline);
      const serverDelayMs = serverRetryDelayMs(error);
      const retryable = idempotent || isRefusedAtTheDoor(error.code, retryInfoDelayMs(error));
      if (!retryable || !isTransient(error.code) || n >= ctx.policy.attemptsMax) throw error;
      const delayMs = (serverDelayMs ?? 0) + backoffMs(ctx.policy, n);
      // A retry that cannot start before the deadline would only turn the
      // real error into DEADLINE_EXCEEDED.
      if (ctx.now() - started + delayMs >= deadlineMs) throw error;
      ctx.onRetry({ method: `${method.parent.typeName}/${method.name}`, attempt: n, delayMs, error });
      await ctx.sleep(delayMs, signal);
    }
  }
}

/**
 * Errors of the connection itself (Node's codes), not answers of the
 * server: the request may have reached the server and been carried out.
 * Connect for Node reports a reset connection as ABORTED (its code for a
 * handler whose client hung up) and a broken pipe as INTERNAL; to a
 * client, ABORTED means "the server refused, nothing was applied: run the
 * transaction again", so runTransaction ran a committed transaction a
 * second time when the connection broke after the commit (a new user's
 * proxy that reset the connection instead of returning Commit's answer).
 */
const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNRESET", "EPIPE", "ECONNABORTED", "ERR_STREAM_DESTROYED", "ERR_STREAM_PREMATURE_CLOSE", "ERR_HTTP2_INVALID_STREAM", "ERR_HTTP2_STREAM_ERROR", "ERR_HTTP2_SESSION_ERROR", "ERR_HTTP2_GOAWAY_SESSION", "UND_ERR_SOCKET",
]);

/**
 * The errors fetch() rejected with in the browser build (failedFetch):
 * fetch says only TypeError ("Failed to fetch", "Load failed", "fetch
 * failed"), whether the connection was refused, reset or cut mid-answer,
 * so the request may have been carried out.
 */
const failedFetches = new WeakSet<object>();

/**
 * `fetch`, with the TypeErrors it rejects with marked as a failed
 * connection (outcomeUnknownIfCut), for the browser build's Connect-Web
 * transport. Only fetch's own rejection, before any response, is marked:
 * a TypeError elsewhere (a bug, a bad header) stays what it is. Without
 * this a browser's network failure was UNKNOWN "fetch failed": reads were
 * not retried and a lost commit did not say its outcome was unknown.
 */
export function fetchMarkingFailures(fetch: typeof globalThis.fetch): typeof globalThis.fetch {
  return (input, init) =>
    fetch(input, init).catch((err: unknown) => {
      if (err instanceof TypeError) failedFetches.add(err);
      throw err;
    });
}

/**
 * `error` as UNAVAILABLE "outcome unknown" when it is the connection's, not
 * the server's (a Node error code in its cause chain, or in browsers a
 * failed fetch); else unchanged.
 * UNAVAILABLE is retried only for idempotent calls (retry-policy.ts), and
 * runTransaction does not run a transaction again on it, so a commit whose
 * answer was lost is never applied twice by the SDK.
 */
export function outcomeUnknownIfCut(error: ConnectError): ConnectError {
  const code = connectionErrorCode(error);
  if (code === null) return error;
  const what = code === FETCH_FAILED ? `the request failed before an answer arrived (${error.rawMessage}; fetch does not say whether it was sent)` : `the connection broke before the answer arrived (${code}: ${error.rawMessage})`;
  return new ConnectError(
    `${what}: the call's outcome is unknown; a write or commit may have been applied`,
    Code.Unavailable,
    error.metadata,
    undefined,
    error,
  );
}

/**
 * `error`, met while reading an open server stream, as UNAVAILABLE when the
 * connection broke (a reset read as ABORTED: a listener's onReconnect saw
 * ABORTED when the server went away, though the SDKs call a reset
 * UNAVAILABLE); else unchanged. A stream only reads, so nothing is unknown.
 */
export function unavailableIfCut(error: ConnectError): ConnectError {
  const code = connectionErrorCode(error);
  if (code === null) return error;
  return new ConnectError(`the connection broke while the stream was open (${code}: ${error.rawMessage})`, Code.Unavailable, error.metadata, undefined, error);
}

/** connectionErrorCode's name for a failed fetch (browsers give no code). */
const FETCH_FAILED = "fetch failed";

/** The Node error code of a broken connection in `error`'s cause chain (for the codes Connect reports it under), or null. */
function connectionErrorCode(error: ConnectError): string | null {
  if (error.code !== Code.Aborted && error.code !== Code.Internal && error.code !== Code.Unknown) return null;
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 8 && typeof cause === "object" && cause !== null; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_ERROR_CODES.has(code)) return code;
    if (failedFetches.has(cause)) return FETCH_FAILED;
    cause = (cause as { cause?: unknown }).cause;
  }
  return null;
}

/** Opens a server stream, retrying until its first message (or its end) arrives. */
async function openStream<I extends DescMessage, O extends DescMessage>(
  ctx: RetryContext,
  method: DescMethodStreaming<I, O>,
  signal: AbortSignal | undefined,
  deadline: Deadline,
  open: (remainingMs: number) => Promise<StreamResponse<I, O>>,
): Promise<StreamResponse<I, O>> {
  return withRetries(ctx, method, signal, deadline, async (remainingMs) => {
    const res = await open(remainingMs);
    const iterator = res.message[Symbol.asyncIterator]();
    const first = await iterator.next();
    return { ...res, message: prepend(first, iterator, (error) => namingDeadline(error, deadline)) };
  });
}

async function* prepend<T>(first: IteratorResult<T>, rest: AsyncIterator<T>, named: (error: ConnectError) => ConnectError): AsyncIterable<T> {
  if (first.done === true) return;
  yield first.value;
  try {
    for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
  } catch (err) {
    throw named(unavailableIfCut(ConnectError.from(err)));
  }
}

async function collect<T>(input: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of input) out.push(item);
  return out;
}

async function* replay<T>(items: readonly T[]): AsyncIterable<T> {
  yield* items;
}
