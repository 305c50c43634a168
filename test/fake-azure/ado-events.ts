// The Azure DevOps end of agentless (server) tasks that wait for a callback: the distributedtask plan events endpoint
// that a service POSTs TaskCompleted to. Azure ML calls it for a job's AzureDevOps webhook when the job ends.
import { timingSafeEqual } from 'crypto';
import type { FakeRequest, FakeResponse } from './http';
import { adoError } from './ado';

export interface AdoPlanEventsOptions {
  organization: string;
  projectName: string;
  projectId: string;
  planId: string;
  /** The pipeline job the plan's server task runs in: events for another job are refused. */
  jobId: string;
  /** The job's System.AccessToken: the credential a server task hands to the service that calls back. */
  systemAccessToken: string;
}

/** An event the endpoint accepted, with its body as sent. */
export interface PlanEvent {
  time: string;
  organization: string;
  project: string;
  hub: string;
  planId: string;
  apiVersion: string;
  body: { name: string; taskId: string; jobId: string; result?: string };
}

/** `{collection}{project}/_apis/distributedtask/hubs/{hub}/plans/{planId}/events`, where the collection is `/{organization}/`. */
const EVENTS = /^\/([^/]+)\/([^/]+)\/_apis\/distributedtask\/hubs\/([^/]+)\/plans\/([^/]+)\/events$/i;
// The hubs (System.HostType) whose plans run server tasks.
const HUBS = ['build', 'release'];
const EVENT_NAMES = ['TaskAssigned', 'TaskStarted', 'TaskCompleted'];
// TaskResult as Azure DevOps serializes it; the server parses it case-insensitively, like any .NET enum.
const TASK_RESULTS = ['succeeded', 'succeededWithIssues', 'failed', 'canceled', 'skipped', 'abandoned'];
// Callers name old versions (Microsoft's samples send 2.0-preview.1); any version up to the current one is served.
const API_VERSION = /^(\d+)\.(\d+)(-preview(\.\d+)?)?$/;
const NEWEST_API_VERSION = [7, 2];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isAdoEventsPath(path: string): boolean {
  return EVENTS.test(path);
}


export class AdoPlanEventsService {
  /** Every accepted event, in arrival order. */
  readonly events: PlanEvent[] = [];

  constructor(private readonly opts: AdoPlanEventsOptions) {}

  async handle(req: FakeRequest): Promise<FakeResponse | undefined> {
    const m = EVENTS.exec(req.url.pathname);
    if (!m) return undefined;
    const [, org, project, hub, planId] = m.slice(0, 5).map((s) => decodeURIComponent(s));
    const o = this.opts;
    if (req.method !== 'POST') return adoError(405, 'MethodNotAllowedException', `The requested resource does not support http method '${req.method}'.`);
    if (!this.authorized(req.headers.authorization)) {
      return adoError(401, 'UnauthorizedRequestException', "TF400813: The user '' is not authorized to access this resource.");
    }
    if (org.toLowerCase() !== o.organization.toLowerCase() || ![o.projectId.toLowerCase(), o.projectName.toLowerCase()].includes(project.toLowerCase())) {
      return adoError(404, 'ProjectDoesNotExistWithNameException', `TF200016: The following project does not exist: ${project}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.`);
    }
    if (!HUBS.includes(hub.toLowerCase())) return adoError(404, 'TaskOrchestrationPlanNotFoundException', `Hub '${hub}' does not exist; hubs are ${HUBS.join(', ')}.`);
    if (planId.toLowerCase() !== o.planId.toLowerCase()) return adoError(404, 'TaskOrchestrationPlanNotFoundException', `Plan ${planId} not found.`);
    const apiVersion = req.url.searchParams.get('api-version');
    if (!apiVersion || !supported(apiVersion)) {
      return adoError(400, 'VssVersionOutOfRangeException', `The requested REST API version of ${apiVersion ?? '(none)'} is not supported; use ${NEWEST_API_VERSION.join('.')} or an earlier version.`);
    }
    const problem = this.bodyProblem(req.json);
    if (problem) return adoError(problem.status, problem.typeKey, problem.message);
    this.events.push({ time: new Date().toISOString(), organization: org, project, hub, planId, apiVersion, body: structuredClone(req.json) as PlanEvent['body'] });
    return { status: 200 };
  }

  private bodyProblem(json: unknown): { status: number; typeKey: string; message: string } | undefined {
    const bad = (message: string) => ({ status: 400, typeKey: 'ArgumentException', message });
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad('The event must be a JSON object (did the caller send Content-Type: application/json?).');
    const e = json as Record<string, unknown>;
    const unknown = Object.keys(e).filter((k) => !['name', 'taskId', 'jobId', 'result'].includes(k));
    if (unknown.length) return bad(`Unknown members of the task event: ${unknown.join(', ')}.`);
    if (typeof e.name !== 'string' || !EVENT_NAMES.includes(e.name)) return bad(`name must be one of ${EVENT_NAMES.join(', ')}, got ${JSON.stringify(e.name)}.`);
    if (typeof e.taskId !== 'string' || !GUID.test(e.taskId)) return bad(`taskId must be the task instance id (a GUID), got ${JSON.stringify(e.taskId)}.`);
    if (typeof e.jobId !== 'string' || !GUID.test(e.jobId)) return bad(`jobId must be the pipeline job id (a GUID), got ${JSON.stringify(e.jobId)}.`);
    if (e.jobId.toLowerCase() !== this.opts.jobId.toLowerCase()) return { status: 404, typeKey: 'TaskOrchestrationJobNotFoundException', message: `Job ${e.jobId} not found in plan ${this.opts.planId}.` };
    if (e.name === 'TaskCompleted') {
      const result = typeof e.result === 'string' ? TASK_RESULTS.find((r) => r.toLowerCase() === (e.result as string).toLowerCase()) : undefined;
      if (!result) return bad(`A TaskCompleted event needs a result, one of ${TASK_RESULTS.join(', ')}; got ${JSON.stringify(e.result)}.`);
    } else if (e.result !== undefined) {
      return bad(`Only TaskCompleted carries a result.`);
    }
    return undefined;
  }

  /** The System.AccessToken as a bearer token, or as the password of Basic authentication (any user name). */
  private authorized(header: string | string[] | undefined): boolean {
    if (typeof header !== 'string') return false;
    const bearer = /^Bearer\s+(\S+)$/i.exec(header.trim());
    const basic = /^Basic\s+(\S+)$/i.exec(header.trim());
    let token: string | undefined;
    if (bearer) token = bearer[1];
    else if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      token = decoded.slice(decoded.indexOf(':') + 1);
    }
    if (!token) return false;
    const a = Buffer.from(token);
    const b = Buffer.from(this.opts.systemAccessToken);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

function supported(apiVersion: string): boolean {
  const m = API_VERSION.exec(apiVersion);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major < NEWEST_API_VERSION[0] || (major === NEWEST_API_VERSION[0] && minor <= NEWEST_API_VERSION[1]);
}
