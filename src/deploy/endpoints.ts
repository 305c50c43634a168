import type { Sleep } from '../http/retry';
import type { ArmResponse, WorkspaceClient } from '../workspace/client';
import { waitForOperation, type OperationOutcome } from '../workspace/operations';
import { DEPLOY_API_VERSION, type OnlineDeploymentBody, type OnlineEndpointBody } from './rest-body';
import type { Traffic } from './traffic';

/** An online endpoint as Azure ML returns it (the members this extension reads). */
export interface OnlineEndpointResource {
  id: string;
  name: string;
  location: string;
  kind?: string;
  tags?: Record<string, string>;
  identity?: { type: string; userAssignedIdentities?: Record<string, unknown> };
  properties: {
    authMode: 'Key' | 'AMLToken' | 'AADToken';
    description?: string;
    properties?: Record<string, string>;
    compute?: string;
    traffic?: Traffic;
    mirrorTraffic?: Traffic;
    publicNetworkAccess?: 'Enabled' | 'Disabled';
    provisioningState?: string;
    scoringUri?: string;
    swaggerUri?: string;
  };
}

export interface OnlineDeploymentResource {
  id: string;
  name: string;
  tags?: Record<string, string>;
  sku?: { name: string; capacity?: number };
  systemData?: { createdAt?: string; lastModifiedAt?: string };
  properties: OnlineDeploymentBody['properties'] & { provisioningState?: string };
}

export interface OperationCall {
  signal?: AbortSignal;
  sleep?: Sleep;
  timeoutMs?: number;
  onStatus?: (status: string) => void;
}

/**
 * Resource Manager calls shared by online and batch endpoints and their deployments (`onlineEndpoints` or
 * `batchEndpoints`), at the api-version whose bodies we build. Creating and deleting are long-running operations.
 */
export class Endpoints<E, D> {
  constructor(
    protected readonly client: WorkspaceClient,
    private readonly collection: 'onlineEndpoints' | 'batchEndpoints',
  ) {}

  private get kind(): string {
    return this.collection === 'onlineEndpoints' ? 'online endpoint' : 'batch endpoint';
  }

  getEndpoint(name: string, signal?: AbortSignal): Promise<E | undefined> {
    return this.client.get(this.endpointPath(name), { apiVersion: DEPLOY_API_VERSION, operation: `read the ${this.kind} '${name}'`, allowNotFound: true, signal });
  }

  getDeployment(endpoint: string, name: string, signal?: AbortSignal): Promise<D | undefined> {
    return this.client.get(this.deploymentPath(endpoint, name), { apiVersion: DEPLOY_API_VERSION, operation: `read the deployment '${name}' of ${this.kind} '${endpoint}'`, allowNotFound: true, signal });
  }

  async listDeployments(endpoint: string, signal?: AbortSignal): Promise<D[]> {
    const all: D[] = [];
    let next: string | undefined = `${this.endpointPath(endpoint)}/deployments`;
    let query: Record<string, string> | undefined;
    while (next) {
      const page: { value?: D[]; nextLink?: string } | undefined = await this.client.get(next, {
        apiVersion: DEPLOY_API_VERSION,
        query,
        operation: `list the deployments of ${this.kind} '${endpoint}'`,
        signal,
      });
      all.push(...(page?.value ?? []));
      if (!page?.nextLink) break;
      const url: URL = new URL(page.nextLink);
      next = url.pathname;
      query = Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'api-version'));
    }
    return all;
  }

  putEndpoint(name: string, body: unknown, o: OperationCall): Promise<OperationOutcome> {
    return this.putAndWait(this.endpointPath(name), body, `create or update the ${this.kind} '${name}'`, o);
  }

  putDeployment(endpoint: string, name: string, body: unknown, o: OperationCall): Promise<OperationOutcome> {
    return this.putAndWait(this.deploymentPath(endpoint, name), body, `create or update the deployment '${name}' of ${this.kind} '${endpoint}'`, o);
  }

  deleteEndpoint(name: string, o: OperationCall): Promise<OperationOutcome> {
    return this.deleteAndWait(this.endpointPath(name), `delete the ${this.kind} '${name}'`, o);
  }

  deleteDeployment(endpoint: string, name: string, o: OperationCall): Promise<OperationOutcome> {
    return this.deleteAndWait(this.deploymentPath(endpoint, name), `delete the deployment '${name}' of ${this.kind} '${endpoint}'`, o);
  }

  protected async putAndWait(path: string, body: unknown, operation: string, o: OperationCall): Promise<OperationOutcome> {
    const first = (await this.client.request('PUT', path, { apiVersion: DEPLOY_API_VERSION, body, operation, signal: o.signal }))!;
    try {
      return await waitForOperation((m, p, r) => this.client.request(m, p, r), first, { ...o, operation });
    } catch (e) {
      // Canceled while Azure ML still works on it: remembered, so a rollback can wait for it before changing the resource again.
      if ((e as Error)?.name === 'AbortError') this.unfinished.set(path.toLowerCase(), { first, operation });
      throw e;
    }
  }

  /**
   * Waits, without the step's signal, for an operation a cancellation left running on the endpoint (Azure ML refuses
   * another change of a resource while one is under way). Undefined when there was none.
   */
  async finishUnfinished(endpoint: string, o: Omit<OperationCall, 'signal'>): Promise<OperationOutcome | undefined> {
    const key = this.endpointPath(endpoint).toLowerCase();
    const pending = this.unfinished.get(key);
    if (!pending) return undefined;
    this.unfinished.delete(key);
    return waitForOperation((m, p, r) => this.client.request(m, p, r), pending.first, { ...o, operation: pending.operation });
  }

  private readonly unfinished = new Map<string, { first: ArmResponse<unknown>; operation: string }>();

  protected async deleteAndWait(path: string, operation: string, o: OperationCall): Promise<OperationOutcome> {
    const first = await this.client.request('DELETE', path, { apiVersion: DEPLOY_API_VERSION, operation, signal: o.signal, allowNotFound: true });
    if (!first || first.status === 204) return { status: 'Succeeded', timedOut: false };
    return waitForOperation((m, p, r) => this.client.request(m, p, r), first, { ...o, operation });
  }

  protected endpointPath(name: string): string {
    return `${this.collection}/${encodeURIComponent(name)}`;
  }

  protected deploymentPath(endpoint: string, name: string): string {
    return `${this.endpointPath(endpoint)}/deployments/${encodeURIComponent(name)}`;
  }
}

/** Online endpoints add keys, scoring tokens and container logs. */
export class OnlineEndpoints extends Endpoints<OnlineEndpointResource, OnlineDeploymentResource> {
  constructor(client: WorkspaceClient) {
    super(client, 'onlineEndpoints');
  }

  putEndpoint(name: string, body: OnlineEndpointBody, o: OperationCall): Promise<OperationOutcome> {
    return super.putEndpoint(name, body, o);
  }

  putDeployment(endpoint: string, name: string, body: OnlineDeploymentBody, o: OperationCall): Promise<OperationOutcome> {
    return super.putDeployment(endpoint, name, body, o);
  }

  async listKeys(endpoint: string, signal?: AbortSignal): Promise<{ primaryKey?: string; secondaryKey?: string }> {
    const r = await this.client.request<{ primaryKey?: string; secondaryKey?: string }>('POST', `${this.endpointPath(endpoint)}/listKeys`, {
      apiVersion: DEPLOY_API_VERSION,
      operation: `read the keys of endpoint '${endpoint}'`,
      signal,
    });
    return r?.body ?? {};
  }

  async getToken(endpoint: string, signal?: AbortSignal): Promise<{ accessToken?: string; expiryTimeUtc?: number; refreshAfterTimeUtc?: number }> {
    const r = await this.client.request<{ accessToken?: string; expiryTimeUtc?: number; refreshAfterTimeUtc?: number }>('POST', `${this.endpointPath(endpoint)}/token`, {
      apiVersion: DEPLOY_API_VERSION,
      operation: `get a scoring token for endpoint '${endpoint}'`,
      signal,
    });
    return r?.body ?? {};
  }

  async getLogs(endpoint: string, deployment: string, containerType: 'InferenceServer' | 'StorageInitializer', tail: number, signal?: AbortSignal): Promise<string> {
    const r = await this.client.request<{ content?: string }>('POST', `${this.deploymentPath(endpoint, deployment)}/getLogs`, {
      apiVersion: DEPLOY_API_VERSION,
      body: { containerType, tail },
      operation: `read the ${containerType} logs of deployment '${deployment}'`,
      signal,
    });
    return r?.body?.content ?? '';
  }
}

/** Whether an operation ended well (an answer without an operation to follow counts as done). */
export function succeeded(outcome: OperationOutcome): boolean {
  return !outcome.timedOut && (outcome.status === undefined || outcome.status.toLowerCase() === 'succeeded');
}

/** Why an operation did not succeed, for messages. */
export function describeOutcome(outcome: OperationOutcome, timeoutMs: number): string {
  if (outcome.timedOut) return `it did not finish within ${minutes(timeoutMs)}.`;
  const e = outcome.error;
  return `${e?.code ? `${e.code}: ` : ''}${e?.message ?? `the operation ended ${outcome.status}.`}`;
}

export function minutes(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m >= 1 ? `${m} minute${m === 1 ? '' : 's'}` : `${Math.round(ms / 1000)} seconds`;
}

/**
 * Whether a deployment already runs what we would send: every member of `desired` equals what Azure ML holds
 * (members it adds, such as defaults, do not count; ARM ids compare without case).
 */
export function sameDefinition(desired: unknown, existing: unknown): boolean {
  if (desired === existing) return true;
  if (typeof desired === 'string' && typeof existing === 'string') return desired.startsWith('/subscriptions/') && desired.toLowerCase() === existing.toLowerCase();
  if (desired && existing && typeof desired === 'object' && typeof existing === 'object') {
    if (Array.isArray(desired) !== Array.isArray(existing)) return false;
    return Object.keys(desired).every((k) => sameDefinition((desired as Record<string, unknown>)[k], (existing as Record<string, unknown>)[k]));
  }
  return false;
}
