import { readBuildContext } from '../../src/agent/pipeline';
import { runTask } from '../../src/agent/task';
import { openWorkspace, workspaceCall } from '../../src/agent/workspace';
import { UserError } from '../../src/errors';
import { attachToJob, buildJobReport, jobFailureMessage, jobOutputVariables, jobSummary } from '../../src/jobs/report';
import { submitJob } from '../../src/jobs/train';
import { readInputs, workspaceInputNames } from './inputs';

void runTask(async (ctx) => {
  const inputs = readInputs();
  const ws = openWorkspace(workspaceInputNames, ctx.log);
  const { client } = ws;
  const common = {
    timeoutMinutes: inputs.timeoutMinutes,
    cancelJobOnAbort: inputs.cancelJobOnAbort,
    streamLogs: inputs.streamLogs,
    ...workspaceCall(ws, ctx),
    tenantId: ws.tenantId,
  };
  const waits = inputs.mode === 'report' || inputs.waitForCompletion;
  const result =
    inputs.mode === 'report'
      ? await attachToJob({ ...common, jobName: inputs.jobName! })
      : await submitJob({
          ...common,
          jobSpecFile: inputs.jobSpec!,
          overrides: {
            experimentName: inputs.experimentName,
            displayName: inputs.displayName,
            compute: inputs.compute,
            inputs: inputs.inputs,
            tags: inputs.tags,
          },
          waitForCompletion: inputs.waitForCompletion,
          build: readBuildContext(),
          onSubmitted: ({ jobName, studioUrl }) => {
            ctx.setOutput('jobName', jobName);
            ctx.setOutput('studioUrl', studioUrl);
          },
        });

  if (!waits) {
    ctx.setOutput('jobStatus', result.status);
    const submitted = { ...result, metrics: {}, children: [], outputs: {}, compute: result.computeId?.split('/').pop() };
    ctx.publishSummary(jobSummary(submitted, client.workspace.workspaceName), 'AmlTrain');
    ctx.log.info(`Not waiting for the job (waitForCompletion is false); its status at submission: ${result.status}.`);
    return;
  }

  const report = await buildJobReport(result, workspaceCall(ws, ctx));
  for (const [name, value] of Object.entries(jobOutputVariables(report))) ctx.setOutput(name, value);
  const metricNames = Object.keys(report.metrics);
  if (metricNames.length) ctx.log.info(`Metrics: ${metricNames.map((k) => `${k}=${report.metrics[k]}`).join(', ')}`);
  ctx.publishSummary(
    jobSummary(report, client.workspace.workspaceName, [['Code uploaded', result.uploadedBytes === undefined ? undefined : `${result.uploadedBytes} bytes`]]),
    'AmlTrain',
  );

  if (result.timedOut) {
    throw new UserError(`Job '${result.jobName}' did not finish within ${inputs.timeoutMinutes} minutes${result.canceledByTask ? ' and was canceled' : ''} (status ${result.status}). See ${result.studioUrl}`, { input: 'timeoutMinutes' });
  }
  if (report.status !== 'Completed') throw new UserError(jobFailureMessage(report));
  ctx.log.info(`Job '${result.jobName}' completed.`);
});
