#!/usr/bin/env bash
# Runs the Go client's checks and tests (clients/go) against a running
# ImpossibleDB:
#   IMPOSSIBLEDB_URL          the Worker's Connect base URL (connect-go)
#   IMPOSSIBLEDB_GRPC_TARGET  host:port of the gRPC front door (grpc-go)
# The end-to-end harness starts both and calls this as one suite. Go modules
# are downloaded here (pinned by clients/go/go.sum) on first use; staticcheck
# is installed, pinned, by scripts/install-codegen.sh into .bin/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
: "${IMPOSSIBLEDB_URL:?set IMPOSSIBLEDB_URL to the Worker base URL, e.g. http://127.0.0.1:8787}"
: "${IMPOSSIBLEDB_GRPC_TARGET:?set IMPOSSIBLEDB_GRPC_TARGET to the gRPC front door, e.g. 127.0.0.1:8788}"
[ -x "$root/.bin/staticcheck" ] || bash "$root/scripts/install-codegen.sh"
cd "$root/clients/go"
# docs/clients.md's Go snippet is this program: run it first so it stays true.
go run ./examples/quickstart
# clients/go/README.md's first example is this program.
go run ./examples/seed
# clients/go/README.md's install commands build a fresh module as written.
bash "$root/scripts/check-go-install.sh"
unformatted="$(gofmt -l .)"
[ -z "$unformatted" ] || { echo "test-go: not gofmt-formatted: $unformatted" >&2; exit 1; }
go vet ./...
"$root/.bin/staticcheck" ./...
# -count=1: the tests talk to a live server, so a cached pass proves nothing.
# ./... runs the client's unit tests (no server) and the end-to-end suite.
exec go test -count=1 "$@" ./...
