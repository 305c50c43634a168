import type { TokenCredential } from '@azure/core-auth';
import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { isUserError, UserError } from '../errors';
import { resolveAsset } from '../jobs/resolve';
import type { Log } from '../log';
import type { WorkspaceClient, WorkspaceCall } from '../workspace/client';
import { lineageTags, type BuildContext } from '../workspace/lineage';
import { describeOutcome, Endpoints, sameDefinition, succeeded } from './endpoints';
import { resolveDeploymentReferences } from './resolve';
import { buildBatchDeploymentBody, buildBatchEndpointBody, type BatchDeploymentBody, type BatchEndpointBody } from './rest-body';
import type { BatchDeploymentSpec, BatchEndpointSpec, LoadedDeploySpec } from './spec';
import { shortAsset } from './online';

interface BatchEndpointResource {
  id: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  properties: BatchEndpointBody['properties'] & { scoringUri?: string; provisioningState?: string };
}

interface BatchDeploymentResource {
  id: string;
  name: string;
  tags?: Record<string, string>;
  properties: BatchDeploymentBody['properties'] & { provisioningState?: string };
}

export interface BatchDeployOptions extends WorkspaceCall {
  build?: BuildContext;
  endpoint: LoadedDeploySpec<BatchEndpointSpec>;
  deployment: LoadedDeploySpec<BatchDeploymentSpec>;
  /** Make the deployment the endpoint's default. */
  setDefault: boolean;
  timeoutMs: number;
}

export interface BatchDeployResult {
  endpointName: string;
  deploymentName: string;
  scoringUri?: string;
  endpointCreated: boolean;
  deploymentAction: 'created' | 'updated' | 'unchanged';
  defaultDeployment?: string;
  modelId?: string;
  /** The pipeline component version a pipeline component deployment runs. */
  componentId?: string;
}

/**
 * Creates or updates a batch endpoint and one deployment from the CLI's YAML files, and makes it the default if
 * asked. Nothing is sent for what already matches, so running it twice changes nothing the second time. A
 * deployment that fails to provision and was created by this run is deleted (with the endpoint if this run made it).
 */
export async function deployBatch(o: BatchDeployOptions): Promise<BatchDeployResult> {
  const ep = o.endpoint.spec;
  const dep = o.deployment.spec;
  if (dep.endpointName !== ep.name) {
    throw new UserError(`${o.deployment.file}: endpoint_name is '${dep.endpointName}' but the endpoint file ${o.endpoint.file} names '${ep.name}'. Make them the same.`, {
      file: o.deployment.file,
      line: o.deployment.lines.endpoint_name,
    });
  }
  const api = new Endpoints<BatchEndpointResource, BatchDeploymentResource>(o.client, 'batchEndpoints');
  const workspace = await o.client.workspaceDetails();
  const existing = await api.getEndpoint(ep.name, o.signal);
  const existingDeployment = existing ? await api.getDeployment(ep.name, dep.name, o.signal) : undefined;
  const refs = await resolveDeploymentReferences(o.deployment, o);
  const desired = buildBatchDeploymentBody(dep, refs, { location: workspace.location });
  const lineage = o.build ? lineageTags(o.build) : {};
  if (Object.keys(lineage).length > 0) desired.tags = { ...(desired.tags ?? {}), ...lineage };
  const call = { signal: o.signal, sleep: o.sleep, timeoutMs: o.timeoutMs };
  const result: BatchDeployResult = {
    endpointName: ep.name,
    deploymentName: dep.name,
    scoringUri: existing?.properties.scoringUri,
    endpointCreated: false,
    deploymentAction: 'unchanged',
    defaultDeployment: existing?.properties.defaults?.deploymentName,
    modelId: desired.properties.model?.assetId,
    componentId: desired.properties.deploymentConfiguration?.componentId.assetId,
  };

  // The endpoint first, without a default: a default must name a deployment that exists.
  if (!existing) {
    o.log.info(`Creating the batch endpoint '${ep.name}'.`);
    const body = buildBatchEndpointBody({ ...ep, defaultDeployment: undefined }, { location: workspace.location });
    if (Object.keys(lineage).length > 0) body.tags = { ...(body.tags ?? {}), ...lineage };
    const outcome = await api.putEndpoint(ep.name, body, call);
    result.endpointCreated = true;
    if (!succeeded(outcome)) {
      await api.deleteEndpoint(ep.name, { sleep: o.sleep, timeoutMs: o.timeoutMs }).catch(() => undefined);
      throw new UserError(`The batch endpoint '${ep.name}' could not be created: ${describeOutcome(outcome, o.timeoutMs)}`);
    }
  }

  const unchanged = !!existingDeployment && existingDeployment.properties.provisioningState === 'Succeeded' && sameDefinition(desired.properties, existingDeployment.properties);
  if (!unchanged) {
    result.deploymentAction = existingDeployment ? 'updated' : 'created';
    o.log.info(`${existingDeployment ? 'Updating' : 'Creating'} the batch deployment '${dep.name}' (${result.modelId ? `model ${shortAsset(result.modelId)}` : `pipeline component ${shortAsset(result.componentId)}`}, compute ${desired.properties.compute.split('/').pop()}).`);
    const outcome = await api.putDeployment(ep.name, dep.name, desired, call);
    if (!succeeded(outcome)) {
      const message = `The batch deployment '${dep.name}' failed to provision: ${describeOutcome(outcome, o.timeoutMs)}`;
      if (!existingDeployment) {
        // Nothing half-made is left behind: the failed deployment goes, and the endpoint too if this run made it.
        if (result.endpointCreated) await api.deleteEndpoint(ep.name, { sleep: o.sleep, timeoutMs: o.timeoutMs }).catch(() => undefined);
        else await api.deleteDeployment(ep.name, dep.name, { sleep: o.sleep, timeoutMs: o.timeoutMs }).catch(() => undefined);
      }
      throw new UserError(message);
    }
  } else {
    o.log.info(`The batch deployment '${dep.name}' already runs this definition.`);
  }

  const wantedDefault = o.setDefault ? dep.name : ep.defaultDeployment;
  let endpoint = (await api.getEndpoint(ep.name, o.signal))!;
  const endpointWanted = buildBatchEndpointBody({ ...ep, defaultDeployment: wantedDefault ?? endpoint.properties.defaults?.deploymentName }, { location: workspace.location });
  if (endpointNeedsUpdate(endpoint, endpointWanted)) {
    if (wantedDefault && wantedDefault !== endpoint.properties.defaults?.deploymentName) o.log.info(`Making '${wantedDefault}' the default deployment of '${ep.name}'.`);
    endpointWanted.tags = { ...(endpoint.tags ?? {}), ...(endpointWanted.tags ?? {}) };
    const outcome = await api.putEndpoint(ep.name, endpointWanted, call);
    if (!succeeded(outcome)) throw new UserError(`The batch endpoint '${ep.name}' could not be updated: ${describeOutcome(outcome, o.timeoutMs)}`);
    endpoint = (await api.getEndpoint(ep.name, o.signal))!;
  }
  result.scoringUri = endpoint.properties.scoringUri;
  result.defaultDeployment = endpoint.properties.defaults?.deploymentName;
  return result;
}

export interface BatchInvokeOptions {
  client: WorkspaceClient;
  credential: TokenCredential;
  onSecret: (value: string) => void;
  log: Log;
  signal?: AbortSignal;
  scoringUri: string;
  endpointName: string;
  /** The deployment to run; the endpoint's default when absent. */
  deployment?: string;
  inputName: string;
  /** `azureml:<name>:<version>`, `azureml:<name>@latest`, `azureml://datastores/...`, or a storage URL. */
  input: string;
  inputType: 'uri_folder' | 'uri_file';
  outputUri?: string;
  /** The name of the output `outputUri` is for (`score` for model deployments). */
  outputName?: string;
}

/**
 * Starts a batch scoring job: POST to the endpoint's invocation URI with an Entra token for Azure ML, the input
 * as the REST API documents it. Returns the name of the job, which then runs like any Azure ML job.
 */
export async function invokeBatch(o: BatchInvokeOptions): Promise<{ jobName: string }> {
  const uri = await inputUri(o);
  const input: Record<string, string> = { JobInputType: o.inputType === 'uri_file' ? 'UriFile' : 'UriFolder', Uri: uri };
  const properties: Record<string, unknown> = { InputData: { [o.inputName]: input } };
  if (o.outputUri) properties.OutputData = { [o.outputName ?? 'score']: { JobOutputType: 'UriFolder', Uri: o.outputUri } };
  const token = await o.credential.getToken(AML_SCOPE, { abortSignal: o.signal });
  if (!token) throw new Error(`No access token for ${AML_SCOPE}, which batch endpoint invocations need.`);
  o.onSecret(token.token);
  const headers = createHttpHeaders({ Authorization: `Bearer ${token.token}`, 'Content-Type': 'application/json', Accept: 'application/json' });
  if (o.deployment) headers.set('azureml-model-deployment', o.deployment);
  const request = createPipelineRequest({ url: o.scoringUri, method: 'POST', headers, body: JSON.stringify({ properties }), abortSignal: o.signal });
  const response = await createDefaultHttpClient().sendRequest(request);
  const text = response.bodyAsText ?? '';
  let body: { name?: string; error?: { message?: string } } | undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.status >= 400 || !body?.name) {
    const why = body?.error?.message ?? (text.slice(0, 300) || `HTTP ${response.status}`);
    throw new UserError(`Invoking the batch endpoint '${o.endpointName}' failed (HTTP ${response.status}): ${why}`, { input: 'invokeInput' });
  }
  return { jobName: body.name };
}

const AML_SCOPE = 'https://ml.azure.com/.default';

export type InvokeInput = { kind: 'uri'; uri: string } | { kind: 'asset'; name: string; version?: string };

/** What `invokeInput` names; a UserError for anything a batch endpoint cannot read (a local path), before anything is sent. */
export function parseInvokeInput(text: string): InvokeInput {
  const value = text.trim();
  if (/^(azureml:\/\/|https:\/\/|wasbs:\/\/|abfss:\/\/)/i.test(value) || value.startsWith('/subscriptions/')) return { kind: 'uri', uri: value };
  const m = /^azureml:([^:@/\s]+)(?::([^:@/\s]+)|@latest)?$/.exec(value);
  if (!m) {
    throw new UserError(
      `Input 'invokeInput': '${value}' is not something a batch endpoint can read. Use a data asset (azureml:<name>:<version> or azureml:<name>@latest), a datastore path (azureml://datastores/<name>/paths/<path>) or a storage URL.`,
      { input: 'invokeInput' },
    );
  }
  return { kind: 'asset', name: m[1], version: m[2] };
}

/** A data asset becomes its version's ARM id (checked to exist); datastore paths and URLs go as they are. */
async function inputUri(o: BatchInvokeOptions): Promise<string> {
  const input = parseInvokeInput(o.input);
  if (input.kind === 'uri') return input.uri;
  try {
    return await resolveAsset(o.client, 'data', 'data asset', input.name, input.version, { file: 'invokeInput' });
  } catch (e) {
    // The message names the input; it is not a file to point at.
    if (isUserError(e)) throw new UserError(e.message.replace('named in invokeInput', "named in input 'invokeInput'"), { input: 'invokeInput' });
    throw e;
  }
}

function endpointNeedsUpdate(current: BatchEndpointResource, wanted: BatchEndpointBody): boolean {
  if ((wanted.properties.defaults?.deploymentName ?? '') !== (current.properties.defaults?.deploymentName ?? '')) return true;
  if (wanted.properties.description !== undefined && wanted.properties.description !== (current.properties.description ?? '')) return true;
  for (const [k, v] of Object.entries(wanted.tags ?? {})) if (current.tags?.[k] !== v) return true;
  return false;
}
