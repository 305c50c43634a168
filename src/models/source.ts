import * as path from 'path';
import { UserError } from '../errors';
import { suggest } from '../suggest';
import type { WorkspaceClient } from '../workspace/client';

/** Where the model's files are. */
export type ModelSource =
  /** A named output of a job: `azureml://jobs/<job>/outputs/<output>[/paths/<subPath>]`. */
  | { kind: 'job-output'; jobName: string; output: string; subPath?: string }
  /** A path in a job's artifacts (what MLflow logged): `azureml://jobs/<job>/outputs/artifacts/paths/<path>/`. */
  | { kind: 'artifact'; jobName: string; path: string }
  /** A file or folder on the agent, uploaded to the default datastore. */
  | { kind: 'local'; path: string; input: string }
  /** A URI given as is; `jobName` when it points into a job. */
  | { kind: 'uri'; uri: string; input: string; jobName?: string; output?: string };

export interface SourceInputs {
  jobName?: string;
  jobOutput?: string;
  artifactPath?: string;
  /** A local path or a URI. */
  modelPath?: string;
  /** `path` of the model YAML, used when no source input is given. */
  specPath?: string;
  /** The model YAML, whose folder relative `path`s start from. */
  specFile?: string;
}

const SOURCES_HINT = "Give exactly one source: jobName with jobOutput (a named output of the job) or with artifactPath (a path in the job's artifacts), or modelPath (a file or folder on the agent, or an azureml:// or https:// URI).";

/** Picks the one source the inputs (or else the model YAML) name; anything ambiguous or incomplete is a UserError. */
export function chooseSource(i: SourceInputs): ModelSource {
  if (i.jobOutput && i.artifactPath) {
    throw new UserError(`Inputs 'jobOutput' and 'artifactPath' are both set: register either a named job output or a path in the job's artifacts, not both.`, { input: 'artifactPath' });
  }
  const fromJob = i.jobOutput ?? i.artifactPath;
  if (fromJob && !i.jobName) {
    const input = i.jobOutput ? 'jobOutput' : 'artifactPath';
    throw new UserError(`Input '${input}' needs 'jobName': the Azure ML job whose output to register, for example $(train.jobName).`, { input: 'jobName' });
  }
  if (i.jobName && i.modelPath) {
    throw new UserError(`Inputs 'jobName' and 'modelPath' are both set. ${SOURCES_HINT}`, { input: 'modelPath' });
  }
  if (i.jobName) {
    if (!fromJob) {
      throw new UserError(`Input 'jobName' needs 'jobOutput' (the name of one of the job's outputs) or 'artifactPath' (a path in its artifacts, such as model).`, { input: 'jobOutput' });
    }
    checkJobName(i.jobName, 'jobName');
    if (i.artifactPath) {
      const p = trimSlashes(i.artifactPath);
      if (!p || p.split('/').includes('..')) throw new UserError(`Input 'artifactPath': '${i.artifactPath}' is not a path inside the job's artifacts, such as model or outputs/model.`, { input: 'artifactPath' });
      return { kind: 'artifact', jobName: i.jobName, path: p };
    }
    const [output, ...rest] = trimSlashes(i.jobOutput!).split('/');
    if (!/^[A-Za-z0-9_-]+$/.test(output)) {
      throw new UserError(`Input 'jobOutput': '${i.jobOutput}' is not a job output name; give the name of one of the job's outputs (optionally followed by /<path> inside it).`, { input: 'jobOutput' });
    }
    if (output === 'artifacts') {
      if (!rest.length) throw new UserError(`Input 'jobOutput': 'artifacts' needs a path inside them; use artifactPath, for example artifactPath: model.`, { input: 'artifactPath' });
      return { kind: 'artifact', jobName: i.jobName, path: rest.join('/') };
    }
    return rest.length ? { kind: 'job-output', jobName: i.jobName, output, subPath: rest.join('/') } : { kind: 'job-output', jobName: i.jobName, output };
  }
  if (i.modelPath) return pathSource(i.modelPath, 'modelPath', process.cwd());
  if (i.specPath) return pathSource(i.specPath, 'modelSpec', i.specFile ? path.dirname(i.specFile) : process.cwd());
  throw new UserError(`No model to register. ${SOURCES_HINT}`, { input: 'modelPath' });
}

function pathSource(value: string, input: string, baseDir: string): ModelSource {
  // `C:\models` is a local path, not a URI with scheme "c".
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(value)?.[1]?.toLowerCase();
  if (!scheme) return { kind: 'local', path: path.resolve(baseDir, value), input };
  if (scheme === 'http' || scheme === 'file') {
    throw new UserError(`Input '${input}': '${value}' is not supported: use https://, an azureml:// URI, or a path on the agent.`, { input });
  }
  const job = parseJobUri(value);
  if (job) {
    checkJobName(job.jobName, input);
    // The CLI registers an MLflow run path as the job's artifacts path.
    const uri = scheme === 'runs' ? `azureml://jobs/${job.jobName}/outputs/artifacts/paths/${job.subPath}` : value;
    return { kind: 'uri', uri, input, jobName: job.jobName, output: job.output };
  }
  return { kind: 'uri', uri: value, input };
}

/** The job and output a job URI points into: `azureml://jobs/<job>/outputs/<output>[/paths/...]` or `runs:/<run>/<path>`. */
export function parseJobUri(uri: string): { jobName: string; output: string; subPath?: string } | undefined {
  const runs = /^runs:\/([^/]+)\/(.*)$/.exec(uri);
  if (runs) return { jobName: runs[1], output: 'artifacts', subPath: runs[2] };
  const m = /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)(?:\/paths\/(.*))?\/?$/.exec(uri);
  if (!m) return undefined;
  return m[3] !== undefined ? { jobName: m[1], output: m[2], subPath: m[3] } : { jobName: m[1], output: m[2] };
}

/** The `modelUri` a job source is registered with, in the forms the Azure ML CLI documents. */
export function jobSourceUri(source: Extract<ModelSource, { kind: 'job-output' | 'artifact' }>): string {
  if (source.kind === 'artifact') return `azureml://jobs/${source.jobName}/outputs/artifacts/paths/${source.path}/`;
  return source.subPath ? `azureml://jobs/${source.jobName}/outputs/${source.output}/paths/${source.subPath}` : `azureml://jobs/${source.jobName}/outputs/${source.output}`;
}

/** The job a source comes from, if any, and the output it uses. */
export function sourceJob(source: ModelSource): { jobName: string; output: string; input: string } | undefined {
  if (source.kind === 'job-output') return { jobName: source.jobName, output: source.output, input: 'jobName' };
  if (source.kind === 'artifact') return { jobName: source.jobName, output: 'artifacts', input: 'jobName' };
  if (source.kind === 'uri' && source.jobName) return { jobName: source.jobName, output: source.output ?? 'artifacts', input: source.input };
  return undefined;
}

export interface SourceJob {
  name: string;
  status: string;
  studioUrl?: string;
  outputs: string[];
}

interface RawJob {
  name?: string;
  properties?: { status?: string; outputs?: Record<string, unknown> | null; services?: { Studio?: { endpoint?: string } } };
}

/**
 * The source job, checked: it exists, it Completed, and it has the output (`artifacts`, the default artifact
 * location, every job has). Each problem is one UserError naming the input.
 */
export async function checkSourceJob(client: WorkspaceClient, job: { jobName: string; output: string; input: string }, signal?: AbortSignal): Promise<SourceJob> {
  const raw = await client.get<RawJob>(`jobs/${encodeURIComponent(job.jobName)}`, { operation: `read the job '${job.jobName}'`, allowNotFound: true, signal });
  const ws = client.workspace.workspaceName;
  if (!raw) {
    throw new UserError(`Input '${job.input}': the job '${job.jobName}' does not exist in workspace '${ws}'. Check the name (for example $(train.jobName) from the AmlTrain step) and the workspace.`, { input: job.input });
  }
  const status = raw.properties?.status ?? 'Unknown';
  const studioUrl = raw.properties?.services?.Studio?.endpoint;
  if (status !== 'Completed') {
    throw new UserError(
      `Input '${job.input}': the job '${job.jobName}' is ${status}, not Completed; only a completed job's outputs can be registered.${studioUrl ? ` See ${studioUrl}` : ''}`,
      { input: job.input },
    );
  }
  const outputs = Object.keys(raw.properties?.outputs ?? {});
  if (job.output !== 'artifacts' && !outputs.includes(job.output)) {
    const input = job.input === 'jobName' ? 'jobOutput' : job.input;
    const guess = suggest(job.output, outputs);
    throw new UserError(
      `Input '${input}': the job '${job.jobName}' has no output '${job.output}'.${guess ? ` Did you mean '${guess}'?` : ''} Its outputs: ${outputs.length ? outputs.join(', ') : 'none'}${job.input === 'jobName' ? "; for files the job logged as artifacts, use artifactPath" : ''}.`,
      { input },
    );
  }
  return { name: job.jobName, status, studioUrl, outputs };
}

function checkJobName(name: string, input: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/.test(name)) {
    throw new UserError(`Input '${input}': '${name}' is not an Azure ML job name (letters, digits, '_' and '-').`, { input });
  }
}

function trimSlashes(p: string): string {
  return p.trim().replace(/^\/+|\/+$/g, '');
}
