import { timingSafeEqual } from 'crypto';
import type { FakeRequest, FakeResponse } from './http';
import { ADO_TOKEN_AUDIENCE, adoIssuer } from './identities';
import { newGuid, nowSeconds, signJwt } from './jwt';
import { newRsaKeyPair } from './tokens';

export interface AdoOidcOptions {
  organization: string;
  organizationId: string;
  projectName: string;
  projectId: string;
  planId: string;
  jobId: string;
  /** The job's System.AccessToken: the only bearer the endpoint accepts. */
  systemAccessToken: string;
  serviceConnections: ReadonlyArray<{ id: string; name: string }>;
  lifetimeSeconds: number;
}

/** The distributedtask route both AzurePipelinesCredential (System.OidcRequestUri) and older task libraries call. */
const OIDC_TOKEN = /^\/([^/]+)\/([^/]+)\/_apis\/distributedtask\/hubs\/([^/]+)\/plans\/([^/]+)\/jobs\/([^/]+)\/oidctoken$/i;
const API_VERSIONS = ['7.1', '7.1-preview.1', '7.2-preview.1'];

export function isAdoPath(path: string): boolean {
  return OIDC_TOKEN.test(path);
}

/** An Azure DevOps error body: message plus the .NET exception type it came from. */
export function adoError(status: number, typeKey: string, message: string): FakeResponse {
  return {
    status,
    body: {
      $id: '1',
      innerException: null,
      message,
      typeName: `Microsoft.TeamFoundation.DistributedTask.WebApi.${typeKey}, Microsoft.TeamFoundation.DistributedTask.WebApi`,
      typeKey,
      errorCode: 0,
      eventId: 3000,
    },
  };
}

/** The Azure DevOps OIDC token endpoint for service connections with workload identity federation. */
export class AdoOidcService {
  private readonly keys = newRsaKeyPair();
  readonly issuer: string;

  constructor(private readonly opts: AdoOidcOptions) {
    this.issuer = adoIssuer(opts.organizationId);
  }

  /** Entra trusts tokens signed with this key under this issuer. */
  get trustedIssuer() {
    return { issuer: this.issuer, publicKey: this.keys.publicKey };
  }

  async handle(req: FakeRequest): Promise<FakeResponse | undefined> {
    const m = OIDC_TOKEN.exec(req.url.pathname);
    if (!m) return undefined;
    const [, org, project, , planId, jobId] = m.map((s) => decodeURIComponent(s));
    const o = this.opts;
    if (req.method !== 'POST') return adoError(405, 'MethodNotAllowedException', 'The requested resource does not support http method ' + req.method + '.');
    if (!this.bearerIsValid(req.headers.authorization)) {
      return adoError(401, 'UnauthorizedRequestException', "TF400813: The user '' is not authorized to access this resource.");
    }
    if (org.toLowerCase() !== o.organization.toLowerCase() || ![o.projectId, o.projectName].includes(project)) {
      return adoError(404, 'ProjectDoesNotExistWithNameException', `TF200016: The following project does not exist: ${project}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.`);
    }
    if (planId.toLowerCase() !== o.planId.toLowerCase() || jobId.toLowerCase() !== o.jobId.toLowerCase()) {
      return adoError(404, 'TaskOrchestrationPlanNotFoundException', `Plan ${planId} or job ${jobId} not found.`);
    }
    const apiVersion = req.url.searchParams.get('api-version');
    if (!apiVersion || !API_VERSIONS.includes(apiVersion)) {
      return adoError(400, 'VssVersionOutOfRangeException', `The requested REST API version of ${apiVersion ?? '(none)'} is not supported here; use one of ${API_VERSIONS.join(', ')}.`);
    }
    const connectionId = req.url.searchParams.get('serviceConnectionId');
    if (!connectionId) return adoError(400, 'ArgumentNullException', 'Value cannot be null.\r\nParameter name: serviceConnectionId');
    const connection = o.serviceConnections.find((c) => c.id.toLowerCase() === connectionId.toLowerCase());
    if (!connection) {
      return adoError(404, 'ServiceEndpointNotFoundException', `Service connection with id ${connectionId} could not be found, or you do not have permission to use it.`);
    }
    return { status: 200, body: { oidcToken: this.mint(connection.name) } };
  }

  private bearerIsValid(header: string | string[] | undefined): boolean {
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
    if (!m) return false;
    const a = Buffer.from(m[1]);
    const b = Buffer.from(this.opts.systemAccessToken);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private mint(connectionName: string): string {
    const iat = nowSeconds();
    const claims = {
      jti: newGuid(),
      sub: `sc://${this.opts.organization}/${this.opts.projectName}/${connectionName}`,
      aud: ADO_TOKEN_AUDIENCE,
      iss: this.issuer,
      iat,
      nbf: iat,
      exp: iat + this.opts.lifetimeSeconds,
    };
    return signJwt(claims, this.keys.privateKey, { alg: 'RS256', kid: 'fake-ado-oidc' });
  }
}
