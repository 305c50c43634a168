import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FILE_CONCURRENCY } from '../../src/jobs/code-upload';
import { startFakeAzure, type BlobRequest, type FakeAzure } from '../fake-azure';
import { BLOB_UPLOAD_OPERATIONS } from '../fake-azure/storage';
import { runTaskAsAgent } from './harness';

const project = path.join(__dirname, 'fixtures', 'project');
// Compiled tests run from build/; the fixtures stay in the source tree.
const fixtures = fs.existsSync(project) ? project : path.resolve(__dirname, '..', '..', '..', 'test', 'e2e', 'fixtures', 'project');
const peakRssPreload = path.resolve(__dirname, '..', 'support', 'peak-rss.js');

const MiB = 1024 * 1024;
// 2,000 files of 96 KiB: ~188 MiB of code. Reading it all (or every file at once) would grow the task's peak
// resident memory by at least that much; streaming a few files at a time grows it by GC slack and sockets only
// (about half of it here, and not growing with the folder).
const MANY_FILES = 2_000;
const FILE_BYTES = 96 * 1024;

describe('AmlTrain code snapshots, against the local Azure', function () {
  this.timeout(180_000);
  let fake: FakeAzure;
  let dir: string;

  before(async () => {
    fake = await startFakeAzure();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aml-code-'));
  });
  after(async () => {
    await fake?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A project folder with the fixture job spec and `code: ./src` holding the given files; returns the spec path. */
  function projectWith(name: string, files: Record<string, Buffer | string>): string {
    const root = path.join(dir, name);
    for (const [rel, content] of Object.entries(files)) {
      const file = path.join(root, 'src', rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
    fs.copyFileSync(path.join(fixtures, 'job.yml'), path.join(root, 'job.yml'));
    return path.join(root, 'job.yml');
  }

  const submit = (jobSpec: string, env: Record<string, string> = {}) =>
    runTaskAsAgent({
      fake,
      task: 'AmlTrain',
      scheme: 'secret',
      inputs: { resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName, jobSpec, waitForCompletion: 'false' },
      cwd: path.dirname(jobSpec),
      env,
    });

  const uploads = (requests: readonly BlobRequest[]) => requests.filter((r) => BLOB_UPLOAD_OPERATIONS.has(r.operation));

  it('uploads the code once, and not a byte the second time when it has not changed', async () => {
    const files = {
      'train.py': 'import argparse\nprint("training")\n',
      'requirements.txt': 'scikit-learn==1.5.2\n',
      'model/weights.bin': Buffer.alloc(300 * 1024, 7),
    };
    const jobSpec = projectWith('unchanged', files);
    const storage = fake.storage!;

    storage.clearRequests();
    const first = await submit(jobSpec);
    assert.strictEqual(first.result, 'Succeeded', first.visibleLog);
    const firstUploads = uploads(storage.requests);
    assert.deepStrictEqual(firstUploads.map((r) => r.operation), ['Put Blob', 'Put Blob', 'Put Blob']);
    const codeBytes = Object.values(files).reduce((n, c) => n + Buffer.byteLength(c), 0);
    assert.strictEqual(firstUploads.reduce((n, r) => n + r.requestBytes, 0), codeBytes);

    storage.clearRequests();
    const second = await submit(jobSpec);
    assert.strictEqual(second.result, 'Succeeded', second.visibleLog);
    assert.match(second.visibleLog, /unchanged since an earlier upload/);
    assert.deepStrictEqual(uploads(storage.requests), []);
    assert.strictEqual(storage.requests.reduce((n, r) => n + r.requestBytes, 0), 0);

    const jobs = fake.workspace.jobs();
    const [a, b] = [first, second].map((r) => jobs.find((j) => j.name === r.outputs.jobName)!.body.properties.codeId);
    assert.strictEqual(a, b);
  });

  it(`hashes and uploads a folder of ${MANY_FILES} files a few at a time, with memory that does not grow with the folder`, async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < MANY_FILES; i++) {
      const content = Buffer.alloc(FILE_BYTES, i % 251);
      content.writeUInt32BE(i, 0); // every file different, as in a real tree
      files[`pkg${String(i % 20).padStart(2, '0')}/module_${i}.py`] = content;
    }
    const storage = fake.storage!;
    const peakRss = async (jobSpec: string) => {
      const rssFile = path.join(path.dirname(jobSpec), 'peak-rss');
      const r = await submit(jobSpec, { NODE_OPTIONS: `--require ${fake.dnsPreloadPath} --require ${peakRssPreload}`, PEAK_RSS_FILE: rssFile });
      assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
      return { r, peak: Number(fs.readFileSync(rssFile, 'utf8')) };
    };

    const baseline = await peakRss(projectWith('one-file', { 'train.py': 'print("training")\n' }));
    storage.clearRequests();
    const { r, peak } = await peakRss(projectWith('many-files', files));
    assert.match(r.visibleLog, new RegExp(`${MANY_FILES} files`));

    const puts = uploads(storage.requests);
    assert.strictEqual(puts.length, MANY_FILES, 'one Put Blob per file');
    assert.ok(puts.every((p) => p.operation === 'Put Blob' && p.status === 201));
    assert.strictEqual(puts.reduce((n, p) => n + p.requestBytes, 0), MANY_FILES * FILE_BYTES);
    const widest = Math.max(...puts.map((p) => p.inFlight));
    assert.ok(widest <= FILE_CONCURRENCY, `${widest} uploads were in flight at once`);

    const growth = peak - baseline.peak;
    assert.ok(baseline.peak > 0 && growth < MANY_FILES * FILE_BYTES,
      `peak RSS ${(peak / MiB).toFixed(1)} MiB, ${(growth / MiB).toFixed(1)} MiB over a one-file run, for ${(MANY_FILES * FILE_BYTES) / MiB} MiB of code`);
  });
});
