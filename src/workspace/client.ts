import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { TokenCredential } from '@azure/core-auth';
import {
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  createDefaultHttpClient,
  RestError,
  type HttpMethods,
  type Pipeline,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { scopeFor, type Cloud } from '../auth/connection';
import { transientRetryPolicy, retryAfterMs, type RetryOptions, type Sleep } from '../http/retry';
import { UserError } from '../errors';
import type { Log } from '../log';
import { explainAzureError } from './errors';
import { workspaceArmId, type WorkspaceRef } from './ids';

/** The stable api-version whose request bodies the official spec defines and this extension sends. */
export const API_VERSION = '2024-04-01';

export interface WorkspaceClientOptions {
  credential: TokenCredential;
  cloud: Cloud;
  workspace: WorkspaceRef;
  /** Who signs in, for error messages: "service connection 1234", "your Azure login". */
  identity: string;
  /** The task inputs naming the workspace, for the message when it does not exist (default workspaceName, resourceGroup). */
  inputNames?: { workspaceName: string; resourceGroup: string };
  log: Log;
  retry?: RetryOptions;
  userAgent?: string;
}

/** What core operations on a workspace get from a task: the signed-in client, the log, secret masking and cancellation. */
export interface WorkspaceCall {
  client: WorkspaceClient;
  credential: TokenCredential;
  log: Log;
  /** Registers a secret met on the way (a key, a token, a SAS URL) so it is masked. */
  onSecret: (value: string) => void;
  signal?: AbortSignal;
  sleep?: Sleep;
}

export interface ArmResponse<T> {
  status: number;
  body: T;
  /** Delay the service asked for before the next poll, if any. */
  retryAfterMs?: number;
  headers: PipelineResponse['headers'];
}

export interface RequestOptions {
  apiVersion?: string;
  body?: unknown;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  /** Resolve to undefined instead of failing on 404. */
  allowNotFound?: boolean;
  /** For error messages: what this request does ("create the job 'x'"). */
  operation: string;
  signal?: AbortSignal;
}

/**
 * One workspace's Azure ML control plane and data plane, through the SDK's authenticated pipeline
 * (bearer token for the cloud's Resource Manager audience, retries on transient failures).
 * Request bodies go raw at API_VERSION: the 2.1.1 SDK's serializers drop job input URIs and unknown properties.
 */
export class WorkspaceClient {
  readonly sdk: AzureMachineLearningWorkspaces;
  readonly workspace: WorkspaceRef;
  readonly workspaceId: string;
  readonly cloud: Cloud;
  private readonly identity: string;
  private readonly anonymous: Pipeline;
  private readonly httpClient = createDefaultHttpClient();
  private workspaceInfo?: Promise<WorkspaceInfo>;
  private apiBase?: Promise<string>;

  constructor(private readonly options: WorkspaceClientOptions) {
    this.workspace = options.workspace;
    this.workspaceId = workspaceArmId(options.workspace);
    this.cloud = options.cloud;
    this.identity = options.identity;
    this.sdk = new AzureMachineLearningWorkspaces(options.credential, options.workspace.subscriptionId, {
      endpoint: options.cloud.resourceManagerUrl,
      // Without explicit scopes the SDK asks for a token for `${endpoint}/.default`, wrong for sovereign clouds and Azure Stack.
      credentialScopes: [scopeFor(options.cloud.resourceManagerAudience)],
      userAgentOptions: { userAgentPrefix: options.userAgent ?? 'aml-mlops-azure-devops' },
    });
    replaceRetryPolicy(this.sdk.pipeline, options.retry);
    // SAS-signed URLs (log files) must not carry the Resource Manager token.
    this.anonymous = createPipelineFromOptions({ userAgentOptions: { userAgentPrefix: options.userAgent ?? 'aml-mlops-azure-devops' } });
    replaceRetryPolicy(this.anonymous, options.retry);
  }

  /** ARM id of something in this workspace: `armId('computes', 'cpu')`, `armId('environments', 'env', '3')`. */
  armId(collection: string, name: string, version?: string): string {
    return `${this.workspaceId}/${collection}/${name}${version !== undefined ? `/versions/${version}` : ''}`;
  }

  /** A request to `path`, relative to the workspace (`jobs/x`) or absolute (`/subscriptions/...`). */
  async request<T>(method: HttpMethods, path: string, options: RequestOptions): Promise<ArmResponse<T> | undefined> {
    const base = this.options.cloud.resourceManagerUrl;
    const full = path.startsWith('/') ? path : `${this.workspaceId}/${path}`;
    const url = new URL(base + full);
    url.searchParams.set('api-version', options.apiVersion ?? API_VERSION);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    return this.send<T>(method, url.toString(), options, this.sdk.pipeline, true);
  }

  async get<T>(path: string, options: Omit<RequestOptions, 'body'>): Promise<T | undefined> {
    return (await this.request<T>('GET', path, options))?.body;
  }

  async put<T>(path: string, body: unknown, options: Omit<RequestOptions, 'body'>): Promise<T> {
    return (await this.request<T>('PUT', path, { ...options, body }))!.body;
  }

  /** GET on the workspace's regional data plane (run history, MLflow), with the Resource Manager token. */
  async dataPlane<T>(relativeUrl: string, options: Omit<RequestOptions, 'body' | 'apiVersion'>): Promise<ArmResponse<T> | undefined> {
    const base = await this.dataPlaneBase();
    return this.send<T>('GET', base + relativeUrl, options, this.sdk.pipeline, true);
  }

  /** GET of a URL that carries its own authorization (a SAS URL), as text. */
  async fetchText(url: string, options: Omit<RequestOptions, 'body' | 'apiVersion'>): Promise<string | undefined> {
    return (await this.send<string>('GET', url, options, this.anonymous, false))?.body;
  }

  /**
   * GET of a SAS URL from byte `offset` on (HTTP Range). The status tells what came back: 206 the bytes from
   * the offset, 200 the whole file (a server that ignores Range), 416 nothing past the offset.
   */
  async fetchTextFrom(url: string, offset: number, options: Omit<RequestOptions, 'body' | 'apiVersion' | 'headers'>): Promise<{ status: number; text: string } | undefined> {
    const headers = offset > 0 ? { Range: `bytes=${offset}-` } : undefined;
    const r = await this.send<string>('GET', url, { ...options, headers }, this.anonymous, false, [416]);
    return r && { status: r.status, text: r.status === 416 ? '' : r.body };
  }

  workspaceDetails(): Promise<WorkspaceInfo> {
    this.workspaceInfo ??= this.readWorkspace();
    return this.workspaceInfo;
  }

  /** The data plane host from the workspace's discovery document (`api`), as the Azure ML SDK uses it. */
  private dataPlaneBase(): Promise<string> {
    this.apiBase ??= (async () => {
      const ws = await this.workspaceDetails();
      if (!ws.discoveryUrl) throw new Error(`The workspace '${this.workspace.workspaceName}' has no discovery URL.`);
      const doc = await this.send<{ api?: string }>('GET', ws.discoveryUrl, { operation: 'read the workspace discovery document' }, this.sdk.pipeline, true);
      const api = doc?.body?.api;
      if (!api) throw new Error('The workspace discovery document has no "api" endpoint.');
      return api.replace(/\/+$/, '');
    })();
    return this.apiBase;
  }

  private async readWorkspace(): Promise<WorkspaceInfo> {
    const { resourceGroup, workspaceName, subscriptionId } = this.workspace;
    const ws = await this.get<RawWorkspace>(this.workspaceId, {
      operation: `read the workspace '${workspaceName}' in resource group '${resourceGroup}'`,
      allowNotFound: true,
    });
    if (!ws) {
      const inputs = this.options.inputNames ?? { workspaceName: 'workspaceName', resourceGroup: 'resourceGroup' };
      throw new UserError(
        `The Azure ML workspace '${workspaceName}' was not found in resource group '${resourceGroup}' of subscription ${subscriptionId}. Check the ${inputs.workspaceName} and ${inputs.resourceGroup} inputs and the service connection's subscription.`,
        { input: inputs.workspaceName },
      );
    }
    return {
      id: ws.id,
      location: ws.location,
      discoveryUrl: ws.properties?.discoveryUrl,
      mlFlowTrackingUri: ws.properties?.mlFlowTrackingUri,
      workspaceId: ws.properties?.workspaceId,
      tenantId: ws.properties?.tenantId,
    };
  }

  private async send<T>(method: HttpMethods, url: string, options: RequestOptions, pipeline: Pipeline, json: boolean, expectedErrors: number[] = []): Promise<ArmResponse<T> | undefined> {
    const request = createPipelineRequest({
      url,
      method,
      abortSignal: options.signal,
      headers: createHttpHeaders({ Accept: json ? 'application/json' : '*/*', ...(options.headers ?? {}) }),
    });
    if (options.body !== undefined) {
      request.headers.set('Content-Type', 'application/json');
      request.body = JSON.stringify(options.body);
    }
    let response: PipelineResponse;
    try {
      response = await pipeline.sendRequest(this.httpClient, request);
    } catch (e) {
      throw explainAzureError(e, { operation: options.operation, identity: this.identity });
    }
    if (response.status === 404 && options.allowNotFound) return undefined;
    if (response.status >= 400 && !expectedErrors.includes(response.status)) {
      const error = new RestError(`HTTP ${response.status}`, { statusCode: response.status, response, request });
      throw explainAzureError(error, { operation: options.operation, identity: this.identity });
    }
    const text = response.bodyAsText ?? '';
    let body: unknown = text;
    if (json && text) {
      try {
        body = JSON.parse(text);
      } catch {
        throw new Error(`Azure returned a response that is not JSON while trying to ${options.operation} (HTTP ${response.status}).`);
      }
    }
    return { status: response.status, body: body as T, retryAfterMs: retryAfterMs(response), headers: response.headers };
  }
}

export interface WorkspaceInfo {
  id: string;
  location: string;
  discoveryUrl?: string;
  mlFlowTrackingUri?: string;
  workspaceId?: string;
  tenantId?: string;
}

interface RawWorkspace {
  id: string;
  location: string;
  properties?: { discoveryUrl?: string; mlFlowTrackingUri?: string; workspaceId?: string; tenantId?: string };
}

function replaceRetryPolicy(pipeline: Pipeline, options?: RetryOptions): void {
  pipeline.removePolicy({ phase: 'Retry' });
  pipeline.addPolicy(transientRetryPolicy(options), { phase: 'Retry' });
}
