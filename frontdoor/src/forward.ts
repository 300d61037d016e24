/**
 * Forwards every method of a service to the Worker over gRPC-Web, the way
 * Cloudflare's edge turns gRPC into gRPC-Web in production. Application
 * metadata goes both ways; the caller's deadline and cancellation reach the
 * Worker; the Worker's error code, message, details and metadata come back
 * unchanged.
 */
import type { DescMethod, DescMethodServerStreaming, DescMethodUnary, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext, type Transport } from "@connectrpc/connect";
import { applicationMetadata, copyApplicationMetadata } from "./metadata.js";

/**
 * What to do with a method that cannot reach a Worker (client or
 * bidirectional streaming): refuse to start (the v1 contract declares none,
 * so one appearing is a mistake), or leave it unregistered, so that calls to
 * it answer UNIMPLEMENTED (the conformance service declares such methods,
 * and the conformance config says they are not supported).
 */
export type UnforwardableMethods = "refuse" | "unimplemented";

/** Registers a forwarding handler for each method of `service`. */
export function forwardService(router: ConnectRouter, service: DescService, upstream: Transport, unforwardable: UnforwardableMethods = "refuse"): void {
  // The handlers work on any message type, which router.rpc's per-method
  // typing cannot express.
  const register = (method: DescMethod, impl: unknown): void => void router.rpc(method, impl as never);
  for (const method of service.methods) {
    switch (method.methodKind) {
      case "unary":
        register(method, forwardUnary(method as DescMethodUnary, upstream));
        break;
      case "server_streaming":
        register(method, forwardServerStream(method as DescMethodServerStreaming, upstream));
        break;
      default:
        if (unforwardable === "unimplemented") break;
        // A Worker cannot hold a full-duplex stream, so the contract declares
        // none; refuse to start rather than serve a method that cannot work.
        throw new Error(`${service.typeName}.${method.name} is ${method.methodKind}; only unary and server streaming can reach a Worker`);
    }
  }
}

function forwardUnary(method: DescMethodUnary, upstream: Transport) {
  return async (req: unknown, ctx: HandlerContext) => {
    try {
      const res = await upstream.unary(method, ctx.signal, ctx.timeoutMs(), applicationMetadata(ctx.requestHeader), req as never);
      copyApplicationMetadata(res.header, ctx.responseHeader);
      copyApplicationMetadata(res.trailer, ctx.responseTrailer);
      return res.message;
    } catch (err) {
      throw forwardedError(err, ctx.signal.aborted);
    }
  };
}

function forwardServerStream(method: DescMethodServerStreaming, upstream: Transport) {
  return async function* (req: unknown, ctx: HandlerContext) {
    try {
      const res = await upstream.stream(method, ctx.signal, ctx.timeoutMs(), applicationMetadata(ctx.requestHeader), once(req as never));
      copyApplicationMetadata(res.header, ctx.responseHeader);
      yield* res.message;
      copyApplicationMetadata(res.trailer, ctx.responseTrailer);
    } catch (err) {
      throw forwardedError(err, ctx.signal.aborted);
    }
  };
}

/**
 * The Worker's error as the gRPC caller should see it: same code, message
 * and details; metadata stripped of the upstream hop's transport headers.
 * A break of the hop itself (the Worker went away mid-call: connect reports
 * ABORTED or CANCELED that no status on the wire carried, while the caller
 * did not cancel) is UNAVAILABLE: gRPC clients take ABORTED for a conflict
 * to retry from the start, not for a lost connection to resume.
 */
export function forwardedError(err: unknown, callerCancelled = false): ConnectError {
  const upstream = ConnectError.from(err);
  if (!upstream.isWireError && !callerCancelled && (upstream.code === Code.Aborted || upstream.code === Code.Canceled)) {
    return new ConnectError(`the connection to the Worker was lost (${upstream.rawMessage}); retry, or resume a stream`, Code.Unavailable);
  }
  const forwarded = new ConnectError(upstream.rawMessage, upstream.code, applicationMetadata(upstream.metadata), undefined, upstream.cause);
  forwarded.details = upstream.details;
  return forwarded;
}

async function* once<T>(message: T): AsyncIterable<T> {
  yield message;
}
