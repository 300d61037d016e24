/** Types for suites.mjs, which the harness (plain Node) and TypeScript tests both read. */
export interface Suite {
  /** The name `--suite NAME` selects. */
  name: string;
  /** The command and its arguments, run from the repository root. */
  command: string[];
  /** "required": run against the harness's second server, with auth required and IMPOSSIBLEDB_API_KEY set. */
  auth?: "required";
}

export declare const SUITES: Suite[];
