// One code-snapshot run in a fresh process, as a pipeline run does it: signs in with the fake's secret service
// principal, then (first run) times hashCodeFolder alone and uploadCodeSnapshot, or (again) uploadCodeSnapshot only.
// Started by bench/train.mjs with NODE_EXTRA_CA_CERTS and the *.localhost preload; prints one JSON line.
//   node bench/train/upload-run.mjs first|again <code dir>     (BENCH_FAKE: JSON of the fake's connection data)
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const build = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'src');
const { createCredential } = require(path.join(build, 'auth', 'credential.js'));
const { WorkspaceClient } = require(path.join(build, 'workspace', 'client.js'));
const { hashCodeFolder } = require(path.join(build, 'jobs', 'code-hash.js'));
const { uploadCodeSnapshot } = require(path.join(build, 'jobs', 'code-upload.js'));

const [mode, codeDir] = process.argv.slice(2);
const fake = JSON.parse(process.env.BENCH_FAKE ?? '{}');
const cloud = { authorityHost: fake.url, resourceManagerUrl: fake.url, resourceManagerAudience: fake.armAudience };
const connection = { scheme: 'ServicePrincipalSecret', cloud, description: 'bench', tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: fake.clientSecret };
const credential = createCredential(connection, { onSecret: () => {} });
let uploadStarted;
const log = {
  info: (m) => {
    if (m.startsWith('Uploading code')) uploadStarted = performance.now();
  },
  warning: (m) => console.error(m),
  debug: () => {},
};
const client = new WorkspaceClient({ credential, cloud, workspace: fake.workspace, identity: 'bench', log });
// Signed in and the workspace read before timing, as the task has done by the time it uploads.
await client.workspaceDetails();

const out = {};
if (mode === 'first') {
  const t = performance.now();
  const h = await hashCodeFolder(codeDir);
  out.hashMs = performance.now() - t;
  out.files = h.files.length;
  out.bytes = h.totalBytes;
}
const t0 = performance.now();
const snapshot = await uploadCodeSnapshot(codeDir, { client, credential, log, onSecret: () => {} });
const t1 = performance.now();
out.totalMs = t1 - t0;
if (uploadStarted !== undefined) out.uploadMs = t1 - uploadStarted;
out.uploadedBytes = snapshot.uploadedBytes;
out.reused = snapshot.reused;
console.log(JSON.stringify(out));
