import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../errors';
import { imagePinning, modelDirFor, renderDockerfile, SERVER_PORT } from './dockerfile';
import { condaFileFacts, pipRequirementsFacts, type EnvironmentFileFacts } from './environment';
import { renderReadme } from './readme';

// Turns a downloaded model, the scoring code and an environment into a Docker build context that a production team
// builds and runs without Azure. Same inputs, byte-identical files.

export interface BuildContextOptions {
  /** The build context folder. The caller has already downloaded the model's files into `path.join(dir, MODEL_FOLDER)` exactly as registered (nested folders kept); everything else in `dir` is written here. */
  dir: string;
  model: { name: string; version: string; /** e.g. custom_model, mlflow_model */ type?: string };
  /** The scoring code: a local folder and the entry script relative to it (score.py with init() and run(raw_data), the managed online endpoint contract). */
  code: { dir: string; scoringScript: string };
  /** Where the image's Python environment comes from: a base image plus an optional conda file or pip requirements file (local paths, copied in). A registered Azure ML environment is resolved by the caller to this same shape (its image, and its conda file content written to a temp file). */
  environment: { image: string; condaFile?: string; pipRequirements?: string; name?: string };
  /** Extra environment variables baked into the image. */
  environmentVariables?: Record<string, string>;
}

/** Where the caller puts the model files inside `dir`. */
export const MODEL_FOLDER = 'model';
/** Marks a folder the package task wrote, so a later run may empty it; any other non-empty folder is refused. */
export const CONTEXT_MARKER = '.aml-package';
export const CODE_FOLDER = 'code';
export const ENVIRONMENT_FOLDER = 'environment';

export interface BuildContextResult {
  /** Path of the written Dockerfile. */
  dockerfile: string;
  /** Every file written into the context except the model's, relative to `dir` with `/`, sorted. */
  files: Array<{ path: string; bytes: number }>;
  /** The model's files relative to the model folder (as under AZUREML_MODEL_DIR), with `/`, sorted. */
  modelFiles: Array<{ path: string; bytes: number }>;
  baseImage: string;
  /** AZUREML_MODEL_DIR inside the image. */
  modelDir: string;
  port: number;
  /** Things that make the image less reproducible than it could be (an unpinned base image or package). */
  warnings: string[];
}

/** Folders and files never copied from the scoring code: caches and version control. */
const SKIPPED_NAMES = new Set(['__pycache__', '.git', '.ipynb_checkpoints', '.DS_Store']);
const SKIPPED_EXTENSIONS = new Set(['.pyc', '.pyo']);
/** Set by the image itself; a deployment variable must not move the model or the entry script. */
const RESERVED_VARIABLES = new Set(['AZUREML_MODEL_DIR', 'AML_APP_ROOT', 'AZUREML_ENTRY_SCRIPT', 'AZUREML_CONDA_ENVIRONMENT_PATH', 'PATH', 'HOME']);
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|ACCESS_?KEY|ACCOUNT_?KEY|PRIVATE_?KEY|CONNECTION_?STRING|CREDENTIAL/i;
const SECRET_VALUE = /AccountKey=|SharedAccessSignature=|SharedAccessKey=|[?&]sig=|-----BEGIN [A-Z ]*PRIVATE KEY-----/i;
/** The characters Azure ML allows in model names and versions; they also keep Dockerfile paths and image tags simple. */
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export async function writeBuildContext(o: BuildContextOptions): Promise<BuildContextResult> {
  const dir = path.resolve(o.dir);
  checkModelIdentity(o.model);
  const scoringScript = await checkCode(o.code);
  if (isInside(dir, path.resolve(o.code.dir))) {
    throw new UserError(`The code folder '${o.code.dir}' is inside the build context folder '${dir}', which is rewritten. Keep the scoring code in its own folder.`, {
      input: 'codeDirectory',
    });
  }
  const variables = checkVariables(o.environmentVariables ?? {});
  const image = o.environment.image?.trim() ?? '';
  if (!image || /\s/.test(image)) {
    throw new UserError(`The environment's image '${o.environment.image ?? ''}' is not an image reference. Give one such as mcr.microsoft.com/azureml/minimal-py311-inference:<tag>.`, {
      input: 'environment',
    });
  }
  const environmentFile = await checkEnvironmentFile(o.environment);

  const modelRoot = path.join(dir, MODEL_FOLDER);
  const modelFiles = await listModel(modelRoot);

  const warnings: string[] = [];
  const pinning = imagePinning(image);
  if (!pinning.pinned) warnings.push(`${capitalize(pinning.why!)}; pin a tag or a digest so rebuilding the context gives the same image.`);
  if (environmentFile?.facts.unpinned.length) {
    // Named by its place in the context, not on the agent, so the README does not depend on where the agent ran.
    const what = environmentFile.kind === 'conda' ? 'The conda file' : 'The pip requirements file';
    warnings.push(
      `${what} (${environmentFile.contextPath}) leaves ${environmentFile.facts.unpinned.map((p) => `'${p}'`).join(', ')} unpinned; pin versions so rebuilding the context installs the same packages.`,
    );
  }

  // A second run into the same folder must give the same context, not a mix of old and new code.
  for (const name of [CODE_FOLDER, ENVIRONMENT_FOLDER, 'Dockerfile', '.dockerignore', 'README.md']) {
    await fs.promises.rm(path.join(dir, name), { recursive: true, force: true });
  }
  const written: string[] = [];
  await copyCode(path.resolve(o.code.dir), path.join(dir, CODE_FOLDER), dir, written);
  if (environmentFile) {
    await fs.promises.mkdir(path.join(dir, ENVIRONMENT_FOLDER), { recursive: true });
    // Written from what was read and checked, byte for byte (the file may even sit in the folder just cleared).
    await fs.promises.writeFile(path.join(dir, environmentFile.contextPath), environmentFile.content, { mode: 0o644 });
    written.push(environmentFile.contextPath);
  }

  const dockerfile = renderDockerfile({
    model: o.model,
    baseImage: image,
    imageWarning: pinning.why,
    environmentFile: environmentFile && { kind: environmentFile.kind, path: environmentFile.contextPath },
    environmentHasServer: environmentFile?.facts.hasServer ?? false,
    scoringScript,
    environmentVariables: variables,
  });
  await writeText(dir, 'Dockerfile', dockerfile, written);
  await writeText(dir, '.dockerignore', renderDockerignore(), written);

  const files = await sizes(dir, written);
  const modelDir = modelDirFor(o.model);
  const readme = renderReadme({
    model: o.model,
    modelDir,
    modelFiles,
    files,
    baseImage: image,
    environment: { name: o.environment.name, file: environmentFile?.contextPath },
    scoringScript,
    environmentVariables: variables,
    warnings,
  });
  await writeText(dir, 'README.md', readme, written);

  return {
    dockerfile: path.join(dir, 'Dockerfile'),
    files: await sizes(dir, written),
    modelFiles,
    baseImage: image,
    modelDir,
    port: SERVER_PORT,
    warnings,
  };
}

function checkModelIdentity(model: { name: string; version: string }): void {
  for (const [what, value] of [
    ['name', model.name],
    ['version', model.version],
  ] as const) {
    if (!ASSET_NAME.test(value ?? '')) {
      throw new UserError(`The model ${what} '${value ?? ''}' is not a valid Azure ML model ${what}: use letters, digits, '.', '_' and '-', starting with a letter or digit.`, {
        input: 'model',
      });
    }
  }
}

/** Checks the code folder and entry script; returns the entry script relative to the folder, with `/`. */
async function checkCode(code: { dir: string; scoringScript: string }): Promise<string> {
  const dir = path.resolve(code.dir ?? '');
  const stat = await fs.promises.stat(dir).catch(() => undefined);
  if (!code.dir || !stat?.isDirectory()) {
    throw new UserError(`The code folder '${code.dir ?? ''}' does not exist or is not a folder. Set codeDirectory to the folder that holds the scoring script.`, {
      input: 'codeDirectory',
    });
  }
  if (!code.scoringScript) {
    throw new UserError('No scoring script was given. Set scoringScript to the entry script (e.g. score.py), relative to codeDirectory.', { input: 'scoringScript' });
  }
  const script = path.resolve(dir, code.scoringScript);
  const relative = path.relative(dir, script);
  if (!relative || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new UserError(
      `The scoring script '${code.scoringScript}' is outside the code folder '${code.dir}'. Only the code folder goes into the image: move the script into it and give its path relative to codeDirectory.`,
      { input: 'scoringScript' },
    );
  }
  const scriptStat = await fs.promises.stat(script).catch(() => undefined);
  if (!scriptStat?.isFile()) {
    throw new UserError(`The scoring script '${relative}' was not found in the code folder '${code.dir}'. Set scoringScript to a file relative to codeDirectory.`, {
      input: 'scoringScript',
    });
  }
  if (relative.split(path.sep).some((part) => SKIPPED_NAMES.has(part)) || SKIPPED_EXTENSIONS.has(path.extname(relative))) {
    throw new UserError(`The scoring script '${relative}' is a cache or version-control file that is not packaged. Point scoringScript at the source script.`, {
      input: 'scoringScript',
    });
  }
  return relative.split(path.sep).join('/');
}

function checkVariables(vars: Record<string, string>): Array<[string, string]> {
  const entries = Object.entries(vars).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, value] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new UserError(`The environment variable name '${name}' is not valid: use letters, digits and '_', not starting with a digit.`, { input: 'environmentVariables' });
    }
    if (RESERVED_VARIABLES.has(name)) {
      throw new UserError(`The environment variable ${name} is set by the image itself and cannot be overridden. Remove it from environmentVariables.`, {
        input: 'environmentVariables',
      });
    }
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw new UserError(`The environment variable ${name} must be a single-line string. Fix its value in environmentVariables.`, { input: 'environmentVariables' });
    }
    if (SECRET_NAME.test(name) || SECRET_VALUE.test(value)) {
      throw new UserError(
        `The environment variable ${name} looks like a secret. Anything baked into an image can be read by whoever has the image: leave it out of environmentVariables and pass it when the container starts (docker run -e ${name}=...).`,
        { input: 'environmentVariables' },
      );
    }
  }
  return entries;
}

interface EnvironmentFile {
  kind: 'conda' | 'pip';
  source: string;
  contextPath: string;
  content: Buffer;
  facts: EnvironmentFileFacts;
}

async function checkEnvironmentFile(env: BuildContextOptions['environment']): Promise<EnvironmentFile | undefined> {
  if (env.condaFile && env.pipRequirements) {
    throw new UserError(
      'Both a conda file and a pip requirements file were given. An image gets its packages from one of them: keep condaFile (which can list pip packages too) or pipRequirements, not both.',
      { input: 'condaFile' },
    );
  }
  const input = env.condaFile ? 'condaFile' : env.pipRequirements ? 'pipRequirements' : undefined;
  if (!input) return undefined;
  const source = path.resolve((env.condaFile ?? env.pipRequirements)!);
  const content = await fs.promises.readFile(source).catch(() => undefined);
  if (content === undefined) {
    throw new UserError(`The ${input === 'condaFile' ? 'conda file' : 'pip requirements file'} '${source}' was not found. Fix the path in ${input}.`, {
      input,
      file: source,
    });
  }
  const text = content.toString('utf8');
  return input === 'condaFile'
    ? { kind: 'conda', source, content, contextPath: `${ENVIRONMENT_FOLDER}/conda.yml`, facts: condaFileFacts(text, source) }
    : { kind: 'pip', source, content, contextPath: `${ENVIRONMENT_FOLDER}/requirements.txt`, facts: pipRequirementsFacts(text) };
}

async function listModel(root: string): Promise<Array<{ path: string; bytes: number }>> {
  const stat = await fs.promises.stat(root).catch(() => undefined);
  const files: Array<{ path: string; bytes: number }> = [];
  if (stat?.isDirectory()) await walkModel(root, '', files);
  if (!files.length) {
    throw new UserError(
      `The model folder ${root} is ${stat?.isDirectory() ? 'empty' : 'missing'}: the model's files were not downloaded. Check that the model input names a registered model version that has files.`,
      { input: 'model' },
    );
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Lists the model's files and makes them 0644 (folders 0755): root owns them in the image, so the server can read but not change them. */
async function walkModel(root: string, rel: string, out: Array<{ path: string; bytes: number }>): Promise<void> {
  await fs.promises.chmod(path.join(root, rel), 0o755);
  for (const entry of await fs.promises.readdir(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    const full = path.join(root, child);
    if (entry.isDirectory()) {
      await walkModel(root, child, out);
    } else if (entry.isFile()) {
      await fs.promises.chmod(full, 0o644);
      out.push({ path: child, bytes: (await fs.promises.stat(full)).size });
    }
  }
}

/** Copies the code folder in name order, without caches, without the context itself when it lies inside the code folder. */
async function copyCode(from: string, to: string, contextDir: string, written: string[]): Promise<void> {
  await fs.promises.mkdir(to, { recursive: true });
  const entries = (await fs.promises.readdir(from, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (SKIPPED_NAMES.has(entry.name) || SKIPPED_EXTENSIONS.has(path.extname(entry.name))) continue;
    const source = path.join(from, entry.name);
    if (source === contextDir) continue;
    const stat = await fs.promises.stat(source).catch(() => undefined);
    if (stat?.isDirectory() && !entry.isSymbolicLink()) {
      await copyCode(source, path.join(to, entry.name), contextDir, written);
    } else if (stat?.isFile()) {
      const target = path.join(to, entry.name);
      await fs.promises.copyFile(source, target);
      // Only the executable bit is kept, so file modes do not depend on the agent's umask.
      await fs.promises.chmod(target, stat.mode & 0o100 ? 0o755 : 0o644);
      written.push(path.relative(contextDir, target).split(path.sep).join('/'));
    }
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

async function writeText(dir: string, name: string, text: string, written: string[]): Promise<void> {
  await fs.promises.writeFile(path.join(dir, name), text.replace(/\r\n/g, '\n'), { mode: 0o644 });
  written.push(name);
}

async function sizes(dir: string, relPaths: string[]): Promise<Array<{ path: string; bytes: number }>> {
  const out = await Promise.all(relPaths.map(async (p) => ({ path: p, bytes: (await fs.promises.stat(path.join(dir, p))).size })));
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Keeps caches out of the image if someone adds files to the context by hand; the model folder is left as registered. */
function renderDockerignore(): string {
  return [
    '# Only what the Dockerfile copies matters; keep Python caches and VCS folders out of code/ and environment/.',
    `${CODE_FOLDER}/**/__pycache__`,
    `${CODE_FOLDER}/**/*.py[co]`,
    `${CODE_FOLDER}/**/.git`,
    `${ENVIRONMENT_FOLDER}/**/__pycache__`,
    'README.md',
    CONTEXT_MARKER,
    '',
  ].join('\n');
}
