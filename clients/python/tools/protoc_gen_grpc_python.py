"""A protoc plugin that runs grpcio-tools' grpc_python generator.

buf runs protoc's builtin generators only for protoc's own languages, and
grpcio-tools ships the gRPC Python generator compiled into its protoc
(``--grpc_python_out``), not as a ``protoc-gen-*`` executable. This plugin is
that executable: it reads the CodeGeneratorRequest buf sends, hands its files
to grpcio-tools' protoc as a descriptor set (so nothing is parsed twice and
the files are exactly what buf compiled), and returns what the generator
wrote as a CodeGeneratorResponse. The generator's version is grpcio-tools',
pinned in clients/python/requirements.txt.
"""

from __future__ import annotations

import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def generate(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    response = plugin_pb2.CodeGeneratorResponse()
    response.supported_features = plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    # The generator writes an empty *_pb2_grpc.py for a file without
    # services; only files that declare a service get one.
    with_services = {f.name for f in request.proto_file if f.service}
    targets = [name for name in request.file_to_generate if name in with_services]
    if not targets:
        return response
    with tempfile.TemporaryDirectory(prefix="protoc-gen-grpc-python-") as work:
        descriptor_set_path = os.path.join(work, "request.binpb")
        out_dir = os.path.join(work, "out")
        os.mkdir(out_dir)
        descriptor_set = descriptor_pb2.FileDescriptorSet(file=request.proto_file)
        with open(descriptor_set_path, "wb") as f:
            f.write(descriptor_set.SerializeToString())
        out_flag = f"--grpc_python_out={request.parameter}:{out_dir}" if request.parameter else f"--grpc_python_out={out_dir}"
        status = protoc.main(["protoc", f"--descriptor_set_in={descriptor_set_path}", out_flag, *targets])
        if status != 0:
            response.error = f"grpc_python generator failed with status {status}"
            return response
        for root, _, names in os.walk(out_dir):
            for name in sorted(names):
                path = os.path.join(root, name)
                generated = response.file.add()
                generated.name = os.path.relpath(path, out_dir).replace(os.sep, "/")
                with open(path, encoding="utf-8") as f:
                    generated.content = f.read()
    return response


def main() -> int:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    sys.stdout.buffer.write(generate(request).SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
