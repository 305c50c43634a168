// Model packages: ModelVersions_Package (POST models/{name}/versions/{version}/package), an operation that only the
// preview api-versions of the Azure ML REST spec have. Azure ML builds an image with the model, the scoring code and
// a base environment, pushes it to the workspace's container registry and registers it as an environment version.
import { createHash, randomUUID } from 'crypto';
import { armError, type FakeResponse } from '../http';
import { PACKAGE_API_VERSION, validatorFor, VALIDATED_API_VERSION, type ValidationIssue } from '../schema';
import type { ArmCall, ServiceContext } from './context';
import { invalidBody, userError } from './responses';
import { NAME_PATTERN, parseArmChildId, PROVIDER, inScope, type AssetKind } from './scope';

/** How packages started after `scriptPackages` end; undefined (the default) = the build succeeds. */
export interface PackageScript {
  buildState: 'Succeeded' | 'Failed';
  /** The error a failed build reports (default `BuildFailed`). */
  error?: { code: string; message: string };
}

/** One package request, refused ones included. */
export interface PackageRecord {
  time: Date;
  model: string;
  version: string;
  /** The body exactly as received. */
  body: unknown;
  /** The status the POST was answered with (202 accepted, 4xx refused). */
  status: number;
  /** Set once an accepted package has finished. */
  buildState?: 'Succeeded' | 'Failed';
  /** The environment version the package creates: `azureml://locations/<loc>/workspaces/<workspace id>/environments/<name>/versions/<v>`. */
  targetEnvironmentId?: string;
}

interface PackageOperation {
  id: string;
  model: string;
  version: string;
  body: any;
  environmentName: string;
  environmentVersion: string;
  targetEnvironmentId: string;
  buildId: string;
  polls: number;
  outcome: PackageScript;
  done?: { buildState: 'Succeeded' | 'Failed' };
  principal: ArmCall['principal'];
  record: PackageRecord;
}

// What the SDK (azure-ai-ml ModelOperations.package) sends as targetEnvironmentId:
// azureml://locations/<workspace location>/workspaces/<workspace id (GUID)>/environments/<name>[/versions/<version>].
const TARGET_ENVIRONMENT = /^azureml:\/\/locations\/([^/]+)\/workspaces\/([^/]+)\/environments\/([^/]+)(?:\/versions\/([^/]+))?$/;
const DEFAULT_ERROR = { code: 'BuildFailed', message: 'The image build of the model package failed: a conda dependency could not be resolved (see the build log).' };

export class ModelPackages {
  private script: PackageScript | undefined;
  private readonly ops = new Map<string, PackageOperation>();
  readonly records: PackageRecord[] = [];

  constructor(private readonly ctx: ServiceContext) {}

  setScript(script: PackageScript | undefined): void {
    if (script) {
      if (script.buildState !== 'Succeeded' && script.buildState !== 'Failed') throw new Error(`scriptPackages: buildState must be Succeeded or Failed, got ${JSON.stringify(script.buildState)}`);
      if (script.error && (typeof script.error.code !== 'string' || typeof script.error.message !== 'string')) throw new Error('scriptPackages: error needs a code and a message');
    }
    this.script = script ? structuredClone(script) : undefined;
  }

  owns(id: string): boolean {
    return this.ops.has(id);
  }

  /** POST models/{model}/versions/{version}/package. */
  handle(call: ArmCall, model: string, version: string): FakeResponse {
    const record: PackageRecord = { time: this.ctx.now(), model, version, body: structuredClone(call.req.json), status: 0 };
    this.records.push(record);
    const answer = this.accept(call, model, version, record);
    record.status = answer.status;
    return answer;
  }

  private accept(call: ArmCall, model: string, version: string, record: PackageRecord): FakeResponse {
    const what = `the package of model ${model}:${version}`;
    if (call.apiVersion !== PACKAGE_API_VERSION) {
      // Best understanding: the operation is not part of the stable contracts, so the service refuses it there.
      return armError(400, 'BadRequest',
        `The model package operation (ModelVersions_Package) is served at api-version ${PACKAGE_API_VERSION} only; ${what} used api-version ${call.apiVersion}. ` +
        `Send it with api-version=${PACKAGE_API_VERSION}.`);
    }
    const validator = validatorFor(PACKAGE_API_VERSION)!;
    const json = call.req.json;
    if (json === undefined) {
      return { status: 400, body: { error: { code: 'InvalidRequestContent', message: `The request content for ${what} was empty or not JSON; a JSON body is required.` } } };
    }
    const schemaIssues = validator.validate('PackageRequest', json);
    if (schemaIssues.length) return invalidBody(schemaIssues, what);
    const body: any = validator.normalize('PackageRequest', json);

    if (!this.ctx.store.version('models', model, version)) {
      return userError(`Could not find model asset ${model}:${version} in workspace '${this.ctx.scope.workspaceName}'.`, 404);
    }

    const issues: ValidationIssue[] = [];
    const server = body.inferencingServer;
    const codeId = server?.codeConfiguration?.codeId;
    if (codeId !== undefined && codeId !== null) this.assetVersion('codes', codeId, 'inferencingServer.codeConfiguration.codeId', issues);
    const base = body.baseEnvironmentSource;
    if (base?.resourceId !== undefined && !/^azureml:\/\/registries\//i.test(base.resourceId)) {
      this.assetVersion('environments', base.resourceId, 'baseEnvironmentSource.resourceId', issues);
    }
    (body.inputs ?? []).forEach((input: any, i: number) => this.input(input?.path, `inputs[${i}].path`, issues));
    const target = this.target(body.targetEnvironmentId, issues);
    if (issues.length || !target) return invalidBody(issues, what);

    const op: PackageOperation = {
      id: randomUUID(),
      model,
      version,
      body,
      environmentName: target.name,
      environmentVersion: target.version,
      targetEnvironmentId: target.id,
      buildId: randomUUID(),
      polls: 0,
      outcome: structuredClone(this.script ?? { buildState: 'Succeeded' }),
      principal: call.principal,
      record,
    };
    this.ops.set(op.id, op);
    record.targetEnvironmentId = target.id;
    return { status: 202, headers: { Location: this.locationUrl(op.id, call.apiVersion), 'Retry-After': '0' } };
  }

  /** GET of the Location URL: 202 on the first poll, then the outcome (200 + PackageResponse, or the build's error). */
  poll(id: string, apiVersion: string): FakeResponse {
    const op = this.ops.get(id)!;
    op.polls += 1;
    if (!op.done && op.polls < 2) return { status: 202, headers: { Location: this.locationUrl(id, apiVersion), 'Retry-After': '0' } };
    if (!op.done) this.finish(op);
    if (op.done!.buildState === 'Failed') {
      const error = op.outcome.error ?? DEFAULT_ERROR;
      return {
        status: 400,
        body: { error: { code: error.code, message: error.message, additionalInfo: [{ type: 'PackageResponse', info: this.response(op) }] } },
      };
    }
    return { status: 200, body: this.response(op) };
  }

  private finish(op: PackageOperation): void {
    op.done = { buildState: op.outcome.buildState };
    op.record.buildState = op.outcome.buildState;
    if (op.outcome.buildState !== 'Succeeded') return;
    const stable = validatorFor(VALIDATED_API_VERSION)!;
    // What Azure ML puts besides the image (e.g. an inferenceConfig for the server) is not verified; the fake keeps
    // to the image, which is what clients deploy from.
    const properties: Record<string, unknown> = {
      description: `Model package of ${op.model}:${op.version}`,
      tags: { ...(op.body.tags ?? {}) },
      properties: { ...(op.body.properties ?? {}), 'azureml.packagedModel': `${op.model}:${op.version}`, 'azureml.packageBuildId': op.buildId },
      isAnonymous: false,
      isArchived: false,
      image: this.image(op),
      osType: 'Linux',
      autoRebuild: 'Disabled',
    };
    const issues = stable.validate('EnvironmentVersionResource', { properties });
    if (issues.length) throw new Error(`package environment does not fit EnvironmentVersionResource: ${JSON.stringify(issues)}`);
    const isNew = !this.ctx.store.version('environments', op.environmentName, op.environmentVersion);
    this.ctx.store.putVersion('environments', op.environmentName, op.environmentVersion, stable.normalize('EnvironmentVersionResource', { properties }), op.principal, this.ctx.now());
    if (isNew) this.ctx.store.createdByPut += 1;
  }

  /** The image the build pushes: `<login server>/azureml/azureml_<hash>:latest`, the hash over model and request. */
  private image(op: PackageOperation): string {
    const hash = createHash('sha256').update(JSON.stringify([op.model, op.version, op.body])).digest('hex').slice(0, 32);
    return `${this.ctx.identity.containerRegistryLoginServer}/azureml/azureml_${hash}:latest`;
  }

  private response(op: PackageOperation): Record<string, unknown> {
    const b = op.body;
    const out: Record<string, unknown> = {
      baseEnvironmentSource: b.baseEnvironmentSource ?? null,
      buildId: op.buildId,
      buildState: op.done?.buildState ?? 'Running',
      environmentVariables: b.environmentVariables ?? null,
      inferencingServer: b.inferencingServer,
      inputs: b.inputs ?? null,
      // Not served by the fake (a real build log lives in the workspace's storage account).
      logUrl: `https://${this.ctx.identity.storageAccountName}.blob.core.windows.net/azureml/ImageLogs/${op.buildId}/build.log`,
      modelConfiguration: b.modelConfiguration ?? null,
      properties: b.properties ?? null,
      tags: b.tags ?? null,
      targetEnvironmentId: op.targetEnvironmentId,
    };
    return out;
  }

  private locationUrl(id: string, apiVersion: string): string {
    const s = this.ctx.scope;
    return `${s.baseUrl}/subscriptions/${s.subscriptionId}/providers/${PROVIDER}/locations/${s.location}/mfeOperationResults/${id}?api-version=${apiVersion}`;
  }

  /**
   * An asset version of this workspace, by ARM id or the `azureml:/<ARM id>` form the SDK sends
   * (`azureml://subscriptions/...`).
   */
  private assetVersion(kind: AssetKind, value: string, path: string, issues: ValidationIssue[]): void {
    const id = value.replace(/^azureml:\/?(?=\/subscriptions\/)/i, '');
    const singular = kind === 'codes' ? 'code' : 'environment';
    const ref = parseArmChildId(id);
    if (!ref || ref.kind !== kind || ref.version === undefined) {
      issues.push({ path, message: `'${value}' is not the ARM id of a ${singular} version (/subscriptions/.../workspaces/<ws>/${kind}/<name>/versions/<version>, optionally prefixed with azureml:/)` });
    } else if (!inScope(ref, this.ctx.store.scope) || !this.ctx.store.version(kind, ref.name, ref.version)) {
      issues.push({ path, message: `Could not find ${singular} asset ${ref.name}:${ref.version} (${value})` });
    }
  }

  /** Package inputs: a data version (by id or name and version) that exists, or a location a job input may use. */
  private input(p: any, path: string, issues: ValidationIssue[]): void {
    if (!p) return;
    if (p.inputPathType === 'Url') {
      if (typeof p.url !== 'string') issues.push({ path: `${path}.url`, message: 'is required for a Url input path' });
      else this.ctx.refs.dataUri(p.url, `${path}.url`, issues, undefined);
    } else if (p.inputPathType === 'PathId') {
      if (typeof p.resourceId !== 'string') return void issues.push({ path: `${path}.resourceId`, message: 'is required for a PathId input path' });
      if (/^azureml:\/\/registries\//i.test(p.resourceId)) return;
      const ref = parseArmChildId(p.resourceId.replace(/^azureml:\/?(?=\/subscriptions\/)/i, ''));
      if (!ref || ref.kind !== 'data' || ref.version === undefined) {
        issues.push({ path: `${path}.resourceId`, message: `'${p.resourceId}' is not the ARM id of a data version` });
      } else if (!inScope(ref, this.ctx.store.scope) || !this.ctx.store.version('data', ref.name, ref.version)) {
        issues.push({ path: `${path}.resourceId`, message: `Could not find data asset ${ref.name}:${ref.version}` });
      }
    } else if (p.inputPathType === 'PathVersion') {
      if (typeof p.resourceName !== 'string' || typeof p.resourceVersion !== 'string') {
        issues.push({ path, message: 'a PathVersion input path needs resourceName and resourceVersion' });
      } else if (!this.ctx.store.version('data', p.resourceName, p.resourceVersion)) {
        issues.push({ path, message: `Could not find data asset ${p.resourceName}:${p.resourceVersion}` });
      }
    }
  }

  /** The environment version the package will create, from targetEnvironmentId in the SDK's form. */
  private target(value: string, issues: ValidationIssue[]): { name: string; version: string; id: string } | undefined {
    const path = 'targetEnvironmentId';
    const s = this.ctx.scope;
    const form = `azureml://locations/${s.location}/workspaces/${this.ctx.identity.workspaceId}/environments/<name>[/versions/<version>]`;
    const m = TARGET_ENVIRONMENT.exec(value);
    if (!m) {
      issues.push({ path, message: `'${value}' is not a target environment id: Azure ML expects ${form} (the workspace's location and workspace id, the name of the environment to create and optionally its version)` });
      return undefined;
    }
    const [, location, workspaceId, name, version] = m;
    if (location.toLowerCase() !== s.location.toLowerCase()) issues.push({ path, message: `location '${location}' is not the workspace's location '${s.location}' (expected ${form})` });
    if (workspaceId.toLowerCase() !== this.ctx.identity.workspaceId.toLowerCase()) {
      issues.push({ path, message: `'${workspaceId}' is not the id of workspace '${s.workspaceName}' (${this.ctx.identity.workspaceId}); the workspace name or ARM id does not go here (expected ${form})` });
    }
    if (!NAME_PATTERN.test(name)) issues.push({ path, message: `'${name}' is not a valid environment name: it must match ${NAME_PATTERN.source}` });
    if (version !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(version)) issues.push({ path, message: `'${version}' is not a valid version` });
    const taken = (v: string) => this.ctx.store.version('environments', name, v) !== undefined
      || [...this.ops.values()].some((o) => o.environmentName === name && o.environmentVersion === v && !o.done);
    // Best understanding: a package never overwrites an environment version, and one without a version gets the next one.
    if (version !== undefined && taken(version)) issues.push({ path, message: `environment version ${name}:${version} already exists (or is being built); package into a new version or leave the version out` });
    if (issues.length) return undefined;
    let chosen = version;
    if (chosen === undefined) {
      chosen = this.ctx.store.nextVersion('environments', name);
      while (taken(chosen)) chosen = String(Number(chosen) + 1);
    }
    return { name, version: chosen, id: `azureml://locations/${s.location}/workspaces/${this.ctx.identity.workspaceId}/environments/${name}/versions/${chosen}` };
  }
}
