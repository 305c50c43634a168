import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
const taskJson = path.join(repoRoot, 'tasks', 'DataValidate', 'task.json');

describe('DataValidate entry point (L0, mock runner)', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dv-l0-'));
    fs.writeFileSync(path.join(dir, 'data.csv'), 'id,score\n1,0.5\n2,0.7\n3,0.9\n');
    fs.writeFileSync(path.join(dir, 'schema.yml'), 'version: 1\ncolumns:\n  - name: id\n    type: integer\n    unique: true\n  - name: score\n    type: number\n    min: 0\n    max: 1\n');
    fs.writeFileSync(path.join(dir, 'strict.yml'), 'version: 1\ncolumns:\n  - name: id\n    type: integer\n  - name: score\n    type: number\n    max: 0.6\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function run(inputs: Record<string, string>): Promise<MockTestRunner> {
    process.env.L0_SCENARIO = JSON.stringify({ reportDirectory: path.join(dir, 'reports'), ...inputs });
    process.env.AGENT_TEMPDIRECTORY = dir;
    try {
      const tr = new MockTestRunner(path.join(__dirname, 'scenario.js'), taskJson);
      tr.nodePath = process.execPath; // never download a Node
      await tr.runAsync();
      assert.ok(tr.stdout.includes('##vso[task.complete'), `the task did not run:\n${tr.stdout}\n${tr.stderr}`);
      return tr;
    } finally {
      delete process.env.L0_SCENARIO;
    }
  }

  it('passes valid data and sets its outputs', async () => {
    const tr = await run({ dataPath: path.join(dir, 'data.csv'), schema: path.join(dir, 'schema.yml') });
    assert.ok(tr.succeeded, tr.stdout);
    assert.ok(tr.stdout.includes('##vso[task.setvariable variable=validationPassed;isOutput=true;issecret=false;]true'));
    assert.ok(tr.stdout.includes('##vso[task.setvariable variable=driftDetected;isOutput=true;issecret=false;]false'));
    assert.ok(tr.stdout.includes('##vso[results.publish '), 'the checks were not published as test results');
  });

  it('fails, with one error naming the failed check, when a check fails', async () => {
    const tr = await run({ dataPath: path.join(dir, 'data.csv'), schema: path.join(dir, 'strict.yml') });
    assert.ok(tr.failed);
    assert.strictEqual(tr.errorIssues.length, 1, tr.stdout);
    assert.match(tr.errorIssues[0], /column\.score\.max/);
  });

  it('reports failures without failing the step when failOn is never', async () => {
    const tr = await run({ dataPath: path.join(dir, 'data.csv'), schema: path.join(dir, 'strict.yml'), failOn: 'never' });
    assert.ok(tr.succeeded, tr.stdout);
  });

  it('takes threads as auto or a whole number, and no more than the agent has cores', async () => {
    const bad = await run({ dataPath: path.join(dir, 'data.csv'), schema: path.join(dir, 'schema.yml'), threads: 'many' });
    assert.ok(bad.failed);
    assert.deepStrictEqual(bad.errorIssues, ["Input 'threads' must be auto or a whole number of threads from 1 to 64, not 'many'."]);
    const cores = os.availableParallelism();
    const many = await run({ dataPath: path.join(dir, 'data.csv'), schema: path.join(dir, 'schema.yml'), threads: '64' });
    assert.ok(many.succeeded, many.stdout);
    if (cores < 64) assert.ok(many.stdout.includes(`Input 'threads' asks for 64 threads; the agent has ${cores} cores, so ${cores} check the data.`), many.stdout);
  });

  it('asks for the data when neither dataPath nor dataAsset is set', async () => {
    const tr = await run({ schema: path.join(dir, 'schema.yml') });
    assert.ok(tr.failed);
    assert.match(tr.errorIssues[0], /Input 'dataPath' is required/);
  });

  it('asks for schemaOutput in infer mode', async () => {
    const tr = await run({ mode: 'infer', dataPath: path.join(dir, 'data.csv') });
    assert.ok(tr.failed);
    assert.match(tr.errorIssues[0], /Input 'schemaOutput' is required/);
  });

  it('rejects a driftThresholds name that is no column of the schema, before reading the data', async () => {
    const tr = await run({ dataPath: path.join(dir, 'data.csv'), schema: path.join(dir, 'schema.yml'), driftThresholds: 'numerical=0.2, scroe=0.3' });
    assert.ok(tr.failed);
    assert.match(tr.errorIssues[0], /Input 'driftThresholds': 'scroe' is neither numerical, categorical nor a column of .*schema\.yml\. Did you mean 'score'\?/);
    assert.ok(!tr.stdout.includes('Read '), 'the data was read');
  });

  it('rejects a driftThresholds value that is not name=number', async () => {
    const tr = await run({ dataPath: path.join(dir, 'data.csv'), schema: path.join(dir, 'schema.yml'), driftThresholds: 'numerical=high' });
    assert.ok(tr.failed);
    assert.match(tr.errorIssues[0], /driftThresholds/);
  });
});
