import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { CliError } from './task-manifest';

/** A variable as a pipeline declares it; `note` when it is a form the CLI cannot resolve (group, template). */
export interface VariableDef {
  name?: string;
  value?: string;
  note?: string;
}

export interface PipelineStep {
  /** `AmlTrain@1` for a task step; undefined for script, checkout and other steps. */
  task?: string;
  /** What kind of step it is, for the notes: `task`, `bash`, `script`, `checkout`, ... */
  kind: string;
  name?: string;
  displayName?: string;
  inputs: Record<string, string>;
  env: Record<string, string>;
  condition?: string;
  continueOnError: boolean;
  enabled: boolean;
}

export interface PipelineJob {
  name: string;
  deployment: boolean;
  condition?: string;
  variables: VariableDef[];
  steps: PipelineStep[];
  /** Why the job cannot be run (a template, an unsupported strategy). */
  note?: string;
}

export interface PipelineStage {
  /** undefined for a pipeline without stages. */
  name?: string;
  condition?: string;
  variables: VariableDef[];
  jobs: PipelineJob[];
}

export interface Pipeline {
  variables: VariableDef[];
  stages: PipelineStage[];
}

const scalar = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** `variables:` in map form (`name: value`) or list form (`- name: x` / `value: y`, `- group: g`, `- template: t`). */
export function readVariables(node: unknown): VariableDef[] {
  if (!node) return [];
  if (Array.isArray(node)) {
    return node.map((item: Record<string, unknown>) => {
      if (item && typeof item === 'object' && 'name' in item) return { name: scalar(item.name), value: scalar(item.value) };
      if (item && typeof item === 'object' && 'group' in item) return { note: `variable group '${scalar(item.group)}' is not read locally: give its variables with --var` };
      if (item && typeof item === 'object' && 'template' in item) return { note: `variables template '${scalar(item.template)}' is not read locally: give its variables with --var` };
      return { note: `unrecognised variable entry ${JSON.stringify(item)}` };
    });
  }
  if (typeof node === 'object') return Object.entries(node as Record<string, unknown>).map(([name, value]) => ({ name, value: scalar(value) }));
  return [];
}

function readStep(node: Record<string, unknown>): PipelineStep {
  const kinds = ['task', 'bash', 'script', 'pwsh', 'powershell', 'checkout', 'download', 'downloadBuild', 'publish', 'getPackage', 'template', 'reviewApp'];
  const kind = kinds.find((k) => k in node) ?? 'unknown';
  const record = (v: unknown) => Object.fromEntries(Object.entries((v as Record<string, unknown>) ?? {}).map(([k, x]) => [k, scalar(x)]));
  return {
    task: kind === 'task' ? scalar(node.task) : undefined,
    kind,
    name: node.name === undefined ? undefined : scalar(node.name),
    displayName: node.displayName === undefined ? undefined : scalar(node.displayName),
    inputs: record(node.inputs),
    env: record(node.env),
    condition: node.condition === undefined ? undefined : scalar(node.condition),
    continueOnError: scalar(node.continueOnError).toLowerCase() === 'true',
    enabled: scalar(node.enabled).toLowerCase() !== 'false',
  };
}

function readJob(node: Record<string, unknown>, index: number): PipelineJob {
  const steps = (list: unknown) => (Array.isArray(list) ? list.map((s) => readStep(s as Record<string, unknown>)) : []);
  const base = { condition: node.condition === undefined ? undefined : scalar(node.condition), variables: readVariables(node.variables) };
  if ('template' in node) return { name: `template ${scalar(node.template)}`, deployment: false, steps: [], note: 'job templates are not expanded locally', ...base };
  if ('deployment' in node) {
    const strategy = node.strategy as Record<string, any> | undefined;
    const runOnce = strategy?.runOnce;
    const deploySteps = runOnce?.deploy?.steps;
    const note = strategy && !runOnce ? `deployment strategy ${Object.keys(strategy).join(', ')} is not run locally (only runOnce)` : undefined;
    return { name: scalar(node.deployment), deployment: true, steps: steps(deploySteps), note, ...base };
  }
  return { name: node.job === undefined ? `Job${index + 1}` : scalar(node.job) || `Job${index + 1}`, deployment: false, steps: steps(node.steps), ...base };
}

/** The stages, jobs and steps of an Azure Pipelines YAML file, in the order they appear. */
export function parsePipeline(text: string): Pipeline {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) ?? {};
  } catch (e) {
    throw new CliError(`The pipeline is not valid YAML: ${(e as Error).message}`);
  }
  const jobsOf = (list: unknown) => (Array.isArray(list) ? list.map((j, i) => readJob(j as Record<string, unknown>, i)) : []);
  let stages: PipelineStage[];
  if (Array.isArray(doc.stages)) {
    stages = doc.stages.map((s: Record<string, unknown>) => ({
      name: 'template' in s ? `template ${scalar(s.template)}` : scalar(s.stage),
      condition: s.condition === undefined ? undefined : scalar(s.condition),
      variables: readVariables(s.variables),
      jobs: jobsOf(s.jobs),
    }));
  } else if (Array.isArray(doc.jobs)) {
    stages = [{ variables: [], jobs: jobsOf(doc.jobs) }];
  } else if (Array.isArray(doc.steps)) {
    stages = [{ variables: [], jobs: [readJob({ job: 'Job', steps: doc.steps }, 0)] }];
  } else {
    throw new CliError('The pipeline has no stages, jobs or steps.');
  }
  return { variables: readVariables(doc.variables), stages };
}

export function readPipelineFile(file: string): Pipeline {
  if (!fs.existsSync(file)) throw new CliError(`${file} does not exist.`);
  return parsePipeline(fs.readFileSync(file, 'utf8'));
}

/** Finds a step by its `name:` (or displayName) in a pipeline file, for `run --inputs-from file#step`. */
export function findStep(file: string, stepName: string): PipelineStep {
  const pipeline = readPipelineFile(path.resolve(file));
  const all = pipeline.stages.flatMap((s) => s.jobs.flatMap((j) => j.steps));
  const step = all.find((s) => s.name === stepName) ?? all.find((s) => s.displayName === stepName);
  if (!step?.task) {
    const names = all.filter((s) => s.task && s.name).map((s) => s.name);
    throw new CliError(`${file} has no task step named '${stepName}'. Task steps with a name: ${names.join(', ') || 'none'}.`);
  }
  return step;
}

/** Replaces `$(name)` macros; a name lookup() does not know is left as it is, as Azure Pipelines does. */
export function expandMacros(text: string, lookup: (name: string) => string | undefined, unresolved?: (name: string) => void): string {
  return text.replace(/\$\(([\w.\- ]+)\)/g, (whole, name: string) => {
    const v = lookup(name.trim());
    if (v === undefined) {
      unresolved?.(name.trim());
      return whole;
    }
    return v;
  });
}

/** A `$[ ... ]` runtime expression's inner text, or undefined when the value is not one. */
export function runtimeExpression(value: string): string | undefined {
  const m = /^\s*\$\[([\s\S]*)\]\s*$/.exec(value);
  return m ? m[1].trim() : undefined;
}
