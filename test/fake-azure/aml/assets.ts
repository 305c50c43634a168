// Code, environment, data and model containers and versions.
import { randomUUID } from 'crypto';
import type { FakeResponse } from '../http';
import { deepEqual, validatorFor, VALIDATED_API_VERSION, type ValidationIssue } from '../schema';
import { validBody, type ArmCall, type ServiceContext } from './context';
import { listPage } from './lists';
import { invalidBody, ok, userError } from './responses';
import { NAME_PATTERN, type AssetKind } from './scope';

const DEFINITIONS: Record<AssetKind, { container: string; version: string; singular: string; pathProperty: string }> = {
  codes: { container: 'CodeContainerResource', version: 'CodeVersionResource', singular: 'code', pathProperty: 'codeUri' },
  environments: { container: 'EnvironmentContainerResource', version: 'EnvironmentVersionResource', singular: 'environment', pathProperty: '' },
  data: { container: 'DataContainerResource', version: 'DataVersionBaseResource', singular: 'data', pathProperty: 'dataUri' },
  models: { container: 'ModelContainerResource', version: 'ModelVersionResource', singular: 'model', pathProperty: 'modelUri' },
  components: { container: 'ComponentContainerResource', version: 'ComponentVersionResource', singular: 'component', pathProperty: '' },
};

export interface AssetRoute {
  kind: AssetKind;
  name?: string;
  versions?: boolean;
  version?: string;
  action?: string;
}

export async function handleAsset(ctx: ServiceContext, call: ArmCall, route: AssetRoute): Promise<FakeResponse | undefined> {
  const { kind, name, version, action } = route;
  const method = call.req.method;
  if (name === undefined) return method === 'GET' ? listContainers(ctx, call, kind) : methodNotAllowed(method);
  if (!route.versions) {
    if (method === 'GET') return getContainer(ctx, kind, name);
    if (method === 'PUT') return putContainer(ctx, call, kind, name);
    return methodNotAllowed(method);
  }
  if (version === undefined) return method === 'GET' ? listVersions(ctx, call, kind, name) : methodNotAllowed(method);
  if (action !== undefined) {
    if (kind === 'codes' && action.toLowerCase() === 'startpendingupload' && method === 'POST') return startPendingUpload(ctx, call, name, version);
    return undefined;
  }
  if (method === 'GET') return getVersion(ctx, kind, name, version);
  if (method === 'PUT') return putVersion(ctx, call, kind, name, version);
  return methodNotAllowed(method);
}

function methodNotAllowed(method: string): FakeResponse {
  return { status: 405, body: { error: { code: 'MethodNotAllowed', message: `The fake workspace does not support ${method} on this resource.` } } };
}

function missingContainer(ctx: ServiceContext, kind: AssetKind, name: string): FakeResponse {
  return userError(`Could not find ${DEFINITIONS[kind].singular} container '${name}' in workspace '${ctx.scope.workspaceName}'.`, 404);
}

function listContainers(ctx: ServiceContext, call: ArmCall, kind: AssetKind): FakeResponse {
  const archived = archivedFilter(call);
  const items = [...ctx.store.assets[kind].values()]
    .filter((c) => archived(Boolean(c.properties.isArchived)))
    .map((c) => ({ view: ctx.store.containerView(kind, c), created: c.created, name: c.name }));
  return listPage(call.req, items, ctx.scope.baseUrl);
}

function getContainer(ctx: ServiceContext, kind: AssetKind, name: string): FakeResponse {
  const c = ctx.store.assets[kind].get(name);
  return c ? ok(ctx.store.containerView(kind, c)) : missingContainer(ctx, kind, name);
}

function putContainer(ctx: ServiceContext, call: ArmCall, kind: AssetKind, name: string): FakeResponse {
  if (!NAME_PATTERN.test(name)) return userError(`'${name}' is not a valid ${DEFINITIONS[kind].singular} name: it must match ${NAME_PATTERN.source}.`);
  const checked = validBody(call, DEFINITIONS[kind].container, `${DEFINITIONS[kind].singular} container '${name}'`);
  if ('error' in checked) return checked.error;
  const existing = ctx.store.assets[kind].get(name);
  if (existing && kind === 'data' && existing.properties.dataType !== checked.body.properties.dataType) {
    return userError(`The data type of data container '${name}' cannot be changed (it is '${existing.properties.dataType}').`, 409);
  }
  const record = ctx.store.putContainer(kind, name, writable(checked.body.properties), call.principal, ctx.now());
  if (!existing) ctx.store.createdByPut += 1;
  return ok(ctx.store.containerView(kind, record), existing ? 200 : 201);
}

function listVersions(ctx: ServiceContext, call: ArmCall, kind: AssetKind, name: string): FakeResponse {
  const q = call.req.url.searchParams;
  const hash = q.get('hash');
  const hashVersion = q.get('hashVersion');
  const archived = archivedFilter(call);
  // With `hash`, Azure ML returns code versions with that content hash regardless of the name in the path.
  const candidates = kind === 'codes' && hash !== null
    ? ctx.store.allVersions(kind).map((x) => x.version).filter((v) => {
      const p = v.body.properties?.properties ?? {};
      return p.hash_sha256 === hash && (hashVersion === null || p.hash_version === hashVersion);
    })
    : [...(ctx.store.assets[kind].get(name)?.versions.values() ?? [])];
  const tagFilter = kind === 'models' ? keyValueFilter(q.get('tags')) : () => true;
  const propertyFilter = kind === 'models' ? keyValueFilter(q.get('properties')) : () => true;
  const items = candidates
    .filter((v) => archived(Boolean(v.body.properties?.isArchived)))
    .filter((v) => tagFilter(v.body.properties?.tags) && propertyFilter(v.body.properties?.properties))
    .map((v) => ({ view: ctx.store.versionView(kind, v), created: v.created, name: v.version }));
  return listPage(call.req, items, ctx.scope.baseUrl);
}

function getVersion(ctx: ServiceContext, kind: AssetKind, name: string, version: string): FakeResponse {
  const v = ctx.store.version(kind, name, version);
  if (!v) return userError(`Could not find ${DEFINITIONS[kind].singular} asset ${name}:${version} in workspace '${ctx.scope.workspaceName}'.`, 404);
  return ok(ctx.store.versionView(kind, v));
}

async function putVersion(ctx: ServiceContext, call: ArmCall, kind: AssetKind, name: string, version: string): Promise<FakeResponse> {
  const what = `${DEFINITIONS[kind].singular} version ${name}:${version}`;
  if (!NAME_PATTERN.test(name)) return userError(`'${name}' is not a valid ${DEFINITIONS[kind].singular} name: it must match ${NAME_PATTERN.source}.`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(version)) return userError(`'${version}' is not a valid version: use letters, digits, '.', '-' or '_', starting with a letter or digit.`);
  const checked = validBody(call, DEFINITIONS[kind].version, what);
  if ('error' in checked) return checked.error;
  const body = checked.body;
  const existing = ctx.store.version(kind, name, version);

  const pathProperty = DEFINITIONS[kind].pathProperty;
  if (existing && pathProperty && existing.body.properties?.[pathProperty] !== body.properties?.[pathProperty]) {
    return userError('Asset paths cannot be updated.');
  }
  if (existing) {
    const changed = validatorFor(VALIDATED_API_VERSION)!.immutableDifferences(DEFINITIONS[kind].version, existing.body, body);
    if (changed.length) return userError(`${what} already exists; these properties cannot be changed: ${changed.join(', ')}.`, 409);
  }
  const container = ctx.store.assets[kind].get(name);
  if (kind === 'data' && container && container.properties.dataType !== body.properties.dataType) {
    return userError(`properties.dataType: data container '${name}' holds ${container.properties.dataType} versions, not ${body.properties.dataType}.`, 409);
  }

  const issues = await assetIssues(ctx, kind, body.properties, existing !== undefined);
  if (issues.length) return invalidBody(issues, what);

  if (existing && deepEqual(existing.body, body)) return ok(ctx.store.versionView(kind, existing));
  const record = ctx.store.putVersion(kind, name, version, body, call.principal, ctx.now());
  if (!existing) ctx.store.createdByPut += 1;
  return ok(ctx.store.versionView(kind, record), existing ? 200 : 201);
}

async function assetIssues(ctx: ServiceContext, kind: AssetKind, props: any, exists: boolean): Promise<ValidationIssue[]> {
  const issues: ValidationIssue[] = [];
  if (kind === 'codes') {
    if (typeof props.codeUri !== 'string' || !props.codeUri) {
      issues.push({ path: 'properties.codeUri', message: 'is required: a code version points at the uploaded snapshot' });
    } else if (!exists) {
      await codeUploaded(ctx, props.codeUri, issues);
    }
  } else if (kind === 'environments') {
    if (!props.image && !props.build) issues.push({ path: 'properties.image', message: 'an environment needs either image or build' });
    if (props.image && props.build) issues.push({ path: 'properties.build', message: 'image and build cannot both be set' });
    if (props.condaFile && !props.image) issues.push({ path: 'properties.condaFile', message: 'a conda file needs a base image' });
  } else if (kind === 'data') {
    ctx.refs.dataUri(props.dataUri, 'properties.dataUri', issues, undefined);
  } else if (kind === 'models') {
    if (typeof props.modelUri === 'string') {
      ctx.refs.dataUri(props.modelUri, 'properties.modelUri', issues, undefined);
      if (!issues.length) jobOutputExists(ctx, props.modelUri, issues);
    }
    if (typeof props.jobName === 'string' && !ctx.store.jobs.has(props.jobName)) {
      issues.push({ path: 'properties.jobName', message: `Job '${props.jobName}' was not found in workspace '${ctx.scope.workspaceName}'` });
    }
  } else if (kind === 'components') {
    ctx.refs.componentSpec(props.componentSpec, 'properties.componentSpec', issues);
  }
  return issues;
}

/**
 * Stricter than Azure ML, which does not look at the blobs when a code version is registered: with storage on,
 * a codeUri on the workspace's account must name uploaded blobs, so "registered before uploading" bugs show.
 * URLs on other hosts are accepted unchecked, as Azure ML does.
 */
async function codeUploaded(ctx: ServiceContext, codeUri: string, issues: ValidationIssue[]): Promise<void> {
  if (!ctx.blobs) return;
  const target = ctx.blobs.parse(codeUri);
  if (!target) return;
  if (!(await ctx.blobs.exists(target.container, target.path))) {
    issues.push({ path: 'properties.codeUri', message: `nothing was uploaded at ${codeUri} (container '${target.container}', path '${target.path}')` });
  }
}

async function startPendingUpload(ctx: ServiceContext, call: ArmCall, name: string, version: string): Promise<FakeResponse> {
  const checked = validBody(call, 'PendingUploadRequestDto', `startPendingUpload of code ${name}:${version}`);
  if ('error' in checked) return checked.error;
  if (!ctx.blobs) return userError('This fake workspace was started without blob storage, so it cannot hand out upload locations.');
  const pendingUploadId: string = checked.body.pendingUploadId ?? randomUUID();
  const { blobUri, sasUri } = ctx.blobs.pendingUpload(`LocalUpload/${pendingUploadId.replace(/-/g, '')}`, ctx.now());
  return ok({
    blobReferenceForConsumption: {
      blobUri,
      storageAccountArmId: ctx.identity.storageAccountId,
      credential: { credentialType: 'SAS', sasUri },
    },
    pendingUploadId,
    pendingUploadType: 'TemporaryBlobReference',
  });
}

/**
 * The `tags` and `properties` filters of a model version list (2024-04-01): comma-separated `name` (present)
 * or `name=value` (equal) entries, all of which must match.
 */
function keyValueFilter(text: string | null): (map: Record<string, string | null> | undefined) => boolean {
  if (!text) return () => true;
  const wanted = text.split(',').map((e) => e.trim()).filter(Boolean).map((e) => {
    const eq = e.indexOf('=');
    return eq < 0 ? { name: e } : { name: e.slice(0, eq), value: e.slice(eq + 1) };
  });
  return (map) => wanted.every((w) => map != null && Object.prototype.hasOwnProperty.call(map, w.name) && (w.value === undefined || map[w.name] === w.value));
}

/**
 * A model registered from a job output must name an output the job has: one it declares, `default` for command and
 * sweep jobs, or `artifacts` (the job's artifact location, which every job has).
 */
function jobOutputExists(ctx: ServiceContext, uri: string, issues: ValidationIssue[]): void {
  const m = /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)/.exec(uri) ?? /^runs:\/([^/]+)\//.exec(uri);
  if (!m) return;
  const job = ctx.store.jobs.get(m[1]);
  const output = m[2] ?? 'artifacts';
  if (!job || output === 'artifacts') return;
  const declared = Object.keys(job.body.properties?.outputs ?? {});
  if (job.body.properties?.jobType === 'Command' || job.body.properties?.jobType === 'Sweep') declared.push('default');
  if (!declared.includes(output)) {
    issues.push({ path: 'properties.modelUri', message: `Job '${m[1]}' has no output '${output}' (outputs: ${declared.join(', ') || 'none'}, and artifacts)` });
  }
}

function archivedFilter(call: ArmCall): (archived: boolean) => boolean {
  const view = (call.req.url.searchParams.get('listViewType') ?? 'ActiveOnly').toLowerCase();
  if (view === 'all') return () => true;
  if (view === 'archivedonly') return (a) => a;
  return (a) => !a;
}

/** Container properties a client may set (latestVersion and friends are computed). */
function writable(props: Record<string, unknown>): Record<string, unknown> {
  const { latestVersion: _l, nextVersion: _n, provisioningState: _p, ...rest } = props;
  return rest;
}
