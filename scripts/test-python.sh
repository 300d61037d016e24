#!/usr/bin/env bash
# Runs the Python client's tests (clients/python) against a running
# ImpossibleDB:
#   IMPOSSIBLEDB_URL          the Worker's Connect base URL (connectrpc, sync and async)
#   IMPOSSIBLEDB_GRPC_TARGET  host:port of the gRPC front door (grpcio)
# The end-to-end harness starts both and calls this as one suite. The venv
# with the pinned packages is made by scripts/install-codegen.sh (a no-op
# when it is already there).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
: "${IMPOSSIBLEDB_URL:?set IMPOSSIBLEDB_URL to the Worker base URL, e.g. http://127.0.0.1:8787}"
: "${IMPOSSIBLEDB_GRPC_TARGET:?set IMPOSSIBLEDB_GRPC_TARGET to the gRPC front door, e.g. 127.0.0.1:8788}"
bash "$root/scripts/install-codegen.sh"
cd "$root/clients/python"
# The README's Python snippet is this program: run it first so it stays true.
PYTHONPATH=gen .venv/bin/python examples/quickstart.py
exec .venv/bin/python -m pytest "$@"
