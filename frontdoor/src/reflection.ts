/**
 * gRPC server reflection, v1 and v1alpha, so that `buf curl --reflect` and
 * grpcurl can call the front door without a local copy of the schema. Both
 * versions share one wire format; v1alpha is answered by re-reading its
 * messages as v1 ones.
 */
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import {
  ServerReflection as ServerReflectionV1,
  ServerReflectionRequestSchema as RequestV1,
  ServerReflectionResponseSchema as ResponseV1,
  type ServerReflectionRequest,
} from "../gen/grpc/reflection/v1/reflection_pb.js";
import {
  ServerReflection as ServerReflectionV1Alpha,
  ServerReflectionRequestSchema as RequestV1Alpha,
  ServerReflectionResponseSchema as ResponseV1Alpha,
} from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { serializeWithImports, type DescriptorIndex } from "./descriptor-index.js";
import { REFLECTION_NAME_LENGTH_MAX, REFLECTION_REQUESTS_PER_STREAM_MAX } from "./limits.js";

type Answer = MessageInitShape<typeof ResponseV1>["messageResponse"];

/** Serves both reflection versions on `router`, describing `index`. */
export function registerReflection(router: ConnectRouter, index: DescriptorIndex): void {
  router.service(ServerReflectionV1, {
    async *serverReflectionInfo(requests) {
      for await (const request of bounded(requests)) yield respond(index, request);
    },
  });
  router.service(ServerReflectionV1Alpha, {
    async *serverReflectionInfo(requests) {
      for await (const request of bounded(requests)) {
        const v1 = fromBinary(RequestV1, toBinary(RequestV1Alpha, request));
        yield fromBinary(ResponseV1Alpha, toBinary(ResponseV1, respond(index, v1)));
      }
    },
  });
}

/** The answer to one reflection request; errors are answers, not failures. */
export function respond(index: DescriptorIndex, request: ServerReflectionRequest) {
  return create(ResponseV1, { validHost: request.host, originalRequest: request, messageResponse: answer(index, request) });
}

function answer(index: DescriptorIndex, request: ServerReflectionRequest): Answer {
  const req = request.messageRequest;
  switch (req.case) {
    case "listServices":
      return { case: "listServicesResponse", value: { service: index.serviceNames.map((name) => ({ name })) } };
    case "fileByFilename":
      return fileAnswer(checkedName(req.value) && index.fileByName(req.value), `file ${req.value}`);
    case "fileContainingSymbol":
      return fileAnswer(checkedName(req.value) && index.fileBySymbol(req.value), `symbol ${req.value}`);
    case "fileContainingExtension": {
      const ext = index.extension(req.value.containingType, req.value.extensionNumber);
      return fileAnswer(ext?.file, `extension ${req.value.extensionNumber} of ${req.value.containingType}`);
    }
    case "allExtensionNumbersOfType": {
      const numbers = index.extensionNumbers(req.value);
      if (numbers === undefined) return notFound(`type ${req.value}`);
      return { case: "allExtensionNumbersResponse", value: { baseTypeName: req.value, extensionNumber: numbers } };
    }
    case undefined:
      return { case: "errorResponse", value: { errorCode: Code.InvalidArgument, errorMessage: "the request names no question" } };
  }
}

function checkedName(name: string): boolean {
  return name.length > 0 && name.length <= REFLECTION_NAME_LENGTH_MAX;
}

function fileAnswer(file: Parameters<typeof serializeWithImports>[0] | undefined | false, what: string): Answer {
  if (!file) return notFound(what);
  return { case: "fileDescriptorResponse", value: { fileDescriptorProto: serializeWithImports(file) } };
}

function notFound(what: string): Answer {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: `${what} not found` } };
}

/** Ends a stream that asks more than any client needs, instead of serving it forever. */
async function* bounded<T>(requests: AsyncIterable<T>): AsyncIterable<T> {
  let count = 0;
  for await (const request of requests) {
    count += 1;
    if (count > REFLECTION_REQUESTS_PER_STREAM_MAX) {
      throw new ConnectError(`more than ${REFLECTION_REQUESTS_PER_STREAM_MAX} requests on one reflection stream`, Code.ResourceExhausted);
    }
    yield request;
  }
}
