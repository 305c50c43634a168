// Invoking a batch endpoint (`POST <scoringUri>`, the endpoint's jobs URI): checks the caller and the body, creates
// a batch scoring job in the workspace's job store, and writes the scored output when a model deployment's job completes.
import { randomUUID } from 'crypto';
import type { FakeRequest, FakeResponse, Principal } from '../http';
import type { ValidationIssue } from '../schema';
import type { BatchDeploymentRecord, BatchEndpointRecord, BatchEndpoints } from './batch-endpoints';
import type { ServiceContext } from './context';
import { adoptChildren, jobView } from './jobs';
import { JobRun, type JobScript } from './lifecycle';
import { invalidBody, systemData } from './responses';
import { parseArmChildId, PROVIDER, stableGuid } from './scope';
import type { JobRecord } from './store';

/** The one step of a batch job, named as Azure ML names it. */
const BATCH_STEP = 'batchscoring';

export const BATCH_PREFIX = '/batch/';

export interface BatchInvocationRecord {
  time: Date;
  endpoint: string;
  /** The deployment chosen (by header or default); undefined when none was. */
  deployment?: string;
  /** The job created; undefined for a refused invocation. */
  jobName?: string;
  /** The inputs as read from the body (ARM job input shape); undefined when the body was refused. */
  inputs?: Record<string, any>;
  status: number;
}

/** Scored output written to the workspace's storage when a batch job completed. */
export interface BatchOutputRecord {
  jobName: string;
  container: string;
  path: string;
  lines: number;
}

export function isBatchPath(path: string): boolean {
  return path.startsWith(BATCH_PREFIX);
}

const ML_AUDIENCES = ['https://ml.azure.com', 'https://ml.azure.com/'];
const INPUT_TYPES: Record<string, string> = { urifolder: 'uri_folder', urifile: 'uri_file', literal: 'literal' };
const OUTPUT_TYPES: Record<string, string> = { urifolder: 'uri_folder', urifile: 'uri_file' };
const LITERAL_COMPONENT_TYPES = new Set(['string', 'integer', 'number', 'boolean']);

interface Invocation {
  inputs: Record<string, any>;
  outputs: Record<string, any>;
}

export class BatchInvocations {
  readonly records: BatchInvocationRecord[] = [];
  readonly outputs: BatchOutputRecord[] = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly ctx: ServiceContext, private readonly batch: BatchEndpoints, private readonly isAuthorized: (p: Principal) => boolean) {}

  /** Resolves once the outputs of jobs that have completed are written. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  /** `principal` is set when the bearer was one of the fake's Entra tokens. */
  async handle(req: FakeRequest, principal: Principal | undefined): Promise<FakeResponse | undefined> {
    const m = /^\/batch\/([^/]+)\/jobs$/.exec(req.url.pathname);
    if (!m) return undefined;
    const name = decodeURIComponent(m[1]);
    const e = this.batch.endpoints.get(name);
    // The endpoint's host does not resolve when the endpoint does not exist; the fake answers 404.
    if (!e || e.state === 'Creating' || e.state === 'Deleting') return { status: 404, body: { error: { code: 'NotFound', message: `Batch endpoint '${name}' was not found.` } } };
    if (req.method !== 'POST') return { status: 405, body: { error: { code: 'MethodNotAllowed', message: 'Only POST is supported on the batch endpoint jobs URI.' } } };
    const refuse = (status: number, code: string, message: string, extra: Partial<BatchInvocationRecord> = {}, headers?: Record<string, string>): FakeResponse => {
      this.records.push({ time: this.ctx.now(), endpoint: name, status, ...extra });
      return { status, headers, body: { error: { code, message } } };
    };

    // Best understanding: batch endpoints take Entra tokens for Azure ML itself, not ARM tokens or keys.
    if (!principal) return refuse(401, 'Unauthorized', 'A Microsoft Entra access token for https://ml.azure.com is required to invoke a batch endpoint.', {}, { 'WWW-Authenticate': 'Bearer' });
    if (!ML_AUDIENCES.includes(principal.audience)) {
      return refuse(401, 'InvalidAuthenticationTokenAudience', `The access token has audience '${principal.audience}'; batch endpoints need a token for https://ml.azure.com.`, {}, { 'WWW-Authenticate': 'Bearer' });
    }
    if (!this.isAuthorized(principal)) {
      return refuse(403, 'AuthorizationFailed', `The client '${principal.appId}' with object id '${principal.objectId}' does not have authorization to perform action ` +
        `'${PROVIDER}/workspaces/batchEndpoints/jobs/write' over batch endpoint '${name}'.`);
    }

    const header = req.headers['azureml-model-deployment'];
    let d: BatchDeploymentRecord | undefined;
    if (typeof header === 'string' && header !== '') {
      d = e.deployments.get(header);
      if (!d || d.state === 'Deleting') return refuse(404, 'NotFound', `Deployment '${header}' was not found in batch endpoint '${name}'.`, { deployment: header });
    } else {
      const defaultName = e.body.properties.defaults?.deploymentName;
      if (!defaultName) return refuse(400, 'UserError', `Batch endpoint '${name}' has no default deployment; set defaults.deploymentName on the endpoint or name a deployment with the azureml-model-deployment header.`);
      d = e.deployments.get(defaultName)!;
    }
    // Best understanding: only a deployment that provisioned can run jobs.
    if (d.state !== 'Succeeded' && d.state !== 'Updating') {
      return refuse(400, 'UserError', `Deployment '${d.name}' of batch endpoint '${name}' is ${d.state} and cannot run jobs.`, { deployment: d.name });
    }

    const issues: ValidationIssue[] = [];
    const invocation = this.readBody(req.json, issues);
    if (invocation) this.checkAgainstDeployment(d, invocation, issues);
    if (!invocation || issues.length) {
      const res = invalidBody(issues, `the invocation of batch endpoint '${name}'`);
      this.records.push({ time: this.ctx.now(), endpoint: name, deployment: d.name, status: 400 });
      return res;
    }

    const job = this.createJob(req, principal, e, d, invocation);
    this.records.push({ time: this.ctx.now(), endpoint: name, deployment: d.name, jobName: job.name, inputs: structuredClone(invocation.inputs), status: 200 });
    return { status: 200, body: jobView(this.ctx, job) };
  }

  // ---- body ----------------------------------------------------------------------------------------

  /**
   * `{properties: {InputData: {<name>: {JobInputType, Uri | Value}}, OutputData?: {<name>: {JobOutputType, Uri}}}}`.
   * The service is .NET: member names and type values are read case-insensitively (SDKs send camelCase), but
   * unknown members are refused. Returns inputs and outputs in the shape ARM jobs use.
   */
  private readBody(json: unknown, issues: ValidationIssue[]): Invocation | undefined {
    const root = members(json, '', ['properties'], issues, ['properties']);
    if (!root || root.properties === undefined) return undefined;
    const props = members(root.properties, 'properties', ['InputData', 'OutputData'], issues);
    if (!props) return undefined;
    const inputs: Record<string, any> = {};
    const outputs: Record<string, any> = {};
    for (const [name, value] of entries(props.InputData, 'properties.InputData', issues)) {
      const path = `properties.InputData.${name}`;
      const input = members(value, path, ['JobInputType', 'Uri', 'Value'], issues, ['JobInputType']);
      if (!input) continue;
      const type = typeof input.JobInputType === 'string' ? INPUT_TYPES[input.JobInputType.toLowerCase()] : undefined;
      if (!type) {
        issues.push({ path: `${path}.JobInputType`, message: `${JSON.stringify(input.JobInputType)} is not an input type (UriFolder, UriFile, Literal)` });
        continue;
      }
      if (type === 'literal') {
        if (typeof input.Value !== 'string') issues.push({ path: `${path}.Value`, message: 'is required for a Literal input and must be a string' });
        if (input.Uri !== undefined) issues.push({ path: `${path}.Uri`, message: 'is not allowed on a Literal input' });
        inputs[name] = { jobInputType: 'literal', value: input.Value };
      } else {
        if (typeof input.Uri !== 'string') issues.push({ path: `${path}.Uri`, message: 'is required and must be a string' });
        else this.ctx.refs.dataUri(input.Uri, `${path}.Uri`, issues, 'data');
        if (input.Value !== undefined) issues.push({ path: `${path}.Value`, message: `is not allowed on a ${input.JobInputType} input` });
        inputs[name] = { jobInputType: type, uri: input.Uri, mode: 'ReadOnlyMount' };
      }
    }
    if (props.OutputData !== undefined && props.OutputData !== null) {
      for (const [name, value] of entries(props.OutputData, 'properties.OutputData', issues)) {
        const path = `properties.OutputData.${name}`;
        const output = members(value, path, ['JobOutputType', 'Uri'], issues, ['JobOutputType', 'Uri']);
        if (!output) continue;
        const type = typeof output.JobOutputType === 'string' ? OUTPUT_TYPES[output.JobOutputType.toLowerCase()] : undefined;
        if (!type) issues.push({ path: `${path}.JobOutputType`, message: `${JSON.stringify(output.JobOutputType)} is not an output type (UriFolder, UriFile)` });
        if (typeof output.Uri !== 'string') {
          issues.push({ path: `${path}.Uri`, message: 'must be a string' });
          continue;
        }
        this.ctx.refs.outputs({ [name]: { uri: output.Uri } }, 'properties.OutputData', issues);
        outputs[name] = { jobOutputType: type, uri: output.Uri, mode: 'Upload' };
      }
    }
    // The checker names URIs `<path>.uri`; the invocation's member is `Uri`.
    for (const issue of issues) issue.path = issue.path.replace(/^(properties\.OutputData\.[^.]+)\.uri$/, '$1.Uri');
    return { inputs, outputs };
  }

  /**
   * A model deployment scores one data input (best understanding) and writes one output, `score`; a pipeline
   * component deployment takes the inputs and outputs its component declares, required inputs included.
   */
  private checkAgainstDeployment(d: BatchDeploymentRecord, inv: Invocation, issues: ValidationIssue[]): void {
    if (!d.componentSpec) {
      const names = Object.keys(inv.inputs);
      if (names.length !== 1) issues.push({ path: 'properties.InputData', message: `a model deployment takes exactly one input, got ${names.length}` });
      else if (inv.inputs[names[0]].jobInputType === 'literal') issues.push({ path: `properties.InputData.${names[0]}`, message: 'a model deployment scores data: use a UriFolder or UriFile input' });
      for (const name of Object.keys(inv.outputs)) {
        if (name !== 'score') issues.push({ path: `properties.OutputData.${name}`, message: "a model deployment has one output, 'score'" });
      }
      return;
    }
    const declaredInputs: Record<string, any> = d.componentSpec.inputs ?? {};
    const declaredOutputs: Record<string, any> = d.componentSpec.outputs ?? {};
    for (const [name, input] of Object.entries(inv.inputs)) {
      const declared = declaredInputs[name];
      if (!declared) {
        issues.push({ path: `properties.InputData.${name}`, message: `the pipeline component has no input '${name}' (it has: ${Object.keys(declaredInputs).join(', ') || 'none'})` });
      } else if ((input.jobInputType === 'literal') !== LITERAL_COMPONENT_TYPES.has(declared.type)) {
        issues.push({ path: `properties.InputData.${name}.JobInputType`, message: `input '${name}' is declared as ${declared.type}; give ${LITERAL_COMPONENT_TYPES.has(declared.type) ? 'a Literal' : 'a UriFolder or UriFile'} input` });
      }
    }
    for (const [name, declared] of Object.entries(declaredInputs)) {
      if (!(name in inv.inputs) && !declared?.optional && declared?.default === undefined) {
        issues.push({ path: 'properties.InputData', message: `the pipeline component's required input '${name}' is not given` });
      }
    }
    for (const name of Object.keys(inv.outputs)) {
      if (!(name in declaredOutputs)) issues.push({ path: `properties.OutputData.${name}`, message: `the pipeline component has no output '${name}' (it has: ${Object.keys(declaredOutputs).join(', ') || 'none'})` });
    }
  }

  // ---- the job -------------------------------------------------------------------------------------

  private createJob(req: FakeRequest, principal: Principal, e: BatchEndpointRecord, d: BatchDeploymentRecord, inv: Invocation): JobRecord {
    const name = `batchjob-${randomUUID()}`;
    const now = this.ctx.now();
    const outputNames = d.componentSpec ? Object.keys(d.componentSpec.outputs ?? {}) : ['score'];
    const outputs: Record<string, any> = {};
    for (const output of outputNames) {
      outputs[output] = inv.outputs[output] ?? { jobOutputType: 'uri_folder', uri: `azureml://datastores/workspaceblobstore/paths/azureml/${name}/${output}/`, mode: 'Upload' };
    }
    const p = d.body.properties;
    const properties: Record<string, string> = {
      'azureml.batchrun': 'true',
      'azureml.endpointname': e.name,
      'azureml.deploymentname': d.name,
    };
    if (p.model?.assetId) properties['azureml.modelid'] = p.model.assetId;
    if (d.componentSpec) properties['azureml.pipelinecomponentid'] = p.deploymentConfiguration.componentId.assetId;
    const body = {
      properties: {
        jobType: 'Pipeline',
        displayName: e.name,
        experimentName: e.name,
        description: null,
        tags: {},
        properties,
        computeId: p.compute,
        isArchived: false,
        inputs: inv.inputs,
        outputs,
        // One step, as Azure ML shows a batch job: the scoring runs (and logs) in the `batchscoring` step.
        jobs: { [BATCH_STEP]: { type: 'command', name: BATCH_STEP, display_name: BATCH_STEP } },
        settings: {},
      },
    };
    // What a test scripts for the job (statuses, error, log) happens in its scoring step; the job follows it.
    const scripted = this.ctx.jobScript();
    const step = scripted.steps?.[BATCH_STEP] ?? { statuses: scripted.statuses, error: scripted.error, logLines: scripted.logLines, runMinutes: scripted.runMinutes };
    step.logLines ??= this.defaultLog(name, e, d, inv, outputs, now);
    const script: JobScript = { retryAfterMs: scripted.retryAfterMs, steps: { [BATCH_STEP]: step } };
    const record: JobRecord = {
      name,
      received: structuredClone(req.json),
      body,
      systemData: systemData(principal, now),
      created: now,
      run: new JobRun(script, this.ctx.now),
      experimentId: stableGuid(`experiment/${e.name}`),
    };
    record.run.onFinish((status) => {
      if (status !== 'Completed' || d.componentSpec || !this.ctx.blobs) return;
      const write = this.writeScores(record, d).catch(() => undefined).finally(() => this.pending.delete(write));
      this.pending.add(write);
    });
    adoptChildren(record, script, this.ctx.now);
    this.ctx.store.addJob(name, record);
    return record;
  }

  private defaultLog(name: string, e: BatchEndpointRecord, d: BatchDeploymentRecord, inv: Invocation, outputs: Record<string, any>, at: Date): string[] {
    const p = d.body.properties;
    const compute = parseArmChildId(String(p.compute))?.name ?? String(p.compute);
    const what = d.componentSpec ? `pipeline component ${p.deploymentConfiguration.componentId.assetId}` : `model ${p.model.assetId}`;
    return [
      `[${at.toISOString()}] Batch scoring job ${name} for endpoint ${e.name}, deployment ${d.name}`,
      `Running ${what} on ${compute} (mini batch size ${p.miniBatchSize}, ${p.maxConcurrencyPerInstance} per instance)`,
      ...Object.entries(inv.inputs).map(([k, v]) => `Input ${k}: ${v.uri ?? v.value}`),
      ...Object.entries(outputs).map(([k, v]) => `Output ${k}: ${v.uri}`),
      'Batch scoring done.',
    ];
  }

  /**
   * The fake model's scored data: one line per input row, `<file name>,<row index>,<sum of its numeric fields>`,
   * in `<score folder>/<outputFileName>` (or the `score` file itself when it is a UriFile output). Inputs that are
   * not on the workspace's storage (or not there at all) produce nothing.
   */
  private async writeScores(job: JobRecord, d: BatchDeploymentRecord): Promise<void> {
    const blobs = this.ctx.blobs!;
    const p = d.body.properties;
    if (p.outputAction === 'SummaryOnly') return;
    const input = Object.values<any>(job.body.properties.inputs)[0];
    const source = this.location(input.uri);
    const score = job.body.properties.outputs.score;
    const target = this.location(score.jobOutputType === 'uri_file' ? score.uri : `${score.uri.replace(/\/+$/, '')}/${p.outputFileName}`);
    if (!source || !target) return;
    const lines: string[] = [];
    for (const blob of (await blobs.list(source.container, source.path)).sort()) {
      const file = blob.split('/').pop()!;
      const rows = (await blobs.read(source.container, blob)).split(/\r?\n/).filter((l) => l.trim() !== '');
      // A first line with a field that is not a number is a header.
      if (rows.length && rows[0].split(',').some((f) => f.trim() !== '' && !Number.isFinite(Number(f)))) rows.shift();
      rows.forEach((row, i) => {
        const sum = row.split(',').map(Number).filter(Number.isFinite).reduce((s, x) => s + x, 0);
        lines.push(`${file},${i},${Math.round(sum * 1e6) / 1e6}`);
      });
    }
    if (!lines.length) return;
    await blobs.write(target.container, target.path, `${lines.join('\n')}\n`);
    this.outputs.push({ jobName: job.name, container: target.container, path: target.path, lines: lines.length });
  }

  /** Container and path on the workspace's storage of a data asset, datastore path or blob URL; undefined otherwise. */
  private location(uri: string, depth = 0): { container: string; path: string } | undefined {
    if (depth > 2) return undefined;
    const asset = /^azureml:([^/:@]+)(?::([^/:@]+)|@latest)$/.exec(uri);
    const ref = uri.startsWith('/subscriptions/') ? parseArmChildId(uri) : undefined;
    if (asset || ref) {
      const version = asset
        ? (asset[2] ? this.ctx.store.version('data', asset[1], asset[2]) : this.ctx.store.latest('data', asset[1]))
        : ref!.kind === 'data' && ref!.version !== undefined ? this.ctx.store.version('data', ref!.name, ref!.version) : undefined;
      const dataUri = version?.body.properties?.dataUri;
      return typeof dataUri === 'string' ? this.location(dataUri, depth + 1) : undefined;
    }
    const datastore = /^azureml:\/\/datastores\/([^/]+)\/paths\/(.*)$/.exec(uri);
    if (datastore) {
      const ds = this.ctx.store.datastore(datastore[1]);
      if (!ds || ds.properties.datastoreType !== 'AzureBlob' || ds.properties.accountName !== this.ctx.identity.storageAccountName) return undefined;
      return { container: String(ds.properties.containerName), path: datastore[2] };
    }
    return this.ctx.blobs?.parse(uri);
  }
}

/**
 * The members of a JSON object, matched case-insensitively to `known` and returned under their canonical names;
 * unknown members and missing `required` ones are issues. Undefined when `value` is not an object.
 */
function members(value: unknown, path: string, known: string[], issues: ValidationIssue[], required: string[] = []): Record<string, any> | undefined {
  const where = path || '(body)';
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    issues.push({ path: where, message: 'must be a JSON object' });
    return undefined;
  }
  const out: Record<string, any> = {};
  for (const [key, v] of Object.entries(value)) {
    const canonical = known.find((k) => k.toLowerCase() === key.toLowerCase());
    if (!canonical) issues.push({ path: path ? `${path}.${key}` : key, message: `is not a member of the invocation body (expected ${known.join(', ')})` });
    else if (canonical in out) issues.push({ path: path ? `${path}.${key}` : key, message: `repeats ${canonical} in another case` });
    else out[canonical] = v;
  }
  for (const r of required) if (!(r in out)) issues.push({ path: path ? `${path}.${r}` : r, message: 'is required' });
  return out;
}

/** The entries of a dictionary member (InputData, OutputData). */
function entries(value: unknown, path: string, issues: ValidationIssue[]): Array<[string, unknown]> {
  if (value === undefined) return [];
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    issues.push({ path, message: 'must be an object of named entries' });
    return [];
  }
  return Object.entries(value);
}
