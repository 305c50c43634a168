import assert from 'assert';
import dns from 'dns';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import https from 'https';
import { tmpdir } from 'os';
import { join } from 'path';
import { generate } from 'selfsigned';
import { AnonymousCredential, BlobServiceClient, ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AzuriteInstance, pipelineWithAgent, startAzurite } from '../../fake-azure/storage';
import type { WorkspaceService } from '../../fake-azure/workspace';
import { WS_PATH, call, newWorkspace } from './workspace-helpers';

// What the test preload does for the product: `*.localhost` names are loopback (RFC 6761).
function loopbackLookup(host: string, options: any, callback: any): void {
  if (!host.endsWith('.localhost')) return void dns.lookup(host, options, callback);
  if (options?.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
}

describe('Azurite for the fake workspace', function () {
  this.timeout(60_000);
  let dir: string;
  let cert: string;
  let azurite: AzuriteInstance;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'azurite-test-'));
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [{
        name: 'subjectAltName',
        altNames: [{ type: 2, value: 'localhost' }, { type: 2, value: '*.blob.localhost' }, { type: 7, ip: '127.0.0.1' }],
      }],
    });
    cert = pems.cert;
    writeFileSync(join(dir, 'cert.pem'), pems.cert);
    writeFileSync(join(dir, 'key.pem'), pems.private);
    // The self-signed leaf is its own CA here.
    azurite = await startAzurite({ certPath: join(dir, 'cert.pem'), keyPath: join(dir, 'key.pem'), caCertPath: join(dir, 'cert.pem') });
  });

  after(async () => {
    await azurite?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the emulator account, a localhost endpoint suffix and a loopback service URL', () => {
    assert.strictEqual(azurite.accountName, 'devstoreaccount1');
    assert.match(azurite.endpointSuffix, /^localhost:\d+$/);
    assert.strictEqual(azurite.serviceUrl, `https://127.0.0.1:${azurite.endpointSuffix.split(':')[1]}/devstoreaccount1`);
  });

  it('accepts a shared-key upload to the production-style host <account>.blob.localhost:<port>', async () => {
    const agent = new https.Agent({ ca: cert, lookup: loopbackLookup } as https.AgentOptions);
    const accountUrl = `https://${azurite.accountName}.blob.${azurite.endpointSuffix}`;
    const credential = new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey);
    const service = new BlobServiceClient(accountUrl, pipelineWithAgent(credential, agent));
    const container = service.getContainerClient('azureml-blobstore-test');
    await container.createIfNotExists();
    const blob = container.getBlockBlobClient('LocalUpload/abc123/src/train.py');
    await blob.upload('print("hi")\n', 12, { metadata: { upload_status: 'completed' } });

    assert.strictEqual(blob.url, `${accountUrl}/azureml-blobstore-test/LocalUpload/abc123/src/train.py`);
    const props = await blob.getProperties();
    assert.strictEqual(props.metadata?.upload_status, 'completed');

    // The same blob through the path-style loopback URL: the account came from the host name.
    const pathStyle = new BlobServiceClient(azurite.serviceUrl, pipelineWithAgent(credential, new https.Agent({ ca: cert })));
    const text = (await pathStyle.getContainerClient('azureml-blobstore-test').getBlobClient('LocalUpload/abc123/src/train.py').downloadToBuffer()).toString();
    assert.strictEqual(text, 'print("hi")\n');
  });

  it('rejects a request signed with the wrong key', async () => {
    const agent = new https.Agent({ ca: cert, lookup: loopbackLookup } as https.AgentOptions);
    const wrong = new StorageSharedKeyCredential(azurite.accountName, Buffer.from('not the key').toString('base64'));
    const service = new BlobServiceClient(`https://${azurite.accountName}.blob.${azurite.endpointSuffix}`, pipelineWithAgent(wrong, agent));
    await assert.rejects(service.getContainerClient('azureml-blobstore-test').createIfNotExists(), (e: any) => e.statusCode === 403);
  });

  describe('behind the fake workspace', () => {
    let ws: WorkspaceService;
    let agent: https.Agent;
    before(async () => {
      ws = newWorkspace({ storage: { accountName: azurite.accountName, accountKey: azurite.accountKey, endpointSuffix: azurite.endpointSuffix, serviceUrl: azurite.serviceUrl } });
      await ws.ready();
      agent = new https.Agent({ ca: cert, lookup: loopbackLookup } as https.AgentOptions);
    });

    function productClient(): BlobServiceClient {
      const credential = new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey);
      return new BlobServiceClient(`https://${azurite.accountName}.blob.${azurite.endpointSuffix}`, pipelineWithAgent(credential, agent));
    }

    it('creates the default datastore container with the seeded data file in it', async () => {
      const container = productClient().getContainerClient(`azureml-blobstore-${ws.identity.workspaceId}`);
      assert.ok(await container.exists());
      const csv = (await container.getBlobClient('data/diabetes.csv').downloadToBuffer()).toString();
      assert.match(csv, /^age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,target\n/);
    });

    it('describes the datastore with the Azurite endpoint suffix and hands out its key', async () => {
      const ds = await call(ws, 'GET', `${WS_PATH}/datastores/workspaceblobstore`);
      assert.strictEqual(ds.body.properties.accountName, 'devstoreaccount1');
      assert.strictEqual(ds.body.properties.endpoint, azurite.endpointSuffix);
      assert.strictEqual(ds.body.properties.protocol, 'https');
      const secrets = await call(ws, 'POST', `${WS_PATH}/datastores/workspaceblobstore/listSecrets`);
      assert.deepStrictEqual(secrets.body, { secretsType: 'AccountKey', key: azurite.accountKey });
    });

    it('hands out a SAS upload location that works on the production-style host, then registers code there', async () => {
      const res = await call(ws, 'POST', `${WS_PATH}/codes/src-code/versions/1/startPendingUpload`, { pendingUploadType: 'TemporaryBlobReference' });
      assert.strictEqual(res.status, 200, JSON.stringify(res.body));
      const ref = res.body.blobReferenceForConsumption;
      assert.ok(ref.blobUri.startsWith(`https://devstoreaccount1.blob.${azurite.endpointSuffix}/azureml-blobstore-`));
      assert.strictEqual(ref.credential.credentialType, 'SAS');
      const sasUrl = new URL(ref.credential.sasUri);
      const containerUrl = `${sasUrl.origin}/${sasUrl.pathname.split('/')[1]}${sasUrl.search}`;
      const prefix = sasUrl.pathname.split('/').slice(2).join('/');
      const container = new ContainerClient(containerUrl, pipelineWithAgent(new AnonymousCredential(), agent));
      await container.getBlockBlobClient(`${prefix}/src/train.py`).upload('print(1)\n', 9);

      const created = await call(ws, 'PUT', `${WS_PATH}/codes/src-code/versions/1`, { properties: { codeUri: `${ref.blobUri}/src`, isAnonymous: true } });
      assert.strictEqual(created.status, 201, JSON.stringify(created.body));
    });

    it('refuses a code version whose codeUri names a folder with nothing uploaded', async () => {
      const codeUri = `https://devstoreaccount1.blob.${azurite.endpointSuffix}/azureml-blobstore-${ws.identity.workspaceId}/LocalUpload/0000/src`;
      const before = ws.createdCount();
      const res = await call(ws, 'PUT', `${WS_PATH}/codes/empty-code/versions/1`, { properties: { codeUri, isAnonymous: true } });
      assert.strictEqual(res.status, 400);
      assert.match(res.body.error.message, /properties\.codeUri: nothing was uploaded at/);
      assert.strictEqual(ws.createdCount(), before);
    });
  });
});
