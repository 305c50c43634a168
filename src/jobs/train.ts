import { randomBytes } from 'crypto';
import type { TokenCredential } from '@azure/core-auth';
import type { Sleep } from '../http/retry';
import type { Log } from '../log';
import type { WorkspaceClient } from '../workspace/client';
import { studioJobUrl } from '../workspace/ids';
import { lineageTags, type BuildContext } from '../workspace/lineage';
import { resolveReferences } from './resolve';
import { buildSubmission, referencesToResolve } from './rest-body';
import { applyOverrides, loadJobSpec, type JobOverrides } from './spec';
import { waitForJob, type JobResource, type JobState } from './wait';

export interface TrainOptions {
  jobSpecFile: string;
  overrides?: JobOverrides;
  waitForCompletion: boolean;
  /** 0 = no limit. */
  timeoutMinutes: number;
  cancelJobOnAbort: boolean;
  /** Copy the job's log into the pipeline log while waiting. */
  streamLogs?: boolean;
  build: BuildContext;
  client: WorkspaceClient;
  credential: TokenCredential;
  log: Log;
  onSecret: (value: string) => void;
  /** Called as soon as the job exists, so its name and link are reported even if waiting fails. */
  onSubmitted?: (job: { jobName: string; studioUrl: string }) => void;
  signal?: AbortSignal;
  tenantId?: string;
  sleep?: Sleep;
  now?: () => number;
  pollInterval?: (n: number) => number;
  newJobName?: () => string;
}

export type TrainResult = JobState;

/** Submits the job a CLI v2 YAML describes and, unless told not to, waits for it to end. */
export async function submitJob(o: TrainOptions): Promise<TrainResult> {
  const { client, log } = o;
  const loaded = loadJobSpec(o.jobSpecFile);
  for (const w of loaded.warnings) log.warning(w);
  const spec = applyOverrides(loaded.spec, o.overrides ?? {});

  // The workspace first: a wrong workspace name would otherwise surface as "compute not found".
  await client.workspaceDetails();
  const refs = await resolveReferences(referencesToResolve(spec), {
    client,
    credential: o.credential,
    log,
    onSecret: o.onSecret,
    signal: o.signal,
    specFile: o.jobSpecFile,
    lines: loaded.lines,
  });
  const { components, job: body } = buildSubmission(spec, refs, { tags: lineageTags(o.build) });
  // Chosen here, not by the service, so a retried PUT can never create a second job.
  const jobName = spec.name ?? o.newJobName?.() ?? newJobName();

  // Steps written in the pipeline file and local component files become anonymous components, as with the CLI.
  const registered = new Set<string>();
  for (const component of components) {
    const key = `${component.name}/${component.version}`;
    if (registered.has(key)) continue;
    registered.add(key);
    await client.put(`components/${component.name}/versions/${component.version}`, component.body, {
      operation: `register the component of step '${component.step}'`,
      signal: o.signal,
    });
  }
  // Pipeline jobs carry a token for the Azure ML data plane, which runs the steps on the submitter's behalf.
  const headers = spec.type === 'pipeline' ? await amlTokenHeader(o.credential, o.signal) : undefined;
  const created = await client.put<JobResource>(`jobs/${jobName}`, body, { operation: `create the job '${jobName}'`, signal: o.signal, headers });
  const studioUrl = created.properties?.services?.['Studio']?.endpoint ?? studioJobUrl(client.workspace, jobName, o.tenantId);
  const experimentName = created.properties?.experimentName ?? body.properties.experimentName ?? 'Default';
  log.info(`Submitted job '${jobName}' to experiment '${experimentName}' in workspace '${client.workspace.workspaceName}'.`);
  log.info(`Studio: ${studioUrl}`);
  o.onSubmitted?.({ jobName, studioUrl });

  const result: TrainResult = {
    jobName,
    status: created.properties?.status ?? 'NotStarted',
    studioUrl,
    experimentName,
    displayName: created.properties?.displayName ?? spec.displayName,
    computeId: created.properties?.computeId,
    uploadedBytes: refs.uploadedBytes,
    timedOut: false,
    canceledByTask: false,
  };
  if (!o.waitForCompletion) return result;

  await waitForJob({ ...o, jobName }, result);
  return result;
}

async function amlTokenHeader(credential: TokenCredential, signal?: AbortSignal): Promise<Record<string, string>> {
  const token = await credential.getToken(AML_SCOPE, { abortSignal: signal });
  if (!token) throw new Error(`No access token for ${AML_SCOPE}, which pipeline jobs send as x-azureml-token.`);
  return { 'x-azureml-token': token.token };
}

const AML_SCOPE = 'https://ml.azure.com/.default';

/** A job name in the style the Azure ML CLI generates: lowercase, unique, valid as an ARM name. */
export function newJobName(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(12);
  let suffix = '';
  for (const b of bytes) suffix += alphabet[b % alphabet.length];
  return `job_${suffix}`;
}
