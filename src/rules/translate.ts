/**
 * Rules as filters: turns a read rule into the query engine's filter
 * (query/expression.ts), with the caller's claims and the method
 * substituted, so each shard's SQL returns only readable documents.
 *
 * CEL has three outcomes (true, false, error) and a rule allows only on
 * true; a filter has two. So every node is translated twice: the set where
 * it is true and, for `!`, the set where it is false (an error is in
 * neither: `!(resource.data.n > 3)` does not match a document without `n`).
 * A node that cannot be said as a filter becomes "every document", marked
 * inexact, and the result is then a superset that shards narrow by
 * evaluating the rule itself per document. Pushed exactly:
 * - a subtree that reads no document (claims, the method, constants):
 *   evaluated now; an error or a non-bool matches nothing;
 * - `&&`, `||`, `!` over translated parts;
 * - `resource.data.f == c`, `!=`, `in [c, ...]` with scalar constants c
 *   (strings, numbers, booleans, null; either side), `<`, `<=`, `>`, `>=`
 *   with a number c, a bare `resource.data.f` (true when it is `true`), and
 *   `has(resource.data.f)` (present and not null, as @bufbuild/cel has it);
 *   `resource.id` as the document id.
 * The equivalences rest on the same semantics on both sides: a missing
 * field is an error in CEL and matches no comparison in a filter (where
 * they differ, a filter's `!=` and NOT_IN never matching null, the
 * translation says CEL's meaning: `celNotEqual`, `celNotIn`); CEL's
 * heterogeneous equality is the filter's deep equality on scalars; an
 * ordering across types is an error in CEL and a mismatch of type rank in
 * a filter. Strings are not ordered here (CEL compares UTF-16 units, the
 * engine code points) and integers beyond 2^53 are not pushed.
 */
import type { JsonValue } from "@bufbuild/protobuf";
import { celEnv, isCelError, isCelUint, plan, type CelInput, type CelValue } from "@bufbuild/cel";
import { FIELD_NAME_BYTES_MAX, FIELD_PATH_SEGMENTS_MAX, FILTER_LIST_VALUES_MAX } from "../limits.js";
import { ID_FIELD, MATCH_ALL, allOf, type CompareOp, type Expr } from "../query/expression.js";
import { loneSurrogateProblem } from "../validation/unicode.js";
import type { FieldPath } from "../validation/field-path.js";
import type { RuleBindings } from "./compile.js";
import type { CelAst } from "./static-check.js";

/** A rule as a filter: equal to the rule when exact, else a superset of what it allows. */
export interface RuleFilter {
  readonly filter: Expr;
  readonly exact: boolean;
}

/** The filter that matches no document. */
export const MATCH_NONE: Expr = { kind: "or", children: [] };

type Part = RuleFilter;
const UNPUSHABLE: Part = { filter: MATCH_ALL, exact: false };
const ALL: Part = { filter: MATCH_ALL, exact: true };
const NONE: Part = { filter: MATCH_NONE, exact: true };

const env = celEnv();
const utf8 = new TextEncoder();

/** Translates read rule `ast` for a caller; `request` holds what the caller's request fixes. */
export function ruleToFilter(ast: CelAst, request: RuleBindings["request"]): RuleFilter {
  return new Translator(request).part(ast, false);
}

const FLIPPED: Record<CompareOp, CompareOp> = { "==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<=" };
const NEGATED: Record<CompareOp, CompareOp> = { "==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<" };
const OPS: Readonly<Record<string, CompareOp>> = { "_==_": "==", "_!=_": "!=", "_<_": "<", "_<=_": "<=", "_>_": ">", "_>=_": ">=" };

class Translator {
  constructor(private readonly request: RuleBindings["request"]) {}

  /** The documents where `node` is true (or, `negated`, false). */
  part(node: CelAst, negated: boolean): Part {
    if (!readsDocument(node)) return this.constant(node, negated);
    const kind = node.exprKind;
    if (kind.case === "callExpr" && kind.value.target === undefined) {
      const args = kind.value.args;
      switch (kind.value.function) {
        case "_&&_":
        case "_||_": {
          const parts = args.map((a) => this.part(a, negated));
          const conjunction = (kind.value.function === "_&&_") !== negated;
          const exact = parts.every((p) => p.exact);
          if (conjunction) return { filter: allOf(parts.map((p) => p.filter)), exact };
          return exact ? { filter: { kind: "or", children: parts.map((p) => p.filter) }, exact } : UNPUSHABLE;
        }
        case "!_":
          return args.length === 1 ? this.part(args[0]!, !negated) : UNPUSHABLE;
        case "@in":
          return this.membership(args, negated);
      }
      const op = OPS[kind.value.function];
      if (op !== undefined && args.length === 2) return this.comparison(op, args[0]!, args[1]!, negated);
      return UNPUSHABLE;
    }
    if (kind.case === "selectExpr" && kind.value.testOnly && kind.value.operand !== undefined) {
      const path = documentPath(kind.value.operand);
      if (path === null || path.length === 0 || path === ID_PATH) return UNPUSHABLE;
      const full = [...path, kind.value.field];
      if (!pathPushable(full)) return UNPUSHABLE;
      // @bufbuild/cel's has() is false for a field that holds null (as for an unset proto field).
      if (!negated) return leaf({ kind: "compare", path: full, op: "!=", value: null });
      // `has(a.b)` is an error, not false, when `a` is missing: only a top-level field is pushed negated.
      if (full.length !== 1) return UNPUSHABLE;
      return leaf({ kind: "or", children: [{ kind: "exists", path: full, present: false }, { kind: "compare", path: full, op: "==", value: null }] });
    }
    const path = documentPath(node);
    if (path !== null) {
      if (path === ID_PATH) return NONE;
      return pathPushable(path) ? leaf({ kind: "compare", path, op: "==", value: !negated }) : UNPUSHABLE;
    }
    return UNPUSHABLE;
  }

  private comparison(op: CompareOp, left: CelAst, right: CelAst, negated: boolean): Part {
    let path = documentPath(left);
    let other = right;
    if (path === null) {
      path = documentPath(right);
      other = left;
      op = FLIPPED[op];
    }
    if (path === null || !pathPushable(path) || readsDocument(other)) return UNPUSHABLE;
    const value = this.evaluate(other);
    if (value === undefined) return NONE;
    const scalar = scalarOf(value);
    if (scalar === undefined) return UNPUSHABLE;
    if (op !== "==" && op !== "!=" && typeof scalar !== "number") return UNPUSHABLE;
    const filterOp = negated ? NEGATED[op] : op;
    return leaf(filterOp === "!=" ? celNotEqual(path, scalar) : { kind: "compare", path, op: filterOp, value: scalar });
  }

  private membership(args: readonly CelAst[], negated: boolean): Part {
    const [element, list] = args;
    const path = element === undefined ? null : documentPath(element);
    if (path === null || list === undefined || !pathPushable(path) || list.exprKind.case !== "listExpr") return UNPUSHABLE;
    const elements = list.exprKind.value.elements;
    if (elements.length > FILTER_LIST_VALUES_MAX || elements.some(readsDocument)) return UNPUSHABLE;
    const values: JsonValue[] = [];
    for (const e of elements) {
      const v = this.evaluate(e);
      if (v === undefined) return NONE;
      const scalar = scalarOf(v);
      if (scalar === undefined) return UNPUSHABLE;
      values.push(scalar);
    }
    return leaf(negated ? celNotIn(path, values) : { kind: "in", path, values, negated: false });
  }

  /** A subtree that reads no document: its value now decides. */
  private constant(node: CelAst, negated: boolean): Part {
    const value = this.evaluate(node);
    if (typeof value !== "boolean") return NONE;
    return value !== negated ? ALL : NONE;
  }

  /** The value of a subtree that reads no document; undefined for an error. */
  private evaluate(node: CelAst): CelValue | undefined {
    try {
      const result = plan(env, node)({ request: this.request, resource: null } as unknown as Record<string, CelInput>);
      return isCelError(result) ? undefined : result;
    } catch {
      return undefined;
    }
  }
}

/**
 * CEL's `f != c` as a filter. CEL's equality holds null as a value (a null
 * field differs from every c but null), while a filter's `!=` follows
 * Firestore and never matches a null field (query/expression.ts): so a
 * null field is added back unless c is null. A missing field is an error
 * in CEL and matches neither.
 */
function celNotEqual(path: FieldPath, c: JsonValue): Expr {
  const differs: Expr = { kind: "compare", path, op: "!=", value: c };
  return c === null ? differs : { kind: "or", children: [{ kind: "compare", path, op: "==", value: null }, differs] };
}

/**
 * CEL's `!(f in [values])` as a filter: f present and equal to none of
 * the values, null being a value. A filter's NOT_IN never matches a null
 * field and matches nothing when its list holds null (Firestore's rule),
 * so the null is taken out of the list (the field must then not be null)
 * or a null field is added back.
 */
function celNotIn(path: FieldPath, values: readonly JsonValue[]): Expr {
  const others = values.filter((v) => v !== null);
  const notOthers: Expr = others.length === 0 ? { kind: "compare", path, op: "!=", value: null } : { kind: "in", path, values: others, negated: true };
  return others.length < values.length ? notOthers : { kind: "or", children: [{ kind: "compare", path, op: "==", value: null }, notOthers] };
}

function leaf(filter: Expr): Part {
  return { filter, exact: true };
}

/** Stands for `resource.id` among document paths. */
const ID_PATH: FieldPath = [ID_FIELD];

/**
 * The field path `node` reads from the stored document: segments under
 * `resource.data` (by `.f` or `["f"]`), ID_PATH for `resource.id`, or null.
 */
function documentPath(node: CelAst): FieldPath | null {
  const kind = node.exprKind;
  if (kind.case === "selectExpr" && !kind.value.testOnly && kind.value.operand !== undefined) {
    const operand = kind.value.operand;
    if (operand.exprKind.case === "identExpr" && operand.exprKind.value.name === "resource") {
      if (kind.value.field === "id") return ID_PATH;
      return kind.value.field === "data" ? [] : null;
    }
    const base = documentPath(operand);
    return base === null || base === ID_PATH ? null : [...base, kind.value.field];
  }
  if (kind.case === "callExpr" && kind.value.function === "_[_]" && kind.value.target === undefined && kind.value.args.length === 2) {
    const [operand, index] = kind.value.args;
    const key = index?.exprKind.case === "constExpr" && index.exprKind.value.constantKind.case === "stringValue" ? index.exprKind.value.constantKind.value : null;
    const base = operand === undefined ? null : documentPath(operand);
    return base === null || base === ID_PATH || key === null ? null : [...base, key];
  }
  return null;
}

/** A data path the filter engine can take: no empty, control-character or oversized segment, and not the id's name. */
function pathPushable(path: FieldPath): boolean {
  if (path === ID_PATH) return true;
  if (path.length === 0 || path.length > FIELD_PATH_SEGMENTS_MAX) return false;
  if (path.length === 1 && path[0] === ID_FIELD) return false;
  return path.every((s) => s.length > 0 && !/[\u0000-\u001f\u007f]/.test(s) && loneSurrogateProblem(s) === null && utf8.encode(s).length <= FIELD_NAME_BYTES_MAX);
}

/**
 * A CEL value as a filter operand, when it is a scalar the filter compares
 * the way CEL does. A double of magnitude 2^53 or more is not: a stored
 * typed integer past 2^53 meets it in CEL as the nearest double (the
 * evaluator rounds the int), while the shards' SQL compares the two exactly,
 * so `n < 9223372036854775807.0` disagreed between a point read and a query
 * (found by a new-user test). Below 2^53 the rounding cannot change an
 * answer: an integer a double cannot hold is farther from zero than the
 * constant either way. Such a rule part is evaluated per document instead.
 */
function scalarOf(value: CelValue): JsonValue | undefined {
  if (value === null || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) && Math.abs(value) < 2 ** 53 ? value : undefined;
  if (typeof value === "string") return loneSurrogateProblem(value) === null ? value : undefined;
  const big = typeof value === "bigint" ? value : isCelUint(value) ? value.value : undefined;
  if (big === undefined) return undefined;
  return big >= -(2n ** 53n) && big <= 2n ** 53n ? Number(big) : undefined;
}

/** True when `node` mentions `resource` (a comprehension's own variables are never named so: rules refuse shadowing it). */
function readsDocument(node: CelAst): boolean {
  const kind = node.exprKind;
  switch (kind.case) {
    case "identExpr":
      return kind.value.name === "resource";
    case "selectExpr":
      return kind.value.operand !== undefined && readsDocument(kind.value.operand);
    case "callExpr":
      return (kind.value.target !== undefined && readsDocument(kind.value.target)) || kind.value.args.some(readsDocument);
    case "listExpr":
      return kind.value.elements.some(readsDocument);
    case "structExpr":
      return kind.value.entries.some((e) => (e.keyKind.case === "mapKey" && readsDocument(e.keyKind.value)) || (e.value !== undefined && readsDocument(e.value)));
    case "comprehensionExpr": {
      const c = kind.value;
      return [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result].some((p) => p !== undefined && readsDocument(p));
    }
    default:
      return false;
  }
}
