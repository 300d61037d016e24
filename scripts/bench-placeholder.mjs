#!/usr/bin/env node
// `npm run bench` will run the benchmark harness (bench/). Until it lands
// there is nothing to measure, and this says so instead of pretending.
console.error("npm run bench: the benchmark harness has not landed yet; no figures are measured.");
process.exit(1);
