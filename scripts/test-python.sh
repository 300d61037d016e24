#!/usr/bin/env bash
# Runs the Python client's checks and tests (clients/python) against a
# running ImpossibleDB:
#   IMPOSSIBLEDB_URL          the Worker's Connect base URL (both clients)
#   IMPOSSIBLEDB_GRPC_TARGET  host:port of the gRPC front door (grpcio stubs)
# The end-to-end harness starts both and calls this as one suite. The venv
# with the pinned packages, and the client installed into it (editable), is
# made by scripts/install-codegen.sh (a no-op when it is already there).
# Installing into a fresh venv needs the package index (pip's ordinary
# client), as it does for users.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
: "${IMPOSSIBLEDB_URL:?set IMPOSSIBLEDB_URL to the Worker base URL, e.g. http://127.0.0.1:8787}"
: "${IMPOSSIBLEDB_GRPC_TARGET:?set IMPOSSIBLEDB_GRPC_TARGET to the gRPC front door, e.g. 127.0.0.1:8788}"
bash "$root/scripts/install-codegen.sh"
cd "$root/clients/python"

echo "test-python: mypy (strict) on the hand-written package and the examples"
.venv/bin/mypy

# `pip install ./clients/python` into a fresh venv, from a copy of the
# package's own files (so nothing outside the folder, and no stale build/,
# can leak in), then import it and run the async quickstart with that venv,
# from another directory and without PYTHONPATH.
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
mkdir "$fresh/package"
cp -R pyproject.toml README.md src gen "$fresh/package/"
"${PYTHON:-python3}" -m venv "$fresh/venv"
echo "test-python: pip install ./clients/python[grpc] into a fresh venv"
"$fresh/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$fresh/package[grpc]"
(
  cd "$fresh"
  env -u PYTHONPATH "$fresh/venv/bin/python" - <<'PY'
import impossibledb
import impossibledb.v1.collection_service_connect
import impossibledb.v1.collection_service_pb2_grpc
import buf.validate.validate_pb2

assert impossibledb.__file__.startswith(__import__("sys").prefix), impossibledb.__file__
print(f"test-python: import impossibledb works from a fresh venv: {impossibledb.__file__}")
PY
  # The example runs whole; only the interpreter's own teardown is skipped
  # (os._exit after a flush): connectrpc's HTTP client, pyqwest, keeps a
  # native (Rust) runtime that cannot be closed, and the interpreter once
  # aborted (SIGABRT) while finalizing it after the example had printed
  # every correct line (CI, 2026-11-30). What is checked, that the package
  # installs and works from a fresh venv, is unchanged.
  env -u PYTHONPATH "$fresh/venv/bin/python" -c 'import os, runpy, sys; runpy.run_path(sys.argv[1], run_name="__main__"); sys.stdout.flush(); sys.stderr.flush(); os._exit(0)' "$root/clients/python/examples/quickstart_async.py"
)

echo "test-python: unit tests (no server)"
.venv/bin/python -m pytest tests/unit -q
# docs/clients.md's Python snippet is this program: run it so it stays true.
.venv/bin/python examples/quickstart.py
exec .venv/bin/python -m pytest tests/e2e "$@"
