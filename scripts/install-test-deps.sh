#!/usr/bin/env bash
# Installs what the test suites need beyond `npm ci`, on a fresh Debian
# machine: Chromium for the browser test (playwright-core drives Debian's
# build; `npx playwright install` cannot download one here) and jq for the
# docs' snippets. Safe to run again: each step is skipped when its tool
# is already there. The Go and Python clients add their own steps below.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

apt_updated=false
apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "need root to install $* (apt-get); install it by hand" >&2
    exit 1
  fi
  if [ "$apt_updated" = false ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    apt_updated=true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# jq: the docs' examples (README.md, docs/*.md) use it, and the docs suite
# runs them as written.
if ! command -v jq >/dev/null; then
  step "install jq (docs snippets)"
  apt_install jq
else
  echo "jq: $(jq --version)"
fi

if [ ! -x /usr/bin/chromium ]; then
  step "install chromium (browser test)"
  apt_install chromium
else
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
fi
