/**
 * scripts/local-server.mjs freePort: the ports the local servers (npm start,
 * the e2e harness, stress and fuzz runs) are started on come from below the
 * kernel's ephemeral range, where no outgoing connection can take one in
 * the seconds before its server binds it (CI once saw the front door fail
 * with EADDRINUSE on a port the OS had handed out), and calls at once never
 * hand out the same port.
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/local-server.mjs";

function ephemeralLow(): number {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
  } catch {
    return 32_768;
  }
}

describe("freePort", () => {
  it("hands out distinct listenable ports below the ephemeral range, even when asked at once", async () => {
    const ports: number[] = await Promise.all(Array.from({ length: 24 }, () => freePort() as Promise<number>));
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ephemeralLow());
      await new Promise<void>((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
      });
    }
  });
});
