import * as assert from 'assert';
import * as sinon from 'sinon';
import * as tl from 'azure-pipelines-task-lib/task';
import { UserError } from '../../../src/errors';
import { readAzureConnection } from '../../../src/agent/connection';
import type { AzureConnection } from '../../../src/auth/connection';

interface FakeEndpoint {
  url?: string;
  scheme?: string;
  parameters?: Record<string, string>;
  data?: Record<string, string>;
}

const ID = '0c5fd3d0-0000-4000-8000-00000000c0de';
const TENANT = '11111111-1111-1111-1111-111111111111';
const CLIENT = '22222222-2222-2222-2222-222222222222';
const SUBSCRIPTION = '33333333-3333-3333-3333-333333333333';

const PEM = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBszCCAVmgAwIBAgIUcertificateLineOne',
  'cGFydHR3b2NlcnRpZmljYXRlTGluZVR3bw==',
  '-----END CERTIFICATE-----',
  '-----BEGIN PRIVATE KEY-----',
  'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49privateKeyOne',
  'AwEHBG0wawIBAQQgprivateKeyLineTwo==',
  '-----END PRIVATE KEY-----',
  '',
].join('\n');

describe('readAzureConnection', () => {
  const sandbox = sinon.createSandbox();
  let inputs: Record<string, string>;
  let endpoints: Record<string, FakeEndpoint>;
  let variables: Record<string, string>;
  let setSecret: sinon.SinonStub;

  /** The agent's view of a service connection, the way the task library reads it from ENDPOINT_* variables. */
  beforeEach(() => {
    inputs = { azureSubscription: ID };
    variables = {};
    endpoints = {
      [ID]: {
        url: 'https://management.azure.com/',
        scheme: 'ServicePrincipal',
        parameters: { tenantid: TENANT, serviceprincipalid: CLIENT, authenticationType: 'spnKey', serviceprincipalkey: 'spn-secret-value' },
        data: { subscriptionId: SUBSCRIPTION, environment: 'AzureCloud' },
      },
    };
    sandbox.stub(tl, 'getInput').callsFake((name: string) => inputs[name]);
    sandbox.stub(tl, 'getVariable').callsFake((name: string) => variables[name]);
    sandbox.stub(tl, 'getEndpointUrl').callsFake((id: string) => endpoints[id]?.url as string);
    sandbox.stub(tl, 'getEndpointAuthorization').callsFake((id: string) => {
      const e = endpoints[id];
      return e?.scheme || e?.parameters ? { scheme: e.scheme ?? '', parameters: e.parameters ?? {} } : undefined;
    });
    sandbox.stub(tl, 'getEndpointDataParameter').callsFake((id: string, key: string) => {
      const data = endpoints[id]?.data ?? {};
      const k = Object.keys(data).find((d) => d.toUpperCase() === key.toUpperCase());
      return (k ? data[k] : undefined) as string;
    });
    setSecret = sandbox.stub(tl, 'setSecret');
  });
  afterEach(() => sandbox.restore());

  const read = () => readAzureConnection('azureSubscription');
  const connection = () => {
    const result = read();
    assert.ok(result, 'expected a connection');
    return result.connection;
  };
  const secrets = () => setSecret.getCalls().map((c) => c.args[0] as string);

  function throwsUserError(fn: () => unknown, message: RegExp, where: { input?: string } = { input: 'azureSubscription' }): void {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
      assert.match(e.message, message);
      assert.strictEqual(e.input, where.input);
      return true;
    });
  }

  it('returns undefined when no service connection is chosen, so the task uses the local login', () => {
    inputs.azureSubscription = '  ';
    assert.strictEqual(read(), undefined);
  });

  describe('a service principal with a secret', () => {
    it('reads the tenant, client, secret and subscription, in the public cloud', () => {
      assert.deepStrictEqual(read(), {
        subscriptionId: SUBSCRIPTION,
        connection: {
          scheme: 'ServicePrincipalSecret',
          cloud: { resourceManagerUrl: 'https://management.azure.com', authorityHost: 'https://login.microsoftonline.com', resourceManagerAudience: 'https://management.azure.com' },
          description: `service connection ${ID}`,
          tenantId: TENANT,
          clientId: CLIENT,
          clientSecret: 'spn-secret-value',
        } satisfies AzureConnection,
      });
    });

    it('masks the secret in the log', () => {
      read();
      assert.deepStrictEqual(secrets(), ['spn-secret-value']);
    });

    it('treats a connection without an authentication type as one with a secret', () => {
      delete endpoints[ID].parameters!.authenticationType;
      assert.strictEqual(connection().scheme, 'ServicePrincipalSecret');
    });

    it('finds parameters whatever their case', () => {
      endpoints[ID].parameters = { TenantId: TENANT, ServicePrincipalId: CLIENT, ServicePrincipalKey: 'k' };
      assert.deepStrictEqual(connection(), { ...connection(), tenantId: TENANT, clientId: CLIENT, clientSecret: 'k' });
    });

    it('fails with a UserError when the secret is missing', () => {
      delete endpoints[ID].parameters!.serviceprincipalkey;
      throwsUserError(read, new RegExp(`^The service connection ${ID} has no service principal key\\. Edit the service connection`));
    });

    it('fails with a UserError when the tenant is missing', () => {
      delete endpoints[ID].parameters!.tenantid;
      throwsUserError(read, /has no tenant id/);
    });

    it('fails with a UserError when the service principal id is missing', () => {
      delete endpoints[ID].parameters!.serviceprincipalid;
      throwsUserError(read, /has no service principal id/);
    });
  });

  describe('a service principal with a certificate', () => {
    beforeEach(() => {
      endpoints[ID].parameters = { tenantid: TENANT, serviceprincipalid: CLIENT, authenticationType: 'spnCertificate', servicePrincipalCertificate: PEM };
    });

    it('reads the PEM certificate and key', () => {
      const c = connection();
      assert.strictEqual(c.scheme, 'ServicePrincipalCertificate');
      assert.ok(c.scheme === 'ServicePrincipalCertificate' && c.certificatePem === PEM);
      assert.strictEqual(c.tenantId, TENANT);
      assert.strictEqual(c.clientId, CLIENT);
    });

    it('masks the PEM line by line, but not its BEGIN and END lines', () => {
      read();
      assert.deepStrictEqual(secrets(), [
        'MIIBszCCAVmgAwIBAgIUcertificateLineOne',
        'cGFydHR3b2NlcnRpZmljYXRlTGluZVR3bw==',
        'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49privateKeyOne',
        'AwEHBG0wawIBAQQgprivateKeyLineTwo==',
      ]);
    });

    it('fails with a UserError when the certificate is missing', () => {
      delete endpoints[ID].parameters!.servicePrincipalCertificate;
      throwsUserError(read, /has no certificate/);
    });
  });

  describe('workload identity federation', () => {
    beforeEach(() => {
      endpoints[ID].scheme = 'WorkloadIdentityFederation';
      endpoints[ID].parameters = { tenantid: TENANT, serviceprincipalid: CLIENT, workloadIdentityFederationSubject: 'sc://org/proj/prod-aml' };
      endpoints.SystemVssConnection = { url: 'https://dev.azure.com/org/', scheme: 'OAuth', parameters: { AccessToken: 'job-access-token' } };
      variables['System.OidcRequestUri'] = 'https://dev.azure.com/org/proj-id/_apis/distributedtask/hubs/build/plans/plan-1/jobs/job-1/oidctoken';
      Object.assign(variables, {
        'System.CollectionUri': 'https://dev.azure.com/org/',
        'System.TeamProjectId': 'proj-id',
        'System.HostType': 'build',
        'System.PlanId': 'plan-1',
        'System.JobId': 'job-1',
      });
    });

    it("reads the tenant and client, and uses the connection's id and the agent's OIDC request URI", () => {
      const c = connection();
      assert.deepStrictEqual(c, {
        scheme: 'WorkloadIdentityFederation',
        cloud: { resourceManagerUrl: 'https://management.azure.com', authorityHost: 'https://login.microsoftonline.com', resourceManagerAudience: 'https://management.azure.com' },
        description: `service connection ${ID}`,
        tenantId: TENANT,
        clientId: CLIENT,
        serviceConnectionId: ID,
        oidcRequestUri: 'https://dev.azure.com/org/proj-id/_apis/distributedtask/hubs/build/plans/plan-1/jobs/job-1/oidctoken',
        systemAccessToken: 'job-access-token',
      } satisfies AzureConnection);
    });

    it("masks the job's access token taken from the SystemVssConnection endpoint", () => {
      read();
      assert.deepStrictEqual(secrets(), ['job-access-token']);
    });

    it('uses System.AccessToken when the SystemVssConnection endpoint has no token', () => {
      delete endpoints.SystemVssConnection;
      variables['System.AccessToken'] = 'mapped-access-token';
      const c = connection();
      assert.ok(c.scheme === 'WorkloadIdentityFederation' && c.systemAccessToken === 'mapped-access-token');
      assert.deepStrictEqual(secrets(), ['mapped-access-token']);
    });

    it('leaves the access token out, without failing yet, when the job has none', () => {
      delete endpoints.SystemVssConnection;
      const c = connection();
      assert.ok(c.scheme === 'WorkloadIdentityFederation');
      assert.strictEqual(c.systemAccessToken, undefined);
      assert.deepStrictEqual(secrets(), []);
    });

    it('builds the OIDC request URI from the plan variables on agents that do not set System.OidcRequestUri', () => {
      delete variables['System.OidcRequestUri'];
      const c = connection();
      assert.ok(c.scheme === 'WorkloadIdentityFederation');
      assert.strictEqual(c.oidcRequestUri, 'https://dev.azure.com/org/proj-id/_apis/distributedtask/hubs/build/plans/plan-1/jobs/job-1/oidctoken');
    });

    it('falls back to System.TeamFoundationCollectionUri for the collection', () => {
      delete variables['System.OidcRequestUri'];
      delete variables['System.CollectionUri'];
      variables['System.TeamFoundationCollectionUri'] = 'https://tfs.contoso.example/DefaultCollection/';
      const c = connection();
      assert.ok(c.scheme === 'WorkloadIdentityFederation');
      assert.strictEqual(c.oidcRequestUri, 'https://tfs.contoso.example/DefaultCollection/proj-id/_apis/distributedtask/hubs/build/plans/plan-1/jobs/job-1/oidctoken');
    });

    it('fails with a UserError asking for a newer agent when neither the URI nor the plan variables are there', () => {
      delete variables['System.OidcRequestUri'];
      delete variables['System.PlanId'];
      throwsUserError(read, /needs an Azure DevOps agent that provides System\.OidcRequestUri/, {});
    });
  });

  describe('a managed identity', () => {
    beforeEach(() => {
      endpoints[ID].scheme = 'ManagedServiceIdentity';
      endpoints[ID].parameters = { tenantid: TENANT };
    });

    it("uses the user-assigned identity's client id from msiclientId", () => {
      endpoints[ID].data!.msiclientId = 'msi-client';
      const c = connection();
      assert.deepStrictEqual(c, { ...c, scheme: 'ManagedIdentity', tenantId: TENANT, clientId: 'msi-client' });
    });

    it('uses the system-assigned identity without msiclientId, and masks nothing', () => {
      const c = connection();
      assert.strictEqual(c.scheme, 'ManagedIdentity');
      assert.strictEqual(c.clientId, undefined);
      assert.deepStrictEqual(secrets(), []);
    });
  });

  it('fails with a UserError when the connection has no subscription', () => {
    delete endpoints[ID].data!.subscriptionId;
    throwsUserError(read, new RegExp(`^The service connection ${ID} has no subscription\\. Use a service connection scoped to a subscription`));
  });

  it('fails with a UserError naming an authentication scheme it does not support', () => {
    endpoints[ID].scheme = 'UsernamePassword';
    throwsUserError(read, /uses the authentication scheme 'UsernamePassword', which this task does not support/);
  });

  it('fails with a UserError when the service connection is not available to the step', () => {
    inputs.azureSubscription = 'prod-aml';
    throwsUserError(read, /^Input 'azureSubscription': the service connection 'prod-aml' is not available to this step\./);
  });

  it('fails with a UserError when the service connection has no URL', () => {
    delete endpoints[ID].url;
    throwsUserError(read, /is not available to this step/);
  });

  describe('the cloud', () => {
    const cloud = () => connection().cloud;

    it('signs in at activeDirectoryAuthority when the connection names one', () => {
      Object.assign(endpoints[ID].data!, { activeDirectoryAuthority: 'https://login.microsoftonline.us/', environmentAuthorityUrl: 'https://other.example/', environment: 'AzureChinaCloud' });
      assert.strictEqual(cloud().authorityHost, 'https://login.microsoftonline.us');
    });

    it('signs in at environmentAuthorityUrl when there is no activeDirectoryAuthority', () => {
      Object.assign(endpoints[ID].data!, { environmentAuthorityUrl: 'https://adfs.azurestack.local/adfs/', environment: 'AzureStack' });
      assert.strictEqual(cloud().authorityHost, 'https://adfs.azurestack.local/adfs');
    });

    for (const [environment, authority] of [
      ['AzureChinaCloud', 'https://login.chinacloudapi.cn'],
      ['AzureUSGovernment', 'https://login.microsoftonline.us'],
      ['AzureGermanCloud', 'https://login.microsoftonline.de'],
      ['azurecloud', 'https://login.microsoftonline.com'],
    ]) {
      it(`signs in at ${authority} for the environment ${environment}`, () => {
        endpoints[ID].data!.environment = environment;
        assert.strictEqual(cloud().authorityHost, authority);
      });
    }

    it('signs in at the public authority when the environment is missing or unknown', () => {
      delete endpoints[ID].data!.environment;
      assert.strictEqual(cloud().authorityHost, 'https://login.microsoftonline.com');
      endpoints[ID].data!.environment = 'SomethingNew';
      assert.strictEqual(cloud().authorityHost, 'https://login.microsoftonline.com');
    });

    it('asks for tokens for activeDirectoryServiceEndpointResourceId, without its trailing slash', () => {
      endpoints[ID].url = 'https://management.chinacloudapi.cn/';
      endpoints[ID].data!.activeDirectoryServiceEndpointResourceId = 'https://management.core.chinacloudapi.cn/';
      assert.deepStrictEqual(cloud(), {
        resourceManagerUrl: 'https://management.chinacloudapi.cn',
        authorityHost: 'https://login.microsoftonline.com',
        resourceManagerAudience: 'https://management.core.chinacloudapi.cn',
      });
    });

    it('asks for tokens for the Resource Manager URL when the connection names no audience', () => {
      endpoints[ID].url = 'https://management.usgovcloudapi.net//';
      assert.strictEqual(cloud().resourceManagerAudience, 'https://management.usgovcloudapi.net');
      assert.strictEqual(cloud().resourceManagerUrl, 'https://management.usgovcloudapi.net');
    });

    it('ignores blank data parameters', () => {
      Object.assign(endpoints[ID].data!, { activeDirectoryAuthority: '  ', activeDirectoryServiceEndpointResourceId: '' });
      assert.strictEqual(cloud().authorityHost, 'https://login.microsoftonline.com');
      assert.strictEqual(cloud().resourceManagerAudience, 'https://management.azure.com');
    });
  });
});
