/**
 * The query playground's "order by" box: `field [asc|desc]` terms separated
 * by commas, as the CLI's `--order-by` reads them but with a space.
 */
import { Order_Direction } from "../../gen/impossibledb/v1/query_pb.js";
import { InputError } from "./errors.js";

/** One ordering term. */
export interface OrderTerm {
  readonly field: string;
  readonly direction: Order_Direction;
}

/** Parses `text`; throws an InputError naming the bad term. */
export function parseOrderText(text: string): OrderTerm[] {
  const terms: OrderTerm[] = [];
  for (const part of text.split(",")) {
    const words = part.trim().split(/\s+/).filter((w) => w !== "");
    if (words.length === 0) continue;
    const [field, direction = "asc", ...rest] = words;
    const lower = direction.toLowerCase();
    if (rest.length > 0 || (lower !== "asc" && lower !== "desc")) {
      throw new InputError(`order by: "${part.trim()}" is not "field", "field asc" or "field desc"`);
    }
    terms.push({ field: field!, direction: lower === "desc" ? Order_Direction.DESCENDING : Order_Direction.ASCENDING });
  }
  return terms;
}
