import * as path from 'path';
import { readDockerRegistry } from '../../src/agent/docker-registry';
import { artifactStagingDirectory, readBuildContext, tempDirectory } from '../../src/agent/pipeline';
import { runTask, type TaskContext } from '../../src/agent/task';
import { openWorkspace, workspaceCall } from '../../src/agent/workspace';
import { packageModel } from '../../src/package/package';
import { packageSummary } from '../../src/package/report';
import { packageInWorkspace, workspacePackageSummary } from '../../src/package/workspace-package';
import { readInputs, workspaceInputNames, type AmlPackageInputs } from './inputs';

void runTask(async (ctx) => {
  const inputs = readInputs();
  if (inputs.mode === 'workspace') return workspace(inputs, ctx);
  // The registry login is read (and its password masked) before anything else happens.
  const registry = inputs.mode === 'image' ? readDockerRegistry('dockerRegistryServiceConnection') : undefined;
  const ws = openWorkspace(workspaceInputNames, ctx.log);
  const { client } = ws;
  const staging = artifactStagingDirectory();
  const result = await packageModel({
    ...workspaceCall(ws, ctx),
    build: readBuildContext(),
    model: inputs.model,
    code: { dir: inputs.codeDirectory, scoringScript: inputs.scoringScript },
    environment: inputs.environment,
    environmentVariables: inputs.environmentVariables,
    outputDirectory: (m) => (inputs.outputDirectory ? path.resolve(inputs.outputDirectory) : path.join(staging, `${m.name}-${m.version}`)),
    tempDirectory: path.join(tempDirectory(), `aml-package-${process.pid}`),
    image: inputs.mode === 'image' ? { registry, repository: inputs.imageRepository, tags: inputs.imageTags, push: inputs.push } : undefined,
  });
  ctx.setOutput('contextPath', result.contextPath);
  if (result.image) ctx.setOutput('imageName', result.image.imageName);
  if (result.image?.imageDigest) ctx.setOutput('imageDigest', result.image.imageDigest);
  if (inputs.artifactName) {
    ctx.uploadArtifact(result.contextPath, inputs.artifactName);
    ctx.log.info(`Published the build context as the pipeline artifact '${inputs.artifactName}'.`);
  }
  ctx.publishSummary(packageSummary(result, client.workspace.workspaceName), 'AmlPackage');
});

async function workspace(inputs: AmlPackageInputs, ctx: TaskContext): Promise<void> {
  const ws = openWorkspace(workspaceInputNames, ctx.log);
  const { client } = ws;
  const result = await packageInWorkspace({
    ...workspaceCall(ws, ctx),
    model: inputs.model,
    code: { dir: inputs.codeDirectory, scoringScript: inputs.scoringScript },
    environment: inputs.environment,
    environmentVariables: inputs.environmentVariables,
    targetEnvironment: inputs.targetEnvironment,
    timeoutMs: inputs.timeoutMinutes * 60_000,
  });
  if (result.imageName) ctx.setOutput('imageName', result.imageName);
  ctx.publishSummary(workspacePackageSummary(result, client.workspace.workspaceName), 'AmlPackage');
}
