import type { WorkspaceClient } from '../workspace/client';

/** A run as run history reports it (a job, a pipeline step or a sweep trial). */
export interface RunInfo {
  runId: string;
  parentRunId?: string | null;
  status?: string;
  displayName?: string | null;
  name?: string | null;
  startTimeUtc?: string | null;
  endTimeUtc?: string | null;
  target?: string | null;
  properties?: Record<string, string>;
  tags?: Record<string, string>;
}

export interface RunDetails extends RunInfo {
  /** Log file name -> SAS URL (a secret). */
  logFiles?: Record<string, string>;
  error?: { error?: { code?: string; message?: string } };
  warnings?: Array<{ message?: string }>;
}

interface RunList {
  value?: RunInfo[];
  nextLink?: string | null;
  continuationToken?: string | null;
}

// A pipeline with more steps than this is summarized, not listed in full.
const MAX_CHILD_PAGES = 10;

/** Run history of one workspace (`{api}/history/v1.0/...`), with the Resource Manager token. */
export class RunHistory {
  constructor(private readonly client: WorkspaceClient, private readonly signal?: AbortSignal) {}

  private get base(): string {
    const { subscriptionId, resourceGroup, workspaceName } = this.client.workspace;
    return `/history/v1.0/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspaceName}`;
  }

  async details(runId: string): Promise<RunDetails | undefined> {
    const r = await this.client.dataPlane<RunDetails>(`${this.base}/runs/${encodeURIComponent(runId)}/details`, {
      operation: `read the run details of '${runId}'`,
      allowNotFound: true,
      signal: this.signal,
    });
    return r?.body;
  }

  /** The direct children of a run (pipeline steps, sweep trials), following continuation pages. */
  async children(runId: string): Promise<RunInfo[]> {
    const out: RunInfo[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_CHILD_PAGES; page++) {
      const query = token ? `?$continuationtoken=${encodeURIComponent(token)}` : '';
      const r = await this.client.dataPlane<RunList>(`${this.base}/runs/${encodeURIComponent(runId)}/children${query}`, {
        operation: `list the child runs of '${runId}'`,
        allowNotFound: true,
        signal: this.signal,
      });
      out.push(...(r?.body?.value ?? []));
      token = r?.body?.continuationToken ?? undefined;
      if (!token) break;
    }
    return out;
  }
}

/** The name a person knows a child run by: the pipeline node or trial display name. */
export function runLabel(run: RunInfo): string {
  return run.displayName || run.name || run.runId;
}

/** "UserError: message" from run details, when the run failed. */
export function runError(details: RunDetails | undefined): string | undefined {
  const err = details?.error?.error;
  if (!err?.message) return undefined;
  return err.code ? `${err.code}: ${err.message}` : err.message;
}
