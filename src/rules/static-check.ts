/**
 * What `@bufbuild/cel` does not check before evaluation (its type checker
 * handles only constants and identifiers today): that a rule names only
 * the variables rules have (`request`, `resource`) and their fields, calls
 * only functions the CEL standard library defines, stays within
 * RULE_NODES_MAX and RULE_DEPTH_MAX, and can be a bool. Types are coarse:
 * document fields are dynamic, so a rule is refused only when it can never
 * be a bool (`resource.data.n + 1`, `'text'`), never when it merely might
 * not be one at run time (then it denies, as every evaluation error does).
 */
import { celEnv, type parse } from "@bufbuild/cel";
import { RULE_COMPREHENSION_DEPTH_MAX, RULE_DEPTH_MAX, RULE_NODES_MAX } from "./limits.js";

/** A parsed CEL expression tree, as `@bufbuild/cel` builds it. */
export type CelAst = ReturnType<typeof parse>["expr"];

/** Which operation a rule guards; only write rules see `request.resource`. */
export type RuleKind = "read" | "write";

/** A rule refused, and the node whose position the message names. */
export class RuleCheckError extends Error {
  constructor(
    readonly exprId: bigint,
    message: string,
  ) {
    super(message);
  }
}

/** What a subexpression is known to be: surely a bool, surely not one, or either. */
type StaticType = "bool" | "other" | "dyn";

const FIELDS: Readonly<Record<string, readonly string[]>> = {
  request: ["auth", "method", "resource"],
  resource: ["id", "data"],
  "request.resource": ["id", "data"],
};

const LOGIC = new Set(["_&&_", "_||_", "!_", "@not_strictly_false"]);
const standard = celEnv().funcs;

/** Checks a parsed rule; throws RuleCheckError with the offending node. */
export function checkRuleTree(root: CelAst, kind: RuleKind): void {
  const walker = new Walker(kind);
  const type = walker.walk(root, new Map(), 1);
  if (type === "other") throw new RuleCheckError(root.id, "the condition is never a bool; a rule must be a bool (true allows)");
}

class Walker {
  private nodes = 0;
  /** Comprehension bodies the walk is inside (each runs once per element, so nesting multiplies the cost). */
  private loops = 0;
  constructor(private readonly kind: RuleKind) {}

  walk(expr: CelAst, scope: ReadonlyMap<string, StaticType>, depth: number): StaticType {
    if (++this.nodes > RULE_NODES_MAX) throw new RuleCheckError(expr.id, `the condition has more than RULE_NODES_MAX (${RULE_NODES_MAX}) nodes`);
    if (depth > RULE_DEPTH_MAX) throw new RuleCheckError(expr.id, `the condition nests deeper than RULE_DEPTH_MAX (${RULE_DEPTH_MAX})`);
    const kind = expr.exprKind;
    switch (kind.case) {
      case "constExpr":
        return kind.value.constantKind.case === "boolValue" ? "bool" : "other";
      case "identExpr": {
        const local = scope.get(kind.value.name);
        if (local !== undefined) return local;
        if (Object.hasOwn(FIELDS, kind.value.name) && kind.value.name !== "request.resource") return "dyn";
        throw new RuleCheckError(expr.id, `undeclared reference to '${kind.value.name}'; rules see request and resource`);
      }
      case "selectExpr": {
        this.checkField(expr, kind.value.operand, kind.value.field, scope);
        if (kind.value.operand !== undefined) this.walk(kind.value.operand, scope, depth + 1);
        return kind.value.testOnly ? "bool" : "dyn";
      }
      case "callExpr":
        return this.call(expr, kind.value, scope, depth);
      case "listExpr":
        for (const e of kind.value.elements) this.walk(e, scope, depth + 1);
        return "other";
      case "structExpr":
        if (kind.value.messageName !== "") throw new RuleCheckError(expr.id, `rules cannot build messages (${kind.value.messageName})`);
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === "mapKey") this.walk(entry.keyKind.value, scope, depth + 1);
          if (entry.value !== undefined) this.walk(entry.value, scope, depth + 1);
        }
        return "other";
      case "comprehensionExpr": {
        const c = kind.value;
        for (const part of [c.iterRange, c.accuInit]) if (part !== undefined) this.walk(part, scope, depth + 1);
        for (const name of [c.iterVar, c.iterVar2]) {
          if (Object.hasOwn(FIELDS, name)) throw new RuleCheckError(expr.id, `a comprehension variable cannot be named ${name}`);
        }
        const inner = new Map(scope);
        inner.set(c.iterVar, "dyn");
        if (c.iterVar2 !== "") inner.set(c.iterVar2, "dyn");
        inner.set(c.accuVar, c.accuInit === undefined ? "dyn" : this.walk(c.accuInit, scope, depth + 1));
        if (this.loops >= RULE_COMPREHENSION_DEPTH_MAX) {
          throw new RuleCheckError(
            expr.id,
            `comprehensions (all, exists, exists_one, map, filter) nest deeper than RULE_COMPREHENSION_DEPTH_MAX (${RULE_COMPREHENSION_DEPTH_MAX}): each runs once per element, so nested ones multiply a rule's cost on every read`,
          );
        }
        this.loops++;
        for (const part of [c.loopCondition, c.loopStep]) if (part !== undefined) this.walk(part, inner, depth + 1);
        this.loops--;
        return c.result === undefined ? "dyn" : this.walk(c.result, inner, depth + 1);
      }
      default:
        throw new RuleCheckError(expr.id, "the condition holds an expression rules do not support");
    }
  }

  /** `request.x`, `resource.x` and `request.resource.x` name fields rules have. */
  private checkField(expr: CelAst, operand: CelAst | undefined, field: string, scope: ReadonlyMap<string, StaticType>): void {
    const base = operand === undefined ? null : rootName(operand, scope);
    if (base === null || !Object.hasOwn(FIELDS, base)) return;
    if (!FIELDS[base]!.includes(field)) {
      throw new RuleCheckError(expr.id, `${base} has no field '${field}'; it has ${FIELDS[base]!.join(", ")}`);
    }
    if (base === "request" && field === "resource" && this.kind === "read") {
      throw new RuleCheckError(expr.id, "a read rule cannot use request.resource (a read proposes no document); use resource");
    }
  }

  private call(expr: CelAst, call: Extract<CelAst["exprKind"], { case: "callExpr" }>["value"], scope: ReadonlyMap<string, StaticType>, depth: number): StaticType {
    const args = call.args.map((a) => this.walk(a, scope, depth + 1));
    if (call.target !== undefined) this.walk(call.target, scope, depth + 1);
    if (LOGIC.has(call.function)) {
      const bad = args.indexOf("other");
      if (bad !== -1) throw new RuleCheckError(call.args[bad]!.id, `this operand of ${operatorName(call.function)} is never a bool`);
      return "bool";
    }
    if (call.function === "_?_:_") {
      if (args[0] === "other") throw new RuleCheckError(call.args[0]!.id, "the condition of ?: is never a bool");
      return args[1] === args[2] ? args[1]! : "dyn";
    }
    if (call.function === "_[_]") return "dyn";
    const group = standard.find(call.function);
    if (group === undefined && call.function === "has") throw new RuleCheckError(expr.id, "has() takes a field selection, as in has(resource.data.f)");
    if (group === undefined) throw new RuleCheckError(expr.id, `unknown function '${call.function}'`);
    const results = new Set([...group].map((f) => resultType(String((f.result as { name?: string }).name ?? f.result))));
    return results.size === 1 ? [...results][0]! : "dyn";
  }
}

function resultType(name: string): StaticType {
  return name === "bool" ? "bool" : name === "dyn" ? "dyn" : "other";
}

/** `request`, `resource` or `request.resource` when `expr` names one of them (and no local shadows it). */
function rootName(expr: CelAst, scope: ReadonlyMap<string, StaticType>): string | null {
  const kind = expr.exprKind;
  if (kind.case === "identExpr") return scope.has(kind.value.name) ? null : kind.value.name;
  if (kind.case === "selectExpr" && kind.value.operand !== undefined && !kind.value.testOnly) {
    const base = rootName(kind.value.operand, scope);
    return base === "request" && kind.value.field === "resource" ? "request.resource" : null;
  }
  return null;
}

function operatorName(fn: string): string {
  return fn === "_&&_" ? "&&" : fn === "_||_" ? "||" : "!";
}
