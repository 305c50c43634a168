// Semantic checks a real workspace makes after the schema: the things a body names must exist here.
import type { ValidationIssue } from '../schema';
import { inScope, parseArmChildId, type AssetKind } from './scope';
import type { WorkspaceStore } from './store';

const MODEL_INPUT_TYPES = new Set(['custom_model', 'mlflow_model', 'triton_model']);
const REMOTE_SCHEMES = /^(https?|wasbs?|abfss?|adl|gs|s3):\/\//i;
const ASSET_TYPES = ['uri_file', 'uri_folder', 'mltable', 'custom_model', 'mlflow_model', 'triton_model'];
const COMPONENT_INPUT_TYPES = new Set(['string', 'integer', 'number', 'boolean', ...ASSET_TYPES]);
const COMPONENT_OUTPUT_TYPES = new Set(ASSET_TYPES);
/** Search-space distributions and how many parameters each takes. */
const SEARCH_DISTRIBUTIONS: Record<string, number> = {
  choice: 1, randint: 1, uniform: 2, loguniform: 2, quniform: 3, qloguniform: 3, normal: 2, lognormal: 2, qnormal: 3, qlognormal: 3,
};

const SINGULAR: Record<AssetKind, string> = { codes: 'code', environments: 'environment', data: 'data', models: 'model', components: 'component' };

export class ReferenceChecker {
  constructor(private readonly store: WorkspaceStore) {}

  /** References in a job's `properties` (command, sweep, pipeline, and the common ones of the others). */
  job(props: any): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    this.compute(props.computeId, 'properties.computeId', issues);
    this.inputs(props.inputs, 'properties.inputs', issues);
    this.outputs(props.outputs, 'properties.outputs', issues);
    if (props.jobType === 'Command') {
      this.environment(props.environmentId, 'properties.environmentId', issues);
      this.code(props.codeId, 'properties.codeId', issues);
      this.placeholders(props.command, 'properties.command', { inputs: props.inputs, outputs: props.outputs }, issues);
    } else if (props.jobType === 'Sweep') {
      this.environment(props.trial?.environmentId, 'properties.trial.environmentId', issues);
      this.code(props.trial?.codeId, 'properties.trial.codeId', issues);
      this.placeholders(props.trial?.command, 'properties.trial.command', { inputs: props.inputs, outputs: props.outputs, search_space: props.searchSpace }, issues);
      this.sweep(props, issues);
    } else if (props.jobType === 'Pipeline') {
      const defaultCompute = props.settings?.default_compute ?? props.settings?.defaultCompute;
      if (typeof defaultCompute === 'string') this.compute(defaultCompute, 'properties.settings.default_compute', issues);
      const defaultDatastore = props.settings?.default_datastore ?? props.settings?.defaultDatastore;
      if (defaultDatastore !== undefined && defaultDatastore !== null) this.datastoreId(defaultDatastore, 'properties.settings.default_datastore', issues);
      for (const [node, spec] of Object.entries<any>(props.jobs ?? {})) {
        if (typeof spec?.computeId === 'string' && !spec.computeId.startsWith('${{')) this.compute(spec.computeId, `properties.jobs.${node}.computeId`, issues);
      }
      this.pipelineNodes(props, issues);
    }
    return issues;
  }

  /**
   * Pipeline nodes, as Azure ML checks them when the job is created: each runs a component version that exists,
   * gives only inputs and outputs that component declares (and every required input), and binds only to pipeline
   * inputs and outputs and to outputs of other nodes that exist.
   */
  private pipelineNodes(props: any, issues: ValidationIssue[]): void {
    const jobs: Record<string, any> = props.jobs ?? {};
    if (Object.keys(jobs).length === 0) issues.push({ path: 'properties.jobs', message: 'a pipeline job needs at least one node' });
    const specs = new Map<string, any>();
    for (const [name, node] of Object.entries(jobs)) {
      const path = `properties.jobs.${name}`;
      if (!node || typeof node !== 'object') {
        issues.push({ path, message: 'a node must be an object' });
        continue;
      }
      if (node.type !== 'command') {
        issues.push({ path: `${path}.type`, message: `'${node.type}' is not a node type this workspace runs (command)` });
        continue;
      }
      if (typeof node.componentId !== 'string') {
        issues.push({ path: `${path}.componentId`, message: 'is required: the ARM id of the component version the node runs' });
        continue;
      }
      if (/^azureml:\/\/registries\//i.test(node.componentId)) continue;
      const ref = parseArmChildId(node.componentId);
      if (!ref || ref.kind !== 'components' || ref.version === undefined) {
        issues.push({ path: `${path}.componentId`, message: `'${node.componentId}' is not the ARM id of a component version (/subscriptions/.../workspaces/<ws>/components/<name>/versions/<version>)` });
        continue;
      }
      const version = inScope(ref, this.store.scope) ? this.store.version('components', ref.name, ref.version) : undefined;
      if (!version) {
        issues.push({ path: `${path}.componentId`, message: `Could not find component ${ref.name}:${ref.version} (${node.componentId})` });
        continue;
      }
      const spec = version.body.properties?.componentSpec ?? {};
      if (spec.type === 'pipeline') {
        issues.push({ path: `${path}.componentId`, message: `${ref.name}:${ref.version} is a pipeline component; a command node runs a command component` });
        continue;
      }
      specs.set(name, spec);
    }
    for (const [name, node] of Object.entries(jobs)) {
      const spec = specs.get(name);
      if (!spec) continue;
      const path = `properties.jobs.${name}`;
      const declaredInputs: Record<string, any> = spec.inputs ?? {};
      const declaredOutputs: Record<string, any> = spec.outputs ?? {};
      const inputs: Record<string, any> = node.inputs ?? {};
      const outputs: Record<string, any> = node.outputs ?? {};
      for (const [input, value] of Object.entries(inputs)) {
        const where = `${path}.inputs.${input}`;
        if (!(input in declaredInputs)) issues.push({ path: where, message: `the component has no input '${input}' (it has: ${Object.keys(declaredInputs).join(', ') || 'none'})` });
        if (!value || typeof value !== 'object' || typeof value.job_input_type !== 'string') {
          issues.push({ path: where, message: 'must be an object with job_input_type' });
          continue;
        }
        if (value.job_input_type.toLowerCase() === 'literal') {
          if (typeof value.value !== 'string') issues.push({ path: `${where}.value`, message: 'is required and must be a string' });
          else this.bindings(value.value, where, 'inputs', props, jobs, specs, issues);
        } else if (typeof value.uri !== 'string') {
          issues.push({ path: `${where}.uri`, message: 'is required for a data or model input' });
        } else {
          this.dataUri(value.uri, `${where}.uri`, issues, MODEL_INPUT_TYPES.has(value.job_input_type) ? 'models' : 'data');
        }
      }
      for (const [input, declared] of Object.entries(declaredInputs)) {
        if (!(input in inputs) && !declared?.optional && declared?.default === undefined) {
          issues.push({ path: `${path}.inputs`, message: `the component's required input '${input}' is not given` });
        }
      }
      for (const [output, value] of Object.entries(outputs)) {
        const where = `${path}.outputs.${output}`;
        if (!(output in declaredOutputs)) issues.push({ path: where, message: `the component has no output '${output}' (it has: ${Object.keys(declaredOutputs).join(', ') || 'none'})` });
        if (!value || typeof value !== 'object') {
          issues.push({ path: where, message: 'must be an object' });
        } else if (value.type === 'literal') {
          if (typeof value.value !== 'string') issues.push({ path: `${where}.value`, message: 'is required and must be a string' });
          else this.bindings(value.value, where, 'outputs', props, jobs, specs, issues);
        } else if (typeof value.job_output_type !== 'string') {
          issues.push({ path: where, message: 'must have job_output_type, or type literal with a ${{parent.outputs.<name>}} binding' });
        } else if (typeof value.uri === 'string') {
          this.outputs({ [output]: value }, `${path}.outputs`, issues);
        }
      }
    }
  }

  /** `${{parent.inputs.x}}`, `${{parent.outputs.x}}` and `${{parent.jobs.<node>.outputs.x}}` must point at something. */
  private bindings(value: string, path: string, section: 'inputs' | 'outputs', props: any, jobs: Record<string, any>, specs: Map<string, any>, issues: ValidationIssue[]): void {
    for (const m of value.matchAll(/\$\{\{\s*([^}]*?)\s*\}\}/g)) {
      const expression = m[1];
      const parent = /^parent\.(inputs|outputs)\.([A-Za-z0-9_]+)$/.exec(expression);
      const node = /^parent\.jobs\.([A-Za-z0-9_]+)\.outputs\.([A-Za-z0-9_]+)$/.exec(expression);
      if (parent) {
        const [, scope, name] = parent;
        if (section === 'inputs' && scope === 'outputs') issues.push({ path, message: `${m[0]}: a node input cannot read a pipeline output` });
        else if (section === 'outputs' && scope === 'inputs') issues.push({ path, message: `${m[0]}: a node output cannot be bound to a pipeline input` });
        else if (!props[scope] || !(name in props[scope])) issues.push({ path, message: `${m[0]} is bound but properties.${scope} has no '${name}'` });
      } else if (node && section === 'inputs') {
        const [, source, output] = node;
        if (!(source in jobs)) issues.push({ path, message: `${m[0]}: the pipeline has no node '${source}'` });
        else if (specs.has(source) && !(output in (specs.get(source).outputs ?? {}))) issues.push({ path, message: `${m[0]}: node '${source}' has no output '${output}'` });
      } else {
        issues.push({ path, message: `${m[0]} is not a valid binding (use \${{parent.inputs.<name>}}, \${{parent.jobs.<node>.outputs.<name>}} or, for outputs, \${{parent.outputs.<name>}})` });
      }
    }
  }

  /** A datastore of this workspace by ARM id. */
  private datastoreId(id: unknown, path: string, issues: ValidationIssue[]): void {
    const ref = typeof id === 'string' ? parseArmChildId(id) : undefined;
    if (!ref || ref.kind !== 'datastores' || ref.version !== undefined) {
      issues.push({ path, message: `'${String(id)}' is not a datastore ARM id (/subscriptions/.../workspaces/<ws>/datastores/<name>)` });
    } else if (!inScope(ref, this.store.scope) || !this.store.datastore(ref.name)) {
      issues.push({ path, message: `Datastore '${ref.name}' was not found in workspace '${this.store.scope.workspaceName}'` });
    }
  }

  /** A sweep's search space: `{name: [distribution, [parameters]]}` with the parameters each distribution takes. */
  private sweep(props: any, issues: ValidationIssue[]): void {
    const space = props.searchSpace;
    if (!space || typeof space !== 'object' || Array.isArray(space) || Object.keys(space).length === 0) {
      issues.push({ path: 'properties.searchSpace', message: 'must name at least one hyperparameter' });
      return;
    }
    for (const [name, entry] of Object.entries<any>(space)) {
      const path = `properties.searchSpace.${name}`;
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || !Array.isArray(entry[1])) {
        issues.push({ path, message: 'must be [distribution, [parameters]], e.g. ["uniform", [0.01, 0.1]] or ["choice", [[16, 32]]]' });
        continue;
      }
      const [distribution, parameters] = entry as [string, unknown[]];
      const arity = SEARCH_DISTRIBUTIONS[distribution];
      if (arity === undefined) {
        issues.push({ path, message: `'${distribution}' is not a distribution (${Object.keys(SEARCH_DISTRIBUTIONS).join(', ')})` });
      } else if (distribution === 'choice') {
        if (parameters.length !== 1 || !Array.isArray(parameters[0]) || parameters[0].length === 0) issues.push({ path, message: 'choice takes one non-empty list of values: ["choice", [[v1, v2]]]' });
      } else if (parameters.length !== arity || !parameters.every((p) => typeof p === 'number' && Number.isFinite(p))) {
        issues.push({ path, message: `${distribution} takes ${arity} numbers, got ${JSON.stringify(parameters)}` });
      } else if (distribution === 'randint' && (!Number.isInteger(parameters[0]) || (parameters[0] as number) < 1)) {
        issues.push({ path, message: 'randint takes a whole upper bound of at least 1' });
      } else if (/uniform$/.test(distribution) && (parameters[0] as number) >= (parameters[1] as number)) {
        issues.push({ path, message: `${distribution}: the minimum must be less than the maximum` });
      }
      if (props.samplingAlgorithm?.samplingAlgorithmType === 'Grid' && distribution !== 'choice') {
        issues.push({ path, message: 'grid sampling only supports choice hyperparameters' });
      }
    }
    if (props.samplingAlgorithm?.samplingAlgorithmType === 'Bayesian' && props.earlyTermination) {
      issues.push({ path: 'properties.earlyTermination', message: 'Bayesian sampling does not support early termination policies' });
    }
  }

  /**
   * A component version's spec as the Azure ML CLI sends it: a command component whose environment (and code)
   * exist, and whose command uses only the inputs and outputs it declares; or a pipeline component.
   */
  componentSpec(spec: any, path: string, issues: ValidationIssue[]): void {
    if (!spec || typeof spec !== 'object' || Array.isArray(spec)) {
      issues.push({ path, message: 'is required: the component definition' });
      return;
    }
    if (spec.type === 'pipeline') return this.pipelineComponentSpec(spec, path, issues);
    if (spec.type !== 'command') {
      issues.push({ path: `${path}.type`, message: `'${spec.type}' is not a component type this workspace accepts (command, pipeline)` });
      return;
    }
    if (typeof spec.command !== 'string' || !spec.command.trim()) issues.push({ path: `${path}.command`, message: 'is required for a command component' });
    if (typeof spec.environment !== 'string') {
      issues.push({ path: `${path}.environment`, message: 'is required: azureml:<environment version ARM id>' });
    } else {
      this.assetReference(spec.environment, 'environments', `${path}.environment`, issues);
    }
    if (spec.code !== undefined && spec.code !== null) {
      if (typeof spec.code !== 'string') issues.push({ path: `${path}.code`, message: 'must be azureml:<code version ARM id>' });
      else this.assetReference(spec.code, 'codes', `${path}.code`, issues);
    }
    this.declarations(spec, path, issues);
    this.placeholders(spec.command, `${path}.command`, { inputs: spec.inputs ?? {}, outputs: spec.outputs ?? {} }, issues, true);
  }

  /** A component's `inputs` and `outputs`: objects of declarations with known types. */
  private declarations(spec: any, path: string, issues: ValidationIssue[]): void {
    for (const section of ['inputs', 'outputs'] as const) {
      const declared = spec[section] ?? {};
      if (typeof declared !== 'object' || Array.isArray(declared)) {
        issues.push({ path: `${path}.${section}`, message: 'must be an object' });
        continue;
      }
      for (const [name, value] of Object.entries<any>(declared)) {
        const allowed = section === 'inputs' ? COMPONENT_INPUT_TYPES : COMPONENT_OUTPUT_TYPES;
        if (!value || !allowed.has(value.type)) issues.push({ path: `${path}.${section}.${name}.type`, message: `'${value?.type}' is not a ${section === 'inputs' ? 'component input' : 'component output'} type (${[...allowed].join(', ')})` });
      }
    }
  }

  /**
   * A pipeline component (what a pipeline-component batch deployment runs), checked in proportion: typed
   * inputs and outputs, at least one node in `jobs`, each node running a component version that exists
   * (`component: azureml:<ARM id>` or `azureml:<name>:<version>`, registry components unchecked), and every
   * `${{parent.inputs.x}}` / `${{parent.outputs.x}}` in a node naming a declaration of the pipeline component.
   */
  private pipelineComponentSpec(spec: any, path: string, issues: ValidationIssue[]): void {
    this.declarations(spec, path, issues);
    const jobs = spec.jobs;
    if (!jobs || typeof jobs !== 'object' || Array.isArray(jobs) || Object.keys(jobs).length === 0) {
      issues.push({ path: `${path}.jobs`, message: 'a pipeline component needs at least one node' });
      return;
    }
    for (const [name, node] of Object.entries<any>(jobs)) {
      const where = `${path}.jobs.${name}`;
      if (!node || typeof node !== 'object' || Array.isArray(node)) {
        issues.push({ path: where, message: 'a node must be an object' });
        continue;
      }
      if (typeof node.component !== 'string') issues.push({ path: `${where}.component`, message: 'is required: azureml:<component version ARM id> or azureml:<name>:<version>' });
      else this.assetReference(node.component, 'components', `${where}.component`, issues);
      for (const section of ['inputs', 'outputs'] as const) {
        for (const text of strings(node[section])) {
          for (const m of text.matchAll(/\$\{\{\s*parent\.(inputs|outputs)\.([A-Za-z0-9_]+)\s*\}\}/g)) {
            if (!spec[m[1]] || typeof spec[m[1]] !== 'object' || !(m[2] in spec[m[1]])) {
              issues.push({ path: `${where}.${section}`, message: `${m[0]} is bound but the pipeline component declares no ${m[1] === 'inputs' ? 'input' : 'output'} '${m[2]}'` });
            }
          }
        }
      }
    }
  }

  /** `azureml:<ARM id>` (or `azureml:<name>:<version>`) of an asset version that exists; registry assets pass. */
  private assetReference(text: string, kind: AssetKind, path: string, issues: ValidationIssue[]): void {
    if (/^azureml:\/\/registries\//i.test(text)) return;
    if (!text.startsWith('azureml:')) {
      issues.push({ path, message: `'${text}' must be azureml:<ARM id of the ${SINGULAR[kind]} version>` });
      return;
    }
    const rest = text.slice('azureml:'.length);
    const short = /^([^/:@]+):([^/:@]+)$/.exec(rest);
    if (short) {
      if (!this.store.version(kind, short[1], short[2])) issues.push({ path, message: `Could not find ${SINGULAR[kind]} asset ${short[1]}:${short[2]}` });
      return;
    }
    this.assetVersion(kind, rest, path, issues);
  }

  compute(computeId: unknown, path: string, issues: ValidationIssue[]): void {
    // No compute means serverless compute in Azure ML.
    if (computeId === undefined || computeId === null) return;
    const ref = parseArmChildId(String(computeId));
    if (!ref || ref.kind !== 'computes' || ref.version !== undefined) {
      issues.push({ path, message: `'${computeId}' is not a compute ARM id (/subscriptions/.../workspaces/<ws>/computes/<name>); omit computeId for serverless compute` });
    } else if (!inScope(ref, this.store.scope) || !this.store.compute(ref.name)) {
      issues.push({ path, message: `Compute '${ref.name}' was not found in workspace '${this.store.scope.workspaceName}' (${computeId})` });
    }
  }

  environment(environmentId: unknown, path: string, issues: ValidationIssue[]): void {
    if (typeof environmentId !== 'string') return;
    if (/^azureml:\/\/registries\//i.test(environmentId)) return; // registry (curated) environments live elsewhere
    this.assetVersion('environments', environmentId, path, issues);
  }

  code(codeId: unknown, path: string, issues: ValidationIssue[]): void {
    if (codeId === undefined || codeId === null) return;
    this.assetVersion('codes', String(codeId), path, issues);
  }

  /** An ARM id of an asset version of this workspace that exists. */
  assetVersion(kind: AssetKind, id: string, path: string, issues: ValidationIssue[]): void {
    const ref = parseArmChildId(id);
    const singular = SINGULAR[kind];
    if (!ref || ref.kind !== kind || ref.version === undefined) {
      issues.push({ path, message: `'${id}' is not the ARM id of a ${singular} version (/subscriptions/.../workspaces/<ws>/${kind}/<name>/versions/<version>)` });
    } else if (!inScope(ref, this.store.scope) || !this.store.version(kind, ref.name, ref.version)) {
      issues.push({ path, message: `Could not find ${singular} asset ${ref.name}:${ref.version} (${id})` });
    }
  }

  private inputs(inputs: Record<string, any> | undefined, path: string, issues: ValidationIssue[]): void {
    for (const [name, input] of Object.entries(inputs ?? {})) {
      if (!input || input.jobInputType === 'literal' || typeof input.uri !== 'string') continue;
      const kind: AssetKind = MODEL_INPUT_TYPES.has(input.jobInputType) ? 'models' : 'data';
      this.dataUri(input.uri, `${path}.${name}.uri`, issues, kind);
    }
  }

  /** Output locations: datastore paths of this workspace or storage URLs. */
  outputs(outputs: Record<string, any> | undefined, path: string, issues: ValidationIssue[]): void {
    for (const [name, output] of Object.entries(outputs ?? {})) {
      if (typeof output?.uri !== 'string') continue;
      const where = `${path}.${name}.uri`;
      if (output.uri.startsWith('azureml://datastores/')) this.datastorePath(output.uri, where, issues);
      else if (!REMOTE_SCHEMES.test(output.uri)) issues.push({ path: where, message: `'${output.uri}' is not a valid output location (azureml://datastores/<name>/paths/<path> or a storage URL)` });
    }
  }

  /**
   * Where job inputs and data/model assets can point: an asset (ARM id, or azureml:<name>:<version> /
   * azureml:<name>@latest), a datastore path, a job output, a registry asset, or a remote URL.
   * A local path is an error: the client must upload it first.
   */
  dataUri(uri: string, path: string, issues: ValidationIssue[], assetKind: AssetKind | undefined): void {
    if (uri.startsWith('/subscriptions/')) {
      if (!assetKind) issues.push({ path, message: `'${uri}' is an ARM id, not a storage location` });
      else this.assetVersion(assetKind, uri, path, issues);
      return;
    }
    const short = /^azureml:([^/:@]+)(?::([^/:@]+)|@latest)$/.exec(uri);
    if (short && assetKind) {
      const version = short[2];
      const found = version ? this.store.version(assetKind, short[1], version) : this.store.latest(assetKind, short[1]);
      if (!found) issues.push({ path, message: `Could not find ${assetKind === 'models' ? 'model' : 'data'} asset ${short[1]}${version ? `:${version}` : '@latest'}` });
      return;
    }
    if (uri.startsWith('azureml://datastores/') || /^azureml:\/\/subscriptions\//i.test(uri)) return this.datastorePath(uri, path, issues);
    if (uri.startsWith('azureml://jobs/')) return this.jobOutput(uri, path, issues);
    if (uri.startsWith('runs:/')) return this.jobOutput(`azureml://jobs/${uri.slice('runs:/'.length)}`, path, issues);
    if (uri.startsWith('azureml://registries/') || REMOTE_SCHEMES.test(uri)) return;
    issues.push({
      path,
      message: `'${uri}' is not a supported URI: use an asset (ARM id or azureml:<name>:<version>), azureml://datastores/<name>/paths/<path>, azureml://jobs/<job>/outputs/<output> or a storage URL; local paths must be uploaded first`,
    });
  }

  private datastorePath(uri: string, path: string, issues: ValidationIssue[]): void {
    const m = /^azureml:\/\/(?:subscriptions\/([^/]+)\/resource[gG]roups\/([^/]+)\/workspaces\/([^/]+)\/)?datastores\/([^/]+)\/paths\/(.*)$/i.exec(uri);
    if (!m) return void issues.push({ path, message: `'${uri}' is not a datastore URI (azureml://datastores/<name>/paths/<path>)` });
    const s = this.store.scope;
    if (m[3] && (m[1].toLowerCase() !== s.subscriptionId.toLowerCase() || m[2].toLowerCase() !== s.resourceGroup.toLowerCase() || m[3].toLowerCase() !== s.workspaceName.toLowerCase())) {
      return void issues.push({ path, message: `'${uri}' names another workspace` });
    }
    if (!this.store.datastore(m[4])) issues.push({ path, message: `Datastore '${m[4]}' was not found in workspace '${s.workspaceName}'` });
  }

  private jobOutput(uri: string, path: string, issues: ValidationIssue[]): void {
    const m = /^azureml:\/\/jobs\/([^/]+)(?:\/outputs\/([^/]+)(?:\/paths\/.*)?|\/.*)?$/.exec(uri);
    if (!m) return void issues.push({ path, message: `'${uri}' is not a job output URI (azureml://jobs/<job>/outputs/<output>/paths/<path>)` });
    if (!this.store.jobs.has(m[1])) issues.push({ path, message: `Job '${m[1]}' was not found in workspace '${this.store.scope.workspaceName}'` });
  }

  /**
   * Every `${{inputs.x}}`, `${{outputs.x}}` (and `${{search_space.x}}` for a sweep trial) in a command must be declared.
   * Parts inside `$[[ ... ]]` are optional in Azure ML and may name inputs that are not given.
   */
  private placeholders(command: unknown, path: string, declared: Record<string, Record<string, unknown> | undefined>, issues: ValidationIssue[], includeOptional = false): void {
    if (typeof command !== 'string') return;
    // A component declares even the inputs of its optional parts, so there they are checked too.
    const required = includeOptional ? command : command.replace(/\$\[\[[\s\S]*?\]\]/g, '');
    for (const m of required.matchAll(/\$\{\{\s*([A-Za-z_]+)\.([A-Za-z0-9_.-]+?)\s*\}\}/g)) {
      const [text, scope, name] = m;
      if (!(scope in declared)) {
        issues.push({ path, message: `${text} is not a valid binding here (use inputs.<name> or outputs.<name>)` });
      } else if (!declared[scope] || !(name in declared[scope]!)) {
        issues.push({ path, message: `${text} is used in the command but properties.${scope === 'search_space' ? 'searchSpace' : scope} has no '${name}'` });
      }
    }
  }
}

/** Every string inside a JSON value (node inputs and outputs may be strings or objects holding them). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (!value || typeof value !== 'object') return [];
  return Object.values(value).flatMap(strings);
}
