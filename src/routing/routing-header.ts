/**
 * The response header naming the routing table version the Worker routed
 * the call by (the newest its isolate holds), so a client or operator can
 * watch a resharding's cutover reach each Worker (src/routing/README.md,
 * "Epochs"). Absent when the call touched no routing table. Its own module,
 * free of Workers types, because the CORS code that exposes it is also
 * checked under Node.
 */
export const ROUTING_VERSION_HEADER = "impossibledb-routing-version";
