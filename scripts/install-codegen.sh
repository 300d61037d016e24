#!/usr/bin/env bash
# Installs every code generator `buf generate` runs besides protoc-gen-es
# (which npm installs), at pinned versions, inside the repository:
#   .bin/                  protoc-gen-go, protoc-gen-connect-go, protoc-gen-go-grpc,
#                          staticcheck (the Go client's linter; scripts/test-go.sh)
#                          and connectconformance (the Connect conformance runner;
#                          scripts/conformance.mjs)
#   clients/python/.venv/  grpcio-tools (protoc with the python/pyi builtins and
#                          the gRPC Python generator), protoc-gen-connectrpc,
#                          the Python client's runtime and test packages, and
#                          the client itself (`impossibledb`, editable)
# `npm run generate` calls it before `buf generate`; CI calls it before
# checking that generated code is fresh. It is idempotent and takes well under
# a second when everything is already installed at the pinned versions.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# Go generators, each pinned to the version of the library its code needs
# (clients/go/go.mod requires the same versions).
go_generators=(
  "google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12"
  "connectrpc.com/connect/cmd/protoc-gen-connect-go@v1.21.1"
  "google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2"
  # Not a generator: the linter scripts/test-go.sh runs over clients/go.
  # 0.8.x is the release line that supports Go 1.26 (go.mod's toolchain).
  "honnef.co/go/tools/cmd/staticcheck@v0.8.2"
  # Not a generator either: the Connect conformance runner, run in server
  # mode against the conformance Worker (scripts/conformance.mjs). Its module
  # also carries the connectrpc.conformance.v1 protos that
  # scripts/generate-conformance.sh generates conformance/gen from.
  "connectrpc.com/conformance/cmd/connectconformance@v1.0.7"
)
bin_dir="$root/.bin"
go_stamp="$bin_dir/.installed"
go_wanted="$(printf '%s\n' "${go_generators[@]}")"
go_installed_all() {
  [ -f "$go_stamp" ] && [ "$(cat "$go_stamp")" = "$go_wanted" ] || return 1
  for generator in "${go_generators[@]}"; do
    local name="${generator%@*}"
    [ -x "$bin_dir/${name##*/}" ] || return 1
  done
}
if ! go_installed_all; then
  command -v go >/dev/null || { echo "install-codegen: Go is required (https://go.dev/dl/)" >&2; exit 1; }
  mkdir -p "$bin_dir"
  for generator in "${go_generators[@]}"; do
    echo "install-codegen: go install $generator"
    # Each generator is its own module version, so each needs its own `go install`.
    GOBIN="$bin_dir" go install "$generator"
  done
  printf '%s\n' "$go_wanted" >"$go_stamp"
fi

# Python: one venv for the generators and the Python client's tests, built
# from the fully pinned requirements file. The stamp is the file's hash, so
# changing a pin rebuilds the venv from scratch.
venv="$root/clients/python/.venv"
requirements="$root/clients/python/requirements.txt"
python_stamp="$venv/.installed"
python_wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ ! -f "$python_stamp" ] || [ "$(cat "$python_stamp")" != "$python_wanted" ] || [ ! -x "$venv/bin/python" ]; then
  python="${PYTHON:-python3}"
  command -v "$python" >/dev/null || { echo "install-codegen: Python 3.11+ is required" >&2; exit 1; }
  echo "install-codegen: creating $venv from $requirements"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --requirement "$requirements"
  "$venv/bin/python" -m pip check
  printf '%s\n' "$python_wanted" >"$python_stamp"
fi

# The client itself, editable, so the tests, the quickstart and mypy import
# `impossibledb` as users do, with no PYTHONPATH. The package has two source
# roots (src/ by hand, gen/ generated; see clients/python/pyproject.toml),
# which setuptools' default editable finder cannot merge into one package, so
# it is installed in "strict" mode: a tree of links to the source files in
# clients/python/build/. Edits show at once; a new or removed file needs this
# step again, which the stamp (every packaged file's path) triggers. Offline:
# setuptools comes from the venv.
client="$root/clients/python"
client_stamp="$venv/.client-installed"
client_wanted="$(cd "$client" && { sha256sum pyproject.toml; find src gen -type f \( -name '*.py' -o -name '*.pyi' -o -name py.typed \) | LC_ALL=C sort; } | sha256sum | cut -d' ' -f1)"
if [ ! -f "$client_stamp" ] || [ "$(cat "$client_stamp")" != "$client_wanted" ]; then
  echo "install-codegen: installing clients/python into $venv (editable)"
  rm -rf "$client/build"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
    --config-settings editable_mode=strict --editable "$client"
  printf '%s\n' "$client_wanted" >"$client_stamp"
fi
