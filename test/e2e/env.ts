/**
 * Where the local server runs, as the end-to-end harness
 * (scripts/e2e-server.mjs) announces it, and names that keep this run's
 * data apart from every other suite's.
 */

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(`${name} is not set: run end-to-end tests through the harness, e.g. 'npm run test:e2e'`);
  }
  return value;
}

/** The Worker's base URL: Connect and gRPC-Web. */
export const workerUrl = (): string => required("IMPOSSIBLEDB_URL");

/** host:port of the gRPC front door (gRPC over h2c). */
export const grpcTarget = (): string => required("IMPOSSIBLEDB_GRPC_TARGET");

/**
 * The API key of a suite the harness runs against its server with auth
 * required (IMPOSSIBLEDB_API_KEY; see test/e2e/suites.mjs).
 */
export const apiKey = (): string => required("IMPOSSIBLEDB_API_KEY");

const RUN_ID = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

/** A collection name no other test or suite uses. */
export function uniqueCollection(label: string): string {
  return `ts_${label}_${RUN_ID}`;
}
