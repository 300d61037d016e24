/**
 * GeoPoint: a point on the earth, stored as a typed geo point (the
 * contract's `Value.geo_point_value`, as Firestore's GeoPoint). Put one in
 * a document's data to store a geo point; reads give one back. A plain
 * `{ latitude, longitude }` object stays a map: only this class is a geo
 * point, so no map is taken for one by accident.
 */
import { LATITUDE_DEGREES_MAX, LONGITUDE_DEGREES_MAX } from "./limits.js";

/** A latitude and longitude in degrees; immutable. */
export class GeoPoint {
  /** Degrees north of the equator (negative: south), -90 to 90. */
  readonly latitude: number;
  /** Degrees east of Greenwich (negative: west), -180 to 180. */
  readonly longitude: number;

  /**
   * A point; a RangeError unless both are finite numbers in range
   * (latitude -90 to 90, longitude -180 to 180), so NaN and swapped
   * coordinates past 90 are refused here rather than stored.
   */
  constructor(latitude: number, longitude: number) {
    this.latitude = degrees("latitude", latitude, LATITUDE_DEGREES_MAX);
    this.longitude = degrees("longitude", longitude, LONGITUDE_DEGREES_MAX);
    Object.freeze(this);
  }

  /** The latitude, under the name near() and within() take (`{ lat, lng }`). */
  get lat(): number {
    return this.latitude;
  }

  /** The longitude, under the name near() and within() take (`{ lat, lng }`). */
  get lng(): number {
    return this.longitude;
  }

  /** True when `other` is a GeoPoint at the same coordinates. */
  isEqual(other: unknown): boolean {
    return other instanceof GeoPoint && other.latitude === this.latitude && other.longitude === this.longitude;
  }

  /** The JSON form the server gives a geo point in `data`: `{ "latitude": ..., "longitude": ... }`. */
  toJSON(): { latitude: number; longitude: number } {
    return { latitude: this.latitude, longitude: this.longitude };
  }

  /** `GeoPoint(48.8566, 2.3522)`. */
  toString(): string {
    return `GeoPoint(${this.latitude}, ${this.longitude})`;
  }
}

function degrees(name: string, value: number, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || Math.abs(value) > max) {
    throw new RangeError(`GeoPoint: the ${name} must be a finite number of degrees from -${max} to ${max}, not ${String(value)}`);
  }
  return value;
}
