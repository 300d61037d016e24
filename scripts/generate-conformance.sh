#!/usr/bin/env bash
# Generates conformance/gen (TypeScript for connectrpc.conformance.v1) from
# the protos in the Go module connectrpc.com/conformance, read from the Go
# module cache (downloaded first when missing). The version is the one
# scripts/install-codegen.sh installs the runner (connectconformance) from,
# so the runner and our code always speak the same protocol.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
version="$(sed -n 's|.*"connectrpc.com/conformance/cmd/connectconformance@\(v[0-9.]*\)".*|\1|p' scripts/install-codegen.sh)"
[ -n "$version" ] || { echo "generate-conformance: no connectconformance version in scripts/install-codegen.sh" >&2; exit 1; }
module="$(go env GOMODCACHE)/connectrpc.com/conformance@${version}"
if [ ! -d "$module/proto" ]; then
  GOFLAGS=-mod=mod go mod download "connectrpc.com/conformance@${version}"
fi
proto="$module/proto"
# Only what the server side needs: the service, and the runner's stdin/stdout protocol.
npx buf generate "$proto" --template conformance/buf.gen.yaml \
  --path "$proto/connectrpc/conformance/v1/service.proto" \
  --path "$proto/connectrpc/conformance/v1/server_compat.proto"
