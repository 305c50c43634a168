import * as tl from 'azure-pipelines-task-lib/task';
import type { BuildContext } from '../workspace/lineage';

/** What the pipeline run tells about itself, for lineage tags and links; all optional outside a pipeline. */
export function readBuildContext(): BuildContext {
  const v = (name: string) => tl.getVariable(name) || undefined;
  const collectionUri = v('System.CollectionUri') ?? v('System.TeamFoundationCollectionUri');
  const project = v('System.TeamProject');
  const buildId = v('Build.BuildId');
  return {
    buildId,
    buildNumber: v('Build.BuildNumber'),
    definitionName: v('Build.DefinitionName'),
    sourceVersion: v('Build.SourceVersion'),
    sourceBranch: v('Build.SourceBranch'),
    repositoryUri: v('Build.Repository.Uri'),
    repositoryName: v('Build.Repository.Name'),
    projectName: project,
    runUrl: collectionUri && project && buildId ? `${collectionUri.replace(/\/+$/, '')}/${encodeURIComponent(project)}/_build/results?buildId=${buildId}` : undefined,
  };
}

/** Folder for files the task writes (summaries, reports): the agent's temp folder, or the OS temp folder locally. */
export function tempDirectory(): string {
  return tl.getVariable('Agent.TempDirectory') || require('os').tmpdir();
}

/** Where a pipeline stages files to publish (Build.ArtifactStagingDirectory), or the temp folder outside one. */
export function artifactStagingDirectory(): string {
  return tl.getVariable('Build.ArtifactStagingDirectory') || tempDirectory();
}
