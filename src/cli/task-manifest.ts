import * as fs from 'fs';
import * as path from 'path';
import { suggest } from '../suggest';

export interface TaskInput {
  name: string;
  type?: string;
  defaultValue?: string | number | boolean;
  required?: boolean;
}

export interface TaskManifest {
  name: string;
  dir: string;
  inputs: TaskInput[];
  outputVariables: string[];
  /** The bundle the agent runs; undefined for a server (agentless) task. */
  entry?: string;
}

/** Thrown for anything the user can fix from the command line; printed without a stack. */
export class CliError extends Error {}

export function repoRootOf(): string {
  // Compiled to build/src/cli/; the sources live in src/cli/.
  const candidates = [path.resolve(__dirname, '..', '..', '..'), path.resolve(__dirname, '..', '..')];
  return candidates.find((d) => fs.existsSync(path.join(d, 'tasks'))) ?? candidates[0];
}

export function taskNames(root = repoRootOf()): string[] {
  return fs.readdirSync(path.join(root, 'tasks')).filter((n) => fs.existsSync(path.join(root, 'tasks', n, 'task.json'))).sort();
}

/** Reads tasks/<name>/task.json; the name may carry a version (`AmlTrain@1`) as in a pipeline. */
export function readTaskManifest(name: string, root = repoRootOf()): TaskManifest {
  const bare = name.replace(/@\d+$/, '');
  const names = taskNames(root);
  const match = names.find((n) => n.toLowerCase() === bare.toLowerCase());
  if (!match) {
    const guess = suggest(bare, names);
    throw new CliError(`Unknown task '${name}'.${guess ? ` Did you mean '${guess}'?` : ''} Tasks: ${names.join(', ')}.`);
  }
  const dir = path.join(root, 'tasks', match);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'task.json'), 'utf8'));
  const execution = json.execution ?? {};
  const handler = Object.keys(execution).find((k) => k.startsWith('Node'));
  return {
    name: match,
    dir,
    inputs: json.inputs ?? [],
    outputVariables: (json.outputVariables ?? []).map((o: { name: string }) => o.name),
    entry: handler ? path.join(dir, execution[handler].target) : undefined,
  };
}

/** The inputs the task receives: task.json defaults, then the given values; unknown names are refused. */
export function resolveInputs(manifest: TaskManifest, given: Record<string, string>): Record<string, string> {
  const names = manifest.inputs.map((i) => i.name);
  const values: Record<string, string> = {};
  for (const input of manifest.inputs) {
    if (input.defaultValue !== undefined && input.defaultValue !== '') values[input.name] = String(input.defaultValue);
  }
  for (const [key, value] of Object.entries(given)) {
    const name = names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (!name) {
      const guess = suggest(key, names);
      throw new CliError(`${manifest.name} has no input '${key}'.${guess ? ` Did you mean '${guess}'?` : ''} Its inputs: ${names.join(', ')}.`);
    }
    values[name] = value;
  }
  return values;
}

/** Names of the task's Azure Resource Manager service connection inputs. */
export function connectionInputs(manifest: TaskManifest): string[] {
  return manifest.inputs.filter((i) => (i.type ?? '').toLowerCase() === 'connectedservice:azurerm').map((i) => i.name);
}

/** The environment variable the agent uses for an input. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/[. ]/g, '_').toUpperCase()}`;
}
