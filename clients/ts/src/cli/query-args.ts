/**
 * The options of `impossibledb query` that pick a search or geo query,
 * checked before anything is sent: every argument the CLI refuses is a
 * CliError (exit 2) that names the argument, never a client-side
 * INVALID_ARGUMENT from the SDK (exit 1, as if the server had refused).
 */
import { CliError } from "./errors.js";
import { GEO_NEAR_RADIUS_METERS_MAX, LATITUDE_DEGREES_MAX, LONGITUDE_DEGREES_MAX } from "./limits.js";
import { decimalNumber } from "./numbers.js";

/** The query options as commander hands them over. */
export interface QueryOptions {
  readonly orderBy?: string[] | undefined;
  readonly search?: string | undefined;
  readonly exact?: boolean | undefined;
  readonly near?: string | undefined;
  readonly within?: string | undefined;
}

/** A point in degrees. */
export interface Point {
  readonly lat: number;
  readonly lng: number;
}

/** What to ask for besides a plain query: each part present only when its option was given. */
export interface QueryTarget {
  readonly search?: { readonly text: string; readonly exact: boolean };
  readonly near?: { readonly center: Point; readonly meters: number };
  readonly within?: { readonly low: Point; readonly high: Point };
}

/**
 * Checks the search and geo options and returns what they ask for; null
 * when none was given (a plain query). Throws a CliError (exit 2) naming
 * the option for anything the CLI or the SDK would refuse.
 */
export function queryTarget(opts: QueryOptions): QueryTarget | null {
  if (opts.exact === true && opts.search === undefined) throw new CliError("--exact applies to --search: give --search TEXT, or leave out --exact");
  if (opts.search === undefined && opts.near === undefined && opts.within === undefined) return null;
  if (opts.orderBy !== undefined) throw new CliError("--search, --near and --within order the results themselves: leave out --order-by");
  if (opts.near !== undefined && opts.within !== undefined) throw new CliError("give --near or --within, not both");
  if (opts.search !== undefined && opts.search.trim() === "") throw new CliError("--search: the text to search for is empty");
  return {
    ...(opts.search === undefined ? {} : { search: { text: opts.search, exact: opts.exact === true } }),
    ...(opts.near === undefined ? {} : { near: near(opts.near) }),
    ...(opts.within === undefined ? {} : { within: within(opts.within) }),
  };
}

/**
 * The field paths `--select` names, comma-separated (spaces around the
 * commas are ignored), or undefined without --select. An empty path
 * (`--select ''`, `a,,b`, `a,`) is refused, naming --select: left out, it
 * made `--select ''` an empty mask, which selects no field, so every
 * document came back with empty data.
 */
export function selectedPaths(select: string | undefined): string[] | undefined {
  if (select === undefined) return undefined;
  const paths = select.split(",").map((p) => p.trim());
  if (paths.some((p) => p === "")) throw new CliError(`--select ${JSON.stringify(select)}: a field path is empty; give FIELD or FIELD.PATH, comma-separated`);
  return paths;
}

function near(text: string): { center: Point; meters: number } {
  const [lat, lng, meters] = numbers(text, 3, "--near", "LAT,LNG,METERS") as [number, number, number];
  const center = point(lat, lng, `--near ${text}`);
  if (meters < 0 || meters > GEO_NEAR_RADIUS_METERS_MAX) throw new CliError(`--near ${text}: METERS must be from 0 to ${GEO_NEAR_RADIUS_METERS_MAX}`);
  return { center, meters };
}

function within(text: string): { low: Point; high: Point } {
  const [lowLat, lowLng, highLat, highLng] = numbers(text, 4, "--within", "LAT,LNG,LAT,LNG") as [number, number, number, number];
  return { low: point(lowLat, lowLng, `--within ${text}`), high: point(highLat, highLng, `--within ${text}`) };
}

function point(lat: number, lng: number, where: string): Point {
  if (Math.abs(lat) > LATITUDE_DEGREES_MAX) throw new CliError(`${where}: latitude ${lat} is not from -${LATITUDE_DEGREES_MAX} to ${LATITUDE_DEGREES_MAX}`);
  if (Math.abs(lng) > LONGITUDE_DEGREES_MAX) throw new CliError(`${where}: longitude ${lng} is not from -${LONGITUDE_DEGREES_MAX} to ${LONGITUDE_DEGREES_MAX}`);
  return { lat, lng };
}

/** `count` comma-separated plain decimal numbers, as `flag` takes them (`shape` says how). */
function numbers(text: string, count: number, flag: string, shape: string): number[] {
  const parts = text.split(",").map((p) => decimalNumber(p.trim()));
  if (parts.length !== count || parts.some((n) => n === null)) throw new CliError(`${flag} ${text}: expected ${shape}, plain decimal numbers`);
  return parts as number[];
}
