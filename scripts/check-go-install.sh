#!/usr/bin/env bash
# Runs the local-checkout install commands of clients/go/README.md
# ("## Install", its second ```sh block) as written, in a fresh module whose
# program imports the client, then builds that module: the README promises
# these commands build a fresh module, and a missing step (go.sum entries of
# the client's dependencies) only shows at build time. The one change made
# to the commands: /path/to/impossibledb becomes this checkout.
# scripts/test-go.sh runs it; it needs the Go module proxy or a module cache
# holding clients/go's dependencies.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
readme="$root/clients/go/README.md"
# The lines of the Install section's second sh block (the first is the
# published module's `go get`, which needs the repository to be published).
commands="$(awk '
  /^## / { inside = ($0 == "## Install") }
  inside && /^```sh$/ { block++; open = 1; next }
  open && /^```$/ { open = 0; next }
  inside && open && block == 2 { print }
' "$readme")"
[ -n "$commands" ] || { echo "check-go-install: no second sh block under '## Install' in $readme" >&2; exit 1; }
module="$(mktemp -d)"
trap 'rm -rf "$module"' EXIT
cd "$module"
go mod init example.com/install-check >/dev/null 2>&1
cat > main.go <<'GO'
// The smallest program that uses the client: it builds only when every
// package the client imports is in go.mod and go.sum.
package main

import (
	"fmt"

	"github.com/impossibledb/impossibledb/clients/go/impossibledb"
)

func main() {
	db, err := impossibledb.NewClient("http://127.0.0.1:8787")
	fmt.Println(db != nil, err)
}
GO
while IFS= read -r command; do
  [ -n "$command" ] || continue
  command="${command//\/path\/to\/impossibledb/$root}"
  echo "check-go-install: $command"
  eval "$command"
done <<< "$commands"
if ! go build ./... ; then
  echo "check-go-install: the install commands of $readme do not build a fresh module (above)" >&2
  exit 1
fi
echo "check-go-install: a fresh module built with the README's install commands"
