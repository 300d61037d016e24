// Types of scripts/local-server.mjs for the TypeScript tests that start a server of their own.
export declare const ROOT: string;
export declare function freePort(): Promise<number>;
export interface LocalServer {
  readonly workerUrl: string;
  readonly grpcTarget: string | null;
  readonly exited: Promise<string>;
  readonly pids: number[];
  stop(): Promise<void>;
}
export declare function startLocalServer(options: {
  workerPort: number;
  frontdoorPort: number;
  inspectorPort?: number;
  stateDir: string;
  output: "inherit" | string;
  signal?: AbortSignal;
  frontdoor?: boolean;
  vars?: Record<string, string>;
  wranglerConfig?: string;
  frontdoorCommand?: string[];
}): Promise<LocalServer>;
