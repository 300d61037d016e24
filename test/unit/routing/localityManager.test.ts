/**
 * The locality-aware router as pure functions: the hint chosen from a
 * request's location (there is no `request.cf` locally), the validation of
 * requested placements, and the namespace calls made for a placement,
 * against a test double of a Durable Object namespace.
 */
import { describe, expect, it } from "vitest";
import {
  LOCATION_HINTS,
  chooseLocationHint,
  placedStub,
  placementUnavailable,
  resolvePlacement,
  type Jurisdiction,
  type LocationHint,
  type PlaceableNamespace,
} from "../../../src/routing/localityManager.js";

describe("chooseLocationHint", () => {
  it.each([
    [{ continent: "NA", country: "US", longitude: "-122.4" }, "wnam"],
    [{ continent: "NA", country: "US", longitude: "-74.0" }, "enam"],
    [{ continent: "NA", country: "CA", longitude: -123.1 }, "wnam"],
    [{ continent: "NA", country: "MX" }, "enam"],
    [{ continent: "SA", country: "BR" }, "sam"],
    [{ continent: "EU", country: "FR" }, "weur"],
    [{ continent: "EU", country: "DE" }, "weur"],
    [{ continent: "EU", country: "PL" }, "eeur"],
    [{ continent: "EU", country: "ua" }, "eeur"],
    [{ continent: "EU", country: "TR" }, "me"],
    [{ continent: "AS", country: "JP" }, "apac"],
    [{ continent: "AS", country: "AE" }, "me"],
    [{ continent: "AF", country: "EG" }, "me"],
    [{ continent: "AF", country: "NG" }, "afr"],
    [{ continent: "OC", country: "AU" }, "oc"],
    [{ continent: "AN" }, "oc"],
    [{ country: "IL" }, "me"],
    [{ country: "RO" }, "eeur"],
  ] as const)("places %j in %s", (location, hint) => {
    expect(chooseLocationHint(location)).toBe(hint);
  });

  it("chooses nothing without a usable location", () => {
    expect(chooseLocationHint(undefined)).toBeUndefined();
    expect(chooseLocationHint({})).toBeUndefined();
    expect(chooseLocationHint({ continent: "XX", country: "ZZ" })).toBeUndefined();
  });

  it("falls back to the country when North America's longitude is not a number", () => {
    expect(chooseLocationHint({ continent: "NA", longitude: "" })).toBe("enam");
    expect(chooseLocationHint({ continent: "NA", longitude: "west" })).toBe("enam");
  });

  it("only ever chooses one of the nine hints", () => {
    const continents = ["AF", "AN", "AS", "EU", "NA", "OC", "SA", undefined];
    for (const continent of continents) {
      for (const country of ["US", "FR", "PL", "AE", "JP", "ZA", undefined]) {
        for (const longitude of [-150, -50, 10, undefined]) {
          const hint = chooseLocationHint({ continent, country, longitude });
          if (hint !== undefined) expect(Object.keys(LOCATION_HINTS)).toContain(hint);
        }
      }
    }
  });
});

describe("resolvePlacement", () => {
  const none = { locationHint: "", jurisdiction: "" };
  it("takes a given hint or jurisdiction as it is", () => {
    expect(resolvePlacement({ ...none, locationHint: "apac" }, { continent: "EU" })).toEqual({ ok: true, placement: { locationHint: "apac" } });
    expect(resolvePlacement({ ...none, jurisdiction: "eu" }, undefined)).toEqual({ ok: true, placement: { jurisdiction: "eu" } });
    expect(resolvePlacement(none, { continent: "EU" })).toEqual({ ok: true, placement: {} });
  });

  it("chooses a hint for `auto` from the request's location, and none without one", () => {
    expect(resolvePlacement({ ...none, locationHint: "auto" }, { continent: "EU", country: "CZ" })).toEqual({ ok: true, placement: { locationHint: "eeur" } });
    expect(resolvePlacement({ ...none, locationHint: "auto" }, undefined)).toEqual({ ok: true, placement: {} });
  });

  it("refuses unknown values and both at once", () => {
    expect(resolvePlacement({ ...none, locationHint: "mars" }, undefined)).toMatchObject({ ok: false, message: expect.stringMatching(/location_hint "mars" is not one of wnam, enam/) });
    expect(resolvePlacement({ ...none, locationHint: "WEUR" }, undefined)).toMatchObject({ ok: false });
    expect(resolvePlacement({ ...none, jurisdiction: "moon" }, undefined)).toMatchObject({ ok: false, message: expect.stringMatching(/jurisdiction "moon"/) });
    expect(resolvePlacement({ locationHint: "weur", jurisdiction: "eu" }, undefined)).toMatchObject({ ok: false, message: expect.stringMatching(/not both/) });
  });
});

/** A namespace double that records every call made on it. */
function recordingNamespace(calls: string[], where = "global", throwOnJurisdiction = false): PlaceableNamespace<string, string> {
  return {
    idFromName(name) {
      calls.push(`${where}.idFromName(${name})`);
      return `${where}:${name}`;
    },
    get(id, options) {
      calls.push(`${where}.get(${id}${options?.locationHint !== undefined ? `, ${options.locationHint}` : ""})`);
      return `stub of ${id}`;
    },
    jurisdiction(j: Jurisdiction) {
      if (throwOnJurisdiction) throw new Error("Jurisdiction restrictions are not implemented in workerd.");
      calls.push(`${where}.jurisdiction(${j})`);
      return recordingNamespace(calls, j);
    },
  };
}

describe("placedStub: the namespace calls a placement makes", () => {
  it("passes the location hint to get(), so the object is created near it", () => {
    const calls: string[] = [];
    const ns = recordingNamespace(calls);
    expect(placedStub(ns, { locationHint: "weur" as LocationHint }, "databases/a/u1/shard-0")).toBe("stub of global:databases/a/u1/shard-0");
    expect(calls).toEqual(["global.idFromName(databases/a/u1/shard-0)", "global.get(global:databases/a/u1/shard-0, weur)"]);
  });

  it("derives ids inside the jurisdiction, once per name", () => {
    const calls: string[] = [];
    const ns = recordingNamespace(calls);
    placedStub(ns, { jurisdiction: "eu" }, "databases/b/u2/coordinator-3");
    placedStub(ns, { jurisdiction: "eu" }, "databases/b/u2/coordinator-3");
    expect(calls).toEqual([
      "global.jurisdiction(eu)",
      "eu.idFromName(databases/b/u2/coordinator-3)",
      "eu.get(eu:databases/b/u2/coordinator-3)",
      "eu.get(eu:databases/b/u2/coordinator-3)",
    ]);
  });

  it("makes the plain calls for no placement (the default database's objects)", () => {
    const calls: string[] = [];
    placedStub(recordingNamespace(calls), {}, "shard-0");
    expect(calls).toEqual(["global.idFromName(shard-0)", "global.get(global:shard-0)"]);
  });

  it("reports a jurisdiction the runtime does not implement", () => {
    const ns = recordingNamespace([], "global", true);
    expect(placementUnavailable(ns, { jurisdiction: "eu" })).toMatch(/jurisdiction eu is not available on this server: Jurisdiction restrictions are not implemented/);
    expect(placementUnavailable(ns, { locationHint: "oc" })).toBeUndefined();
    expect(placementUnavailable(recordingNamespace([]), { jurisdiction: "fedramp" })).toBeUndefined();
  });
});
