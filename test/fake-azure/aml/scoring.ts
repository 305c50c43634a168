// The scoring URIs of online endpoints: authentication by auth mode, routing by header or traffic, mirror copies,
// and a deterministic fake model that answers for each deployment.
import type { FakeRequest, FakeResponse, Principal } from '../http';
import type { DeploymentRecord, EndpointRecord, OnlineEndpoints } from './endpoints';

export const SCORING_PREFIX = '/inference/';

export interface ScoringRecord {
  time: Date;
  endpoint: string;
  /** The deployment that answered (or that the mirror copy went to); undefined when none was chosen. */
  deployment?: string;
  status: number;
  /** A copy sent by mirror traffic: its answer is never returned to the caller. */
  mirrored: boolean;
  /** Routed by the azureml-model-deployment header rather than by traffic. */
  pinned: boolean;
}

export function isScoringPath(path: string): boolean {
  return path.startsWith(SCORING_PREFIX);
}

const ML_AUDIENCES = ['https://ml.azure.com', 'https://ml.azure.com/'];

export class Scoring {
  readonly records: ScoringRecord[] = [];

  constructor(private readonly endpoints: OnlineEndpoints, private readonly now: () => Date, private readonly isAuthorized: (p: Principal) => boolean) {}

  /** `principal` is set when the bearer was one of the fake's Entra tokens (AADToken endpoints). */
  async handle(req: FakeRequest, principal: Principal | undefined): Promise<FakeResponse | undefined> {
    const m = /^\/inference\/([^/]+)\/score$/.exec(req.url.pathname);
    if (!m) return undefined;
    const name = decodeURIComponent(m[1]);
    const e = this.endpoints.endpoints.get(name);
    // The endpoint's host does not resolve when the endpoint does not exist; the fake answers 404.
    if (!e || e.state === 'Creating' || e.state === 'Deleting') return { status: 404, body: { message: `Endpoint '${name}' was not found.` } };
    if (req.method !== 'POST') return { status: 405, body: { message: 'Only POST is supported on the scoring URI.' } };

    if (!this.authenticated(e, req, principal)) {
      this.records.push({ time: this.now(), endpoint: name, status: 401, mirrored: false, pinned: false });
      return { status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, body: { message: `Unauthorized: the endpoint uses ${e.body.properties.authMode} authentication.` } };
    }

    const header = req.headers['azureml-model-deployment'];
    const pinned = typeof header === 'string' && header !== '';
    let target: DeploymentRecord | undefined;
    if (pinned) {
      target = e.deployments.get(header);
      if (!target || target.state === 'Creating' || target.state === 'Deleting') {
        this.records.push({ time: this.now(), endpoint: name, deployment: header, status: 404, mirrored: false, pinned });
        return { status: 404, body: { message: `Specified deployment [${header}] does not exist or is not ready.` } };
      }
    } else {
      target = this.pick(e);
      if (!target) {
        // Azure ML's answer when no deployment has live traffic and no header pins one.
        this.records.push({ time: this.now(), endpoint: name, status: 404, mirrored: false, pinned });
        return { status: 404, body: { message: 'No valid deployments to route to. Please check that the endpoint has at least one deployment with positive weight values or use a deployment specific header to route.' } };
      }
      // Mirror traffic copies a share of the requests routed by traffic (not those pinned by the header).
      const mirror = this.mirrorTarget(e);
      if (mirror) {
        const [deployment, percent] = mirror;
        const i = e.routed;
        e.routed += 1;
        if (Math.floor(((i + 1) * percent) / 100) > Math.floor((i * percent) / 100)) {
          const copy = await this.answer(e, deployment, req);
          this.records.push({ time: this.now(), endpoint: name, deployment: deployment.name, status: copy.status, mirrored: true, pinned });
        }
      }
    }
    const answer = await this.answer(e, target, req);
    this.records.push({ time: this.now(), endpoint: name, deployment: target.name, status: answer.status, mirrored: false, pinned });
    return answer;
  }

  private authenticated(e: EndpointRecord, req: FakeRequest, principal: Principal | undefined): boolean {
    const auth = req.headers.authorization;
    const bearer = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth)?.[1] : undefined;
    if (!bearer) return false;
    switch (e.body.properties.authMode) {
      case 'Key':
        return !principal && (bearer === e.keys.primaryKey || bearer === e.keys.secondaryKey);
      case 'AMLToken': {
        const t = this.endpoints.amlTokens.get(bearer);
        return !principal && t !== undefined && t.endpoint === e.name && t.expires > this.now();
      }
      case 'AADToken':
        return principal !== undefined && ML_AUDIENCES.includes(principal.audience) && this.isAuthorized(principal);
      default:
        return false;
    }
  }

  /** Smooth weighted round robin over live traffic, deployments in name order: deterministic and interleaved. */
  private pick(e: EndpointRecord): DeploymentRecord | undefined {
    const live = Object.entries(e.body.properties.traffic ?? {} as Record<string, number>)
      .filter(([d, v]) => (v as number) > 0 && e.deployments.get(d)?.state !== 'Deleting' && e.deployments.has(d))
      .sort(([a], [b]) => a.localeCompare(b)) as Array<[string, number]>;
    if (!live.length) return undefined;
    const total = live.reduce((s, [, v]) => s + v, 0);
    let best: string | undefined;
    for (const [d, v] of live) {
      const current = (e.rr.get(d) ?? 0) + v;
      e.rr.set(d, current);
      if (best === undefined || current > e.rr.get(best)!) best = d;
    }
    e.rr.set(best!, e.rr.get(best!)! - total);
    return e.deployments.get(best!);
  }

  private mirrorTarget(e: EndpointRecord): [DeploymentRecord, number] | undefined {
    for (const [d, v] of Object.entries(e.body.properties.mirrorTraffic ?? {} as Record<string, number>)) {
      const record = e.deployments.get(d);
      if ((v as number) > 0 && record) return [record, v as number];
    }
    return undefined;
  }

  /** The fake model: one prediction per input row, the sum of its numbers (rounded to 6 places). */
  private async answer(e: EndpointRecord, d: DeploymentRecord, req: FakeRequest): Promise<FakeResponse> {
    const script = d.script;
    const i = d.scored;
    d.scored += 1;
    if (script.latencyMs) await new Promise((r) => setTimeout(r, script.latencyMs));
    const headers: Record<string, string> = { 'azureml-model-deployment': d.name, 'x-ms-fake-model': modelOf(d) };
    if (d.state !== 'Succeeded' && d.state !== 'Updating') {
      return { status: 503, headers, body: { message: `Deployment '${d.name}' is ${d.state} and cannot serve requests.` } };
    }
    const rate = script.failureRate ?? 0;
    if (Math.floor((i + 1) * rate) > Math.floor(i * rate)) {
      return { status: 500, headers, body: { message: 'An unexpected error occurred in scoring script. Check the logs for more info.' } };
    }
    const rows = inputRows(req.json);
    if (!rows) {
      return { status: 400, headers, body: { message: "The request body must be JSON with 'data' or 'input_data' (rows of numbers, or {data: rows})." } };
    }
    return { status: 200, headers, body: { predictions: rows.map((row) => Math.round(row.reduce((s, x) => s + x, 0) * 1e6) / 1e6) } };
  }
}

function modelOf(d: DeploymentRecord): string {
  const m = /\/models\/([^/]+)\/versions\/([^/]+)$/.exec(String(d.body.properties.model ?? ''));
  return m ? `${m[1]}:${m[2]}` : String(d.body.properties.model ?? 'none');
}

function inputRows(json: unknown): number[][] | undefined {
  if (!json || typeof json !== 'object') return undefined;
  const j = json as any;
  let rows = j.data ?? j.input_data;
  if (rows && !Array.isArray(rows) && Array.isArray(rows.data)) rows = rows.data;
  if (!Array.isArray(rows) || rows.length === 0) return undefined;
  const out: number[][] = [];
  for (const row of rows) {
    const values = Array.isArray(row) ? row : row && typeof row === 'object' ? Object.values(row) : [row];
    if (!values.every((v) => typeof v === 'number' && Number.isFinite(v))) return undefined;
    out.push(values as number[]);
  }
  return out;
}
