import { readBuildContext } from '../../src/agent/pipeline';
import { runTask } from '../../src/agent/task';
import { openWorkspace } from '../../src/agent/workspace';
import { maskSecret } from '../../src/agent/secrets';
import { UserError } from '../../src/errors';
import { submitJob } from '../../src/jobs/train';
import { Summary, link } from '../../src/summary';
import { readInputs, workspaceInputNames } from './inputs';

void runTask(async (ctx) => {
  const inputs = readInputs();
  if (inputs.mode === 'report') throw new UserError("Input 'mode': report mode is not available yet; use submit.", { input: 'mode' });
  const { client, credential, tenantId } = openWorkspace(workspaceInputNames, ctx.log);
  const result = await submitJob({
    jobSpecFile: inputs.jobSpec!,
    overrides: {
      experimentName: inputs.experimentName,
      displayName: inputs.displayName,
      compute: inputs.compute,
      inputs: inputs.inputs,
      tags: inputs.tags,
    },
    waitForCompletion: inputs.waitForCompletion,
    timeoutMinutes: inputs.timeoutMinutes,
    cancelJobOnAbort: inputs.cancelJobOnAbort,
    build: readBuildContext(),
    client,
    credential,
    log: ctx.log,
    onSecret: maskSecret,
    signal: ctx.signal,
    tenantId,
    onSubmitted: ({ jobName, studioUrl }) => {
      ctx.setOutput('jobName', jobName);
      ctx.setOutput('studioUrl', studioUrl);
    },
  });
  ctx.setOutput('jobStatus', result.status);

  const summary = new Summary()
    .heading(`Azure ML job ${result.jobName}`)
    .facts([
      ['Status', result.status],
      ['Job', link(result.displayName ?? result.jobName, result.studioUrl)],
      ['Experiment', result.experimentName],
      ['Workspace', client.workspace.workspaceName],
      ['Compute', result.computeId?.split('/').pop()],
      ['Code uploaded', result.uploadedBytes === undefined ? undefined : `${result.uploadedBytes} bytes`],
      ['Error', result.error],
    ]);
  ctx.publishSummary(summary, 'AmlTrain');

  if (!inputs.waitForCompletion) {
    ctx.log.info(`Not waiting for the job (waitForCompletion is false); its status at submission: ${result.status}.`);
    return;
  }
  if (result.timedOut) {
    throw new UserError(`Job '${result.jobName}' did not finish within ${inputs.timeoutMinutes} minutes${result.canceledByTask ? ' and was canceled' : ''} (status ${result.status}). See ${result.studioUrl}`, { input: 'timeoutMinutes' });
  }
  if (result.status !== 'Completed') {
    const why = result.error ? `: ${result.error}` : '.';
    throw new UserError(`Job '${result.jobName}' ended with status ${result.status}${why} See ${result.studioUrl}`);
  }
  ctx.log.info(`Job '${result.jobName}' completed.`);
});
