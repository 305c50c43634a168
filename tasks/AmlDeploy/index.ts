import * as path from 'path';
import { readBuildContext } from '../../src/agent/pipeline';
import { runTask, type TaskContext } from '../../src/agent/task';
import { openWorkspace, workspaceCall, type OpenWorkspace } from '../../src/agent/workspace';
import { deployBatch, invokeBatch, parseInvokeInput } from '../../src/deploy/batch';
import { checkHealth, describeHealth } from '../../src/deploy/health';
import { rolloutOnline, type RolloutProbes } from '../../src/deploy/online';
import { batchSummary, rolloutSummary } from '../../src/deploy/report';
import { describeSmokeTest, parseExpectations, readRequestFiles, runSmokeTest } from '../../src/deploy/smoke';
import { applyDeploymentOverrides, loadBatchDeploymentSpec, loadBatchEndpointSpec, loadOnlineDeploymentSpec, loadOnlineEndpointSpec } from '../../src/deploy/spec';
import { liveOnly } from '../../src/deploy/traffic';
import { UserError } from '../../src/errors';
import { attachToJob, buildJobReport, jobFailureMessage } from '../../src/jobs/report';
import { readInputs, workspaceInputNames, type BatchInputs, type OnlineInputs } from './inputs';

// A probe request that has no answer within a minute counts as failed rather than holding the rollout.
const PROBE_TIMEOUT_MS = 60_000;

void runTask(async (ctx) => {
  const inputs = readInputs();
  if (inputs.endpointType === 'batch') return batch(inputs, ctx);
  return online(inputs, ctx);
});

/** What every core call of this task gets: the signed-in workspace, the agent's log, masking, cancellation, lineage. */
function coreOptions(ws: OpenWorkspace, ctx: TaskContext, timeoutMinutes: number) {
  return { ...workspaceCall(ws, ctx), build: readBuildContext(), timeoutMs: timeoutMinutes * 60_000 };
}

async function online(inputs: OnlineInputs, ctx: TaskContext): Promise<void> {
  // Everything the task reads from disk is checked before anything is sent.
  const endpoint = loadOnlineEndpointSpec(inputs.endpointSpec);
  const loaded = loadOnlineDeploymentSpec(inputs.deploymentSpec);
  const deployment = { ...loaded, spec: applyDeploymentOverrides(loaded.spec, inputs.overrides) };
  const requests = readRequestFiles('smokeRequests', inputs.smokeRequests);
  const expectations = parseExpectations('smokeExpect', inputs.smokeExpect);
  if (expectations.length > 0 && requests.length === 0) {
    throw new UserError(`Input 'smokeExpect' is set but 'smokeRequests' names no request file: add the sample requests the expectations are checked on.`, { input: 'smokeRequests' });
  }
  const probes: RolloutProbes = {};
  if (requests.length > 0) {
    probes.smoke = async (target, signal) => {
      const result = await runSmokeTest(target, requests, { expectations, signal, log: ctx.log, timeoutMs: PROBE_TIMEOUT_MS });
      const failed = result.results.filter((r) => !r.passed).map((r) => `${path.basename(r.file)}: ${r.status === 0 ? 'no answer' : `HTTP ${r.status}`}${r.failures.length ? `, ${r.failures.join('; ')}` : ''}`);
      return { passed: result.passed, line: result.passed ? describeSmokeTest(result) : failed.join(' | '), detail: result };
    };
    if (inputs.healthRequests > 0) {
      probes.health = async (target, signal) => {
        const result = await checkHealth(target, requests.map((r) => r.body), {
          requests: inputs.healthRequests,
          maxErrorRate: inputs.healthMaxErrorRate / 100,
          maxLatencyMs: inputs.healthMaxLatencyMs,
          timeoutMs: PROBE_TIMEOUT_MS,
          signal,
        });
        return { passed: result.passed, line: describeHealth(result), detail: result };
      };
    }
  } else {
    ctx.log.warning('No smokeRequests: the new deployment gets traffic without a smoke test or health checks. Add a sample request file to check it first.');
  }

  const ws = openWorkspace(workspaceInputNames, ctx.log);
  const { client } = ws;
  const result = await rolloutOnline({
    ...coreOptions(ws, ctx, inputs.timeoutMinutes),
    endpoint,
    deployment,
    trafficSteps: inputs.trafficSteps,
    mirror: inputs.mirrorPercent > 0 ? { percent: inputs.mirrorPercent, minutes: inputs.mirrorMinutes } : undefined,
    stepWaitMinutes: inputs.stepWaitMinutes,
    probes,
    keepFailedDeployment: inputs.keepFailedDeployment,
    keepDeployments: inputs.keepDeployments,
  });
  ctx.publishSummary(rolloutSummary(result, client.workspace.workspaceName), 'AmlDeploy');
  ctx.setOutput('endpointName', result.endpointName);
  ctx.setOutput('deploymentName', result.deploymentName);
  if (result.scoringUri) ctx.setOutput('scoringUri', result.scoringUri);
  ctx.setOutput('traffic', JSON.stringify(liveOnly(result.trafficAfter)));
  if (result.failure) {
    const rb = result.failure.rollback;
    const restored = rb.trafficRestored ? ' The traffic is back to what it was' : ' The traffic could NOT be fully restored: check the endpoint';
    const problems = rb.problems.length ? ` (${rb.problems.join('; ')})` : '';
    throw new UserError(`${result.failure.message}${restored}${problems}.`);
  }
  ctx.log.info(result.status === 'unchanged' ? 'Nothing changed.' : `Rollout of '${result.deploymentName}' to '${result.endpointName}' finished.`);
}

async function batch(inputs: BatchInputs, ctx: TaskContext): Promise<void> {
  const endpoint = loadBatchEndpointSpec(inputs.endpointSpec);
  const loaded = loadBatchDeploymentSpec(inputs.deploymentSpec);
  const deployment = { ...loaded, spec: applyDeploymentOverrides(loaded.spec, inputs.overrides) };
  if (inputs.invokeInput) parseInvokeInput(inputs.invokeInput);
  const ws = openWorkspace(workspaceInputNames, ctx.log);
  const { client } = ws;
  const deployed = await deployBatch({ ...coreOptions(ws, ctx, inputs.timeoutMinutes), endpoint, deployment, setDefault: inputs.setDefault });
  ctx.setOutput('endpointName', deployed.endpointName);
  ctx.setOutput('deploymentName', deployed.deploymentName);
  if (deployed.scoringUri) ctx.setOutput('scoringUri', deployed.scoringUri);
  if (!inputs.invokeInput) {
    ctx.publishSummary(batchSummary(deployed, undefined, client.workspace.workspaceName), 'AmlDeploy');
    return;
  }
  if (!deployed.scoringUri) throw new UserError(`The batch endpoint '${deployed.endpointName}' has no invocation URI yet; try again when it has finished provisioning.`);
  ctx.log.info(`Invoking '${deployed.endpointName}' (deployment '${deployed.deploymentName}') on ${inputs.invokeInput}.`);
  const { jobName } = await invokeBatch({
    ...workspaceCall(ws, ctx),
    scoringUri: deployed.scoringUri,
    endpointName: deployed.endpointName,
    deployment: deployed.deploymentName,
    inputName: inputs.invokeInputName,
    input: inputs.invokeInput,
    inputType: inputs.invokeInputType,
    outputUri: inputs.invokeOutputUri,
  });
  ctx.setOutput('jobName', jobName);
  ctx.log.info(`Scoring job: ${jobName}.`);
  if (!inputs.waitForCompletion) {
    ctx.publishSummary(batchSummary(deployed, { jobName, status: 'Submitted' }, client.workspace.workspaceName), 'AmlDeploy');
    return;
  }
  const state = await attachToJob({
    ...workspaceCall(ws, ctx),
    jobName,
    timeoutMinutes: inputs.timeoutMinutes,
    cancelJobOnAbort: true,
    streamLogs: inputs.streamLogs,
    tenantId: ws.tenantId,
  });
  const report = await buildJobReport(state, workspaceCall(ws, ctx));
  const outputUri = report.outputs['score'] ?? Object.values(report.outputs)[0];
  ctx.setOutput('jobStatus', report.status);
  if (outputUri) ctx.setOutput('outputUri', outputUri);
  ctx.publishSummary(batchSummary(deployed, { jobName, status: report.status, studioUrl: report.studioUrl, outputUri }, client.workspace.workspaceName), 'AmlDeploy');
  if (state.timedOut) throw new UserError(`The scoring job '${jobName}' did not finish within ${inputs.timeoutMinutes} minutes (status ${state.status}). See ${state.studioUrl}`, { input: 'timeoutMinutes' });
  if (report.status !== 'Completed') throw new UserError(jobFailureMessage(report));
  ctx.log.info(`Scoring job '${jobName}' completed${outputUri ? `; output: ${outputUri}` : ''}.`);
}
