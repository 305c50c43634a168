import { CODE_DIR, INFERENCE_SERVER_PACKAGE, INFERENCE_SERVER_VERSION, SERVER_PORT, APP_UID } from './dockerfile';

// The README handed to the team that builds and runs the image. Pure: no dates, no host names, so it is reproducible.

export interface ReadmeFacts {
  model: { name: string; version: string; type?: string };
  modelDir: string;
  modelFiles: Array<{ path: string; bytes: number }>;
  files: Array<{ path: string; bytes: number }>;
  baseImage: string;
  environment: { name?: string; file?: string };
  scoringScript: string;
  environmentVariables: Array<[string, string]>;
  warnings: string[];
}

export function renderReadme(f: ReadmeFacts): string {
  const tag = `${f.model.name.toLowerCase()}:${f.model.version}`;
  const modelBytes = f.modelFiles.reduce((sum, file) => sum + file.bytes, 0);
  const out: string[] = [
    `# ${f.model.name}:${f.model.version} as a Docker image`,
    '',
    `This folder is a Docker build context for the Azure Machine Learning model **${f.model.name}**, version **${f.model.version}**` +
      `${f.model.type ? ` (${f.model.type})` : ''}. It holds everything the image needs: the model files, the scoring code and ` +
      'the Python environment. Building and running it needs Docker only: no Azure subscription, workspace or login.',
    '',
    'The image runs the Azure ML inference HTTP server ' +
      `(\`${INFERENCE_SERVER_PACKAGE}\`, command \`azmlinfsrv\`) with the same scoring script, routes and environment ` +
      'variables as an Azure ML managed online endpoint, so clients call it the same way.',
    '',
    '## What is inside',
    '',
    '| | |',
    '| --- | --- |',
    `| Model | ${f.model.name}, version ${f.model.version}${f.model.type ? `, type ${f.model.type}` : ''}: ${f.modelFiles.length} file(s), ${formatBytes(modelBytes)} |`,
    `| Base image | \`${f.baseImage}\` |`,
    `| Environment | ${describeEnvironment(f.environment)} |`,
    `| Scoring script | \`code/${f.scoringScript}\` (\`init()\` once at start, \`run(raw_data)\` per request) |`,
    `| Model folder in the image | \`${f.modelDir}\` (\`AZUREML_MODEL_DIR\`), read-only |`,
    `| Runs as | user ${APP_UID} (not root) |`,
    '',
  ];
  if (f.warnings.length) {
    out.push('**Warnings** from packaging:', '', ...f.warnings.map((w) => `- ${w}`), '');
  }
  out.push('Model files (under `model/` here, under `AZUREML_MODEL_DIR` in the image):', '', ...fileTable(f.modelFiles), '');
  out.push('Other files:', '', ...fileTable(f.files), '');
  out.push(
    '## Build',
    '',
    '```sh',
    `docker build -t ${tag} .`,
    '```',
    '',
    `The build installs the Python packages of the environment file, so it needs access to the package index they come from ` +
      `(PyPI or conda channels, or your mirror). If the base image lacks \`${INFERENCE_SERVER_PACKAGE}\`, version ` +
      `${INFERENCE_SERVER_VERSION} is installed; choose another with \`--build-arg INFERENCE_SERVER_VERSION=<version>\`.`,
    '',
    '## Run',
    '',
    '```sh',
    `docker run --rm -p ${SERVER_PORT}:${SERVER_PORT} ${tag}`,
    '```',
    '',
    'Check that it is up (the liveness route answers `Healthy`; the image also declares a Docker `HEALTHCHECK` on it):',
    '',
    '```sh',
    `curl http://localhost:${SERVER_PORT}/`,
    '```',
    '',
    'Score a request (`request.json` holds a body the scoring script\'s `run()` understands; it gets the body as it is):',
    '',
    '```sh',
    `curl -X POST http://localhost:${SERVER_PORT}/score -H "Content-Type: application/json" -d @request.json`,
    '```',
    '',
    `\`GET /swagger.json\` returns the API schema when the scoring script declares one (\`@input_schema\`/\`@output_schema\`).`,
    '',
    '## Environment variables',
    '',
    'Set at run time with `docker run -e NAME=value`:',
    '',
    '| Variable | Default | What it does |',
    '| --- | --- | --- |',
    '| `WORKER_COUNT` | 1 | Worker processes serving requests. |',
    '| `WORKER_TIMEOUT` | 300 | Seconds a request may take before its worker is restarted. |',
    '| `SCORING_TIMEOUT_MS` | 3600000 | Milliseconds `run()` may take. |',
    '| `AZUREML_LOG_LEVEL` | INFO | Server log level (DEBUG, INFO, WARNING, ERROR). |',
    '',
    `Baked into the image (change them only if you move files): \`AZUREML_MODEL_DIR=${f.modelDir}\`, ` +
      `\`AML_APP_ROOT=${CODE_DIR}\`, \`AZUREML_ENTRY_SCRIPT=${CODE_DIR}/${f.scoringScript}\`.`,
  );
  if (f.environmentVariables.length) {
    out.push('', 'Also set by the package (from the deployment\'s environment variables):', '');
    for (const [name, value] of f.environmentVariables) out.push(`- \`${name}=${value}\``);
  }
  out.push(
    '',
    'Secrets (keys, connection strings) are not in the image: pass them with `docker run -e` or your orchestrator\'s secrets.',
    '',
  );
  return out.join('\n');
}

function describeEnvironment(e: { name?: string; file?: string }): string {
  const parts: string[] = [];
  if (e.name) parts.push(`Azure ML environment ${e.name}`);
  parts.push(e.file ? `packages from \`${e.file}\`` : 'the base image\'s packages');
  return parts.join(', ');
}

function fileTable(files: Array<{ path: string; bytes: number }>): string[] {
  return ['| File | Size |', '| --- | --- |', ...files.map((f) => `| \`${f.path}\` | ${formatBytes(f.bytes)} |`)];
}

/** Sizes as people read them, computed without the locale so the README is the same on every machine. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
