import * as fs from 'fs';
import * as path from 'path';
import type { ModelSpec } from '../deploy/spec';
import { UserError } from '../errors';
import { formatBytes } from '../jobs/code-upload';
import type { WorkspaceCall } from '../workspace/client';
import type { BuildContext } from '../workspace/lineage';
import { CONTEXT_MARKER, MODEL_FOLDER, writeBuildContext, type BuildContextResult } from './context';
import { DEFAULT_BASE_IMAGE } from './dockerfile';
import { buildImage, checkDocker, type DockerRunner, type ImageResult, type RegistryLogin } from './docker';
import { downloadModel, modelNameAndVersion, readModelVersion, type DownloadedModel } from './download';
import { readEnvironment, writeCondaFile } from './registered-environment';

export interface PackageOptions extends WorkspaceCall {
  build?: BuildContext;
  model: ModelSpec;
  code: { dir: string; scoringScript: string };
  environment: { kind: 'registered'; name: string; version?: string } | { kind: 'image'; baseImage?: string; condaFile?: string; pipRequirements?: string };
  environmentVariables: Record<string, string>;
  /** Where the context goes; given the model, when not set by the user. */
  outputDirectory: (model: { name: string; version: string }) => string;
  /** Scratch space for files that are not part of the context. */
  tempDirectory: string;
  image?: {
    registry?: RegistryLogin;
    repository?: string;
    tags: string[];
    push: boolean;
    run?: DockerRunner;
  };
}

export interface PackageResult {
  contextPath: string;
  model: DownloadedModel;
  context: BuildContextResult;
  environment: string;
  image?: ImageResult;
}

/**
 * Mode `context` (and the first half of `image`): downloads the model, writes the Docker build context, and in
 * `image` mode builds and pushes the image with the agent's Docker. Inputs are checked before anything is written.
 */
export async function packageModel(o: PackageOptions): Promise<PackageResult> {
  const version = await readModelVersion(o.client, o.model, o.signal);
  const { name: modelName, version: modelVersion } = modelNameAndVersion(version);
  const scoring = path.resolve(o.code.dir, o.code.scoringScript);
  if (!fs.existsSync(scoring)) {
    throw new UserError(`Input 'scoringScript': '${o.code.scoringScript}' was not found in the code folder ${o.code.dir}. Give the entry script's path relative to codeDirectory.`, { input: 'scoringScript' });
  }
  if (o.image) await checkDocker(o.image.run, o.signal);
  if (o.image?.push && !o.image.registry) {
    throw new UserError(`Input 'dockerRegistryServiceConnection' is required to push the image: the Docker registry service connection to push to. Or set push to false to build and tag only.`, { input: 'dockerRegistryServiceConnection' });
  }

  let environment: { image: string; condaFile?: string; pipRequirements?: string; name?: string };
  let environmentLabel: string;
  if (o.environment.kind === 'registered') {
    const env = await readEnvironment(o.client, o.environment.name, o.environment.version, o.signal);
    environment = { image: env.image, condaFile: writeCondaFile(env, o.tempDirectory), name: `${env.name}:${env.version}` };
    environmentLabel = `azureml:${env.name}:${env.version} (${env.image})`;
  } else {
    environment = { image: o.environment.baseImage ?? DEFAULT_BASE_IMAGE, condaFile: o.environment.condaFile, pipRequirements: o.environment.pipRequirements };
    const spec = o.environment.condaFile ? ` + ${path.basename(o.environment.condaFile)}` : o.environment.pipRequirements ? ` + ${path.basename(o.environment.pipRequirements)}` : '';
    environmentLabel = `${environment.image}${spec}`;
  }

  const dir = path.resolve(o.outputDirectory({ name: modelName, version: modelVersion }));
  prepareFolder(dir);
  const model = await downloadModel({ ...o, model: { kind: 'armId', id: version.id }, targetDir: path.join(dir, MODEL_FOLDER) });
  const context = await writeBuildContext({
    dir,
    model: { name: model.name, version: model.version, type: model.type },
    code: o.code,
    environment,
    environmentVariables: o.environmentVariables,
  });
  for (const warning of context.warnings ?? []) o.log.warning(warning);
  o.log.info(`Build context for ${model.name}:${model.version} written to ${dir} (${model.files.length} model file(s), ${formatBytes(model.totalBytes)}).`);
  const result: PackageResult = { contextPath: dir, model, context, environment: environmentLabel };

  if (o.image) {
    const repository = imageRepository(o.image.registry?.server, o.image.repository ?? model.name);
    const tags = o.image.tags.length > 0 ? o.image.tags : [model.version];
    const labels: Record<string, string> = {
      'org.opencontainers.image.title': model.name,
      'org.opencontainers.image.version': model.version,
      'org.opencontainers.image.base.name': environment.image,
      'com.microsoft.azureml.model': `${model.name}:${model.version}`,
    };
    if (o.build?.sourceVersion) labels['org.opencontainers.image.revision'] = o.build.sourceVersion;
    if (o.build?.repositoryUri) labels['org.opencontainers.image.source'] = o.build.repositoryUri;
    if (o.build?.runUrl) labels['org.opencontainers.image.url'] = o.build.runUrl;
    result.image = await buildImage({ contextDir: dir, repository, tags, labels, registry: o.image.registry, push: o.image.push, log: o.log, signal: o.signal, run: o.image.run });
  }
  return result;
}

/** `<server>/<repository>`, lowercase as registries require; a repository that already names a server is kept. */
export function imageRepository(server: string | undefined, repository: string): string {
  const repo = repository.toLowerCase().replace(/[^a-z0-9._/-]+/g, '-');
  if (!server || repo.startsWith(`${server.toLowerCase()}/`)) return repo;
  return `${server.toLowerCase()}/${repo}`;
}

/** A new or empty folder, or one this task wrote before (emptied); anything else is refused rather than deleted. */
function prepareFolder(dir: string): void {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new UserError(`Input 'outputDirectory': '${dir}' is a file. Give a folder for the build context.`, { input: 'outputDirectory' });
    const entries = fs.readdirSync(dir);
    if (entries.length > 0) {
      if (!entries.includes(CONTEXT_MARKER)) {
        throw new UserError(`Input 'outputDirectory': '${dir}' is not empty. Give a new or empty folder for the build context: the task empties it on later runs and will not delete files it did not write.`, { input: 'outputDirectory' });
      }
      for (const entry of entries) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, CONTEXT_MARKER), 'Written by the AmlPackage task; the folder is emptied when it runs again.\n');
}
