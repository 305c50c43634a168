// Job webhooks: a PATCH of properties.notificationSetting.webhooks (the one member of a job the 2024-04-01 spec marks
// updatable that matters here) registers an AzureDevOps webhook; when the job ends, the workspace calls Azure DevOps
// back with a TaskCompleted event, as Azure ML does for the pool: server wait tasks.
import spec2024 from '../schemas/2024-04-01.json';
import { join, validatorFor, VALIDATED_API_VERSION, type Schema, type ValidationIssue } from '../schema';
import { rawRequest } from '../client';
import type { FakeResponse } from '../http';
import type { ArmCall, ServiceContext } from './context';
import { jobView } from './jobs';
import { invalidBody, ok, systemData, userError } from './responses';
import type { JobRecord } from './store';

/**
 * Where Azure ML calls back. The 2024-04-01 spec does not declare these members (its AzureDevOpsWebhook is closed), but
 * Azure ML needs them to find the pipeline, and Microsoft's documented request (learn.microsoft.com, "Use Azure
 * Pipelines with Azure Machine Learning", the InvokeRESTAPI PATCH) sends them with exactly these names. They are the
 * only members the fake accepts beyond the spec's, and every one is required.
 */
export const CALLBACK_MEMBERS = ['PlanUri', 'ProjectId', 'HubName', 'PlanId', 'JobId', 'TimelineId', 'TaskInstanceId', 'AuthToken'] as const;
type Callback = Record<(typeof CALLBACK_MEMBERS)[number], string>;

// The only event Azure ML is known to call Azure DevOps back for.
const RUN_TERMINATED = 'RunTerminated';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GUID_MEMBERS = ['ProjectId', 'PlanId', 'JobId', 'TimelineId', 'TaskInstanceId'];
// Envelope members a client may echo from a GET; ARM ignores them.
const READ_ONLY_ENVELOPE = ['id', 'name', 'type', 'systemData'];

/** One callback attempt: where it went and what Azure DevOps answered (status 0 when the request failed). */
export interface WebhookDelivery {
  job: string;
  webhook: string;
  url: string;
  event: { name: 'TaskCompleted'; taskId: string; jobId: string; result: string };
  status: number;
  error?: string;
}

/** Sends one TaskCompleted event; resolves with the HTTP status. */
export type CallbackSender = (url: string, authToken: string, event: WebhookDelivery['event']) => Promise<number>;

/** Registered webhooks per job, and the callbacks made when jobs end. */
export class JobWebhooks {
  private readonly hooks = new WeakMap<JobRecord, Map<string, Callback>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly done: WebhookDelivery[] = [];

  constructor(private readonly send: CallbackSender) {}

  /** Adds or replaces (same key) a webhook; a job that has already ended is not called back for it. */
  register(job: JobRecord, key: string, callback: Callback): void {
    let map = this.hooks.get(job);
    if (!map) {
      map = new Map();
      this.hooks.set(job, map);
      job.run.onFinish((status) => this.fire(job, status));
    }
    map.set(key, callback);
  }

  remove(job: JobRecord, key?: string): void {
    if (key === undefined) this.hooks.get(job)?.clear();
    else this.hooks.get(job)?.delete(key);
  }

  /** Every callback made so far, once those under way have finished. */
  async deliveries(): Promise<WebhookDelivery[]> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    return structuredClone(this.done);
  }

  private fire(job: JobRecord, status: string): void {
    for (const [key, cb] of this.hooks.get(job) ?? []) {
      const event = { name: 'TaskCompleted' as const, taskId: cb.TaskInstanceId, jobId: cb.JobId, result: taskResult(status) };
      const url = `${cb.PlanUri.replace(/\/*$/, '/')}${cb.ProjectId}/_apis/distributedtask/hubs/${cb.HubName}/plans/${cb.PlanId}/events?api-version=2.0-preview.1`;
      const delivery: WebhookDelivery = { job: job.name, webhook: key, url, event, status: 0 };
      const p = this.send(url, cb.AuthToken, event)
        .then((s) => void (delivery.status = s))
        .catch((e: Error) => void (delivery.error = e.message))
        .finally(() => {
          this.done.push(delivery);
          this.inFlight.delete(p);
        });
      this.inFlight.add(p);
    }
  }
}

/** The pipeline task's result for a terminal job status: only a completed job succeeds. */
export function taskResult(status: string): string {
  if (status === 'Completed') return 'succeeded';
  if (status === 'Canceled') return 'canceled';
  return 'failed';
}

/** PATCH jobs/{name}: only `properties.notificationSetting.webhooks`, each webhook checked against the spec's Webhook. */
export function patchJob(ctx: ServiceContext, webhooks: JobWebhooks, call: ArmCall, name: string): FakeResponse {
  const validator = call.apiVersion === VALIDATED_API_VERSION ? validatorFor(call.apiVersion) : undefined;
  if (!validator) {
    return userError(`This fake Azure ML workspace validates request bodies only at api-version ${VALIDATED_API_VERSION}; the PATCH of job '${name}' used api-version ${call.apiVersion}.`);
  }
  const body = call.req.json;
  if (!isObject(body)) return { status: 400, body: { error: { code: 'InvalidRequestContent', message: `The request content for job '${name}' was empty or not a JSON object.` } } };
  const job = ctx.store.jobs.get(name);
  if (!job) return userError(`Job '${name}' was not found in workspace '${ctx.scope.workspaceName}'.`, 404);

  const issues: ValidationIssue[] = [];
  const changes: Array<{ key: string; webhook?: { webhookType: string; eventType: string }; callback?: Callback }> = [];
  let clearAll = false;
  for (const key of Object.keys(body)) {
    if (key !== 'properties' && !READ_ONLY_ENVELOPE.includes(key)) issues.push({ path: key, message: 'is not a known property of JobBaseResource (known: properties)' });
  }
  const props = body.properties;
  if (!isObject(props)) {
    issues.push({ path: 'properties', message: props === undefined ? 'is required' : 'must be a JSON object' });
  } else {
    const jobDefinition = `${job.body.properties.jobType}Job`;
    for (const key of Object.keys(props)) {
      if (key === 'notificationSetting') continue;
      const why = updatable(jobDefinition, key)
        ? 'is updatable in the spec, but this fake applies a PATCH to properties.notificationSetting.webhooks only'
        : `cannot be changed after the job is created (the spec's x-ms-mutability has no "update")`;
      issues.push({ path: join('properties', key), message: why });
    }
    const setting = props.notificationSetting;
    if (setting === undefined) issues.push({ path: 'properties.notificationSetting', message: 'is required: the fake applies a PATCH to properties.notificationSetting.webhooks only' });
    else if (!isObject(setting)) issues.push({ path: 'properties.notificationSetting', message: 'must be a JSON object' });
    else {
      for (const key of Object.keys(setting)) {
        if (key === 'webhooks') continue;
        const known = key in (definition('NotificationSetting').properties ?? {});
        issues.push({ path: join('properties.notificationSetting', key), message: known ? `cannot be changed after the job is created (the spec's x-ms-mutability has no "update")` : 'is not a known property of NotificationSetting (known: emailOn, emails, webhooks)' });
      }
      const hooks = setting.webhooks;
      const where = 'properties.notificationSetting.webhooks';
      if (hooks === null) clearAll = true;
      else if (!isObject(hooks)) issues.push({ path: where, message: hooks === undefined ? 'is required' : 'must be a JSON object (webhook name -> webhook)' });
      else {
        for (const [key, hook] of Object.entries(hooks)) {
          const path = join(where, key);
          if (hook === null) {
            changes.push({ key });
            continue;
          }
          const checked = checkWebhook(hook, path);
          issues.push(...checked.issues);
          if (!checked.issues.length) changes.push({ key, webhook: checked.webhook, callback: checked.callback });
        }
      }
    }
  }
  if (issues.length) return invalidBody(issues, `job '${name}'`);

  const stored = (job.body.properties.notificationSetting ??= {});
  if (clearAll) {
    stored.webhooks = null;
    webhooks.remove(job);
  }
  for (const c of changes) {
    if (c.webhook && c.callback) {
      stored.webhooks = { ...(stored.webhooks ?? {}), [c.key]: c.webhook };
      webhooks.register(job, c.key, c.callback);
    } else if (stored.webhooks) {
      delete stored.webhooks[c.key];
      webhooks.remove(job, c.key);
    }
  }
  job.systemData = systemData(call.principal, ctx.now(), job.systemData);
  return ok(jobView(ctx, job), 200);
}

/** One webhook: the spec's Webhook (AzureDevOps, closed) plus the callback members, all required. */
function checkWebhook(hook: unknown, path: string): { issues: ValidationIssue[]; webhook?: { webhookType: string; eventType: string }; callback?: Callback } {
  if (!isObject(hook)) return { issues: [{ path, message: 'must be a JSON object' }] };
  const validator = validatorFor(VALIDATED_API_VERSION)!;
  const specPart: Record<string, unknown> = {};
  const callback: Partial<Callback> = {};
  for (const [k, v] of Object.entries(hook)) {
    if ((CALLBACK_MEMBERS as readonly string[]).includes(k)) (callback as Record<string, unknown>)[k] = v;
    else specPart[k] = v;
  }
  const issues = validator.validate('Webhook', specPart, path);
  if (!issues.length && specPart.eventType !== RUN_TERMINATED) {
    issues.push({ path: join(path, 'eventType'), message: `must be ${JSON.stringify(RUN_TERMINATED)}, the event Azure ML calls Azure DevOps back for; got ${JSON.stringify(specPart.eventType)}` });
  }
  for (const member of CALLBACK_MEMBERS) {
    const v = callback[member] as unknown;
    const where = join(path, member);
    if (v === undefined) issues.push({ path: where, message: 'is required: Azure ML calls the pipeline back with it' });
    else if (typeof v !== 'string' || v === '') issues.push({ path: where, message: `must be a non-empty string, got ${JSON.stringify(v)}` });
    else if (GUID_MEMBERS.includes(member) && !GUID.test(v)) issues.push({ path: where, message: `${JSON.stringify(v)} is not a GUID` });
    else if (member === 'PlanUri' && !/^https?:\/\/[^/]+\//i.test(v)) issues.push({ path: where, message: `${JSON.stringify(v)} is not the collection URL (System.CollectionUri)` });
    else if (/\$\(/.test(v)) issues.push({ path: where, message: `${JSON.stringify(v)} is an unexpanded pipeline macro` });
  }
  if (issues.length) return { issues };
  return { issues, webhook: { webhookType: specPart.webhookType as string, eventType: specPart.eventType as string }, callback: callback as Callback };
}

function definition(name: string): Schema {
  return (spec2024.definitions as unknown as Record<string, Schema>)[name];
}

/** Whether `key` of a job definition (allOf chain followed) exists and its x-ms-mutability allows "update". */
function updatable(name: string, key: string): boolean {
  const def = definition(name);
  if (!def) return false;
  const own = def.properties?.[key];
  if (own) return !own.readOnly && (own['x-ms-mutability'] ?? ['create', 'read', 'update']).includes('update');
  return (def.allOf ?? []).some((p) => p.$ref !== undefined && updatable(p.$ref.slice(p.$ref.lastIndexOf('/') + 1), key));
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Sends callbacks over HTTP(S), trusting the fake's CA. Only loopback hosts: tests never reach beyond this machine,
 * so a webhook naming another host is recorded as a failed delivery instead.
 */
export function loopbackSender(caCertPath: string): CallbackSender {
  return async (url, authToken, event) => {
    const host = new URL(url).hostname;
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(host) && !host.endsWith('.localhost')) {
      throw new Error(`the fake calls back loopback hosts only, not ${host}`);
    }
    const res = await rawRequest(caCertPath, url, { method: 'POST', headers: { Authorization: `Bearer ${authToken}` }, body: event });
    return res.status;
  };
}
