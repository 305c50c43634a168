import * as fs from 'fs';
import * as path from 'path';
import { getBoolean, getChoice, getExistingFile, getInteger, getString, parseKeyValueLines } from '../../src/agent/inputs';
import { parseModelOverride, type ModelSpec } from '../../src/deploy/spec';
import { UserError } from '../../src/errors';

/** Every input of task.json except the workspace, connection and registry ones, read once into plain values. Names match task.json exactly. */
export interface AmlPackageInputs {
  mode: 'context' | 'image' | 'workspace';
  model: ModelSpec;
  codeDirectory: string;
  scoringScript: string;
  /** A registered environment, or a base image with an optional conda or pip file. */
  environment: { kind: 'registered'; name: string; version?: string } | { kind: 'image'; baseImage?: string; condaFile?: string; pipRequirements?: string };
  environmentVariables: Record<string, string>;
  outputDirectory?: string;
  artifactName?: string;
  imageRepository?: string;
  imageTags: string[];
  push: boolean;
  targetEnvironment?: { name: string; version?: string };
  timeoutMinutes: number;
}

/** Input names whose values are read by openWorkspace rather than here. */
export const workspaceInputNames = { connection: 'azureSubscription', resourceGroup: 'resourceGroup', workspaceName: 'workspaceName' } as const;

export function readInputs(): AmlPackageInputs {
  const mode = getChoice('mode', ['context', 'image', 'workspace'] as const, 'context');
  const model = parseModelOverride(getString('model', { required: true, hint: 'the registered model version, such as azureml:credit-model:3 or $(register.modelId).' })!, 'model');
  const codeDirectory = path.resolve(getString('codeDirectory', { required: true, hint: 'the folder with the scoring script (score.py with init() and run()).' })!);
  if (!fs.existsSync(codeDirectory) || !fs.statSync(codeDirectory).isDirectory()) {
    throw new UserError(`Input 'codeDirectory': '${codeDirectory}' is not a folder. Give the folder that holds the scoring script.`, { input: 'codeDirectory' });
  }
  const envText = getString('environment');
  const baseImage = getString('baseImage');
  const condaFile = getExistingFile('condaFile', { required: false });
  const pipRequirements = getExistingFile('pipRequirements', { required: false });
  let environment: AmlPackageInputs['environment'];
  if (envText) {
    if (baseImage || condaFile || pipRequirements) {
      throw new UserError(`Input 'environment' names a registered environment, so 'baseImage', 'condaFile' and 'pipRequirements' must be empty: the environment brings its own image and packages.`, { input: 'environment' });
    }
    const m = /^(?:azureml:)?([A-Za-z0-9][A-Za-z0-9_.-]*)(?::([^:@\s]+)|@latest)?$/.exec(envText);
    if (!m) throw new UserError(`Input 'environment': '${envText}' is not an environment reference. Use azureml:<name>:<version> or azureml:<name>@latest.`, { input: 'environment' });
    environment = { kind: 'registered', name: m[1], version: m[2] };
  } else {
    if (condaFile && pipRequirements) throw new UserError(`Inputs 'condaFile' and 'pipRequirements' are both set: give one of them.`, { input: 'pipRequirements' });
    environment = { kind: 'image', baseImage, condaFile, pipRequirements };
  }
  const target = getString('targetEnvironment');
  let targetEnvironment: AmlPackageInputs['targetEnvironment'];
  if (target) {
    const m = /^(?:azureml:)?([A-Za-z0-9][A-Za-z0-9_.-]*)(?::([A-Za-z0-9_.-]+))?$/.exec(target);
    if (!m) throw new UserError(`Input 'targetEnvironment': '${target}' is not an environment name. Use <name> or <name>:<version>.`, { input: 'targetEnvironment' });
    targetEnvironment = { name: m[1], version: m[2] };
  }
  const imageRepository = getString('imageRepository');
  if (imageRepository && !/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(imageRepository)) {
    throw new UserError(`Input 'imageRepository': '${imageRepository}' is not a valid repository name: lowercase letters, digits, '.', '_', '-' and '/' between parts, such as models/credit.`, { input: 'imageRepository' });
  }
  const imageTags = (getString('imageTags') ?? '').split(/[\s,]+/).filter(Boolean);
  for (const tag of imageTags) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw new UserError(`Input 'imageTags': '${tag}' is not a valid image tag: letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-'.`, { input: 'imageTags' });
  }
  return {
    mode,
    model,
    codeDirectory,
    scoringScript: getString('scoringScript') ?? 'score.py',
    environment,
    environmentVariables: Object.fromEntries(parseKeyValueLines('environmentVariables', getString('environmentVariables')).map((e) => [e.name, e.value])),
    outputDirectory: getString('outputDirectory'),
    artifactName: getString('artifactName'),
    imageRepository,
    imageTags,
    push: getBoolean('push', true),
    targetEnvironment,
    timeoutMinutes: getInteger('timeoutMinutes', { defaultValue: 60, min: 1, max: 24 * 60 }),
  };
}
