/**
 * Compiles a rule condition: parsed by `@bufbuild/cel`, checked
 * (static-check.ts), and planned once into a function that evaluates it.
 * A refused rule's message names its line and column, as
 * `<collection>.<read|write>:LINE:COLUMN: why`, so a SetRules caller can
 * find the mistake.
 */
import { celDataOf } from "./cel-data.js";
import { celEnv, isCelError, parse, plan, type CelInput } from "@bufbuild/cel";
import { COMPILED_RULES_CACHE_MAX, RULE_CHARS_MAX } from "./limits.js";
import { checkRuleTree, RuleCheckError, type CelAst, type RuleKind } from "./static-check.js";

/** What a rule sees, bound to its variables. */
export interface RuleBindings {
  readonly request: {
    /** The caller: a JWT's claims, or `{sub}` for a key. */
    readonly auth: Readonly<Record<string, unknown>>;
    /** get, list, create, update or delete. */
    readonly method: RuleMethod;
    /** The proposed document of a write (null for a delete); absent for reads. */
    readonly resource?: RuleResource | null;
  };
  /** The stored document; null when there is none (a create). */
  readonly resource: RuleResource | null;
}

/** A document as rules see it. */
export interface RuleResource {
  readonly id: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** The operation a rule is asked about, as `request.method`. */
export type RuleMethod = "get" | "list" | "create" | "update" | "delete";

/** A checked rule, ready to evaluate. */
export interface CompiledRule {
  readonly source: string;
  readonly kind: RuleKind;
  readonly ast: CelAst;
  /** True only when the condition evaluates to `true`; errors and other values deny. */
  allows(bindings: RuleBindings): boolean;
}

/** A compiled rule, or where and why it is refused. */
export type CompileResult = { ok: true; rule: CompiledRule } | { ok: false; line: number; column: number; message: string };

const env = celEnv();

/** Compiles `source` as a rule of `kind`. */
export function compileRule(source: string, kind: RuleKind): CompileResult {
  if (source.length > RULE_CHARS_MAX) return { ok: false, line: 1, column: 1, message: `the condition is ${source.length} characters, over RULE_CHARS_MAX (${RULE_CHARS_MAX})` };
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (err) {
    return { ok: false, ...parseErrorPosition(err, source), message: parseErrorMessage(err) };
  }
  try {
    checkRuleTree(parsed.expr, kind);
  } catch (err) {
    if (!(err instanceof RuleCheckError)) throw err;
    const offset = parsed.sourceInfo?.positions[err.exprId.toString()] ?? 0;
    return { ok: false, ...positionOf(source, offset), message: err.message };
  }
  const run = plan(env, parsed);
  const allows = (bindings: RuleBindings): boolean => {
    try {
      const result = run(celBindings(bindings) as unknown as Record<string, CelInput>);
      return !isCelError(result) && result === true;
    } catch {
      // The evaluator reports errors as values; anything it throws still denies.
      return false;
    }
  };
  return { ok: true, rule: { source, kind, ast: parsed.expr, allows } };
}

/** The bindings with documents' typed values in CEL's types (cel-data.ts). */
function celBindings(b: RuleBindings): RuleBindings {
  const resource = b.resource === null ? null : { ...b.resource, data: celDataOf(b.resource.data) };
  const proposed = b.request.resource;
  const request = proposed === undefined || proposed === null ? b.request : { ...b.request, resource: { ...proposed, data: celDataOf(proposed.data) } };
  return { ...b, request, resource };
}

/** The 1-based line and column of a character offset. */
export function positionOf(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, Math.max(0, Math.min(offset, source.length)));
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: before.length - lineStart + 1 };
}

function parseErrorPosition(err: unknown, source: string): { line: number; column: number } {
  const start = (err as { location?: { start?: { line?: unknown; column?: unknown } } } | null)?.location?.start;
  if (typeof start?.line === "number" && typeof start.column === "number") return { line: start.line, column: start.column };
  return positionOf(source, source.length);
}

function parseErrorMessage(err: unknown): string {
  const raw = (err as { rawMessage?: unknown; message?: unknown } | null) ?? {};
  const text = typeof raw.rawMessage === "string" ? raw.rawMessage : typeof raw.message === "string" ? raw.message : "syntax error";
  return `syntax error: ${text.replace(/^<input>:\d+:\d+: /, "")}`;
}

const compiled = new Map<string, CompileResult>();

/**
 * `compileRule`, remembered per isolate by kind and source (at most
 * COMPILED_RULES_CACHE_MAX; the oldest goes first): shards evaluate the same
 * few rules for every document and request.
 */
export function compileRuleCached(source: string, kind: RuleKind): CompileResult {
  const key = `${kind}\u0000${source}`;
  let result = compiled.get(key);
  if (result === undefined) {
    result = compileRule(source, kind);
    compiled.set(key, result);
    while (compiled.size > COMPILED_RULES_CACHE_MAX) compiled.delete(compiled.keys().next().value!);
  }
  return result;
}
