import { readBuildContext } from '../../src/agent/pipeline';
import { maskSecret } from '../../src/agent/secrets';
import { runTask, type TaskContext } from '../../src/agent/task';
import { openRegistry, openWorkspace, workspaceCall } from '../../src/agent/workspace';
import { UserError } from '../../src/errors';
import { promoteModel, promotedAssetUri, promotionSummary } from '../../src/models/promote';
import { gateRefusal, registerModel, registrationSummary } from '../../src/models/register';
import { loadModelSpec } from '../../src/models/spec';
import { readInputs, targetInputNames, workspaceInputNames, type PromoteInputs } from './inputs';

void runTask(async (ctx) => {
  const inputs = readInputs();
  if (inputs.action === 'promote') return promote(inputs, ctx);
  const spec = inputs.modelSpec ? loadModelSpec(inputs.modelSpec) : undefined;
  const ws = openWorkspace(workspaceInputNames, ctx.log);
  const { client } = ws;
  const result = await registerModel({
    ...workspaceCall(ws, ctx),
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

async function promote(inputs: PromoteInputs, ctx: TaskContext): Promise<void> {
  const source = openWorkspace(workspaceInputNames, ctx.log);
  const target = inputs.target.kind === 'registry'
    ? { kind: 'registry' as const, client: openRegistry(targetInputNames, inputs.target.registryName, ctx.log) }
    : { kind: 'workspace' as const, ...openWorkspace(targetInputNames, ctx.log) };
  const model = inputs.sourceModel;
  const result = await promoteModel({
    source: { client: source.client, credential: source.credential },
    model,
    modelInput: 'sourceModel',
    target,
    build: readBuildContext(),
    stage: inputs.stage,
    log: ctx.log,
    onSecret: maskSecret,
    signal: ctx.signal,
  });
  const targetName = target.kind === 'registry' ? `registry ${target.client.registry.registryName}` : `workspace ${target.client.workspace.workspaceName}`;
  ctx.log.info(
    result.status === 'promoted'
      ? `Promoted ${model.name}:${model.version} from workspace ${source.client.workspace.workspaceName} to ${targetName}.`
      : `${model.name}:${model.version} was already in ${targetName} with the same files: nothing was copied or created.`,
  );
  ctx.publishSummary(promotionSummary(result, { model, source: `workspace ${source.client.workspace.workspaceName}`, target: targetName }), 'AmlRegisterModel');
  ctx.setOutput('modelName', model.name);
  ctx.setOutput('modelVersion', model.version);
  ctx.setOutput('modelId', result.targetId);
  ctx.setOutput('modelUri', promotedAssetUri(model, inputs.target));
  ctx.setOutput('modelRegistered', 'true');
}
