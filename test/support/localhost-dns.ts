/**
 * Preload (`node --require build/test/support/localhost-dns.js`) that resolves every `*.localhost` name to loopback,
 * as RFC 6761 says resolvers should; the system resolver here only knows plain `localhost`.
 * It lets the product build storage URLs like `https://devstoreaccount1.blob.localhost:<port>` exactly as it does for a
 * sovereign cloud, without a test switch in product code. Every other name goes to the real resolver unchanged.
 */
import dns = require('dns');

type LookupAddress = { address: string; family: number };

function isLocalhostSubdomain(hostname: unknown): boolean {
  return typeof hostname === 'string' && /\.localhost\.?$/i.test(hostname);
}

/** Loopback of the requested family: IPv4 unless only IPv6 was asked for (the fake listens on 127.0.0.1). */
function loopbackFor(options: unknown): LookupAddress {
  const family = typeof options === 'number' ? options : (options as { family?: unknown } | undefined)?.family;
  return family === 6 || family === 'IPv6' ? { address: '::1', family: 6 } : { address: '127.0.0.1', family: 4 };
}

function wantsAll(options: unknown): boolean {
  return typeof options === 'object' && options !== null && (options as { all?: unknown }).all === true;
}

const realLookup = dns.lookup;
const realPromisesLookup = dns.promises.lookup;

function lookup(hostname: string, ...rest: unknown[]): void {
  const callback = rest[rest.length - 1];
  if (!isLocalhostSubdomain(hostname) || typeof callback !== 'function') {
    return (realLookup as (...a: unknown[]) => void).call(dns, hostname, ...rest);
  }
  const options = rest.length > 1 ? rest[0] : undefined;
  const answer = loopbackFor(options);
  // Callbacks of dns.lookup never run synchronously; keep that contract.
  process.nextTick(() => (wantsAll(options) ? callback(null, [answer]) : callback(null, answer.address, answer.family)));
}

async function promisesLookup(hostname: string, ...rest: unknown[]): Promise<LookupAddress | LookupAddress[]> {
  if (!isLocalhostSubdomain(hostname)) {
    return (realPromisesLookup as (...a: unknown[]) => Promise<LookupAddress | LookupAddress[]>).call(dns.promises, hostname, ...rest);
  }
  const options = rest[0];
  const answer = loopbackFor(options);
  return wantsAll(options) ? [answer] : answer;
}

// Keep util.promisify(dns.lookup) returning {address, family} as it does for the original.
Object.defineProperty(lookup, Symbol.for('nodejs.util.promisify.custom'), { value: promisesLookup });

(dns as { lookup: unknown }).lookup = lookup;
(dns.promises as { lookup: unknown }).lookup = promisesLookup;
