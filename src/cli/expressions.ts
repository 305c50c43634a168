/**
 * A small evaluator for the Azure Pipelines expressions the examples use: in conditions and in `$[ ... ]` runtime
 * variables. Functions: eq, ne, and, or, not, in, notIn, startsWith, endsWith, contains, succeeded, failed,
 * always, canceled, succeededOrFailed; values: 'strings', numbers, true/false, variables['x'], variables.x,
 * dependencies.<job>.outputs['<step>.<var>'] and stageDependencies.<stage>.<job>.outputs['<step>.<var>'].
 * Anything else throws ExpressionError, so the caller can say it could not evaluate it.
 */
export class ExpressionError extends Error {}

export interface ExpressionContext {
  variable(name: string): string | undefined;
  /** An output of a job in this stage (`dependencies.<job>.outputs[key]`) or of a stage (`dependencies.<stage>.outputs[job.step.var]`). */
  dependency(name: string, key: string): string | undefined;
  stageDependency(stage: string, job: string, key: string): string | undefined;
}

type Value = string | number | boolean | undefined;

const TOKEN = /\s*(?:('(?:[^']|'')*')|(-?\d+(?:\.\d+)?)|([A-Za-z_][\w-]*)|(\[|\]|\(|\)|,|\.))/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) throw new ExpressionError(`unexpected '${text.slice(at).trim().slice(0, 20)}'`);
    tokens.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  }
  return tokens;
}

const str = (v: Value) => (v === undefined ? '' : String(v));
const truthy = (v: Value) => (typeof v === 'string' ? v.length > 0 && v.toLowerCase() !== 'false' : Boolean(v));
const same = (a: Value, b: Value) => str(a).toLowerCase() === str(b).toLowerCase();

const FUNCTIONS: Record<string, (args: Value[]) => Value> = {
  eq: ([a, b]) => same(a, b),
  ne: ([a, b]) => !same(a, b),
  and: (args) => args.every(truthy),
  or: (args) => args.some(truthy),
  not: ([a]) => !truthy(a),
  in: ([a, ...rest]) => rest.some((b) => same(a, b)),
  notin: ([a, ...rest]) => !rest.some((b) => same(a, b)),
  startswith: ([a, b]) => str(a).toLowerCase().startsWith(str(b).toLowerCase()),
  endswith: ([a, b]) => str(a).toLowerCase().endsWith(str(b).toLowerCase()),
  contains: ([a, b]) => str(a).toLowerCase().includes(str(b).toLowerCase()),
  // A run stops at the first failed step, so whatever is evaluated comes after success only.
  succeeded: () => true,
  succeededorfailed: () => true,
  always: () => true,
  failed: () => false,
  canceled: () => false,
};

export function evaluate(text: string, ctx: ExpressionContext): Value {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const t = tokens[i++];
    if (t === undefined || (expected !== undefined && t !== expected)) throw new ExpressionError(`expected ${expected ?? 'more'} in '${text}'`);
    return t;
  };
  const index = (): string => {
    take('[');
    const t = take();
    take(']');
    if (!t.startsWith("'")) throw new ExpressionError(`expected a quoted name in [ ] in '${text}'`);
    return t.slice(1, -1).replace(/''/g, "'");
  };
  const member = (): string => (peek() === '[' ? index() : (take('.'), take()));

  const value = (): Value => {
    const t = take();
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    if (/^-?\d/.test(t)) return Number(t);
    const lower = t.toLowerCase();
    if (lower === 'true' || lower === 'false') return lower === 'true';
    if (peek() === '(') {
      const fn = FUNCTIONS[lower];
      if (!fn) throw new ExpressionError(`function ${t}() is not supported`);
      take('(');
      const args: Value[] = [];
      if (peek() !== ')') {
        args.push(value());
        while (peek() === ',') {
          take(',');
          args.push(value());
        }
      }
      take(')');
      return fn(args);
    }
    if (lower === 'variables') {
      let name = member();
      // variables.Build.SourceBranch: dotted names without brackets.
      while (peek() === '.') name += `.${(take('.'), take())}`;
      return ctx.variable(name);
    }
    if (lower === 'dependencies') {
      const name = member();
      if (member().toLowerCase() !== 'outputs') throw new ExpressionError(`only dependencies.<name>.outputs[...] is supported in '${text}'`);
      return ctx.dependency(name, index());
    }
    if (lower === 'stagedependencies') {
      const stage = member();
      const job = member();
      if (member().toLowerCase() !== 'outputs') throw new ExpressionError(`only stageDependencies.<stage>.<job>.outputs[...] is supported in '${text}'`);
      return ctx.stageDependency(stage, job, index());
    }
    throw new ExpressionError(`'${t}' is not supported`);
  };

  const result = value();
  if (i < tokens.length) throw new ExpressionError(`unexpected '${tokens[i]}' in '${text}'`);
  return result;
}

/** Evaluates a condition; throws ExpressionError when it cannot. */
export function evaluateCondition(text: string, ctx: ExpressionContext): boolean {
  return truthy(evaluate(text, ctx));
}

export function valueToString(v: Value): string {
  return typeof v === 'boolean' ? (v ? 'True' : 'False') : str(v);
}
