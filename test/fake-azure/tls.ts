import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { generate } from 'selfsigned';

/** Certificate files of one fake run, in a temp dir of its own. */
export interface TlsFiles {
  dir: string;
  /** The test CA: what clients trust through NODE_EXTRA_CA_CERTS. */
  caCertPath: string;
  /** The server certificate (signed by the CA) and its key, shared by the fake and Azurite. */
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
  remove(): void;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * A throw-away CA and a server certificate it signs. A separate CA (rather than one self-signed leaf)
 * is what a real trust chain looks like, so clients verify it exactly as they verify Azure's.
 * `*.blob.localhost` is what storage URLs built from the endpoint suffix need
 * (Node refuses a wildcard directly under a top-level name, so `*.localhost` alone would not do).
 */
export async function createTlsFiles(): Promise<TlsFiles> {
  const notBeforeDate = new Date(Date.now() - DAY_MS); // tolerate small clock differences
  const notAfterDate = new Date(Date.now() + 7 * DAY_MS);
  const ca = await generate([{ name: 'commonName', value: 'Fake Azure Test CA' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: '*.localhost' },
          { type: 2, value: '*.blob.localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });

  const dir = mkdtempSync(join(tmpdir(), 'fake-azure-tls-'));
  const caCertPath = join(dir, 'ca.pem');
  const certPath = join(dir, 'server.pem');
  const keyPath = join(dir, 'server-key.pem');
  writeFileSync(caCertPath, ca.cert);
  writeFileSync(certPath, server.cert);
  writeFileSync(keyPath, server.private, { mode: 0o600 });
  return {
    dir,
    caCertPath,
    certPath,
    keyPath,
    cert: server.cert,
    key: server.private,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A self-signed certificate and key for an app registration, as `az ad sp create-for-rbac --create-cert` makes one. */
export async function createClientCertificate(commonName: string): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - DAY_MS),
    notAfterDate: new Date(Date.now() + 365 * DAY_MS),
  });
  return { cert: pems.cert, key: pems.private };
}
