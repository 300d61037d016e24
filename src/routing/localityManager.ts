/**
 * The locality-aware router: where a database's Durable Objects live.
 *
 * A database has a placement, fixed when it is created: a location hint
 * (the region where its objects are created; Cloudflare honours it when an
 * object is first created and never moves it afterwards) or a jurisdiction
 * (a legal boundary its objects never leave; the same name gives a different
 * object id in each jurisdiction), or neither. Every shard, coordinator and
 * shard manager of the database is addressed through `placedStub`, so each
 * is created with it.
 *
 * The choice of a hint from where the creating request came from
 * (`request.cf`) is the pure function `chooseLocationHint`; locally there is
 * no `request.cf`, so it is tested as a function (test/unit/routing/).
 *
 * Sources: Cloudflare's Durable Objects docs, "Data location"
 * (developers.cloudflare.com/durable-objects/reference/data-location/):
 * the hint and jurisdiction values and their regions; the continent codes
 * of `request.cf.continent` are those of Cloudflare's `IncomingRequestCfProperties`.
 */

/** The location hints Durable Objects accept, with the region each names. */
export const LOCATION_HINTS = {
  wnam: "Western North America",
  enam: "Eastern North America",
  sam: "South America",
  weur: "Western Europe",
  eeur: "Eastern Europe",
  apac: "Asia-Pacific",
  oc: "Oceania",
  afr: "Africa",
  me: "Middle East",
} as const;

/** A Durable Object location hint. */
export type LocationHint = keyof typeof LOCATION_HINTS;

/** The jurisdictions Durable Objects accept (workers-types' DurableObjectJurisdiction). */
export const JURISDICTIONS = ["eu", "fedramp", "fedramp-high", "us"] as const;

/** A Durable Object jurisdiction. */
export type Jurisdiction = (typeof JURISDICTIONS)[number];

/** The value a caller gives instead of a hint to have one chosen from the request's location. */
export const AUTO_LOCATION_HINT = "auto";

/** Where a database's objects are placed: at most one of the two; neither means wherever the platform likes. */
export interface Placement {
  readonly locationHint?: LocationHint;
  readonly jurisdiction?: Jurisdiction;
}

/** The fields of `request.cf` the choice reads; every one may be absent (locally all are). */
export interface RequestLocation {
  /** Two-letter continent code: AF, AN, AS, EU, NA, OC, SA. */
  readonly continent?: string;
  /** ISO 3166-1 alpha-2 country code, upper case. */
  readonly country?: string;
  /** Degrees east, as text (Cloudflare sends it as a string). */
  readonly longitude?: string | number;
}

/** Whether `text` is a location hint. */
export function isLocationHint(text: string): text is LocationHint {
  return Object.hasOwn(LOCATION_HINTS, text);
}

/** Whether `text` is a jurisdiction. */
export function isJurisdiction(text: string): text is Jurisdiction {
  return (JURISDICTIONS as readonly string[]).includes(text);
}

/** Countries of Europe whose requests are placed in `eeur` (the rest of Europe goes to `weur`). */
const EASTERN_EUROPE = new Set(["BY", "BG", "CZ", "EE", "FI", "GR", "HU", "LT", "LV", "MD", "PL", "RO", "RS", "RU", "SK", "UA", "BA", "ME", "MK", "AL", "XK"]);

/** Countries of Asia (and Egypt) whose requests are placed in `me` rather than `apac`. */
const MIDDLE_EAST = new Set(["AE", "BH", "CY", "EG", "IL", "IQ", "IR", "JO", "KW", "LB", "OM", "PS", "QA", "SA", "SY", "TR", "YE"]);

/** North American longitudes west of this (degrees east) are placed in `wnam`. */
const WESTERN_NORTH_AMERICA_LONGITUDE_DEG = -100;

/**
 * The location hint nearest to where a request came from, or undefined when
 * the request carries no usable location (as locally, without `request.cf`).
 *
 * The table:
 * - The countries of MIDDLE_EAST → me, whatever the continent (Turkey,
 *   Cyprus and Egypt are counted in Europe or Africa by some sources).
 * - NA: west of 100°W → wnam, else enam; without a longitude → enam.
 * - SA → sam. OC → oc. AN (Antarctica) → oc, the nearest region.
 * - EU: the countries of EASTERN_EUROPE → eeur, the rest → weur.
 * - AS (the rest) → apac. AF (the rest) → afr.
 * Without a continent, the country alone places the two sets (me, eeur).
 */
export function chooseLocationHint(location: RequestLocation | undefined): LocationHint | undefined {
  if (location === undefined) return undefined;
  const country = typeof location.country === "string" ? location.country.toUpperCase() : undefined;
  const continent = typeof location.continent === "string" ? location.continent.toUpperCase() : undefined;
  if (country !== undefined && MIDDLE_EAST.has(country)) return "me";
  switch (continent) {
    case "NA": {
      const longitude = Number(location.longitude);
      if (location.longitude !== undefined && location.longitude !== "" && Number.isFinite(longitude)) {
        return longitude < WESTERN_NORTH_AMERICA_LONGITUDE_DEG ? "wnam" : "enam";
      }
      return "enam";
    }
    case "SA":
      return "sam";
    case "EU":
      return country !== undefined && EASTERN_EUROPE.has(country) ? "eeur" : "weur";
    case "AS":
      return "apac";
    case "AF":
      return "afr";
    case "OC":
    case "AN":
      return "oc";
    default:
      if (country !== undefined && EASTERN_EUROPE.has(country)) return "eeur";
      return undefined;
  }
}

/** A placement as requested at CreateDatabase: a hint, `auto`, a jurisdiction, or nothing. */
export interface RequestedPlacement {
  readonly locationHint: string;
  readonly jurisdiction: string;
}

/**
 * The placement of a new database from what the caller asked for and where
 * the request came from. Errors are messages for INVALID_ARGUMENT: an unknown
 * hint or jurisdiction, or both given (a jurisdiction already bounds where
 * objects live). `auto` without a usable location gives no hint.
 */
export function resolvePlacement(requested: RequestedPlacement, location: RequestLocation | undefined): { ok: true; placement: Placement } | { ok: false; message: string } {
  const { locationHint, jurisdiction } = requested;
  if (locationHint !== "" && jurisdiction !== "") {
    return { ok: false, message: "database.placement: give location_hint or jurisdiction, not both" };
  }
  if (jurisdiction !== "") {
    if (!isJurisdiction(jurisdiction)) return { ok: false, message: `database.placement.jurisdiction ${JSON.stringify(jurisdiction)} is not one of ${JURISDICTIONS.join(", ")}` };
    return { ok: true, placement: { jurisdiction } };
  }
  if (locationHint === "") return { ok: true, placement: {} };
  if (locationHint === AUTO_LOCATION_HINT) {
    const chosen = chooseLocationHint(location);
    return { ok: true, placement: chosen === undefined ? {} : { locationHint: chosen } };
  }
  if (!isLocationHint(locationHint)) {
    return { ok: false, message: `database.placement.location_hint ${JSON.stringify(locationHint)} is not one of ${Object.keys(LOCATION_HINTS).join(", ")} or ${AUTO_LOCATION_HINT}` };
  }
  return { ok: true, placement: { locationHint } };
}

/** The part of a Durable Object namespace the router calls (a test double implements just this). */
export interface PlaceableNamespace<Stub, Id = object> {
  idFromName(name: string): Id;
  get(id: Id, options?: { locationHint?: LocationHint }): Stub;
  jurisdiction(jurisdiction: Jurisdiction): PlaceableNamespace<Stub, Id>;
}

/**
 * Ids by name, per (namespace, jurisdiction). Deriving an id hashes the
 * name on every call, and a database's object names are few and fixed, so
 * each is derived once per isolate; stubs are still made per call, as the
 * platform advises after a failure.
 */
const idCache = new WeakMap<object, Map<string, unknown>>();
const jurisdictionCache = new WeakMap<object, Map<Jurisdiction, object>>();

function inJurisdiction<Stub, Id>(namespace: PlaceableNamespace<Stub, Id>, jurisdiction: Jurisdiction | undefined): PlaceableNamespace<Stub, Id> {
  if (jurisdiction === undefined) return namespace;
  let byJurisdiction = jurisdictionCache.get(namespace);
  if (byJurisdiction === undefined) jurisdictionCache.set(namespace, (byJurisdiction = new Map()));
  let scoped = byJurisdiction.get(jurisdiction) as PlaceableNamespace<Stub, Id> | undefined;
  if (scoped === undefined) byJurisdiction.set(jurisdiction, (scoped = namespace.jurisdiction(jurisdiction)));
  return scoped;
}

/**
 * The stub of object `name` placed by `placement`: in the placement's
 * jurisdiction (`namespace.jurisdiction(j).idFromName(name)`), and created,
 * if it does not exist yet, near its location hint (`get(id, { locationHint })`).
 */
export function placedStub<Stub, Id = object>(namespace: PlaceableNamespace<Stub, Id>, placement: Placement, name: string): Stub {
  const placed = inJurisdiction(namespace, placement.jurisdiction);
  let byName = idCache.get(placed) as Map<string, Id> | undefined;
  if (byName === undefined) idCache.set(placed, (byName = new Map()));
  let id = byName.get(name);
  if (id === undefined) byName.set(name, (id = placed.idFromName(name)));
  return placement.locationHint === undefined ? placed.get(id) : placed.get(id, { locationHint: placement.locationHint });
}

/**
 * Why `placement` cannot be used with `namespace` on this runtime, or
 * undefined when it can. Local workerd does not implement jurisdictions
 * (`jurisdiction()` throws "Jurisdiction restrictions are not implemented
 * in workerd"), so a database placed in one is refused when it is created
 * rather than failing on every later request.
 */
export function placementUnavailable<Stub, Id>(namespace: PlaceableNamespace<Stub, Id>, placement: Placement): string | undefined {
  if (placement.jurisdiction === undefined) return undefined;
  try {
    inJurisdiction(namespace, placement.jurisdiction);
    return undefined;
  } catch (err) {
    return `jurisdiction ${placement.jurisdiction} is not available on this server: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The locality-aware router's operations, as one value for callers that take it as a dependency. */
export interface LocalityAwareRouter {
  readonly chooseLocationHint: typeof chooseLocationHint;
  readonly resolvePlacement: typeof resolvePlacement;
  readonly placementUnavailable: typeof placementUnavailable;
  readonly placedStub: typeof placedStub;
}

/** The locality-aware router. */
export const localityAwareRouter: LocalityAwareRouter = { chooseLocationHint, resolvePlacement, placementUnavailable, placedStub };
