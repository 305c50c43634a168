import { ChildProcess, spawn } from 'child_process';
import { readFileSync } from 'fs';
import type { IncomingMessage, OutgoingHttpHeaders } from 'http';
import https from 'https';
import type { AddressInfo } from 'net';
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
  /** Every request a client sent to the blob service, in arrival order (the fake's own requests are left out). */
  readonly requests: BlobRequest[];
  clearRequests(): void;
  stop(): Promise<void>;
}

/** One request to the blob service, as the request log in front of Azurite saw it. */
export interface BlobRequest {
  /** ISO time the request arrived. */
  time: string;
  method: string;
  /** Host the client addressed: `<account>.blob.localhost:<port>` (production style) or `127.0.0.1:<port>` (path style). */
  host: string;
  /** Path as sent, e.g. `/<container>/LocalUpload/<hash>/src/train.py` (path style starts with the account). */
  path: string;
  /** Query string with SAS signatures redacted. */
  query: string;
  /** The Blob service operation, named as in its REST reference: `Put Blob`, `Put Block`, `Put Block List`, `Get Blob`, ... */
  operation: string;
  /** Status answered; 0 while in flight or when the connection failed. */
  status: number;
  /** Bytes of request body received from the client. */
  requestBytes: number;
  /** Client requests in flight when this one arrived, itself included. */
  inFlight: number;
}

/** Operations that write blob content: what a client that uploads nothing never sends. */
export const BLOB_UPLOAD_OPERATIONS: ReadonlySet<string> = new Set(['Put Blob', 'Put Block', 'Put Block List', 'Put Block From URL', 'Append Block', 'Put Page', 'Copy Blob']);

/** Marks the fake's own requests (seeding, existence checks), which the request log leaves out. */
const INTERNAL_HEADER = 'x-fake-azure-internal';

// CA certificates of the Azurite instances started in this process, by service URL, so the
// workspace fake can verify Azurite even when the caller passes only the four storage fields.
const knownCas = new Map<string, string>();

export function caForServiceUrl(serviceUrl: string): string | undefined {
  return knownCas.get(serviceUrl);
}

/**
 * Starts Azurite's blob service (the npm package's own entry script, run by this Node) over HTTPS
 * on a free loopback port, in memory, with the given certificate, behind a request log that listens with the
 * same certificate on another free port (the port clients get); resolves once it answers.
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

  let azuritePort: number;
  try {
    azuritePort = await waitForListeningPort(child);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const ca = opts.caCertPath ? readFileSync(opts.caCertPath, 'utf8') : undefined;
  let log: RequestLog;
  try {
    log = await startRequestLog(azuritePort, { cert: readFileSync(opts.certPath, 'utf8'), key: readFileSync(opts.keyPath, 'utf8') }, ca);
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  const serviceUrl = `https://127.0.0.1:${log.port}/${AZURITE_ACCOUNT}`;
  if (ca) knownCas.set(serviceUrl, ca);

  const instance: AzuriteInstance = {
    accountName: AZURITE_ACCOUNT,
    accountKey: AZURITE_KEY,
    endpointSuffix: `localhost:${log.port}`,
    serviceUrl,
    ca,
    requests: log.requests,
    clearRequests: () => {
      log.requests.length = 0;
    },
    stop: async () => {
      knownCas.delete(serviceUrl);
      await log.close();
      await stopChild(child);
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

interface RequestLog {
  port: number;
  requests: BlobRequest[];
  close(): Promise<void>;
}

// Hop-by-hop headers belong to one connection and are not forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'trailer']);

/**
 * An HTTPS reverse proxy in front of Azurite that records each request (operation, bytes, concurrency) and
 * streams bodies through untouched, so what a client uploads, and how, can be asserted on.
 */
async function startRequestLog(upstreamPort: number, tls: { cert: string; key: string }, ca: string | undefined): Promise<RequestLog> {
  // Without a known CA, certificate checks are skipped for this one loopback hop to our own child process.
  const agent = new https.Agent({ keepAlive: true, ...(ca ? { ca } : { rejectUnauthorized: false }) });
  const requests: BlobRequest[] = [];
  let inFlight = 0;
  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const internal = req.headers[INTERNAL_HEADER] !== undefined;
    const entry = internal ? undefined : newEntry(req, ++inFlight);
    if (entry) requests.push(entry);
    let settled = false;
    const settle = (status: number) => {
      if (settled) return;
      settled = true;
      if (entry) {
        entry.status = status;
        inFlight -= 1;
      }
    };
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name !== INTERNAL_HEADER && !HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    }
    const upstream = https.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers, agent }, (answer) => {
      const answerHeaders: string[] = [];
      for (let i = 0; i < answer.rawHeaders.length; i += 2) {
        if (!HOP_BY_HOP.has(answer.rawHeaders[i].toLowerCase())) answerHeaders.push(answer.rawHeaders[i], answer.rawHeaders[i + 1]);
      }
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answerHeaders);
      answer.pipe(res);
      res.on('finish', () => settle(answer.statusCode ?? 0));
    });
    upstream.on('error', () => {
      settle(0);
      res.destroy();
    });
    // A client that goes away mid-request takes the upstream request with it; a finished one leaves the
    // keep-alive connection to Azurite for the next request.
    res.on('close', () => {
      if (res.writableFinished) return;
      settle(0);
      upstream.destroy();
    });
    req.on('data', (chunk: Buffer) => {
      if (entry) entry.requestBytes += chunk.length;
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

function newEntry(req: IncomingMessage, inFlight: number): BlobRequest {
  const url = new URL(req.url ?? '/', 'https://blob');
  if (url.searchParams.has('sig')) url.searchParams.set('sig', 'REDACTED');
  return {
    time: new Date().toISOString(),
    method: req.method ?? '',
    host: req.headers.host ?? '',
    path: decodeURIComponent(url.pathname),
    query: url.search,
    operation: blobOperation(req.method ?? '', url.searchParams, req.headers),
    status: 0,
    requestBytes: 0,
    inFlight,
  };
}

/** The Blob service REST operation a request is, from its method, `restype`/`comp` and headers. */
export function blobOperation(method: string, query: URLSearchParams, headers: IncomingMessage['headers']): string {
  const comp = query.get('comp')?.toLowerCase();
  const container = query.get('restype')?.toLowerCase() === 'container';
  const service = query.get('restype')?.toLowerCase() === 'service';
  const m = method.toUpperCase();
  if (m === 'PUT') {
    if (comp === 'block') return headers['x-ms-copy-source'] ? 'Put Block From URL' : 'Put Block';
    if (comp === 'blocklist') return 'Put Block List';
    if (comp === 'appendblock') return 'Append Block';
    if (comp === 'page') return 'Put Page';
    if (container && !comp) return 'Create Container';
    if (!comp && headers['x-ms-copy-source']) return 'Copy Blob';
    if (!comp) return 'Put Blob';
    return `Set ${container ? 'Container' : 'Blob'} ${comp}`;
  }
  if (m === 'GET' || m === 'HEAD') {
    if (comp === 'list') return container ? 'List Blobs' : 'List Containers';
    if (comp === 'blocklist') return 'Get Block List';
    if (service || container) return `Get ${service ? 'Service' : 'Container'} ${comp ?? 'Properties'}`;
    if (!comp) return m === 'HEAD' ? 'Get Blob Properties' : 'Get Blob';
    return `Get Blob ${comp}`;
  }
  if (m === 'DELETE') return container ? 'Delete Container' : 'Delete Blob';
  return `${m} ${comp ?? ''}`.trim();
}

/**
 * A storage-blob pipeline whose requests go through the given agent. The agent is how an in-process
 * client trusts a CA made at run time and resolves `*.localhost`; storage-blob has no option for either.
 */
export function pipelineWithAgent(credential: StorageSharedKeyCredential | AnonymousCredential, agent: https.Agent, extraHeaders: Record<string, string> = {}): Pipeline {
  const useAgent = {
    create: (next: any) => ({
      sendRequest: (request: any) => {
        request.agent = agent;
        for (const [name, value] of Object.entries(extraHeaders)) request.headers.set(name, value);
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
  return new BlobServiceClient(storage.serviceUrl, pipelineWithAgent(credential, agent, { [INTERNAL_HEADER]: '1' }));
}
