import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { FakeAzure } from '../fake-azure';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');

export type AuthScheme = 'secret' | 'certificate' | 'federated' | 'managed' | 'noAccess';

export interface RunOptions {
  fake: FakeAzure;
  task: string;
  /** Omit to run without a service connection (local login). */
  scheme?: AuthScheme;
  inputs: Record<string, string>;
  env?: Record<string, string>;
  cwd?: string;
  /** Send SIGINT to the task after this many ms, as the agent does when a run is canceled. */
  interruptAfterMs?: number;
  /** Send SIGINT to the task once this returns true (checked every 20 ms), e.g. when the fake has seen a request. */
  interruptWhen?: () => boolean;
  /** Remove System.AccessToken from what the agent gives the task. */
  withoutSystemToken?: boolean;
  /** Override the service connection's scheme string, e.g. to test an unsupported one. */
  rawScheme?: string;
  /** Use this client secret instead of the registered one. */
  clientSecret?: string;
  /** A second service connection, given in the input targetAzureSubscription (the target side of a promotion). */
  targetScheme?: AuthScheme;
}

export interface AgentRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Output variables set with isOutput=true. */
  outputs: Record<string, string>;
  result?: string;
  resultMessage?: string;
  /** task.issue / task.logissue errors. */
  errors: string[];
  /** Values registered with task.setsecret. */
  maskedSecrets: string[];
  /** What the agent would show: stdout and stderr without the setsecret commands, which the agent consumes. */
  visibleLog: string;
}

/** The connection id the agent passes in the connectedService input: a GUID, as in a real pipeline. */
export const CONNECTION_ID = '6f2b1c8e-3d4a-4b5c-9e7f-0a1b2c3d4e5f';
/** The connection id of the second connection (targetScheme). */
export const TARGET_CONNECTION_ID = '0c9d8e7f-6a5b-4c3d-8e1f-2a3b4c5d6e7f';

/**
 * Runs a bundled task exactly as the Azure DevOps agent does: `node <task>/dist/index.js` with the
 * inputs, service connection and variables in the environment, and nothing else from this process.
 */
export async function runTaskAsAgent(o: RunOptions): Promise<AgentRun> {
  const taskDir = path.join(repoRoot, 'tasks', o.task);
  const manifest = JSON.parse(fs.readFileSync(path.join(taskDir, 'task.json'), 'utf8'));
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-temp-'));
  const cwd = o.cwd ?? path.join(__dirname, 'fixtures');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: temp,
    AGENT_TEMPDIRECTORY: temp,
    AGENT_WORKFOLDER: temp,
    AGENT_VERSION: '4.266.2',
    SYSTEM_DEFAULTWORKINGDIRECTORY: cwd,
    BUILD_SOURCESDIRECTORY: cwd,
    BUILD_BUILDID: '4242',
    BUILD_BUILDNUMBER: '20261129.3',
    BUILD_DEFINITIONNAME: 'mlops-train',
    BUILD_SOURCEVERSION: '1f3e5d7c9b2a4f6e8d0c1b3a5f7e9d2c4b6a8f0e',
    BUILD_SOURCEBRANCH: 'refs/heads/main',
    BUILD_REPOSITORY_URI: 'https://dev.azure.com/fabrikam/mlops/_git/churn-model',
    SYSTEM_COLLECTIONURI: 'https://dev.azure.com/fabrikam/',
    SYSTEM_TEAMPROJECT: 'mlops',
    NODE_EXTRA_CA_CERTS: o.fake.caCertPath,
    NODE_OPTIONS: `--require ${o.fake.dnsPreloadPath}`,
    ...(o.env ?? {}),
  };
  // Defaults from task.json come first, as the agent loads them.
  for (const input of manifest.inputs as Array<{ name: string; defaultValue?: string }>) {
    if (input.defaultValue !== undefined && input.defaultValue !== '') env[inputKey(input.name)] = String(input.defaultValue);
  }
  for (const [k, v] of Object.entries(o.inputs)) env[inputKey(k)] = v;
  if (o.scheme) {
    const id = connectionId(o.fake, o.scheme, CONNECTION_ID);
    Object.assign(env, serviceConnectionEnv(o, o.scheme, id), { [inputKey('azureSubscription')]: id });
  }
  if (o.targetScheme) {
    const id = connectionId(o.fake, o.targetScheme, TARGET_CONNECTION_ID);
    Object.assign(env, serviceConnectionEnv({ ...o, rawScheme: undefined, clientSecret: undefined }, o.targetScheme, id), { [inputKey('targetAzureSubscription')]: id });
  }

  const child = spawn(process.execPath, [path.join(taskDir, 'dist', 'index.js')], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  if (o.interruptAfterMs !== undefined) setTimeout(() => child.kill('SIGINT'), o.interruptAfterMs);
  const watch = o.interruptWhen
    ? setInterval(() => {
        if (!o.interruptWhen!()) return;
        clearInterval(watch);
        child.kill('SIGINT');
      }, 20)
    : undefined;
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  if (watch) clearInterval(watch);
  fs.rmSync(temp, { recursive: true, force: true });
  return parseAgentOutput(stdout, stderr, exitCode);
}

export function inputKey(name: string): string {
  return `INPUT_${name.replace(/[. ]/g, '_').toUpperCase()}`;
}

/** Azure DevOps issues OIDC tokens per service connection, so the federated one has the id the fake knows. */
function connectionId(fake: FakeAzure, scheme: AuthScheme, otherwise: string): string {
  return scheme === 'federated' ? fake.identities.federated.serviceConnectionId : otherwise;
}

function serviceConnectionEnv(o: RunOptions, authScheme: AuthScheme, id: string): Record<string, string> {
  const { fake } = o;
  const ids = fake.identities;
  let scheme: string;
  let params: Record<string, string>;
  const extra: Record<string, string> = {};
  switch (authScheme) {
    case 'secret':
      scheme = 'ServicePrincipal';
      params = { serviceprincipalid: ids.secret.clientId, serviceprincipalkey: o.clientSecret ?? ids.secret.clientSecret, tenantid: fake.tenantId, authenticationType: 'spnKey' };
      break;
    case 'noAccess':
      scheme = 'ServicePrincipal';
      params = { serviceprincipalid: ids.noAccess.clientId, serviceprincipalkey: ids.noAccess.clientSecret, tenantid: fake.tenantId, authenticationType: 'spnKey' };
      break;
    case 'certificate':
      scheme = 'ServicePrincipal';
      params = { serviceprincipalid: ids.certificate.clientId, servicePrincipalCertificate: ids.certificate.pem, tenantid: fake.tenantId, authenticationType: 'spnCertificate' };
      break;
    case 'federated': {
      scheme = 'WorkloadIdentityFederation';
      params = { serviceprincipalid: ids.federated.clientId, tenantid: fake.tenantId, workloadIdentityFederationSubject: `sc://contoso/mlops/${ids.federated.serviceConnectionName}` };
      const f = ids.federated;
      extra.SYSTEM_OIDCREQUESTURI = f.oidcRequestUri;
      extra.SYSTEM_COLLECTIONURI = f.collectionUri;
      extra.SYSTEM_TEAMPROJECTID = f.teamProjectId;
      extra.SYSTEM_PLANID = f.planId;
      extra.SYSTEM_JOBID = f.jobId;
      extra.SYSTEM_HOSTTYPE = 'build';
      if (!o.withoutSystemToken) {
        extra.ENDPOINT_URL_SYSTEMVSSCONNECTION = f.collectionUri;
        extra.ENDPOINT_AUTH_SYSTEMVSSCONNECTION = JSON.stringify({ parameters: { AccessToken: f.systemAccessToken }, scheme: 'OAuth' });
        extra.ENDPOINT_AUTH_SCHEME_SYSTEMVSSCONNECTION = 'OAuth';
        extra.ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN = f.systemAccessToken;
      }
      break;
    }
    case 'managed':
      scheme = 'ManagedServiceIdentity';
      params = { tenantid: fake.tenantId };
      extra[`ENDPOINT_DATA_${id}_MSICLIENTID`] = ids.managed.clientId;
      extra.AZURE_POD_IDENTITY_AUTHORITY_HOST = fake.imdsUrl;
      break;
  }
  if (o.rawScheme) scheme = o.rawScheme;
  const env: Record<string, string> = {
    [`ENDPOINT_URL_${id}`]: `${fake.url}/`,
    [`ENDPOINT_AUTH_${id}`]: JSON.stringify({ parameters: params, scheme }),
    [`ENDPOINT_AUTH_SCHEME_${id}`]: scheme,
    [`ENDPOINT_DATA_${id}_SUBSCRIPTIONID`]: fake.subscriptionId,
    [`ENDPOINT_DATA_${id}_SUBSCRIPTIONNAME`]: 'MLOps Dev',
    [`ENDPOINT_DATA_${id}_ENVIRONMENT`]: 'AzureCloud',
    [`ENDPOINT_DATA_${id}_ENVIRONMENTAUTHORITYURL`]: `${fake.url}/`,
    [`ENDPOINT_DATA_${id}_ACTIVEDIRECTORYSERVICEENDPOINTRESOURCEID`]: fake.armAudience,
    [`ENDPOINT_DATA_${id}_SCOPELEVEL`]: 'Subscription',
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) env[`ENDPOINT_AUTH_PARAMETER_${id}_${k.toUpperCase()}`] = v;
  return env;
}

export function parseAgentOutput(stdout: string, stderr: string, exitCode: number | null): AgentRun {
  const run: AgentRun = { exitCode, stdout, stderr, outputs: {}, errors: [], maskedSecrets: [], visibleLog: '' };
  const visible: string[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^##vso\[([\w.]+)([^\]]*)\](.*)$/.exec(line);
    if (!m) {
      visible.push(line);
      continue;
    }
    const [, command, rawProps, rawMessage] = m;
    const props = Object.fromEntries(
      rawProps.trim().split(';').filter(Boolean).map((p) => {
        const i = p.indexOf('=');
        return [p.slice(0, i), unescapeProperty(p.slice(i + 1))];
      }),
    );
    const message = unescapeMessage(rawMessage);
    if (command === 'task.setsecret') {
      run.maskedSecrets.push(message);
      continue;
    }
    visible.push(line);
    if (command === 'task.setvariable' && props.isOutput === 'true') run.outputs[props.variable] = message;
    if (command === 'task.complete') {
      run.result = props.result;
      run.resultMessage = message;
    }
    if ((command === 'task.issue' || command === 'task.logissue') && props.type === 'error') run.errors.push(message);
  }
  run.visibleLog = visible.join('\n') + '\n' + stderr;
  return run;
}

function unescapeMessage(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%AZP25/g, '%');
}

function unescapeProperty(s: string): string {
  return unescapeMessage(s).replace(/%5D/g, ']').replace(/%3B/g, ';');
}

/** Secrets that must never be visible in a task's log. */
export function knownSecrets(fake: FakeAzure): string[] {
  const ids = fake.identities;
  const pemBody = ids.certificate.pem
    .split(/\r?\n/)
    .filter((l) => l.length >= 16 && !l.startsWith('-----'));
  return [ids.secret.clientSecret, ids.noAccess.clientSecret, ids.federated.systemAccessToken, ...pemBody];
}

/** Anything that looks like a bearer token, a JWT or a SAS signature. */
export const TOKEN_PATTERNS = [/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, /[?&]sig=[A-Za-z0-9%+/=]{10,}/i, /AccountKey=/i, /Bearer [A-Za-z0-9._-]{20,}/];

/** A Node.js stack trace (`\n    at fn (file:line:col)`), which a task's log must never show. */
export const STACK_TRACE = /\n\s+at [^\n]+[(\s][^\s()]+:\d+:\d+\)?/;

export interface SecretChecks {
  /** Also: no output variable holds a secret the task masked. */
  outputs?: boolean;
  /** Also: the datastore account key is not in the log; `required` also asserts that storage is on. */
  storageKey?: 'required' | 'whenOn';
  /** Also: no run log URL (`azureml-logs/ExperimentRun...`) is in the log. */
  logUrls?: boolean;
}

/** Asserts that no known secret and nothing like a token is in the task's visible log (and what `checks` adds). */
export function assertNoSecretsVisible(r: AgentRun, fake: FakeAzure, checks: SecretChecks = {}): void {
  for (const secret of knownSecrets(fake)) assert.ok(!r.visibleLog.includes(secret), 'a secret is visible in the task log');
  if (checks.storageKey === 'required') assert.ok(fake.storage, 'storage (Azurite) is not on');
  if (checks.storageKey && fake.storage) assert.ok(!r.visibleLog.includes(fake.storage.accountKey), 'the datastore key is visible in the task log');
  for (const pattern of TOKEN_PATTERNS) assert.ok(!pattern.test(r.visibleLog), `the task log contains something like a token: ${pattern}`);
  if (checks.outputs) {
    for (const [name, value] of Object.entries(r.outputs)) for (const secret of r.maskedSecrets) assert.ok(!value.includes(secret), `output ${name} holds a secret`);
  }
  if (checks.logUrls) assert.doesNotMatch(r.visibleLog, /azureml-logs\/ExperimentRun/, 'a log URL is visible');
}

/** The run summary the task uploaded (`##vso[task.uploadsummary]`). */
export function summaryOf(r: AgentRun): string {
  const m = /##vso\[task\.uploadsummary\](.+)/.exec(r.stdout);
  assert.ok(m, `no run summary was uploaded:\n${r.visibleLog}`);
  return fs.readFileSync(m[1].trim(), 'utf8');
}
