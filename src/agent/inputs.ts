import * as fs from 'fs';
import * as path from 'path';
import * as tl from 'azure-pipelines-task-lib/task';
import { UserError } from '../errors';

/** A trimmed input value, or undefined when it is empty. Fails with a clear message when required and empty. */
export function getString(name: string, options: { required?: boolean; hint?: string } = {}): string | undefined {
  const value = tl.getInput(name, false)?.trim();
  if (value) return value;
  if (options.required) {
    throw new UserError(`Input '${name}' is required${options.hint ? `: ${options.hint}` : '.'}`, { input: name });
  }
  return undefined;
}

export function getRequiredString(name: string, hint?: string): string {
  return getString(name, { required: true, hint })!;
}

export function getBoolean(name: string, defaultValue: boolean): boolean {
  const value = tl.getInput(name, false)?.trim().toLowerCase();
  if (!value) return defaultValue;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UserError(`Input '${name}' must be true or false, not '${value}'.`, { input: name });
}

export function getInteger(name: string, options: { defaultValue: number; min?: number; max?: number }): number {
  const raw = tl.getInput(name, false)?.trim();
  if (!raw) return options.defaultValue;
  const value = Number(raw);
  const { min, max } = options;
  if (!Number.isInteger(value) || (min !== undefined && value < min) || (max !== undefined && value > max)) {
    const range =
      min !== undefined && max !== undefined ? ` between ${min} and ${max}` : min !== undefined ? ` of at least ${min}` : max !== undefined ? ` of at most ${max}` : '';
    throw new UserError(`Input '${name}' must be a whole number${range}, not '${raw}'.`, { input: name });
  }
  return value;
}

export function getChoice<T extends string>(name: string, choices: readonly T[], defaultValue: T): T {
  const raw = tl.getInput(name, false)?.trim();
  if (!raw) return defaultValue;
  const match = choices.find((c) => c.toLowerCase() === raw.toLowerCase());
  if (!match) throw new UserError(`Input '${name}' must be one of ${choices.join(', ')}, not '${raw}'.`, { input: name });
  return match;
}

/**
 * An existing file named by a filePath input. The agent passes the repository root when a filePath input
 * is left empty, so the root counts as empty and any other folder is reported as "not a file" rather than read.
 */
export function getExistingFile(name: string, options: { required: boolean; hint?: string }): string | undefined {
  const value = getString(name, options);
  if (!value) return undefined;
  const full = path.resolve(value);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch {
    throw new UserError(`Input '${name}': the file '${value}' does not exist. Check the path; relative paths start at ${process.cwd()}.`, { input: name });
  }
  if (!stat.isFile()) {
    if (full === path.resolve(tl.getVariable('System.DefaultWorkingDirectory') ?? '\0')) {
      if (!options.required) return undefined;
      throw new UserError(`Input '${name}' is required${options.hint ? `: ${options.hint}` : '.'}`, { input: name });
    }
    throw new UserError(`Input '${name}': '${value}' is a folder, not a file.`, { input: name });
  }
  return full;
}

/**
 * `name=value` lines of a multi-line input, in order. Blank lines and lines starting with `#` are skipped;
 * the value is everything after the first `=` (it may itself hold `=`), trimmed.
 */
export function parseKeyValueLines(input: string, text: string | undefined): Array<{ name: string; value: string }> {
  const entries: Array<{ name: string; value: string }> = [];
  const seen = new Set<string>();
  for (const [i, raw] of (text ?? '').split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const name = eq < 0 ? '' : line.slice(0, eq).trim();
    if (!name) {
      throw new UserError(`Input '${input}', line ${i + 1}: '${line}' is not name=value. Write one name=value per line.`, { input });
    }
    if (seen.has(name)) throw new UserError(`Input '${input}' sets '${name}' twice (line ${i + 1}). Keep one line per name.`, { input });
    seen.add(name);
    entries.push({ name, value: line.slice(eq + 1).trim() });
  }
  return entries;
}
