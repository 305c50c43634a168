/** The pipeline run a task belongs to; every field is optional so tasks also run outside a pipeline. */
export interface BuildContext {
  buildId?: string;
  buildNumber?: string;
  definitionName?: string;
  sourceVersion?: string;
  sourceBranch?: string;
  repositoryUri?: string;
  repositoryName?: string;
  projectName?: string;
  runUrl?: string;
}

/**
 * Tags that link an Azure ML asset or job back to the pipeline run and commit that made it.
 * Names follow a prefix so they sort together in studio and never collide with user tags.
 */
export function lineageTags(build: BuildContext): Record<string, string> {
  const tags: Record<string, string> = {};
  const put = (key: string, value: string | undefined) => {
    if (value) tags[`azure-devops.${key}`] = value;
  };
  put('buildId', build.buildId);
  put('buildNumber', build.buildNumber);
  put('pipeline', build.definitionName);
  put('project', build.projectName);
  put('repository', build.repositoryUri ?? build.repositoryName);
  put('sourceVersion', build.sourceVersion);
  put('sourceBranch', build.sourceBranch);
  put('runUrl', build.runUrl);
  return tags;
}
