import * as fs from 'fs';
import * as path from 'path';
import { isMap, isScalar, type Node } from 'yaml';
import { suggest } from '../suggest';
import { readComponent, readComponentFile } from './component';
import {
  INPUT_MODES,
  OUTPUT_MODES,
  PIPELINE_FIELDS,
  PIPELINE_UNSUPPORTED,
  put,
  type BindingSpec,
  type CommandComponentSpec,
  type ComponentInputSpec,
  type ComponentInputType,
  type ComponentOutputSpec,
  type ComponentSource,
  type EnvironmentSpec,
  type Entry,
  type JobFileReader,
  type OutputType,
  type PipelineJobSpec,
  type PipelineSettingsSpec,
  type PipelineStepSpec,
  type StepInputSpec,
  type StepOutputSpec,
} from './spec';

const STEP_FIELDS = [
  'type', 'component', 'display_name', 'description', 'tags', 'compute', 'inputs', 'outputs', 'environment_variables',
  'resources', 'distribution', 'limits', 'identity', 'environment',
];
const INLINE_STEP_FIELDS = [...STEP_FIELDS, 'command', 'code', '$schema', 'is_deterministic'];

/** One `${{...}}` expression in a step's input or output. */
const EXPRESSION = /\$\{\{\s*([^}]*?)\s*\}\}/g;

/** A `type: pipeline` job: steps that run components, bound to each other and to the pipeline's inputs and outputs. */
export function readPipelineJob(r: JobFileReader, entries: Entry[], root: Node): PipelineJobSpec {
  r.checkFields(entries, 'the job', PIPELINE_FIELDS, PIPELINE_UNSUPPORTED);
  const spec: Partial<PipelineJobSpec> = { type: 'pipeline', inputs: {}, outputs: {}, settings: {}, jobs: {} };
  let jobsEntry: Entry | undefined;
  let defaultEnvironment: EnvironmentSpec | undefined;
  for (const entry of entries) {
    r.recordLine(entry.key, entry.keyNode);
    if (r.commonField(spec, entry)) continue;
    if (entry.key === 'settings') ({ settings: spec.settings, defaultEnvironment } = settings(r, entry.value, entry.keyNode));
    if (entry.key === 'jobs') jobsEntry = entry;
  }
  if (!jobsEntry) r.fail('the pipeline job has no jobs. Add its steps under jobs:, each with a component or a command.', root);
  const stepEntries = r.mapEntries(jobsEntry.value, 'jobs', jobsEntry.keyNode);
  if (stepEntries.length === 0) r.fail('jobs is empty; a pipeline needs at least one step.', jobsEntry.value, jobsEntry.keyNode);

  const pipeline = spec as PipelineJobSpec;
  // Steps first without their bindings, so a binding can name a step written further down.
  for (const entry of stepEntries) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(entry.key)) {
      r.fail(`jobs.${entry.key}: "${entry.key}" is not a valid step name. Use letters, digits and "_", not starting with a digit.`, entry.keyNode);
    }
    r.recordLine(`jobs.${entry.key}`, entry.keyNode);
    const fields = r.mapEntries(entry.value, `jobs.${entry.key}`, entry.keyNode);
    put(pipeline.jobs, entry.key, step(r, entry, fields, pipeline, defaultEnvironment));
  }
  for (const name of Object.keys(pipeline.jobs)) checkBindings(r, name, pipeline);
  return pipeline;
}

function settings(r: JobFileReader, node: Node | null, keyNode: Node): { settings: PipelineSettingsSpec; defaultEnvironment?: EnvironmentSpec } {
  const entries = r.mapEntries(node, 'settings', keyNode);
  r.checkFields(entries, 'settings', ['default_compute', 'default_datastore', 'continue_on_step_failure', 'force_rerun', 'default_environment'], {
    on_init: 'needs a newer Azure ML REST API than the one AmlTrain uses (2024-04-01). Remove it.',
    on_finalize: 'needs a newer Azure ML REST API than the one AmlTrain uses (2024-04-01). Remove it.',
  });
  const result: PipelineSettingsSpec = {};
  let defaultEnvironment: EnvironmentSpec | undefined;
  for (const { key, keyNode: k, value } of entries) {
    const field = `settings.${key}`;
    r.recordLine(field, k);
    if (key === 'default_compute') {
      const compute = r.compute(value, k);
      if (!('name' in compute && compute.name.toLowerCase() === 'serverless')) result.defaultCompute = compute;
    }
    if (key === 'default_datastore') {
      const text = r.string(value, field, k).replace(/^azureml:/, '');
      if (!/^[a-zA-Z0-9_]+$/.test(text)) r.fail(`${field}: ${text} is not a datastore name. Use default_datastore: azureml:<datastore name>.`, value, k);
      result.defaultDatastore = text;
    }
    if (key === 'continue_on_step_failure' || key === 'force_rerun') {
      const scalar = r.deref(value);
      if (!isScalar(scalar) || typeof scalar.value !== 'boolean') r.fail(`${field} must be true or false.`, value, k);
      if (key === 'continue_on_step_failure') result.continueOnStepFailure = scalar.value;
      else result.forceRerun = scalar.value;
    }
    if (key === 'default_environment') defaultEnvironment = r.environment(value, k, field);
  }
  return { settings: result, defaultEnvironment };
}

function step(r: JobFileReader, { key: name, keyNode, value: stepValue }: Entry, fields: Entry[], pipeline: PipelineJobSpec, defaultEnvironment?: EnvironmentSpec): PipelineStepSpec {
  const prefix = `jobs.${name}.`;
  const get = (k: string) => fields.find((e) => e.key === k);
  const typeEntry = get('type');
  if (typeEntry) {
    const type = r.string(typeEntry.value, `${prefix}type`, typeEntry.keyNode).toLowerCase();
    if (type !== 'command') {
      r.fail(`${prefix}type: ${type} steps are not supported yet by AmlTrain (supported: command steps, with an inline command or a command component).`, typeEntry.value, typeEntry.keyNode);
    }
  }
  const componentEntry = get('component');
  const stepInputs = get('inputs');
  const stepOutputs = get('outputs');
  const inputs = stepInputs ? readStepInputs(r, stepInputs, prefix) : {};
  const outputs = stepOutputs ? readStepOutputs(r, stepOutputs, prefix) : {};
  const result: Partial<PipelineStepSpec> = { type: 'command', inputs, outputs };

  let component: ComponentSource;
  if (componentEntry) {
    r.checkFields(fields, `jobs.${name}`, STEP_FIELDS, {
      command: `is part of the component; a step with component: cannot also have a command. Remove one of them.`,
      code: `is part of the component; a step with component: cannot also have code. Remove one of them.`,
    });
    r.recordLine(`${prefix}component`, componentEntry.keyNode);
    component = componentSource(r, componentEntry, prefix);
    const override = get('environment');
    if (override) {
      const environment = r.environment(override.value, override.keyNode, `${prefix}environment`);
      if (component.kind === 'registered' || component.kind === 'armId') {
        r.fail(`${prefix}environment: the environment of a registered component cannot be changed by AmlTrain; register a new component version with it, or use a local component file.`, override.value, override.keyNode);
      }
      component.component = { ...component.component, environment };
    }
  } else {
    if (!get('command')) {
      r.fail(`jobs.${name} has neither a component nor a command. Add component: ./<component>.yml, component: azureml:<name>:<version>, or an inline command with its environment.`, keyNode);
    }
    // An inline step declares its component's inputs and outputs by giving them values.
    const declaredInputs: Record<string, ComponentInputSpec> = {};
    for (const [inputName, input] of Object.entries(inputs)) put(declaredInputs, inputName, { type: inferInputType(input, pipeline) });
    const declaredOutputs: Record<string, ComponentOutputSpec> = {};
    for (const [outputName, output] of Object.entries(outputs)) put(declaredOutputs, outputName, { type: inferOutputType(output, pipeline) });
    const inline = readComponent(r, stepValue as Node, keyNode, prefix, {
      allowed: INLINE_STEP_FIELDS,
      fallbackEnvironment: defaultEnvironment,
      inputs: declaredInputs,
      outputs: declaredOutputs,
    });
    component = { kind: 'inline', component: { ...inline, name: undefined, version: undefined, displayName: undefined, description: undefined, tags: undefined } };
  }
  result.component = component;

  for (const entry of fields) {
    const { key, keyNode: k, value } = entry;
    const field = `${prefix}${key}`;
    r.recordLine(field, k);
    if (key === 'display_name') result.displayName = r.string(value, field, k);
    if (key === 'description') result.description = r.string(value, field, k, { allowEmpty: true });
    if (key === 'tags') result.tags = r.stringMap(value, field, k);
    if (key === 'compute') {
      const compute = r.compute(value, k);
      if (!('name' in compute && compute.name.toLowerCase() === 'serverless')) result.compute = compute;
    }
    if (key === 'limits') {
      const limits = r.limits(value, k);
      if (limits) result.limits = limits;
    }
    if (key === 'identity') result.identity = r.identity(value, k);
    if (componentEntry) {
      if (key === 'environment_variables') result.environmentVariables = r.stringMap(value, field, k);
      if (key === 'resources') result.resources = r.resources(value, k, `${prefix}resources`);
      if (key === 'distribution') result.distribution = r.distribution(value, k, `${prefix}distribution`);
    }
  }
  if (component.kind === 'inline' || component.kind === 'local') checkStepAgainstComponent(r, name, result as PipelineStepSpec, component.component, component.kind === 'local' ? component.file : undefined);
  return result as PipelineStepSpec;
}

function componentSource(r: JobFileReader, { keyNode, value }: Entry, prefix: string): ComponentSource {
  const resolved = r.deref(value);
  if (isMap(resolved)) {
    return { kind: 'inline', component: readComponent(r, resolved, keyNode, `${prefix}component.`) };
  }
  const text = r.string(value, `${prefix}component`, keyNode);
  if (text.startsWith('azureml:') && !text.startsWith('azureml://')) {
    const rest = text.slice('azureml:'.length);
    if (rest.startsWith('/subscriptions/')) return { kind: 'armId', id: rest };
    const ref = r.assetReference(text, `${prefix}component`, value, keyNode);
    return { kind: 'registered', name: ref.name, version: ref.version, latest: ref.latest };
  }
  if (text.startsWith('azureml://registries/')) return { kind: 'armId', id: text };
  if (text.startsWith('/subscriptions/')) return { kind: 'armId', id: text };
  const file = path.resolve(r.dir, text);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    r.fail(
      `${prefix}component: ${text} is not a component file (looked for ${file}). Paths are relative to the pipeline file; a registered component is written azureml:<name>:<version> or azureml:<name>@latest.`,
      value,
      keyNode,
    );
  }
  const component = readComponentFile(file);
  return { kind: 'local', file, component };
}

function readStepInputs(r: JobFileReader, entry: Entry, prefix: string): Record<string, StepInputSpec> {
  return readStepBindings(r, entry, `${prefix}inputs`, INPUT_MODES, (e, field) => r.input(e, field));
}

function readStepOutputs(r: JobFileReader, entry: Entry, prefix: string): Record<string, StepOutputSpec> {
  return readStepBindings(r, entry, `${prefix}outputs`, OUTPUT_MODES, (e, field) => r.output(e, field));
}

/**
 * A step's `inputs` or `outputs`: each is a `${{...}}` binding (alone, or as the `path` of a mapping with a mode),
 * or an input/output of its own read by `readOne`.
 */
function readStepBindings<T>(
  r: JobFileReader,
  { keyNode, value }: Entry,
  section: string,
  modes: Record<string, BindingSpec['mode']>,
  readOne: (entry: Entry, field: string) => T,
): Record<string, T | BindingSpec> {
  const result: Record<string, T | BindingSpec> = {};
  const kind = section.endsWith('outputs') ? 'outputs' : 'inputs';
  for (const entry of r.mapEntries(value, section, keyNode)) {
    const field = `${section}.${entry.key}`;
    r.bindingName(entry, kind);
    r.recordLine(field, entry.keyNode);
    const node = r.deref(entry.value);
    if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${{')) {
      put(result, entry.key, { type: 'binding', value: node.value.trim() });
      continue;
    }
    if (isMap(node)) {
      const fields = r.mapEntries(node, field, entry.keyNode);
      const pathEntry = fields.find((e) => e.key === 'path');
      const pathNode = pathEntry ? r.deref(pathEntry.value) : null;
      if (pathEntry && isScalar(pathNode) && typeof pathNode.value === 'string' && pathNode.value.includes('${{')) {
        r.checkFields(fields, field, ['path', 'mode', 'type']);
        const binding: BindingSpec = { type: 'binding', value: pathNode.value.trim() };
        const mode = fields.find((e) => e.key === 'mode');
        if (mode) binding.mode = modes[r.oneOf(r.string(mode.value, `${field}.mode`, mode.keyNode), Object.keys(modes), `${field}.mode`, mode.value, mode.keyNode)];
        put(result, entry.key, binding);
        continue;
      }
    }
    put(result, entry.key, readOne({ ...entry }, field));
  }
  return result;
}

/** What a literal's text looks like to the CLI: True/False, a whole number, a number, or text. */
export function literalType(value: string): ComponentInputType {
  if (value === 'True' || value === 'False') return 'boolean';
  if (/^-?\d+$/.test(value)) return 'integer';
  if (/^-?(\d+\.\d*|\.\d+|\d+)(e[-+]?\d+)?$/i.test(value) || value === 'inf' || value === '-inf' || value === 'nan') return 'number';
  return 'string';
}

function inferInputType(input: StepInputSpec, pipeline: PipelineJobSpec): ComponentInputType {
  if (input.type === 'literal') return literalType(input.value);
  if (input.type !== 'binding') return input.type;
  const parsed = parseBinding(input.value);
  if (parsed?.kind === 'parentInput') {
    const parent = own(pipeline.inputs, parsed.name);
    if (parent) return parent.type === 'literal' ? literalType(parent.value) : parent.type;
  }
  if (parsed?.kind === 'stepOutput') {
    const source = own(pipeline.jobs, parsed.step);
    const output = source && (source.component.kind === 'inline' || source.component.kind === 'local') ? own(source.component.component.outputs, parsed.name) : undefined;
    if (output) return output.type;
  }
  return 'uri_folder';
}

function inferOutputType(output: StepOutputSpec, pipeline: PipelineJobSpec): OutputType {
  if (output.type !== 'binding') return output.type;
  const parsed = parseBinding(output.value);
  if (parsed?.kind === 'parentOutput') return own(pipeline.outputs, parsed.name)?.type ?? 'uri_folder';
  return 'uri_folder';
}

export type Binding =
  | { kind: 'parentInput'; name: string }
  | { kind: 'parentOutput'; name: string }
  | { kind: 'stepOutput'; step: string; name: string };

/** `${{parent.inputs.x}}` and friends; undefined for anything else. */
export function parseBinding(text: string): Binding | undefined {
  const m = /^\$\{\{\s*parent\.(?:(inputs|outputs)\.([A-Za-z0-9_]+)|jobs\.([A-Za-z0-9_]+)\.outputs\.([A-Za-z0-9_]+))\s*\}\}$/.exec(text.trim());
  if (!m) return undefined;
  if (m[1] === 'inputs') return { kind: 'parentInput', name: m[2] };
  if (m[1] === 'outputs') return { kind: 'parentOutput', name: m[2] };
  return { kind: 'stepOutput', step: m[3], name: m[4] };
}

/** Every `${{...}}` of a step's inputs and outputs must name an input, output or step that exists. */
function checkBindings(r: JobFileReader, stepName: string, pipeline: PipelineJobSpec): void {
  const step = pipeline.jobs[stepName];
  const check = (section: 'inputs' | 'outputs', name: string, value: string) => {
    const field = `jobs.${stepName}.${section}.${name}`;
    const line = r.lines[field];
    const problem = bindingProblem(value, section, stepName, pipeline);
    if (problem) throw r.error(`${field}: ${problem}`, line);
  };
  for (const [name, input] of Object.entries(step.inputs)) if (input.type === 'binding') check('inputs', name, input.value);
  for (const [name, output] of Object.entries(step.outputs)) if (output.type === 'binding') check('outputs', name, output.value);
}

/** Why a binding does not work, or undefined if it does (as far as can be known before the workspace is asked). */
export function bindingProblem(value: string, section: 'inputs' | 'outputs', stepName: string, pipeline: PipelineJobSpec): string | undefined {
  for (const m of value.matchAll(EXPRESSION)) {
    const expression = `\${{${m[1]}}}`;
    const binding = parseBinding(expression);
    if (!binding) {
      return `${m[0]} is not a binding AmlTrain understands. Use \${{parent.inputs.<name>}}, \${{parent.jobs.<step>.outputs.<name>}}${section === 'outputs' ? ' or ${{parent.outputs.<name>}}' : ''}.`;
    }
    if (binding.kind === 'parentInput') {
      if (section === 'outputs') return `${m[0]}: a step output cannot be bound to a pipeline input. Use \${{parent.outputs.<name>}}.`;
      const problem = missing('input', binding.name, Object.keys(pipeline.inputs), 'parent.inputs', 'The pipeline declares no inputs; add them under inputs: at the top of the file.');
      if (problem) return `${m[0]}: ${problem}`;
    } else if (binding.kind === 'parentOutput') {
      if (section === 'inputs') return `${m[0]}: a step input cannot read a pipeline output. Bind it to the step that writes it: \${{parent.jobs.<step>.outputs.<name>}}.`;
      const problem = missing('output', binding.name, Object.keys(pipeline.outputs), 'parent.outputs', 'The pipeline declares no outputs; add them under outputs: at the top of the file.');
      if (problem) return `${m[0]}: ${problem}`;
    } else {
      if (section === 'outputs') return `${m[0]}: a step output cannot be bound to another step's output; bind it to a pipeline output (\${{parent.outputs.<name>}}) or remove the binding.`;
      if (binding.step === stepName) return `${m[0]}: a step cannot read its own output.`;
      const source = own(pipeline.jobs, binding.step);
      if (!source) {
        const steps = Object.keys(pipeline.jobs).filter((name) => name !== stepName);
        const suggestion = suggest(binding.step, steps);
        const hint = suggestion ? ` Did you mean \${{parent.jobs.${suggestion}.outputs.${binding.name}}}?` : ` Its steps: ${steps.join(', ') || 'none other than this one'}.`;
        return `${m[0]}: the pipeline has no step '${binding.step}'.${hint}`;
      }
      if (source.component.kind === 'inline' || source.component.kind === 'local') {
        const outputs = Object.keys(source.component.component.outputs);
        const problem = missing('output', binding.name, outputs, `parent.jobs.${binding.step}.outputs`, `Step '${binding.step}' has no outputs.`, `step '${binding.step}'`);
        if (problem) return `${m[0]}: ${problem}`;
      }
    }
  }
  return undefined;
}

function missing(what: string, name: string, names: string[], scope: string, none: string, owner = 'the pipeline'): string | undefined {
  if (names.includes(name)) return undefined;
  const suggestion = suggest(name, names);
  if (suggestion) return `${owner} has no ${what} '${name}'. Did you mean \${{${scope}.${suggestion}}}?`;
  if (names.length === 0 && none) return `${owner} has no ${what} '${name}'. ${none}`;
  return `${owner} has no ${what} '${name}' (it has: ${names.join(', ')}).`;
}

/** Step inputs and outputs must be ones the component declares; required inputs must be given. */
function checkStepAgainstComponent(r: JobFileReader, stepName: string, step: PipelineStepSpec, component: CommandComponentSpec, file?: string): void {
  const owner = file ? `the component ${path.basename(file)}` : `step '${stepName}'`;
  const problem = stepComponentProblem(step, component, owner);
  if (problem) throw r.error(`jobs.${stepName}.${problem.field}: ${problem.message}`, r.lines[`jobs.${stepName}.${problem.field}`] ?? r.lines[`jobs.${stepName}`]);
}

/** The first mismatch between a step and the component it runs, or undefined. */
export function stepComponentProblem(
  step: Pick<PipelineStepSpec, 'inputs' | 'outputs'>,
  component: { inputs: Record<string, { optional?: boolean; default?: unknown }>; outputs: Record<string, unknown> },
  owner: string,
): { field: string; message: string } | undefined {
  for (const name of Object.keys(step.inputs)) {
    if (!Object.prototype.hasOwnProperty.call(component.inputs, name)) {
      const names = Object.keys(component.inputs);
      const suggestion = suggest(name, names);
      return { field: `inputs.${name}`, message: `${owner} has no input '${name}'.${suggestion ? ` Did you mean ${suggestion}?` : ` Its inputs: ${names.join(', ') || 'none'}.`}` };
    }
  }
  for (const name of Object.keys(step.outputs)) {
    if (!Object.prototype.hasOwnProperty.call(component.outputs, name)) {
      const names = Object.keys(component.outputs);
      const suggestion = suggest(name, names);
      return { field: `outputs.${name}`, message: `${owner} has no output '${name}'.${suggestion ? ` Did you mean ${suggestion}?` : ` Its outputs: ${names.join(', ') || 'none'}.`}` };
    }
  }
  for (const [name, input] of Object.entries(component.inputs)) {
    if (!input.optional && input.default === undefined && !Object.prototype.hasOwnProperty.call(step.inputs, name)) {
      return { field: 'inputs', message: `${owner} needs the input '${name}', which the step does not give. Add it under inputs:, for example ${name}: \${{parent.inputs.${name}}}.` };
    }
  }
  return undefined;
}

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

