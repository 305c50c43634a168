import assert from 'assert';
import { execFile } from 'child_process';
import { join } from 'path';
import { promisify } from 'util';

const PRELOAD = join(__dirname, '..', '..', 'support', 'localhost-dns.js');

/** Runs a script in a fresh Node with the preload, so this test process's own resolver stays untouched. */
async function withPreload(script: string, preloadFirst = true): Promise<unknown> {
  const args = preloadFirst ? ['--require', PRELOAD, '-e', script] : ['-e', script];
  const { stdout } = await promisify(execFile)(process.execPath, args, { env: { ...process.env, NODE_OPTIONS: '' } });
  return JSON.parse(stdout);
}

describe('The *.localhost DNS preload', function () {
  this.timeout(20_000);

  it('resolves *.localhost names to 127.0.0.1 in every dns.lookup form', async () => {
    const result = await withPreload(`
      const dns = require('dns');
      const { promisify } = require('util');
      const cb = (...args) => new Promise((ok) => dns.lookup(...args, (err, a, f) => ok(err ? String(err) : [a, f])));
      (async () => {
        const host = 'devstoreaccount1.blob.localhost';
        console.log(JSON.stringify({
          plain: await cb(host),
          family: await cb(host, 4),
          options: await cb(host, { family: 0 }),
          all: await cb(host, { all: true }),
          upper: await cb('Account.Blob.LOCALHOST'),
          promises: await dns.promises.lookup(host),
          promisesAll: await dns.promises.lookup(host, { all: true }),
          promisified: await promisify(dns.lookup)(host),
        }));
      })();`);
    assert.deepStrictEqual(result, {
      plain: ['127.0.0.1', 4],
      family: ['127.0.0.1', 4],
      options: ['127.0.0.1', 4],
      all: [[{ address: '127.0.0.1', family: 4 }], null],
      upper: ['127.0.0.1', 4],
      promises: { address: '127.0.0.1', family: 4 },
      promisesAll: [{ address: '127.0.0.1', family: 4 }],
      promisified: { address: '127.0.0.1', family: 4 },
    });
  });

  it('passes every other name to the real resolver unchanged, including plain localhost', async () => {
    // The real lookup is replaced by a recorder before the preload wraps it.
    const result = await withPreload(`
      const dns = require('dns');
      const calls = [];
      dns.lookup = (...args) => { calls.push(args.slice(0, -1)); args[args.length - 1](null, '192.0.2.1', 4); };
      dns.promises.lookup = async (...args) => { calls.push(args); return { address: '192.0.2.2', family: 4 }; };
      require(${JSON.stringify(PRELOAD)});
      dns.lookup('localhost', { all: false }, async (err, address) => {
        const p = await dns.promises.lookup('management.azure.com');
        dns.lookup('blob.localhost.example.com', () => console.log(JSON.stringify({ address, p, calls })));
      });`, false);
    assert.deepStrictEqual(result, {
      address: '192.0.2.1',
      p: { address: '192.0.2.2', family: 4 },
      calls: [['localhost', { all: false }], ['management.azure.com'], ['blob.localhost.example.com']],
    });
  });

  it('lets fetch reach a server through a *.localhost name', async () => {
    const result = await withPreload(`
      const server = require('http').createServer((req, res) => res.end(req.headers.host));
      server.listen(0, '127.0.0.1', async () => {
        const r = await fetch('http://devstoreaccount1.blob.localhost:' + server.address().port + '/');
        console.log(JSON.stringify(await r.text()));
        server.close();
      });`);
    assert.match(String(result), /^devstoreaccount1\.blob\.localhost:\d+$/);
  });
});
