import assert from 'assert';
import { execFile, spawn } from 'child_process';
import { X509Certificate } from 'crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { get } from 'https';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { promisify } from 'util';
import { ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential } from '@azure/identity';
import { startFakeAzure, type FakeAzure } from '../../fake-azure';
import { describe as describeFake } from '../../fake-azure/cli';
import { rawRequest, tokenWithSecret } from '../../fake-azure/client';

const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
const ARM_SCOPE = 'https://management.azure.com/.default';

describe('The fake Azure server', function () {
  this.timeout(60_000);
  let fake: FakeAzure;
  let recordDir: string;
  let recordFile: string;
  let token: string;

  before(async () => {
    recordDir = mkdtempSync(join(tmpdir(), 'fake-azure-record-'));
    recordFile = join(recordDir, 'requests.jsonl');
    fake = await startFakeAzure({ blob: false, recordFile });
    token = await tokenWithSecret(fake, fake.identities.secret.clientId, fake.identities.secret.clientSecret);
  });
  after(async () => {
    await fake?.stop();
    rmSync(recordDir, { recursive: true, force: true });
  });

  const armPath = () => `/subscriptions/${fake.subscriptionId}/resourceGroups/${fake.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${fake.workspaceName}`;

  describe('TLS', () => {
    it('serves a certificate for localhost, *.blob.localhost and 127.0.0.1, signed by the CA it gives out', () => {
      const ca = new X509Certificate(readFileSync(fake.caCertPath));
      const server = new X509Certificate(readFileSync(join(fake.caCertPath, '..', 'server.pem')));
      assert.ok(server.verify(ca.publicKey), 'server certificate is signed by the CA');
      assert.ok(ca.ca && !server.ca);
      for (const san of ['DNS:localhost', 'DNS:*.localhost', 'DNS:*.blob.localhost', 'IP Address:127.0.0.1']) {
        assert.ok(server.subjectAltName?.includes(san), san);
      }
      assert.ok(server.checkHost('devstoreaccount1.blob.localhost'));
      assert.strictEqual(server.checkHost('devstoreaccount1.blob.core.windows.net'), undefined);
    });

    it('is trusted through the CA only, never without it', async () => {
      const url = `${fake.url}/${fake.tenantId}/v2.0/.well-known/openid-configuration`;
      assert.strictEqual((await rawRequest(fake.caCertPath, url)).status, 200);
      await assert.rejects(
        new Promise((ok, fail) => get(url, { agent: false }, ok).on('error', fail)),
        (e: NodeJS.ErrnoException) => /certificate/i.test(e.code ?? '') || /certificate/i.test(e.message),
      );
    });

    it('is reachable from a child process configured with NODE_EXTRA_CA_CERTS and the DNS preload, also as *.blob.localhost', async () => {
      const port = new URL(fake.url).port;
      const script = `
        (async () => {
          for (const host of ['localhost', 'devstoreaccount1.blob.localhost']) {
            const r = await fetch('https://' + host + ':${port}/${fake.tenantId}/v2.0/.well-known/openid-configuration');
            console.log(host, r.status);
          }
        })().catch((e) => { console.log('FAILED', e.cause ? e.cause.code || e.cause.message : e.message); process.exitCode = 1; });`;
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: fake.caCertPath, NODE_OPTIONS: `--require ${fake.dnsPreloadPath}` },
      });
      assert.strictEqual(stdout.trim(), 'localhost 200\ndevstoreaccount1.blob.localhost 200');
    });
  });

  describe('routing', () => {
    it('answers ARM requests without a token with 401 and a Bearer challenge', async () => {
      const res = await rawRequest(fake.caCertPath, `${fake.url}${armPath()}?api-version=2024-04-01`);
      assert.strictEqual(res.status, 401);
      assert.strictEqual(res.json.error.code, 'AuthenticationFailed');
      assert.match(String(res.headers['www-authenticate']), /^Bearer authorization_uri=/);
    });

    it('hands ARM requests with a valid token to the workspace service', async () => {
      const res = await rawRequest(fake.caCertPath, `${fake.url}${armPath()}?api-version=2024-04-01`, { headers: { Authorization: `Bearer ${token}` } });
      assert.ok(![401, 404].includes(res.status), `${res.status} ${res.text}`);
    });

    it('refuses a token for the data plane audience on ARM', async () => {
      const { clientId, clientSecret } = fake.identities.secret;
      const mlToken = await tokenWithSecret(fake, clientId, clientSecret, 'https://ml.azure.com/.default');
      const res = await rawRequest(fake.caCertPath, `${fake.url}${armPath()}?api-version=2024-04-01`, { headers: { Authorization: `Bearer ${mlToken}` } });
      assert.strictEqual(res.status, 401);
      assert.strictEqual(res.json.error.code, 'InvalidAuthenticationTokenAudience');
    });

    it('answers a path no service claims with a 404 ARM error', async () => {
      const res = await rawRequest(fake.caCertPath, `${fake.url}/no-such-service/here`, { headers: { Authorization: `Bearer ${token}` } });
      assert.strictEqual(res.status, 404);
      assert.ok(res.json.error.code);
    });

    it('answers a JSON body that does not parse with 400 InvalidRequestContent', async () => {
      const res = await rawRequest(fake.caCertPath, `${fake.url}${armPath()}/jobs/j1?api-version=2024-04-01`, {
        method: 'PUT',
        body: '{"properties": ',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      });
      assert.strictEqual(res.status, 400);
      assert.strictEqual(res.json.error.code, 'InvalidRequestContent');
    });
  });

  describe('recording', () => {
    it('records method, URL, path, api-version, status and the JSON body of ARM requests', async () => {
      fake.clearRequests();
      const body = { properties: { description: 'recorded' } };
      await rawRequest(fake.caCertPath, `${fake.url}${armPath()}/jobs/rec-1?api-version=2024-04-01`, {
        method: 'PUT',
        body,
        headers: { Authorization: `Bearer ${token}` },
      });
      assert.strictEqual(fake.requests.length, 1);
      const [r] = fake.requests;
      assert.strictEqual(r.kind, 'arm');
      assert.strictEqual(r.method, 'PUT');
      assert.strictEqual(r.url, `${fake.url}${armPath()}/jobs/rec-1?api-version=2024-04-01`);
      assert.strictEqual(r.path, `${armPath()}/jobs/rec-1`);
      assert.strictEqual(r.apiVersion, '2024-04-01');
      assert.ok(r.status >= 200);
      assert.deepStrictEqual(r.body, body);
      assert.ok(!Number.isNaN(Date.parse(r.time)));
      const lines = readFileSync(recordFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.deepStrictEqual(lines[lines.length - 1], JSON.parse(JSON.stringify(r)));
    });

    it('never records a secret, assertion, OIDC token or access token', async () => {
      const ca = readFileSync(fake.caCertPath, 'utf8');
      const options = { authorityHost: fake.url, disableInstanceDiscovery: true, tlsOptions: { ca } };
      const id = fake.identities;
      const seen: string[] = [];
      const oidc = async () => {
        const res = await rawRequest(fake.caCertPath, `${id.federated.oidcRequestUri}?api-version=7.1&serviceConnectionId=${id.federated.serviceConnectionId}`, {
          method: 'POST',
          body: {},
          headers: { Authorization: `Bearer ${id.federated.systemAccessToken}` },
        });
        seen.push(res.json.oidcToken);
        return res.json.oidcToken as string;
      };
      const imds = await rawRequest(fake.caCertPath, `${fake.imdsUrl}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com&client_id=${id.managed.clientId}`, {
        headers: { Metadata: 'true' },
      });
      const tokens = [
        (await new ClientSecretCredential(fake.tenantId, id.secret.clientId, id.secret.clientSecret, options).getToken(ARM_SCOPE)).token,
        (await new ClientCertificateCredential(fake.tenantId, id.certificate.clientId, { certificate: id.certificate.pem }, options).getToken(ARM_SCOPE)).token,
        (await new ClientAssertionCredential(fake.tenantId, id.federated.clientId, oidc, options).getToken(ARM_SCOPE)).token,
        imds.json.access_token as string,
      ];
      for (const t of tokens) {
        seen.push(t);
        await rawRequest(fake.caCertPath, `${fake.url}${armPath()}?api-version=2024-04-01`, { headers: { Authorization: `Bearer ${t}` } });
      }
      const recorded = JSON.stringify(fake.requests) + readFileSync(recordFile, 'utf8');
      assert.ok(fake.requests.some((r) => r.kind === 'entra') && fake.requests.some((r) => r.kind === 'ado') && fake.requests.some((r) => r.kind === 'imds'));
      const secrets = [id.secret.clientSecret, id.noAccess.clientSecret, id.federated.systemAccessToken, ...seen];
      for (const secret of secrets) assert.ok(secret && !recorded.includes(secret), 'a secret was recorded');
      for (const word of ['client_secret', 'client_assertion', 'PRIVATE KEY', 'Bearer']) assert.ok(!recorded.includes(word), word);
    });

    it('redacts SAS signatures in recorded URLs', async () => {
      fake.clearRequests();
      await rawRequest(fake.caCertPath, `${fake.url}/logs/std_log.txt?sv=2021-08-06&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D`);
      assert.match(fake.requests[0].url, /sig=REDACTED/);
      assert.ok(!fake.requests[0].url.includes('c2VjcmV0'));
    });

    it('also writes to the file named by FAKE_AZURE_RECORD', async () => {
      const file = join(recordDir, 'from-env.jsonl');
      process.env.FAKE_AZURE_RECORD = file;
      let other: FakeAzure | undefined;
      try {
        other = await startFakeAzure({ blob: false });
      } finally {
        delete process.env.FAKE_AZURE_RECORD;
      }
      try {
        await rawRequest(other.caCertPath, `${other.url}/${other.tenantId}/v2.0/.well-known/openid-configuration`);
        const line = JSON.parse(readFileSync(file, 'utf8').trim());
        assert.strictEqual(line.kind, 'entra');
        assert.strictEqual(line.status, 200);
      } finally {
        await other.stop();
      }
    });
  });

  describe('standalone CLI', () => {
    it('prints client ids and the environment a task run needs, and secrets only with --show-secrets', () => {
      const id = fake.identities;
      const plain = describeFake(fake, { showSecrets: false });
      for (const s of [fake.url, fake.caCertPath, fake.dnsPreloadPath, fake.imdsUrl, id.secret.clientId, id.certificate.clientId, id.federated.clientId, id.managed.clientId]) {
        assert.ok(plain.includes(s), s);
      }
      for (const s of [id.secret.clientSecret, id.noAccess.clientSecret, id.federated.systemAccessToken, 'PRIVATE KEY']) assert.ok(!plain.includes(s));
      const withSecrets = describeFake(fake, { showSecrets: true });
      assert.ok(withSecrets.includes(id.secret.clientSecret) && withSecrets.includes('PRIVATE KEY'));
    });

    it('runs from npm run fake-azure and stops cleanly on SIGINT', async () => {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'fake-azure.mjs'), '--no-blob'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
      const deadline = Date.now() + 30_000;
      while (!out.includes('Press Ctrl+C') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      const url = /running at (https:\/\/localhost:\d+)/.exec(out)?.[1];
      assert.ok(url, out);
      child.kill('SIGINT');
      assert.strictEqual(await exited, 0, out);
      assert.match(out, /Stopped\./);
      const certDir = /NODE_EXTRA_CA_CERTS=(\S+)/.exec(out)![1];
      assert.ok(!existsSync(certDir), 'temporary certificate files are removed');
    });
  });
});
