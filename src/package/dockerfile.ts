// Renders the Dockerfile of a model's build context. Pure: same plan in, same bytes out.

/** Where the Azure ML inference images keep the app; managed online endpoints mount code and models under it. */
export const APP_ROOT = '/var/azureml-app';
/** The port the Azure ML inference HTTP server (`azmlinfsrv`) listens on by default. */
export const SERVER_PORT = 5001;
/** A non-root numeric user: works on images that have no passwd entry for it, and Kubernetes' runAsNonRoot accepts it. */
export const APP_UID = 10001;
/**
 * The inference server version installed when neither the image nor the user's environment file brings one.
 * Pinned so two builds of the same context get the same server; a build can override it with
 * `--build-arg INFERENCE_SERVER_VERSION=...`.
 */
export const INFERENCE_SERVER_VERSION = '1.5.1';
export const INFERENCE_SERVER_PACKAGE = 'azureml-inference-server-http';
/**
 * The image built on when neither a registered environment nor a base image is given: Azure ML's minimal Python
 * inference image. Its dated tags rotate (Azure ML supports the last six months of them), so the default is
 * `latest` and the context warns about it; pin a dated tag or a digest with the baseImage input for reproducible builds.
 */
export const DEFAULT_BASE_IMAGE = 'mcr.microsoft.com/azureml/minimal-py311-inference:latest';
/** Where a conda file's environment is created inside the image. */
export const CONDA_ENV_PREFIX = '/opt/azureml-env';

export interface DockerfilePlan {
  model: { name: string; version: string; type?: string };
  baseImage: string;
  /** Why the base image is not pinned, when it is not. */
  imageWarning?: string;
  /** The environment file as it sits in the context (posix path), and its kind. */
  environmentFile?: { kind: 'conda' | 'pip'; path: string };
  /** Whether the environment file already lists the inference server (then it decides the version). */
  environmentHasServer: boolean;
  /** The entry script relative to the code folder, posix separators. */
  scoringScript: string;
  environmentVariables: Array<[string, string]>;
}

/** AZUREML_MODEL_DIR as a managed online endpoint sets it: `/var/azureml-app/azureml-models/<name>/<version>`. */
export function modelDirFor(model: { name: string; version: string }): string {
  return `${APP_ROOT}/azureml-models/${model.name}/${model.version}`;
}

export const CODE_DIR = `${APP_ROOT}/code`;

/** Whether an image reference is pinned: a digest, or a tag other than `latest`. */
export function imagePinning(image: string): { pinned: boolean; why?: string } {
  if (image.includes('@')) return { pinned: true };
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  if (colon < 0) return { pinned: false, why: `the base image '${image}' has no tag, so Docker takes 'latest'` };
  if (lastSegment.slice(colon + 1) === 'latest') return { pinned: false, why: `the base image '${image}' uses the moving tag 'latest'` };
  return { pinned: true };
}

/** A value for `ENV NAME="value"`: backslash, double quote and `$` escaped so Docker keeps it literally. */
export function quoteEnvValue(value: string): string {
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

export function renderDockerfile(plan: DockerfilePlan): string {
  const modelDir = modelDirFor(plan.model);
  const entryScript = `${CODE_DIR}/${plan.scoringScript}`;
  const lines: string[] = [
    `# Serves the Azure ML model ${plan.model.name}:${plan.model.version} with the Azure ML inference HTTP server,`,
    '# with the same routes and environment variables as a managed online endpoint. See README.md.',
    `#   docker build -t ${plan.model.name.toLowerCase()}:${plan.model.version} .`,
    `#   docker run -p ${SERVER_PORT}:${SERVER_PORT} ${plan.model.name.toLowerCase()}:${plan.model.version}`,
    '',
  ];
  if (plan.imageWarning) {
    lines.push(`# WARNING: ${plan.imageWarning}; rebuilding later may give a different image. Pin a tag or a digest.`);
  }
  lines.push(`FROM ${plan.baseImage}`, '');
  lines.push('# Install as root; the server runs as an unprivileged user (below).', 'USER 0');
  lines.push(`ARG INFERENCE_SERVER_VERSION=${INFERENCE_SERVER_VERSION}`, '');
  lines.push(...environmentSteps(plan));
  lines.push(
    '# The model, read-only: owned by root, readable by the server user, at the path Azure ML mounts it.',
    `COPY model/ ${modelDir}/`,
    `COPY --chown=${APP_UID}:${APP_UID} code/ ${CODE_DIR}/`,
    '',
    `ENV AZUREML_MODEL_DIR=${quoteEnvValue(modelDir)}`,
    `ENV AML_APP_ROOT=${quoteEnvValue(CODE_DIR)}`,
    `ENV AZUREML_ENTRY_SCRIPT=${quoteEnvValue(entryScript)}`,
    '# A numeric user has no home folder; libraries that cache under ~ need a writable one.',
    'ENV HOME="/tmp"',
  );
  for (const [name, value] of plan.environmentVariables) lines.push(`ENV ${name}=${quoteEnvValue(value)}`);
  lines.push(
    '',
    `WORKDIR ${CODE_DIR}`,
    `USER ${APP_UID}:${APP_UID}`,
    `EXPOSE ${SERVER_PORT}`,
    '# Python is in every image that runs the server, unlike curl or wget, so it probes the liveness route.',
    `HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ${execForm([
      'python3',
      '-c',
      `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${SERVER_PORT}/', timeout=4)`,
    ])}`,
    '# Inference images start runit by default; run the server directly so the container stops with it.',
    'ENTRYPOINT []',
    `CMD ${execForm(['azmlinfsrv', '--entry_script', entryScript, '--port', String(SERVER_PORT)])}`,
    '',
  );
  return lines.join('\n');
}

function environmentSteps(plan: DockerfilePlan): string[] {
  const install = `python3 -m pip install --no-cache-dir "${INFERENCE_SERVER_PACKAGE}==\${INFERENCE_SERVER_VERSION}"`;
  const file = plan.environmentFile;
  if (file?.kind === 'conda') {
    const steps = [
      '# The conda file becomes its own environment, first on PATH, as Azure ML builds it.',
      `COPY ${file.path} ${APP_ROOT}/${file.path}`,
      `RUN conda env create -p ${CONDA_ENV_PREFIX} -f ${APP_ROOT}/${file.path} && conda clean -afy`,
      `ENV AZUREML_CONDA_ENVIRONMENT_PATH="${CONDA_ENV_PREFIX}"`,
      `ENV PATH="${CONDA_ENV_PREFIX}/bin:$PATH"`,
    ];
    if (!plan.environmentHasServer) {
      steps.push(`# The conda file does not list ${INFERENCE_SERVER_PACKAGE}; the new environment needs it to serve.`, `RUN ${install}`);
    }
    return [...steps, ''];
  }
  const steps: string[] = [];
  if (file?.kind === 'pip') {
    steps.push(
      '# The pip requirements go into the image\'s own Python environment.',
      `COPY ${file.path} ${APP_ROOT}/${file.path}`,
      `RUN python3 -m pip install --no-cache-dir -r ${APP_ROOT}/${file.path}`,
    );
  }
  if (!plan.environmentHasServer) {
    steps.push(
      `# Azure ML inference images ship ${INFERENCE_SERVER_PACKAGE}; keep theirs, install the pinned one only where it is missing.`,
      `RUN python3 -m pip show ${INFERENCE_SERVER_PACKAGE} > /dev/null 2>&1 || ${install}`,
    );
  }
  return [...steps, ''];
}

function execForm(args: string[]): string {
  return `[${args.map((a) => JSON.stringify(a)).join(', ')}]`;
}
