import * as path from 'path';
import { readConnectionProfile } from './connection';
import { expandMacros, findStep, readPipelineFile } from './pipeline';
import { predefinedVariables, runPipeline } from './run-pipeline';
import { runTask, type ConnectionProfiles } from './run-task';
import { CliError } from './task-manifest';

export const USAGE = `aml-mlops: run this extension's pipeline tasks on your machine, as the Azure DevOps agent runs them.

  aml-mlops run <Task> [--<input> <value> ...] [--inputs-from <pipeline.yml>#<step name>]
                [--connection [<name>=]<profile.json> ...] [--out <folder>] [--debug]
  aml-mlops run-pipeline <pipeline.yml> [--stage <name>] [--var <name>=<value> ...]
                [--connection [<name>=]<profile.json> ...] [--out <folder>] [--workdir <folder>] [--debug]

Tasks: DataValidate, AmlTrain, AmlRegisterModel, AmlPackage, AmlDeploy (build them first: npm run build).
--connection <file> serves every service connection; <name>=<file> only the one named so (e.g. aml-prod=prod.json).
Without --connection a task signs in with your Azure login (az login) and reads the workspace config.json.
A connection profile is JSON: {"scheme": "ServicePrincipal", "tenantId", "clientId", "clientSecret" | "certificatePath",
"subscriptionId", "resourceManagerUrl"?, "authorityHost"?, "resourceManagerAudience"?}.
Reports, summaries and the agent temp folder go to --out (default .aml-mlops/).`;

interface Parsed {
  positional: string[];
  options: Record<string, string[]>;
  flags: Set<string>;
}

const FLAGS = new Set(['debug', 'help']);

export function parseArgs(argv: string[]): Parsed {
  const parsed: Parsed = { positional: [], options: {}, flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h') {
      parsed.flags.add('help');
      continue;
    }
    if (!a.startsWith('--')) {
      parsed.positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (FLAGS.has(name) && eq < 0) {
      parsed.flags.add(name);
      continue;
    }
    let value: string;
    if (eq > 0) value = a.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    else throw new CliError(`--${name} needs a value.`);
    (parsed.options[name] ??= []).push(value);
  }
  return parsed;
}

const single = (p: Parsed, name: string) => {
  const v = p.options[name];
  if (v && v.length > 1) throw new CliError(`--${name} is given more than once.`);
  delete p.options[name];
  return v?.[0];
};

/** --connection <file> for every service connection, --connection <name>=<file> for the one of that name. */
function connectionOf(p: Parsed): ConnectionProfiles | undefined {
  const values = p.options.connection ?? [];
  delete p.options.connection;
  if (values.length === 0) return undefined;
  const profiles: ConnectionProfiles = { byName: {} };
  for (const v of values) {
    const m = /^([^=/\\]+)=(.+)$/.exec(v);
    if (m) {
      profiles.byName[m[1]] = readConnectionProfile(path.resolve(m[2]));
    } else {
      if (profiles.fallback) throw new CliError('Give one --connection <file> for every service connection, and --connection <name>=<file> for others.');
      profiles.fallback = readConnectionProfile(path.resolve(v));
    }
  }
  return profiles;
}

/** Inputs of a step in a pipeline file, its `$(...)` resolved from the pipeline's and the predefined variables where they can be. */
function inputsFromPipeline(ref: string, out: string, print: (l: string) => void): { task: string; inputs: Record<string, string> } {
  const hash = ref.lastIndexOf('#');
  if (hash < 0) throw new CliError(`--inputs-from takes <pipeline.yml>#<step name>, e.g. examples/azure-pipelines.yml#train.`);
  const file = ref.slice(0, hash);
  const step = findStep(file, ref.slice(hash + 1));
  const vars = predefinedVariables(process.cwd(), out);
  for (const v of readPipelineFile(path.resolve(file)).variables) if (v.name) vars.set(v.name.toLowerCase(), v.value ?? '');
  const inputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.inputs)) {
    inputs[k] = expandMacros(v, (n) => vars.get(n.toLowerCase()), (n) => print(`note: input ${k} uses $(${n}), which is not a pipeline variable: give --${k} to set it.`));
  }
  return { task: step.task!, inputs };
}

export async function main(argv: string[], print: (l: string) => void = (l) => console.log(l)): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (!command || command === 'help' || command === '--help' || command === '-h') {
      print(USAGE);
      return command ? 0 : 1;
    }
    const p = parseArgs(rest);
    if (p.flags.has('help')) {
      print(USAGE);
      return 0;
    }
    const out = path.resolve(single(p, 'out') ?? '.aml-mlops');
    const debug = p.flags.has('debug');
    if (command === 'run') {
      const connection = connectionOf(p);
      const from = single(p, 'inputs-from');
      const base = from ? inputsFromPipeline(from, out, print) : undefined;
      const task = p.positional[0] ?? base?.task;
      if (base && p.positional[0] && p.positional[0].replace(/@\d+$/, '').toLowerCase() !== base.task.replace(/@\d+$/, '').toLowerCase()) {
        throw new CliError(`--inputs-from names a step of ${base.task}, not ${p.positional[0]}.`);
      }
      if (!task) throw new CliError('Name the task to run, e.g. aml-mlops run DataValidate --dataPath data.csv --schema schema.yml.');
      if (p.positional.length > 1) throw new CliError(`Unexpected argument '${p.positional[1]}': inputs are given as --<input> <value>.`);
      const inputs: Record<string, string> = { ...(base?.inputs ?? {}) };
      for (const [name, values] of Object.entries(p.options)) inputs[name] = values[values.length - 1];
      const r = await runTask({ task, inputs, connection, out, debug, print });
      return r.ok ? 0 : 1;
    }
    if (command === 'run-pipeline') {
      const file = p.positional[0];
      if (!file) throw new CliError('Give the pipeline file, e.g. aml-mlops run-pipeline examples/azure-pipelines.yml.');
      const connection = connectionOf(p);
      const stage = single(p, 'stage');
      const workdir = single(p, 'workdir');
      const vars: Record<string, string> = {};
      for (const v of p.options.var ?? []) {
        const eq = v.indexOf('=');
        if (eq <= 0) throw new CliError(`--var takes <name>=<value>, not '${v}'.`);
        vars[v.slice(0, eq).trim()] = v.slice(eq + 1);
      }
      delete p.options.var;
      const unknown = Object.keys(p.options);
      if (unknown.length > 0) throw new CliError(`run-pipeline has no option --${unknown[0]}.\n\n${USAGE}`);
      const r = await runPipeline({ file, stage, vars, connection, out, workdir, debug, print });
      return r.ok ? 0 : 1;
    }
    throw new CliError(`Unknown command '${command}'.\n\n${USAGE}`);
  } catch (e) {
    if (e instanceof CliError) {
      print(`aml-mlops: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
