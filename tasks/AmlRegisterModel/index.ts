import { readBuildContext } from '../../src/agent/pipeline';
import { maskSecret } from '../../src/agent/secrets';
import { runTask } from '../../src/agent/task';
import { openWorkspace } from '../../src/agent/workspace';
import { UserError } from '../../src/errors';
import { gateRefusal, registerModel, registrationSummary } from '../../src/models/register';
import { loadModelSpec } from '../../src/models/spec';
import { readInputs, workspaceInputNames } from './inputs';

void runTask(async (ctx) => {
  const inputs = readInputs();
  const spec = inputs.modelSpec ? loadModelSpec(inputs.modelSpec) : undefined;
  const { client, credential } = openWorkspace(workspaceInputNames, ctx.log);
  const result = await registerModel({
    client,
    credential,
    log: ctx.log,
    onSecret: maskSecret,
    signal: ctx.signal,
    build: readBuildContext(),
    spec,
    model: {
      name: inputs.modelName,
      version: inputs.modelVersion,
      type: inputs.modelType,
      description: inputs.description,
      tags: inputs.tags,
      properties: inputs.properties,
      stage: inputs.stage,
    },
    source: { jobName: inputs.jobName, jobOutput: inputs.jobOutput, artifactPath: inputs.artifactPath, modelPath: inputs.modelPath },
    metrics: inputs.metrics,
    conditions: inputs.metricConditions,
    champion: inputs.champion,
  });
  ctx.publishSummary(registrationSummary(result, client.workspace.workspaceName), 'AmlRegisterModel');
  ctx.setOutput('modelName', result.name);
  ctx.setOutput('modelRegistered', String(result.registered));
  if (result.registered) {
    ctx.setOutput('modelVersion', result.version!);
    ctx.setOutput('modelId', result.modelId!);
    ctx.setOutput('modelUri', result.assetUri!);
    return;
  }
  const refusal = gateRefusal(result);
  if (inputs.gateFailureAction === 'fail') throw new UserError(refusal, { input: 'metricConditions' });
  // The agent shows the SucceededWithIssues message as the step's warning.
  ctx.succeedWithIssues(refusal);
});
