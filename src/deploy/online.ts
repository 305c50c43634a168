import { UserError } from '../errors';
import { defaultSleep } from '../http/retry';
import { inertLine, lastLines } from '../jobs/logs';
import type { Log } from '../log';
import type { WorkspaceClient, WorkspaceCall } from '../workspace/client';
import { lineageTags, type BuildContext } from '../workspace/lineage';
import { describeOutcome, minutes, OnlineEndpoints, sameDefinition, succeeded, type OnlineDeploymentResource, type OnlineEndpointResource } from './endpoints';
import { resolveDeploymentReferences } from './resolve';
import { buildOnlineDeploymentBody, buildOnlineEndpointBody, type OnlineDeploymentBody, type OnlineEndpointBody } from './rest-body';
import type { LoadedDeploySpec, OnlineDeploymentSpec, OnlineEndpointSpec } from './spec';
import { formatTraffic, liveOnly, sameTraffic, trafficWith, type Traffic } from './traffic';

/** Where probes send requests: one deployment of an endpoint, whatever the live traffic. */
export interface DeploymentTarget {
  scoringUri: string;
  deployment: string;
  /** The Authorization header value (a key or a token): a secret. */
  authorization: () => Promise<string>;
}

/** What a smoke test or a health check found. */
export interface ProbeOutcome<D = unknown> {
  passed: boolean;
  /** One line for the log and the failure message. */
  line: string;
  /** The probe's own result, for the summary. */
  detail?: D;
}

export interface RolloutProbes {
  /** Sends the sample requests to the new deployment before it gets live traffic. */
  smoke?: (target: DeploymentTarget, signal: AbortSignal | undefined) => Promise<ProbeOutcome>;
  /** Sends requests to the new deployment after each traffic step. */
  health?: (target: DeploymentTarget, signal: AbortSignal | undefined) => Promise<ProbeOutcome>;
}

export interface OnlineRolloutOptions extends WorkspaceCall {
  build?: BuildContext;
  endpoint: LoadedDeploySpec<OnlineEndpointSpec>;
  deployment: LoadedDeploySpec<OnlineDeploymentSpec>;
  /** Rising percentages for the new deployment; the last one is where it stays. */
  trafficSteps: number[];
  /** Copy this share of live requests to the new deployment for `minutes` before the smoke test. */
  mirror?: { percent: number; minutes: number };
  /** Wait this long at each traffic step before its health check. */
  stepWaitMinutes?: number;
  probes: RolloutProbes;
  /** Keep a deployment that failed (for debugging) instead of deleting it. */
  keepFailedDeployment?: boolean;
  /** After success, delete deployments without traffic beyond N (the new one, the previously live ones, then the newest); 0 keeps all. */
  keepDeployments?: number;
  /** Longest wait for one provisioning operation. */
  timeoutMs: number;
}

export type FailureStage = 'provisioning' | 'timeout' | 'mirror' | 'smoke' | 'traffic' | 'health' | 'canceled' | 'error';

export interface StepRecord {
  percent: number;
  traffic: Traffic;
  health?: ProbeOutcome;
}

export interface RollbackRecord {
  trafficRestored: boolean;
  /** What went wrong while rolling back, if anything: the endpoint then needs a look. */
  problems: string[];
  deploymentDeleted: boolean;
  endpointDeleted: boolean;
}

export interface OnlineRolloutResult {
  endpointName: string;
  deploymentName: string;
  authMode: string;
  scoringUri?: string;
  swaggerUri?: string;
  /** `unchanged`: the deployment already ran this definition with its final traffic; nothing was sent. */
  status: 'deployed' | 'unchanged' | 'rolled-back';
  endpointCreated: boolean;
  deploymentAction: 'created' | 'updated' | 'unchanged';
  modelId?: string;
  trafficBefore: Traffic;
  mirrorBefore: Traffic;
  trafficAfter: Traffic;
  mirrorAfter: Traffic;
  mirror?: { percent: number; minutes: number };
  smoke?: ProbeOutcome;
  steps: StepRecord[];
  /** Every deployment of the endpoint at the end, newest first. */
  deployments: Array<{ name: string; model?: string; traffic: number; mirror: number; state?: string }>;
  deleted: string[];
  failure?: { stage: FailureStage; message: string; logs: string[]; rollback: RollbackRecord };
}

/** A check that said no, or an operation that failed: the rollout rolls back and reports it. */
class RolloutFailure extends Error {
  constructor(readonly stage: FailureStage, message: string) {
    super(message);
  }
}

const LOG_TAIL = 100;
/** How long a rollback waits for an interrupted endpoint change: the agent does not wait long after a cancel. */
const ROLLBACK_WAIT_MS = 2 * 60_000;

/**
 * Blue/green rollout of one deployment to a managed online endpoint. The new deployment is created next to the
 * live ones with no traffic, optionally gets mirrored traffic for a soak period, is smoke tested, then takes
 * traffic in steps with a health check after each. Any failure (provisioning, a probe, a timeout, cancellation)
 * restores the traffic exactly as it was, prints the deployment's container logs and deletes what this run created.
 */
export async function rolloutOnline(o: OnlineRolloutOptions): Promise<OnlineRolloutResult> {
  const ep = o.endpoint.spec;
  const dep = o.deployment.spec;
  const api = new OnlineEndpoints(o.client);
  const sleep = o.sleep ?? defaultSleep;
  if (dep.endpointName !== ep.name) {
    throw new UserError(
      `${o.deployment.file}: endpoint_name is '${dep.endpointName}' but the endpoint file ${o.endpoint.file} names '${ep.name}'. Make them the same.`,
      { file: o.deployment.file, line: o.deployment.lines.endpoint_name },
    );
  }
  const kubernetes = !!ep.compute;
  if (kubernetes !== (dep.type === 'Kubernetes')) {
    throw new UserError(
      kubernetes
        ? `${o.deployment.file}: the endpoint '${ep.name}' runs on the Kubernetes compute named in ${o.endpoint.file}, so the deployment must be type: kubernetes.`
        : `${o.deployment.file}: a type: kubernetes deployment needs a Kubernetes endpoint; ${o.endpoint.file} names no compute, so '${ep.name}' is a managed endpoint. Add compute: azureml:<kubernetes compute> to the endpoint or use type: managed.`,
      { file: o.deployment.file, line: o.deployment.lines.type },
    );
  }
  if (kubernetes && o.mirror && o.mirror.percent > 0) {
    throw new UserError(`Input 'mirrorPercent': Azure ML does not mirror traffic on Kubernetes online endpoints such as '${ep.name}'. Set mirrorPercent to 0.`, { input: 'mirrorPercent' });
  }
  if (ep.traffic || ep.mirrorTraffic) {
    o.log.info(`Note: traffic and mirror_traffic in ${o.endpoint.file} are ignored; the rollout sets the traffic (trafficSteps, mirrorPercent).`);
  }

  // Read everything first, so bad input fails before anything is created.
  const workspace = await o.client.workspaceDetails();
  const existing = await api.getEndpoint(ep.name, o.signal);
  if (existing && existing.properties.authMode !== ep.authMode) {
    throw new UserError(
      `The endpoint '${ep.name}' exists with auth_mode ${existing.properties.authMode}, but ${o.endpoint.file} asks for ${ep.authMode}. The auth mode of an endpoint cannot change: keep ${existing.properties.authMode} or deploy to a new endpoint.`,
      { file: o.endpoint.file, line: o.endpoint.lines.auth_mode },
    );
  }
  const endpointComputeId = ep.compute ? await computeId(o.client, ep.compute, o.endpoint) : undefined;
  if (existing && (existing.properties.compute ?? '').toLowerCase() !== (endpointComputeId ?? '').toLowerCase()) {
    const was = existing.properties.compute ? `on the Kubernetes compute ${existing.properties.compute.split('/').pop()}` : 'as a managed endpoint';
    const wanted = endpointComputeId ? `on ${endpointComputeId.split('/').pop()}` : 'managed';
    throw new UserError(`The endpoint '${ep.name}' exists ${was}, but ${o.endpoint.file} asks for it ${wanted}. The compute of an endpoint cannot change: keep it, or deploy to a new endpoint.`, { file: o.endpoint.file, line: o.endpoint.lines.compute });
  }
  const existingDeployment = existing ? await api.getDeployment(ep.name, dep.name, o.signal) : undefined;
  const trafficBefore = liveOnly(existing?.properties.traffic);
  const mirrorBefore = liveOnly(existing?.properties.mirrorTraffic);
  // A live deployment is compared with the ids its local code and inline environment would get, so that a
  // refusal leaves nothing uploaded or registered; one that passes runs this definition already, so its code and
  // environment exist and those ids are the ones to use.
  const live = !!existingDeployment && !!(trafficBefore[dep.name] || mirrorBefore[dep.name]);
  const refs = await resolveDeploymentReferences(o.deployment, live ? { ...o, create: false } : o);
  const desired = buildOnlineDeploymentBody(dep, refs, { location: workspace.location });
  const lineage = o.build ? lineageTags(o.build) : {};
  if (Object.keys(lineage).length > 0) desired.tags = { ...(desired.tags ?? {}), ...lineage };
  const unchangedDefinition = !!existingDeployment && existingDeployment.properties.provisioningState === 'Succeeded' && sameDeployment(existingDeployment, desired, Object.keys(lineage));
  if (live && !unchangedDefinition) {
    throw new UserError(
      `The deployment '${dep.name}' of endpoint '${ep.name}' serves live traffic (${formatTraffic(trafficBefore)}) with another definition. Changing it in place would skip the blue/green rollout. ` +
        `Give the new deployment another name (the deploymentName input, for example green, or v$(Build.BuildId)), and this task will move the traffic over to it.`,
      { input: 'deploymentName' },
    );
  }

  const othersLive = Object.keys(trafficBefore).some((d) => d !== dep.name);
  const finalTraffic = trafficWith(trafficBefore, dep.name, o.trafficSteps[o.trafficSteps.length - 1]);
  const result: OnlineRolloutResult = {
    endpointName: ep.name,
    deploymentName: dep.name,
    authMode: ep.authMode,
    scoringUri: existing?.properties.scoringUri,
    swaggerUri: existing?.properties.swaggerUri,
    status: 'deployed',
    endpointCreated: false,
    deploymentAction: unchangedDefinition ? 'unchanged' : existingDeployment ? 'updated' : 'created',
    modelId: desired.properties.model,
    trafficBefore,
    mirrorBefore,
    trafficAfter: trafficBefore,
    mirrorAfter: mirrorBefore,
    steps: [],
    deployments: [],
    deleted: [],
  };

  if (unchangedDefinition && sameTraffic(trafficBefore, finalTraffic) && !mirrorBefore[dep.name]) {
    o.log.info(`The deployment '${dep.name}' of endpoint '${ep.name}' already runs this definition with traffic ${formatTraffic(trafficBefore)}: nothing to do.`);
    result.status = 'unchanged';
    result.deployments = await deploymentRows(api, ep.name, trafficBefore, mirrorBefore, o.signal);
    return result;
  }

  // The endpoint: created when missing (without traffic), updated when its description or tags changed.
  const endpointBody = (current: OnlineEndpointResource | undefined, traffic: Traffic, mirror: Traffic): OnlineEndpointBody => {
    const body = current ? endpointBodyFrom(current) : buildOnlineEndpointBody({ ...ep, traffic: undefined, mirrorTraffic: undefined }, { location: workspace.location, computeId: endpointComputeId });
    if (!current && Object.keys(lineage).length > 0) body.tags = { ...(body.tags ?? {}), ...lineage };
    body.properties.traffic = liveOnly(traffic);
    body.properties.mirrorTraffic = liveOnly(mirror);
    return body;
  };
  let endpoint = existing;
  const call = { signal: o.signal, sleep: o.sleep, timeoutMs: o.timeoutMs };
  if (!existing) {
    o.log.info(`Creating the online endpoint '${ep.name}' (auth mode ${ep.authMode}).`);
    const outcome = await api.putEndpoint(ep.name, endpointBody(undefined, {}, {}), call);
    result.endpointCreated = true;
    if (!succeeded(outcome)) {
      const message = `The online endpoint '${ep.name}' could not be created: ${describeOutcome(outcome, o.timeoutMs)}`;
      await api.deleteEndpoint(ep.name, { sleep: o.sleep, timeoutMs: o.timeoutMs }).catch(() => undefined);
      throw new UserError(message);
    }
    endpoint = await api.getEndpoint(ep.name, o.signal);
  } else if (endpointChanged(existing, ep)) {
    o.log.info(`Updating the description and tags of the online endpoint '${ep.name}'.`);
    const body = endpointBody(existing, trafficBefore, mirrorBefore);
    if (ep.description !== undefined) body.properties.description = ep.description;
    if (ep.tags) body.tags = { ...(existing.tags ?? {}), ...ep.tags };
    const outcome = await api.putEndpoint(ep.name, body, call);
    if (!succeeded(outcome)) throw new UserError(`The online endpoint '${ep.name}' could not be updated: ${describeOutcome(outcome, o.timeoutMs)}`);
    endpoint = await api.getEndpoint(ep.name, o.signal);
  }
  result.scoringUri = endpoint?.properties.scoringUri;
  result.swaggerUri = endpoint?.properties.swaggerUri;

  const setTraffic = async (traffic: Traffic, mirror: Traffic, what: string, signal: AbortSignal | undefined) => {
    const current = await api.getEndpoint(ep.name, signal);
    if (!current) throw new RolloutFailure('traffic', `The endpoint '${ep.name}' disappeared while ${what}.`);
    if (sameTraffic(current.properties.traffic, traffic) && sameTraffic(current.properties.mirrorTraffic, mirror)) return;
    const outcome = await api.putEndpoint(ep.name, endpointBody(current, traffic, mirror), { ...call, signal });
    if (!succeeded(outcome)) throw new RolloutFailure('traffic', `Setting the traffic to ${formatTraffic(traffic)} failed: ${describeOutcome(outcome, o.timeoutMs)}`);
    result.trafficAfter = liveOnly(traffic);
    result.mirrorAfter = liveOnly(mirror);
  };

  try {
    if (!unchangedDefinition) {
      o.log.info(`${existingDeployment ? 'Updating' : 'Creating'} the deployment '${dep.name}' on endpoint '${ep.name}' with no traffic (model ${shortAsset(desired.properties.model) ?? 'none'}, ${desired.properties.instanceType ?? 'default instance type'} x ${desired.sku.capacity ?? 1}).`);
      const outcome = await api.putDeployment(ep.name, dep.name, desired, { ...call, onStatus: progress(o.log, `deployment '${dep.name}'`) });
      if (outcome.timedOut) throw new RolloutFailure('timeout', `The deployment '${dep.name}' was still provisioning after ${minutes(o.timeoutMs)}.`);
      if (!succeeded(outcome)) throw new RolloutFailure('provisioning', `The deployment '${dep.name}' failed to provision: ${describeOutcome(outcome, o.timeoutMs)}`);
      o.log.info(`The deployment '${dep.name}' is provisioned.`);
    }
    const target: DeploymentTarget = { scoringUri: requiredScoringUri(endpoint, ep.name), deployment: dep.name, authorization: scoringAuthorization(api, ep.name, ep.authMode, o) };

    if (o.mirror && o.mirror.percent > 0) {
      if (!othersLive) {
        o.log.info('No other deployment has live traffic, so there is nothing to mirror: skipping the mirror phase.');
      } else {
        result.mirror = o.mirror;
        o.log.info(`Mirroring ${o.mirror.percent}% of live requests to '${dep.name}' for ${o.mirror.minutes} minute(s); its answers are not returned to callers.`);
        await setTraffic(trafficBefore, { [dep.name]: o.mirror.percent }, 'starting the mirror', o.signal);
        await sleep(o.mirror.minutes * 60_000, o.signal);
        await setTraffic(trafficBefore, withoutKey(mirrorBefore, dep.name), 'ending the mirror', o.signal);
      }
    }

    if (o.probes.smoke) {
      o.log.info(`Smoke test of '${dep.name}':`);
      result.smoke = await o.probes.smoke(target, o.signal);
      o.log.info(`  ${result.smoke.line}`);
      if (!result.smoke.passed) throw new RolloutFailure('smoke', `The smoke test of '${dep.name}' failed: ${result.smoke.line}`);
    }

    const steps = othersLive ? o.trafficSteps : [100];
    if (!othersLive && o.trafficSteps.length > 1) o.log.info(`No other deployment has live traffic: '${dep.name}' takes all of it at once.`);
    for (const percent of steps) {
      const traffic = trafficWith(trafficBefore, dep.name, percent);
      o.log.info(`Traffic: ${formatTraffic(traffic)}.`);
      await setTraffic(traffic, withoutKey(mirrorBefore, dep.name), `shifting traffic to ${percent}%`, o.signal);
      const step: StepRecord = { percent, traffic };
      result.steps.push(step);
      if (o.stepWaitMinutes) await sleep(o.stepWaitMinutes * 60_000, o.signal);
      if (o.probes.health) {
        step.health = await o.probes.health(target, o.signal);
        o.log.info(`  Health at ${percent}%: ${step.health.line}`);
        if (!step.health.passed) throw new RolloutFailure('health', `The health check of '${dep.name}' at ${percent}% traffic failed: ${step.health.line}`);
      }
    }
  } catch (e) {
    const canceled = o.signal?.aborted === true && (e as Error)?.name === 'AbortError';
    const stage: FailureStage = canceled ? 'canceled' : e instanceof RolloutFailure ? e.stage : 'error';
    const message = canceled ? 'The pipeline was canceled during the rollout.' : (e as Error).message;
    o.log.warning(`${message} Rolling back.`);
    result.status = 'rolled-back';
    result.failure = { stage, message, logs: [], rollback: { trafficRestored: false, problems: [], deploymentDeleted: false, endpointDeleted: false } };
    await rollBack(o, api, result, { createdDeployment: !existingDeployment, provisioningFailed: stage === 'provisioning' || stage === 'timeout' });
    // Cancellation and unexpected errors keep their own way out; a failed check is reported by the caller.
    if (canceled) throw e;
    if (!(e instanceof RolloutFailure) && !(e instanceof UserError)) throw e;
    result.deployments = await deploymentRows(api, ep.name, result.trafficAfter, result.mirrorAfter, undefined).catch(() => []);
    return result;
  }

  if (o.keepDeployments && o.keepDeployments > 0) result.deleted = await pruneDeployments(api, o, result);
  result.deployments = await deploymentRows(api, ep.name, result.trafficAfter, result.mirrorAfter, o.signal);
  return result;
}

/** The ARM id of the Kubernetes compute an endpoint YAML names, checked to exist and to be a Kubernetes compute. */
async function computeId(client: WorkspaceClient, compute: NonNullable<OnlineEndpointSpec['compute']>, file: LoadedDeploySpec<OnlineEndpointSpec>): Promise<string> {
  if ('armId' in compute) return compute.armId;
  const found = await client.get<{ id: string; properties?: { computeType?: string } }>(`computes/${compute.name}`, { operation: `read the compute '${compute.name}'`, allowNotFound: true });
  const where = { file: file.file, line: file.lines.compute };
  if (!found) throw new UserError(`${file.file}: the compute '${compute.name}' does not exist in workspace '${client.workspace.workspaceName}'. Attach the Kubernetes cluster first, or check the name.`, where);
  if (found.properties?.computeType && found.properties.computeType !== 'Kubernetes') {
    throw new UserError(`${file.file}: the compute '${compute.name}' is ${found.properties.computeType}, not a Kubernetes compute. An online endpoint runs either managed (no compute) or on an attached Kubernetes cluster.`, where);
  }
  return found.id;
}

/** Restores the traffic, prints the container logs, deletes what this run created. Never throws: problems are recorded. */
async function rollBack(o: OnlineRolloutOptions, api: OnlineEndpoints, result: OnlineRolloutResult, what: { createdDeployment: boolean; provisioningFailed: boolean }): Promise<void> {
  const failure = result.failure!;
  const name = result.deploymentName;
  const endpoint = result.endpointName;
  // Rolling back must finish even when the pipeline was canceled: it runs without the step's signal.
  const call = { sleep: o.sleep, timeoutMs: o.timeoutMs };
  try {
    // A traffic change the cancellation interrupted must end before the traffic can be set again.
    const unfinished = await api.finishUnfinished(endpoint, { sleep: o.sleep, timeoutMs: Math.min(o.timeoutMs, ROLLBACK_WAIT_MS) });
    if (unfinished?.timedOut) failure.rollback.problems.push('a traffic change was still running on the endpoint');
    const current = await api.getEndpoint(endpoint);
    if (current && !(sameTraffic(current.properties.traffic, result.trafficBefore) && sameTraffic(current.properties.mirrorTraffic, result.mirrorBefore))) {
      const outcome = await api.putEndpoint(endpoint, { ...endpointBodyFrom(current), properties: { ...endpointBodyFrom(current).properties, traffic: result.trafficBefore, mirrorTraffic: result.mirrorBefore } }, call);
      if (!succeeded(outcome)) failure.rollback.problems.push(`restoring the traffic failed: ${describeOutcome(outcome, o.timeoutMs)}`);
    }
    const after = await api.getEndpoint(endpoint);
    failure.rollback.trafficRestored = !!after ? sameTraffic(after.properties.traffic, result.trafficBefore) && sameTraffic(after.properties.mirrorTraffic, result.mirrorBefore) : result.endpointCreated;
    result.trafficAfter = liveOnly(after?.properties.traffic);
    result.mirrorAfter = liveOnly(after?.properties.mirrorTraffic);
    o.log.info(`Traffic restored: ${formatTraffic(result.trafficAfter)}.`);
  } catch (e) {
    failure.rollback.problems.push(`restoring the traffic failed: ${(e as Error).message}`);
  }

  try {
    const deployment = await api.getDeployment(endpoint, name);
    if (deployment) {
      let logs = await api.getLogs(endpoint, name, 'InferenceServer', LOG_TAIL);
      if (!logs.trim() && what.provisioningFailed) logs = await api.getLogs(endpoint, name, 'StorageInitializer', LOG_TAIL);
      failure.logs = lastLines(logs, LOG_TAIL);
      if (failure.logs.length > 0) {
        o.log.info(`Container logs of '${name}' (last ${failure.logs.length} lines):`);
        for (const line of failure.logs) o.log.info(`  ${inertLine(line)}`);
      }
    }
  } catch (e) {
    o.log.warning(`Could not read the container logs of '${name}': ${(e as Error).message}`);
  }

  if (o.keepFailedDeployment) {
    o.log.info(`keepFailedDeployment is set: the deployment '${name}' is kept, without traffic, for inspection.`);
    return;
  }
  if (!what.createdDeployment) {
    o.log.info(`The deployment '${name}' existed before this run; it is kept without traffic.`);
    return;
  }
  try {
    if (failure.rollback.trafficRestored && result.endpointCreated) {
      const outcome = await api.deleteEndpoint(endpoint, call);
      failure.rollback.endpointDeleted = failure.rollback.deploymentDeleted = succeeded(outcome);
      if (!succeeded(outcome)) failure.rollback.problems.push(`deleting the endpoint '${endpoint}' created by this run failed: ${describeOutcome(outcome, o.timeoutMs)}`);
      else o.log.info(`Deleted the endpoint '${endpoint}', which this run created.`);
      return;
    }
    if (!failure.rollback.trafficRestored) {
      failure.rollback.problems.push(`the deployment '${name}' was not deleted because its traffic could not be restored`);
      return;
    }
    const outcome = await api.deleteDeployment(endpoint, name, call);
    failure.rollback.deploymentDeleted = succeeded(outcome);
    if (!succeeded(outcome)) failure.rollback.problems.push(`deleting the deployment '${name}' failed: ${describeOutcome(outcome, o.timeoutMs)}`);
    else o.log.info(`Deleted the failed deployment '${name}'.`);
  } catch (e) {
    failure.rollback.problems.push(`deleting what this run created failed: ${(e as Error).message}`);
  }
}

/**
 * Deletes deployments without traffic or mirror beyond the first `keepDeployments` in this order: those with
 * traffic now, those that had it before the rollout (the way back), then the newest.
 */
async function pruneDeployments(api: OnlineEndpoints, o: OnlineRolloutOptions, result: OnlineRolloutResult): Promise<string[]> {
  const busy = (name: string) => (result.trafficAfter[name] ?? 0) > 0 || (result.mirrorAfter[name] ?? 0) > 0 || name === result.deploymentName;
  const rank = (name: string) => (busy(name) ? 0 : (result.trafficBefore[name] ?? 0) > 0 || (result.mirrorBefore[name] ?? 0) > 0 ? 1 : 2);
  const all = newestFirst(await api.listDeployments(result.endpointName, o.signal)).map((d, i) => ({ d, i }));
  all.sort((a, b) => rank(a.d.name) - rank(b.d.name) || a.i - b.i);
  const deleted: string[] = [];
  for (const [position, { d }] of all.entries()) {
    if (busy(d.name) || position < o.keepDeployments!) continue;
    o.log.info(`Deleting the older deployment '${d.name}' (no traffic; keepDeployments is ${o.keepDeployments}).`);
    const outcome = await api.deleteDeployment(result.endpointName, d.name, { signal: o.signal, sleep: o.sleep, timeoutMs: o.timeoutMs });
    if (succeeded(outcome)) deleted.push(d.name);
    else o.log.warning(`Could not delete the deployment '${d.name}': ${describeOutcome(outcome, o.timeoutMs)}`);
  }
  return deleted;
}

async function deploymentRows(api: OnlineEndpoints, endpoint: string, traffic: Traffic, mirror: Traffic, signal: AbortSignal | undefined): Promise<OnlineRolloutResult['deployments']> {
  const all = newestFirst(await api.listDeployments(endpoint, signal));
  return all.map((d) => ({ name: d.name, model: shortAsset(d.properties.model), traffic: traffic[d.name] ?? 0, mirror: mirror[d.name] ?? 0, state: d.properties.provisioningState }));
}

function newestFirst(deployments: OnlineDeploymentResource[]): OnlineDeploymentResource[] {
  const time = (d: OnlineDeploymentResource) => Date.parse(d.systemData?.createdAt ?? '') || 0;
  return [...deployments].sort((a, b) => time(b) - time(a));
}

/**
 * Whether a deployment already runs what `desired` describes: every member we send equals what Azure ML holds
 * (members Azure ML adds, such as defaults, do not count), the instance count too. Build lineage tags do not count.
 */
export function sameDeployment(existing: OnlineDeploymentResource, desired: OnlineDeploymentBody, ignoredTags: string[] = []): boolean {
  for (const [key, value] of Object.entries(desired.properties)) {
    if (!sameDefinition(value, (existing.properties as Record<string, unknown>)[key])) return false;
  }
  if ((desired.sku.capacity ?? 1) !== (existing.sku?.capacity ?? 1)) return false;
  const tags = (t: Record<string, string> | undefined) => Object.fromEntries(Object.entries(t ?? {}).filter(([k]) => !ignoredTags.includes(k)));
  return sameDefinition(tags(desired.tags), tags(existing.tags)) && sameDefinition(tags(existing.tags), tags(desired.tags));
}

function endpointChanged(existing: OnlineEndpointResource, ep: OnlineEndpointSpec): boolean {
  if (ep.description !== undefined && ep.description !== (existing.properties.description ?? '')) return true;
  for (const [k, v] of Object.entries(ep.tags ?? {})) if (existing.tags?.[k] !== v) return true;
  return false;
}

/** A PUT body that keeps everything the endpoint has (the 2024-04-01 PATCH cannot change traffic). */
export function endpointBodyFrom(e: OnlineEndpointResource): OnlineEndpointBody {
  const identity: OnlineEndpointBody['identity'] = { type: (e.identity?.type ?? 'SystemAssigned') as OnlineEndpointBody['identity']['type'] };
  if (e.identity?.userAssignedIdentities && Object.keys(e.identity.userAssignedIdentities).length > 0) {
    identity.userAssignedIdentities = Object.fromEntries(Object.keys(e.identity.userAssignedIdentities).map((id) => [id, {}]));
  }
  const p = e.properties;
  const properties: OnlineEndpointBody['properties'] = { authMode: p.authMode };
  if (p.description !== undefined && p.description !== null) properties.description = p.description;
  if (p.properties && Object.keys(p.properties).length > 0) properties.properties = p.properties;
  if (p.compute) properties.compute = p.compute;
  if (p.publicNetworkAccess) properties.publicNetworkAccess = p.publicNetworkAccess;
  properties.traffic = liveOnly(p.traffic);
  properties.mirrorTraffic = liveOnly(p.mirrorTraffic);
  const body: OnlineEndpointBody = { location: e.location, identity, properties };
  if (e.kind) body.kind = e.kind;
  if (e.tags && Object.keys(e.tags).length > 0) body.tags = e.tags;
  return body;
}

/** The Authorization header for scoring, by the endpoint's auth mode; every key and token is registered as a secret. */
function scoringAuthorization(api: OnlineEndpoints, endpoint: string, authMode: string, o: OnlineRolloutOptions): () => Promise<string> {
  let cached: { value: string; until: number } | undefined;
  return async () => {
    if (cached && Date.now() < cached.until) return cached.value;
    let secret: string | undefined;
    let until = Date.now() + 10 * 60_000;
    if (authMode === 'Key') {
      const keys = await api.listKeys(endpoint);
      o.onSecret(keys.primaryKey ?? '');
      o.onSecret(keys.secondaryKey ?? '');
      secret = keys.primaryKey;
      until = Number.POSITIVE_INFINITY;
    } else if (authMode === 'AMLToken') {
      const token = await api.getToken(endpoint);
      o.onSecret(token.accessToken ?? '');
      secret = token.accessToken;
      if (token.refreshAfterTimeUtc) until = token.refreshAfterTimeUtc * 1000;
    } else {
      const token = await o.credential.getToken(AML_SCOPE);
      o.onSecret(token?.token ?? '');
      secret = token?.token;
      if (token?.expiresOnTimestamp) until = token.expiresOnTimestamp - 5 * 60_000;
    }
    if (!secret) throw new RolloutFailure('error', `Azure ML returned no ${authMode === 'Key' ? 'key' : 'token'} to call the endpoint '${endpoint}'.`);
    cached = { value: `Bearer ${secret}`, until };
    return cached.value;
  };
}

const AML_SCOPE = 'https://ml.azure.com/.default';

function requiredScoringUri(endpoint: OnlineEndpointResource | undefined, name: string): string {
  const uri = endpoint?.properties.scoringUri;
  if (!uri) throw new RolloutFailure('error', `The endpoint '${name}' has no scoring URI yet.`);
  return uri;
}

function progress(log: Log, what: string): (status: string) => void {
  let last: string | undefined;
  return (status) => {
    if (status !== last) log.info(`  ${what}: ${status}`);
    last = status;
  };
}

function withoutKey(traffic: Traffic, key: string): Traffic {
  return Object.fromEntries(Object.entries(traffic).filter(([k]) => k !== key));
}

/** `.../models/credit/versions/3` -> `credit:3`; other references as they are. */
export function shortAsset(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const m = /\/(?:models|environments|components)\/([^/]+)\/versions\/([^/]+)$/i.exec(id);
  return m ? `${m[1]}:${m[2]}` : id;
}
