import { ChildProcess, spawn } from 'child_process';
import { readFileSync } from 'fs';
import https from 'https';
import { tmpdir } from 'os';
import {
  AnonymousCredential,
  BlobServiceClient,
  Pipeline,
  StoragePipelineOptions,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';

/** Azurite's single built-in account, as documented by the emulator. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteInstance {
  accountName: string;
  accountKey: string;
  /** `localhost:<port>`: blob URLs are `https://<account>.blob.<endpointSuffix>/...` as in a sovereign cloud. */
  endpointSuffix: string;
  /** Path-style service URL on the loopback address: `https://127.0.0.1:<port>/devstoreaccount1`. */
  serviceUrl: string;
  /** PEM of the CA that signed Azurite's certificate, when the caller gave it. */
  ca?: string;
  stop(): Promise<void>;
}

// CA certificates of the Azurite instances started in this process, by service URL, so the
// workspace fake can verify Azurite even when the caller passes only the four storage fields.
const knownCas = new Map<string, string>();

export function caForServiceUrl(serviceUrl: string): string | undefined {
  return knownCas.get(serviceUrl);
}

/**
 * Starts Azurite's blob service (the npm package's own entry script, run by this Node) over HTTPS
 * on a free loopback port, in memory, with the given certificate; resolves once it answers.
 */
export async function startAzurite(opts: { certPath: string; keyPath: string; caCertPath?: string }): Promise<AzuriteInstance> {
  const entry = require.resolve('azurite/dist/src/blob/main.js');
  const child = spawn(
    process.execPath,
    [
      entry,
      '--blobHost', '127.0.0.1',
      '--blobPort', '0',
      '--cert', opts.certPath,
      '--key', opts.keyPath,
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--silent',
      // No internet here, and test runs are nobody's telemetry.
      '--disableTelemetry',
    ],
    // Azurite writes nothing with in-memory persistence, but keep its cwd out of the repo anyway.
    { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );

  let port: number;
  try {
    port = await waitForListeningPort(child);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const serviceUrl = `https://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const ca = opts.caCertPath ? readFileSync(opts.caCertPath, 'utf8') : undefined;
  if (ca) knownCas.set(serviceUrl, ca);

  const instance: AzuriteInstance = {
    accountName: AZURITE_ACCOUNT,
    accountKey: AZURITE_KEY,
    endpointSuffix: `localhost:${port}`,
    serviceUrl,
    ca,
    stop: () => {
      knownCas.delete(serviceUrl);
      return stopChild(child);
    },
  };
  try {
    await waitUntilAnswering(instance);
  } catch (e) {
    await instance.stop();
    throw e;
  }
  return instance;
}

// Azurite prints "Azurite Blob service successfully listens on https://127.0.0.1:<port>" once bound;
// port 0 lets the OS pick a free port without a probe-then-bind race.
function waitForListeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`Azurite did not start within 20 s. Output:\n${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /successfully listens on https?:\/\/[^:\s]+:(\d+)/.exec(out);
      if (m) done(Number(m[1]));
    };
    const onExit = (code: number | null) => fail(new Error(`Azurite exited with code ${code} before listening. Output:\n${out}`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining its pipes so Azurite never blocks on a full buffer.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    const done = (port: number) => { cleanup(); resolve(port); };
    const fail = (e: Error) => { cleanup(); reject(e); };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function waitUntilAnswering(instance: AzuriteInstance): Promise<void> {
  const client = azuriteServiceClient(instance);
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await client.getProperties();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`Azurite at ${instance.serviceUrl} does not answer: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * A storage-blob pipeline whose requests go through the given agent. The agent is how an in-process
 * client trusts a CA made at run time and resolves `*.localhost`; storage-blob has no option for either.
 */
export function pipelineWithAgent(credential: StorageSharedKeyCredential | AnonymousCredential, agent: https.Agent): Pipeline {
  const useAgent = {
    create: (next: any) => ({
      sendRequest: (request: any) => {
        request.agent = agent;
        return next.sendRequest(request);
      },
    }),
  };
  // The credential listed as a factory is how storage-blob finds it in a hand-built Pipeline.
  return new Pipeline([credential, useAgent], { retryOptions: { maxTries: 1 } } as StoragePipelineOptions);
}

/**
 * A client for Azurite on its loopback service URL, used by the fake itself (never by the product).
 * Without a known CA the fake skips certificate checks for this one loopback hop to its own child process.
 */
export function azuriteServiceClient(storage: { accountName: string; accountKey: string; serviceUrl: string; ca?: string }): BlobServiceClient {
  const ca = storage.ca ?? caForServiceUrl(storage.serviceUrl);
  const agent = new https.Agent(ca ? { ca, keepAlive: true } : { rejectUnauthorized: false, keepAlive: true });
  const credential = new StorageSharedKeyCredential(storage.accountName, storage.accountKey);
  return new BlobServiceClient(storage.serviceUrl, pipelineWithAgent(credential, agent));
}
