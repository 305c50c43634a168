import { isAdoPath, type AdoOidcService } from './ado';
import { isAdoEventsPath, type AdoPlanEventsService } from './ado-events';
import { isEntraPath, type EntraService } from './entra';
import { faultResponse, type FaultInjector } from './faults';
import { armError, type FakeRequest, type FakeResponse, type Principal } from './http';
import type { ImdsService } from './imds';
import { redactBody, redactUrl, type RecordedRequest, type RequestKind, type RequestRecorder } from './record';
import { isJsonContent, type Dispatch, type Outcome } from './server';
import { isPrincipal, verifyAccessToken, type AccessTokenIssuer } from './tokens';

/** The part of the workspace service the front door calls (ARM resources and the Azure ML data plane). */
export interface ResourceHandler {
  handle(req: FakeRequest, principal: Principal): Promise<FakeResponse | undefined>;
  /** Requests that carry their own credential instead of one of our tokens: SAS-signed log URLs, endpoint keys. */
  handleAnonymous?(req: FakeRequest): Promise<FakeResponse | undefined>;
}

export interface FrontDoorOptions {
  entra: EntraService;
  ado: AdoOidcService;
  /** Azure DevOps plan events (the callback of server tasks); optional so a front door can run without it. */
  adoEvents?: AdoPlanEventsService;
  resources: ResourceHandler;
  tokens: AccessTokenIssuer;
  faults: FaultInjector;
  recorder: RequestRecorder;
  armAudience: string;
}

/** The Azure ML data plane accepts ARM tokens and tokens for Azure ML itself. */
const AML_AUDIENCE = 'https://ml.azure.com/';

export function classify(path: string): RequestKind {
  if (isEntraPath(path)) return 'entra';
  if (isAdoPath(path) || isAdoEventsPath(path)) return 'ado';
  if (/^\/(subscriptions|providers)\//i.test(path)) return 'arm';
  return 'data';
}

function isIdentity(kind: RequestKind): boolean {
  return kind === 'entra' || kind === 'ado' || kind === 'imds';
}

/** Injects the chosen fault (if any), runs the request, and records what happened. */
async function faultRunRecord(
  kind: RequestKind,
  req: FakeRequest,
  faults: FaultInjector,
  recorder: RequestRecorder,
  run: () => Promise<FakeResponse>,
): Promise<Outcome> {
  const time = new Date().toISOString();
  const fault = faults.decide(isIdentity(kind));
  let outcome: Outcome;
  if (fault === 'reset') outcome = 'reset';
  else if (fault) outcome = faultResponse(fault);
  else {
    try {
      outcome = await run();
    } catch (e) {
      console.error('fake-azure: handler failed', e);
      outcome = armError(500, 'InternalServerError', `The fake failed to handle the request: ${(e as Error).message}`);
    }
  }
  const entry: RecordedRequest = {
    time,
    kind,
    method: req.method,
    url: redactUrl(req.url),
    path: req.url.pathname,
    status: outcome === 'reset' ? 0 : outcome.status,
  };
  const apiVersion = req.url.searchParams.get('api-version');
  if (apiVersion) entry.apiVersion = apiVersion;
  if (fault) entry.fault = fault;
  // Identity bodies hold client secrets and assertions: never written down.
  if ((kind === 'arm' || kind === 'data') && req.json !== undefined) entry.body = redactBody(req.json);
  recorder.record(entry);
  return outcome;
}

/** Routing for the HTTPS server: Entra and Azure DevOps first, then ARM and data plane behind a bearer token. */
export function mainDispatch(o: FrontDoorOptions): Dispatch {
  const notFound = (req: FakeRequest) =>
    armError(404, 'NotFound', `No HTTP resource was found that matches the request URI '${redactUrl(req.url)}'.`);

  const protectedResource = async (kind: RequestKind, req: FakeRequest): Promise<FakeResponse> => {
    const authorization = req.headers.authorization;
    if (!authorization && o.resources.handleAnonymous) {
      const r = await o.resources.handleAnonymous(req);
      if (r) return r;
    }
    const audiences = kind === 'arm' ? [o.armAudience] : [o.armAudience, AML_AUDIENCE];
    const principal = verifyAccessToken(authorization, audiences, o.tokens);
    if (!isPrincipal(principal)) {
      // A data-plane bearer that is not one of our tokens may be an endpoint key: the workspace decides.
      if (authorization && kind === 'data' && o.resources.handleAnonymous) {
        const r = await o.resources.handleAnonymous(req);
        if (r) return r;
      }
      return principal;
    }
    if (req.bodyText && req.json === undefined && isJsonContent(req.headers)) {
      return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: the body is not valid JSON.');
    }
    return (await o.resources.handle(req, principal)) ?? notFound(req);
  };

  return (req) => {
    const kind = classify(req.url.pathname);
    return faultRunRecord(kind, req, o.faults, o.recorder, async () => {
      if (kind === 'entra') return (await o.entra.handle(req)) ?? notFound(req);
      if (kind === 'ado') return (await o.ado.handle(req)) ?? (await o.adoEvents?.handle(req)) ?? notFound(req);
      return protectedResource(kind, req);
    });
  };
}

/** Routing for the plain-HTTP IMDS server. */
export function imdsDispatch(imds: ImdsService, faults: FaultInjector, recorder: RequestRecorder): Dispatch {
  return (req) =>
    faultRunRecord('imds', req, faults, recorder, async () => (await imds.handle(req)) ?? { status: 404, body: { error: 'not_found', error_description: 'Not found' } });
}
