/**
 * Clamps a gRPC deadline (the grpc-timeout header) to one the front door
 * can hold and pass on. gRPC allows up to 99999999 hours, but Node's timers
 * hold at most 2^31 - 1 ms (longer ones fire after 1 ms), and the forwarded
 * call writes its deadline in milliseconds, where 8 digits end at
 * DEADLINE_MS_MAX. A call that asked for a deadline years away failed
 * DEADLINE_EXCEEDED at once (seen in the hostile input campaign,
 * scripts/fuzz.mjs); it now gets DEADLINE_MS_MAX (about 27.7 hours), which
 * no call reaches.
 */
import { DEADLINE_MS_MAX } from "./limits.js";

const GRPC_TIMEOUT = /^(\d{1,8})([HMSmun])$/;
const MS_PER_UNIT: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };

/** Rewrites `header`'s grpc-timeout to DEADLINE_MS_MAX when it asks for longer; leaves anything else (malformed included) to Connect. */
export function clampGrpcTimeout(header: Headers): void {
  const match = GRPC_TIMEOUT.exec(header.get("grpc-timeout") ?? "");
  if (match === null) return;
  if (Number(match[1]) * MS_PER_UNIT[match[2]!]! > DEADLINE_MS_MAX) header.set("grpc-timeout", `${DEADLINE_MS_MAX}m`);
}
