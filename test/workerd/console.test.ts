import { describe, expect, it } from "vitest";
import { SELF } from "cloudflare:test";

const ORIGIN = "http://db.test";

async function get(path: string, init?: RequestInit): Promise<Response> {
  return SELF.fetch(`${ORIGIN}${path}`, init);
}

describe("the web console", () => {
  it("serves its page at /console and /console/, revalidated on every load, under a strict CSP", async () => {
    for (const path of ["/console", "/console/"]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("Cache-Control")).toBe("no-cache");
      const csp = res.headers.get("Content-Security-Policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      const html = await res.text();
      expect(html).toContain("<title>ImpossibleDB console</title>");
    }
  });

  it("serves the script and stylesheet the page names, with their types, cached for good", async () => {
    const html = await (await get("/console/")).text();
    const script = /<script type="module" src="(\/console\/console-[0-9a-f]+\.js)"/.exec(html)?.[1];
    const style = /<link rel="stylesheet" href="(\/console\/console-[0-9a-f]+\.css)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    const js = await get(script!);
    expect(js.status).toBe(200);
    expect(js.headers.get("Content-Type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("Cache-Control")).toMatch(/immutable/);
    // The bundle speaks Connect with binary messages.
    expect(await js.text()).toContain("application/proto");
    const css = await get(style!);
    expect(css.status).toBe(200);
    expect(css.headers.get("Content-Type")).toBe("text/css; charset=utf-8");
  });

  it("answers 404 for other paths under /console/ and 405 for writes; HEAD has no body", async () => {
    const missing = await get("/console/nope.js");
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("the console is at /console/");
    expect((await get("/consoles")).status).toBe(404);
    const post = await get("/console/", { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("Allow")).toBe("GET, HEAD");
    const head = await get("/console/", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });
});
