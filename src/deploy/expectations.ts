import { UserError } from '../errors';

// The JSON path subset is written here rather than taken from jsonpath-plus: smoke tests need member, index and
// length steps only, which fit in a few dozen lines, while that package adds tens of kilobytes to the task bundle
// and evaluates filter scripts, an attack surface a response check has no use for.

export type PathStep = { kind: 'name'; name: string } | { kind: 'index'; index: number };

export type Comparison = '==' | '!=' | '>' | '>=' | '<' | '<=';

export type Expectation =
  | { kind: 'exists'; text: string; line: number; path: PathStep[] }
  | { kind: 'compare'; text: string; line: number; path: PathStep[]; operator: Comparison; value: string | number | boolean | null }
  | { kind: 'matches'; text: string; line: number; path: PathStep[]; pattern: RegExp }
  | { kind: 'body'; text: string; line: number; pattern: RegExp };

const HOW =
  "Write one expectation per line: '$.path' (the value exists), '$.path <op> <JSON value>' with op one of == != > >= < <= " +
  "(for example '$.predictions[0] >= 100', '$.label == \"cat\"', '$.predictions.length == 2'), '$.path ~= <regex>' " +
  "(for example '$.label ~= ^cat'), or '/<regex>/<flags>' for the raw response body. Paths use .name, ['name'], [0] and [-1].";

/** The expectation lines of a multi-line input; blank lines and lines starting with `#` are skipped. */
export function parseExpectations(input: string, text: string | undefined): Expectation[] {
  const out: Expectation[] = [];
  for (const [i, raw] of (text ?? '').split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    try {
      out.push(parseLine(line, i + 1));
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      throw new UserError(`Input '${input}', line ${i + 1}: '${line}' is not an expectation: ${e.message}. ${HOW}`, { input, line: i + 1 });
    }
  }
  return out;
}

function parseLine(text: string, line: number): Expectation {
  if (text.startsWith('/')) return { kind: 'body', text, line, pattern: regexLiteral(text) ?? fail('a body pattern is written /regex/flags') };
  if (!text.startsWith('$')) fail("it must start with '$' (a JSON path) or '/' (a pattern for the body)");
  const { path, end } = parsePath(text);
  const rest = text.slice(end).trim();
  if (rest === '') return { kind: 'exists', text, line, path };
  const op = /^(~=|==|!=|>=|<=|>|<)/.exec(rest)?.[1];
  if (!op) fail(`'${rest}' after the path is not an operator`);
  const operand = rest.slice(op.length).trim();
  if (operand === '') fail(`a value must follow '${op}'`);
  if (op === '~=') return { kind: 'matches', text, line, path, pattern: regexLiteral(operand) ?? regex(operand, '') };
  let value: unknown;
  try {
    value = JSON.parse(operand);
  } catch {
    fail(`'${operand}' is not a JSON value (write strings in double quotes)`);
  }
  if (value !== null && !['number', 'string', 'boolean'].includes(typeof value)) fail(`'${operand}' must be a number, a string in double quotes, true, false or null`);
  if ((op === '==' || op === '!=') === false && typeof value !== 'number' && typeof value !== 'string') fail(`'${op}' compares numbers or strings, not ${operand}`);
  return { kind: 'compare', text, line, path, operator: op as Comparison, value: value as string | number | boolean | null };
}

/** `$` followed by `.name`, `['name']`, `["name"]` or `[n]` steps; stops at the first character that starts none. */
function parsePath(text: string): { path: PathStep[]; end: number } {
  const path: PathStep[] = [];
  let i = 1;
  for (;;) {
    const c = text[i];
    if (c === '.') {
      const m = /^[A-Za-z_$][\w$-]*/.exec(text.slice(i + 1));
      if (!m) fail(`a name must follow '.' at position ${i + 1}`);
      path.push({ kind: 'name', name: m[0] });
      i += 1 + m[0].length;
    } else if (c === '[') {
      const rest = text.slice(i);
      const index = /^\[\s*(-?\d+)\s*\]/.exec(rest);
      const quoted = /^\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\]/.exec(rest);
      if (index) {
        path.push({ kind: 'index', index: Number(index[1]) });
        i += index[0].length;
      } else if (quoted) {
        path.push({ kind: 'name', name: (quoted[1] ?? quoted[2]).replace(/\\(.)/g, '$1') });
        i += quoted[0].length;
      } else {
        fail(`'[' at position ${i + 1} must hold a whole number or a quoted name, as in [0] or ['name']`);
      }
    } else {
      return { path, end: i };
    }
  }
}

function regexLiteral(text: string): RegExp | undefined {
  const m = /^\/(.+)\/([a-z]*)$/s.exec(text);
  return m ? regex(m[1], m[2], text) : undefined;
}

function regex(source: string, flags: string, written = source): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (e) {
    fail(`'${written}' is not a valid regular expression (${(e as Error).message})`);
  }
}

function fail(reason: string): never {
  throw new SyntaxError(reason);
}

/** The value at `path`, or undefined when some step leads nowhere. `length` of an array or string is its length. */
export function valueAt(root: unknown, path: PathStep[]): unknown {
  let value = root;
  for (const step of path) {
    if (value === null || value === undefined) return undefined;
    if (step.kind === 'index') {
      if (!Array.isArray(value) && typeof value !== 'string') return undefined;
      const i = step.index < 0 ? value.length + step.index : step.index;
      value = i >= 0 && i < value.length ? value[i] : undefined;
    } else if (step.name === 'length' && (Array.isArray(value) || typeof value === 'string')) {
      value = value.length;
    } else if (typeof value === 'object' && !Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, step.name)) {
      value = (value as Record<string, unknown>)[step.name];
    } else {
      return undefined;
    }
  }
  return value;
}

/**
 * Why each expectation does not hold for a response body, as '<expectation>: <what was found>';
 * empty when all hold. The body is parsed as JSON only when some expectation has a path.
 */
export function checkExpectations(expectations: Expectation[], body: string): string[] {
  const failures: string[] = [];
  let json: { value: unknown } | undefined;
  let notJson = false;
  for (const e of expectations) {
    if (e.kind === 'body') {
      if (!e.pattern.test(body)) failures.push(`${e.text}: the body does not match`);
      e.pattern.lastIndex = 0;
      continue;
    }
    if (!json && !notJson) {
      try {
        json = { value: JSON.parse(body) };
      } catch {
        notJson = true;
      }
    }
    if (!json) {
      failures.push(`${e.text}: the response is not JSON`);
      continue;
    }
    const actual = valueAt(json.value, e.path);
    if (actual === undefined) {
      failures.push(`${e.text}: not found`);
      continue;
    }
    if (e.kind === 'exists') continue;
    if (e.kind === 'matches') {
      const text = typeof actual === 'string' ? actual : JSON.stringify(actual);
      const ok = e.pattern.test(text);
      e.pattern.lastIndex = 0;
      if (!ok) failures.push(`${e.text}: was ${show(actual)}`);
      continue;
    }
    if (!compare(actual, e.operator, e.value)) failures.push(`${e.text}: was ${show(actual)}`);
  }
  return failures;
}

function compare(actual: unknown, op: Comparison, expected: string | number | boolean | null): boolean {
  switch (op) {
    case '==': return actual === expected;
    case '!=': return actual !== expected;
  }
  // Ordering only between values of the same type: "9" > 10 is a mistake in the expectation or the model, not a pass.
  if (typeof actual !== typeof expected) return false;
  const a = actual as number | string;
  const b = expected as number | string;
  switch (op) {
    case '>': return a > b;
    case '>=': return a >= b;
    case '<': return a < b;
    case '<=': return a <= b;
  }
}

/** A found value for a failure message, as JSON so strings show their quotes, cut to a readable length. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
