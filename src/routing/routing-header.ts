/**
 * The response header naming the routing table version the Worker routed
 * the call by (the newest its isolate holds), so a client or operator can
 * watch a resharding's cutover reach each Worker (src/routing/README.md,
 * "Epochs"). Absent when the call touched no routing table. Its own module,
 * free of Workers types, because the CORS code that exposes it is also
 * checked under Node.
 */
export const ROUTING_VERSION_HEADER = "impossibledb-routing-version";

/**
 * The response header of a unary call the Worker ran again because a shard
 * answered "moved" (a resharding cut over while the call was routed by the
 * older table): the call's time in the Worker from its first attempt to its
 * answer, in whole milliseconds. This is the pause a resharding put on that
 * call's keys, as issue 10's goal counts it (the bench's "rerouted writes").
 * Absent on a call that was not run again, and on server streams (their
 * headers are sent before a later page can be rerouted; the log line has it).
 */
export const REROUTED_MS_HEADER = "impossibledb-rerouted-ms";
