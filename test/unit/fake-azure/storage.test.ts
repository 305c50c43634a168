import assert from 'assert';
import dns from 'dns';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import https from 'https';
import { tmpdir } from 'os';
import { join } from 'path';
import { generate } from 'selfsigned';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AzuriteInstance, pipelineWithAgent, startAzurite } from '../../fake-azure/storage';

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
});
