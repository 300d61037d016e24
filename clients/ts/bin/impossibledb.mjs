#!/usr/bin/env node
// The `impossibledb` command. This file is committed (not built) so that npm
// can link the command at install time, before `prepare` builds dist/; the
// command itself is src/cli/main.ts.
await import("../dist/cli/main.js");
