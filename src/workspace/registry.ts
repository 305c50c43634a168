import type { HttpMethods } from '@azure/core-rest-pipeline';
import { UserError } from '../errors';
import type { Sleep } from '../http/retry';
import { waitForOperation } from './operations';
import { WorkspaceClient, type ArmResponse, type RequestOptions, type WorkspaceClientOptions } from './client';

export interface RegistryRef {
  subscriptionId: string;
  resourceGroup: string;
  registryName: string;
}

export function registryArmId(r: RegistryRef): string {
  return `/subscriptions/${r.subscriptionId}/resourceGroups/${r.resourceGroup}/providers/Microsoft.MachineLearningServices/registries/${r.registryName}`;
}

export interface RegistryClientOptions extends Omit<WorkspaceClientOptions, 'workspace' | 'inputNames'> {
  registry: RegistryRef;
  /** The task inputs naming the registry, for the message when it does not exist. */
  inputNames?: { registryName: string; resourceGroup: string };
}

/**
 * One Azure ML registry's Resource Manager API (`registries/{name}/...`, api-version 2024-04-01). It sends through
 * a WorkspaceClient's authenticated pipeline (token for the cloud's Resource Manager audience, retries, errors
 * explained) with absolute paths only, so nothing workspace-specific is ever used.
 */
export class RegistryClient {
  readonly registry: RegistryRef;
  readonly registryId: string;
  private readonly arm: WorkspaceClient;
  private readonly inputNames?: { registryName: string; resourceGroup: string };

  constructor(options: RegistryClientOptions) {
    this.registry = options.registry;
    this.registryId = registryArmId(options.registry);
    this.inputNames = options.inputNames;
    const { registry, inputNames: _names, ...rest } = options;
    this.arm = new WorkspaceClient({
      ...rest,
      workspace: { subscriptionId: registry.subscriptionId, resourceGroup: registry.resourceGroup, workspaceName: registry.registryName },
    });
  }

  /** A request to `path`, relative to the registry (`models/x/versions/1`) or absolute (`/subscriptions/...`). */
  request<T>(method: HttpMethods, path: string, options: RequestOptions): Promise<ArmResponse<T> | undefined> {
    return this.arm.request<T>(method, path.startsWith('/') ? path : `${this.registryId}/${path}`, options);
  }

  async get<T>(path: string, options: Omit<RequestOptions, 'body'>): Promise<T | undefined> {
    return (await this.request<T>('GET', path, options))?.body;
  }

  /** The registry resource; a UserError naming the inputs to check when it does not exist. */
  async details(): Promise<RegistryInfo> {
    const { registryName, resourceGroup, subscriptionId } = this.registry;
    const r = await this.get<RegistryInfo>(this.registryId, { operation: `read the registry '${registryName}' in resource group '${resourceGroup}'`, allowNotFound: true });
    if (!r) {
      const inputs = this.inputNames ? `${this.inputNames.registryName} and ${this.inputNames.resourceGroup} inputs` : 'registry name and resource group inputs';
      throw new UserError(
        `The Azure ML registry '${registryName}' was not found in resource group '${resourceGroup}' of subscription ${subscriptionId}. Check the ${inputs} and the service connection's subscription.`,
        { input: this.inputNames?.registryName ?? 'registryName' },
      );
    }
    return r;
  }

  /**
   * PUT of a resource that Azure ML creates as a long-running operation (registry asset versions): polls the
   * Azure-AsyncOperation (or Location) URL until the operation ends, then reads the resource.
   */
  async putAndWait<T>(path: string, body: unknown, o: { operation: string; signal?: AbortSignal; sleep?: Sleep; timeoutMs?: number }): Promise<T> {
    const first = (await this.request<T>('PUT', path, { body, operation: o.operation, signal: o.signal }))!;
    const timeoutMs = o.timeoutMs ?? 30 * 60_000;
    const outcome = await waitForOperation((m, p, r) => this.request(m, p, r), first, { ...o, timeoutMs });
    if (outcome.timedOut) throw new UserError(`Azure Machine Learning did not finish trying to ${o.operation} within ${Math.round(timeoutMs / 60_000)} minutes. Check the registry in Azure ML studio and try again.`);
    const status = outcome.status?.toLowerCase();
    if (status === 'failed' || status === 'canceled') {
      const e = outcome.error;
      throw new UserError(`Azure Machine Learning could not ${o.operation}: ${e?.code ? `${e.code}: ` : ''}${e?.message ?? `the operation ended ${outcome.status}`}`);
    }
    const final = await this.get<T>(path, { operation: o.operation, signal: o.signal });
    return final ?? first.body;
  }
}

export interface RegistryInfo {
  id: string;
  name: string;
  location: string;
  properties?: { discoveryUrl?: string; mlFlowRegistryUri?: string };
}
