// The long-running operations of endpoints and deployments (online and batch): Azure-AsyncOperation status URLs
// and Location result URLs that move one step per poll, plus the rules both kinds of endpoint share.
import { randomUUID } from 'crypto';
import { armError, type FakeResponse } from '../http';
import type { ValidationIssue } from '../schema';
import { VALIDATED_API_VERSION } from '../schema';
import type { ServiceContext } from './context';
import { userError } from './responses';
import { PROVIDER, stableGuid } from './scope';

/** How the provisioning of a deployment ends; `hang` stays Creating/Updating until it is released. */
export type ProvisioningOutcome = 'Succeeded' | 'Failed' | 'hang';

export interface Operation {
  id: string;
  endpoint: string;
  deployment?: string;
  action: 'create' | 'update' | 'delete';
  polls: number;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  error?: { code: string; message: string };
  started: Date;
  ended?: Date;
  /** Set by a release of a hanging deployment. */
  released?: 'Succeeded' | 'Failed';
}

// Documented naming rule for endpoints (learn.microsoft.com, "endpoint naming rules"): starts with a letter,
// 3 to 32 characters, letters, digits and hyphens. The spec's path pattern is looser; Azure ML applies the rule.
export const ENDPOINT_NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/;
export const DEPLOYMENT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/;

/**
 * The operations of one kind of endpoint. `settle` is called on a poll after the first while the operation is
 * InProgress; it ends the operation with `finish` (or leaves it running, as a hanging provisioning does).
 */
export class EndpointOperations {
  private readonly ops = new Map<string, Operation>();

  constructor(private readonly ctx: ServiceContext, private readonly settle: (op: Operation) => void) {}

  start(endpoint: string, deployment: string | undefined, action: Operation['action']): Operation {
    const op: Operation = { id: randomUUID(), endpoint, deployment, action, polls: 0, status: 'InProgress', started: this.ctx.now() };
    this.ops.set(op.id, op);
    return op;
  }

  /** The provisioning under way for a deployment (not a delete). */
  provisioning(endpoint: string, deployment: string): Operation | undefined {
    return [...this.ops.values()].find((o) => o.endpoint === endpoint && o.deployment === deployment && o.status === 'InProgress' && o.action !== 'delete');
  }

  owns(id: string): boolean {
    return this.ops.has(id);
  }

  finish(op: Operation, status: 'Succeeded' | 'Failed', error?: { code: string; message: string }): void {
    op.status = status;
    op.error = error;
    op.ended = this.ctx.now();
  }

  url(kind: 'mfeOperationsStatus' | 'mfeOperationResults', id: string, apiVersion: string): string {
    const s = this.ctx.scope;
    return `${s.baseUrl}/subscriptions/${s.subscriptionId}/providers/${PROVIDER}/locations/${s.location}/${kind}/${id}?api-version=${apiVersion}`;
  }

  asyncHeaders(op: Operation, apiVersion: string): Record<string, string> {
    return { 'Azure-AsyncOperation': this.url('mfeOperationsStatus', op.id, apiVersion), 'Retry-After': '0' };
  }

  deleteHeaders(op: Operation, apiVersion: string): Record<string, string> {
    return {
      'Azure-AsyncOperation': this.url('mfeOperationsStatus', op.id, apiVersion),
      Location: this.url('mfeOperationResults', op.id, apiVersion),
      'Retry-After': '0',
    };
  }

  /** GET of an Azure-AsyncOperation URL: `{status: InProgress|Succeeded|Failed, error?}`. */
  pollStatus(id: string): FakeResponse {
    const op = this.ops.get(id);
    if (!op) return userError(`Operation '${id}' was not found.`, 404);
    this.advance(op);
    const body: any = { id: this.url('mfeOperationsStatus', id, VALIDATED_API_VERSION).split('?')[0], name: id, status: op.status, startTime: op.started.toISOString() };
    if (op.ended) body.endTime = op.ended.toISOString();
    if (op.error) body.error = op.error;
    return { status: 200, headers: { 'Retry-After': '0' }, body };
  }

  /** GET of a Location URL (delete, regenerateKeys): 202 while running, then 200 (or the error). */
  pollResult(id: string, apiVersion: string): FakeResponse {
    const op = this.ops.get(id);
    if (!op) return userError(`Operation '${id}' was not found.`, 404);
    this.advance(op);
    if (op.status === 'InProgress') return { status: 202, headers: { Location: this.url('mfeOperationResults', id, apiVersion), 'Retry-After': '0' } };
    if (op.status === 'Failed') return { status: 400, body: { error: op.error } };
    return { status: 200 };
  }

  /** Every poll is one step: the first reports InProgress, the second the outcome (a hang waits for release). */
  private advance(op: Operation): void {
    op.polls += 1;
    if (op.status !== 'InProgress' || op.polls < 2) return;
    this.settle(op);
  }
}

export function conflict(message: string): FakeResponse {
  // Best understanding: Azure ML refuses a second operation on a resource that is still provisioning with 409.
  return armError(409, 'Conflict', message);
}

/** Best understanding: endpoints and deployments live in the workspace's region; another location is refused. */
export function checkLocation(ctx: ServiceContext, body: any, issues: ValidationIssue[]): void {
  if (String(body.location).replace(/\s+/g, '').toLowerCase() !== ctx.scope.location.toLowerCase()) {
    issues.push({ path: 'location', message: `'${body.location}' is not the workspace's location '${ctx.scope.location}'` });
  }
}

export function identityView(identity: any, tenantId: string, salt: string): any {
  if (!identity) return undefined;
  const out = { ...identity };
  if (/SystemAssigned/.test(identity.type)) {
    out.principalId = stableGuid(salt);
    out.tenantId = tenantId;
  }
  return out;
}
