// Semantic checks a real workspace makes after the schema: the things a body names must exist here.
import type { ValidationIssue } from '../schema';
import { inScope, parseArmChildId, type AssetKind } from './scope';
import type { WorkspaceStore } from './store';

const MODEL_INPUT_TYPES = new Set(['custom_model', 'mlflow_model', 'triton_model']);
const REMOTE_SCHEMES = /^(https?|wasbs?|abfss?|adl|gs|s3):\/\//i;

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
    } else if (props.jobType === 'Pipeline') {
      const defaultCompute = props.settings?.default_compute ?? props.settings?.defaultCompute;
      if (typeof defaultCompute === 'string') this.compute(defaultCompute, 'properties.settings.default_compute', issues);
      for (const [node, spec] of Object.entries<any>(props.jobs ?? {})) {
        if (typeof spec?.computeId === 'string' && !spec.computeId.startsWith('${{')) this.compute(spec.computeId, `properties.jobs.${node}.computeId`, issues);
      }
    }
    return issues;
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
    const singular = { codes: 'code', environments: 'environment', data: 'data', models: 'model' }[kind];
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

  private outputs(outputs: Record<string, any> | undefined, path: string, issues: ValidationIssue[]): void {
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
  private placeholders(command: unknown, path: string, declared: Record<string, Record<string, unknown> | undefined>, issues: ValidationIssue[]): void {
    if (typeof command !== 'string') return;
    const required = command.replace(/\$\[\[[\s\S]*?\]\]/g, '');
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
