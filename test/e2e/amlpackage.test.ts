import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startFakeAzure, type FakeAzure } from '../fake-azure';
import { assertNoSecretsVisible, repoRoot, runTaskAsAgent, STACK_TRACE, summaryOf } from './harness';

const sample = path.join(repoRoot, 'examples', 'package');
const serve = path.join(repoRoot, 'test', 'unit', 'package', 'fixtures', 'serve.py');

/** Every file under `dir`, relative with `/`, sorted, with its bytes. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.set(path.relative(dir, full).split(path.sep).join('/'), fs.readFileSync(full));
    }
  };
  walk(dir);
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe('AmlPackage, run as the agent runs it, against the local Azure and Azurite', function () {
  this.timeout(180_000);
  let fake: FakeAzure;
  let temp: string;
  let summaries: string;
  let modelId: string;

  before(async () => {
    fake = await startFakeAzure();
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'package-e2e-'));
    // The summary file must outlive the run for the test to read it.
    summaries = fs.mkdtempSync(path.join(os.tmpdir(), 'package-e2e-summaries-'));
    // The model is registered the way a pipeline does it: AmlRegisterModel uploads the local folder.
    const r = await runTaskAsAgent({
      fake,
      task: 'AmlRegisterModel',
      scheme: 'secret',
      inputs: { resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName, modelName: 'linear-demo', modelPath: path.join(sample, 'model') },
      cwd: temp,
    });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    modelId = r.outputs.modelId;
  });
  after(async () => {
    await fake?.stop();
    for (const dir of [temp, summaries]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
    runTaskAsAgent({
      fake,
      task: 'AmlPackage',
      scheme: 'secret',
      inputs: {
        resourceGroup: fake.resourceGroup,
        workspaceName: fake.workspaceName,
        model: modelId,
        codeDirectory: path.join(sample, 'score'),
        scoringScript: 'score.py',
        pipRequirements: path.join(sample, 'requirements.txt'),
        ...inputs,
      },
      cwd: temp,
      env: { AGENT_TEMPDIRECTORY: summaries, ...env },
    });

  it('writes a build context whose model files are byte-identical to what was registered, and whose scoring script answers under python3', async () => {
    const out = path.join(temp, 'context');
    const r = await run({ outputDirectory: out, artifactName: 'model-image' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.strictEqual(r.outputs.contextPath, out);
    assert.match(r.stdout, /##vso\[artifact\.upload[^\]]*artifactname=model-image[^\]]*\]/);
    const registered = tree(path.join(sample, 'model'));
    const packaged = tree(path.join(out, 'model'));
    assert.deepStrictEqual([...packaged.keys()], [...registered.keys()]);
    for (const [file, bytes] of registered) assert.ok(packaged.get(file)!.equals(bytes), `${file} differs`);
    assert.ok([...registered.keys()].some((f) => f.includes('/')), 'the sample model has no nested files');
    const dockerfile = fs.readFileSync(path.join(out, 'Dockerfile'), 'utf8');
    const modelDir = /^ENV\s+AZUREML_MODEL_DIR[= ]"?([^"\s]+)"?/m.exec(dockerfile)?.[1];
    assert.ok(modelDir, dockerfile);
    assert.ok(fs.existsSync(path.join(out, 'README.md')));
    // Run the scoring script from the context as the inference server does: AZUREML_MODEL_DIR, init() once, run().
    const py = spawnSync('python3', [serve, path.join(out, 'code', 'score.py'), path.join(sample, 'sample-request.json')], { env: { ...process.env, AZUREML_MODEL_DIR: path.join(out, 'model') }, encoding: 'utf8' });
    assert.strictEqual(py.status, 0, `python3 failed: ${py.stderr}`);
    assert.deepStrictEqual(JSON.parse(py.stdout.trim().split('\n').pop()!), { predictions: [-20, -15.75] });
    const summary = summaryOf(r);
    assert.match(summary, /linear-demo:1/);
    for (const file of registered.keys()) assert.ok(summary.includes(file), `${file} is not in the summary`);
    assertNoSecretsVisible(r, fake, { storageKey: 'whenOn' });
  });

  it('refuses a non-empty folder it did not write, and a missing scoring script, before downloading anything', async () => {
    const busy = path.join(temp, 'busy');
    fs.mkdirSync(busy);
    fs.writeFileSync(path.join(busy, 'keep.txt'), 'mine');
    const r = await run({ outputDirectory: busy });
    assert.strictEqual(r.result, 'Failed', r.visibleLog);
    assert.match(r.errors[0], /outputDirectory.*is not empty/);
    assert.strictEqual(fs.readFileSync(path.join(busy, 'keep.txt'), 'utf8'), 'mine');
    const missing = await run({ outputDirectory: path.join(temp, 'other'), scoringScript: 'nope.py' });
    assert.strictEqual(missing.result, 'Failed');
    assert.match(missing.errors[0], /scoringScript.*'nope\.py' was not found/);
    assert.ok(!fs.existsSync(path.join(temp, 'other')));
    assert.doesNotMatch(missing.visibleLog, STACK_TRACE);
  });

  describe('workspace mode', () => {
    afterEach(() => fake.workspace.scriptPackages(undefined));

    it('asks Azure ML to package the model at the preview api-version, waits, and returns the image it built', async () => {
      const r = await run({ mode: 'workspace', pipRequirements: '', environment: 'azureml:sklearn-env:1' });
      assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
      const requests = fake.workspace.packageRequests();
      assert.strictEqual(requests.length, 1);
      const body = requests[0].body as any;
      assert.strictEqual(requests[0].model, 'linear-demo');
      assert.match(body.targetEnvironmentId, /^azureml:\/\/locations\/[^/]+\/workspaces\/[0-9a-f-]{36}\/environments\/linear-demo-package\/versions\/1$/);
      assert.deepStrictEqual(body.inferencingServer.serverType, 'AzureMLOnline');
      assert.strictEqual(body.inferencingServer.codeConfiguration.scoringScript, 'score.py');
      assert.match(body.baseEnvironmentSource.resourceId, /\/environments\/sklearn-env\/versions\/1$/);
      assert.match(r.outputs.imageName, /^cr[0-9a-f]{16}\.azurecr\.io\/azureml\/azureml_[0-9a-f]{32}:latest$/);
      assert.ok(fake.requests.some((q) => q.method === 'POST' && /\/package$/.test(q.path) && q.apiVersion === '2024-04-01-preview'));
      // A second run finds the package and builds nothing.
      const again = await run({ mode: 'workspace', pipRequirements: '', environment: 'azureml:sklearn-env:1' });
      assert.strictEqual(again.result, 'Succeeded', again.visibleLog);
      assert.strictEqual(fake.workspace.packageRequests().length, 1);
      assert.strictEqual(again.outputs.imageName, r.outputs.imageName);
    });

    it('fails with Azure ML\'s reason when the package build fails, creating no environment', async () => {
      fake.workspace.scriptPackages({ buildState: 'Failed', error: { code: 'BuildFailed', message: 'pip could not install scikit-learn==0.0' } });
      const r = await run({ mode: 'workspace', pipRequirements: '', environment: 'azureml:sklearn-env:1', targetEnvironment: 'broken-package' });
      assert.strictEqual(r.result, 'Failed', r.visibleLog);
      assert.strictEqual(r.errors.length, 1, r.visibleLog);
      assert.match(r.errors[0], /could not package the model 'linear-demo:1' \(while waiting for it to finish\): BuildFailed: pip could not install scikit-learn==0\.0/);
      assert.ok(!fake.workspace.resources('environments').some((e) => e.name === 'broken-package'));
      assert.doesNotMatch(r.visibleLog, STACK_TRACE);
    });
  });

  describe('image mode', () => {
    // A stand-in for the docker CLI: records its arguments and stdin, answers like a working engine.
    let bin: string;
    let record: string;
    before(() => {
      bin = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-docker-'));
      record = path.join(bin, 'calls.jsonl');
      const script = `#!${process.execPath}
const fs = require('fs');
const args = process.argv.slice(2);
let stdin = '';
try { stdin = fs.readFileSync(0, 'utf8'); } catch {}
fs.appendFileSync(${JSON.stringify(record)}, JSON.stringify({ args, stdin }) + '\\n');
if (args[0] === 'version') console.log('28.2.2');
if (args[0] === 'push') console.log(args[1].split(':').pop() + ': digest: sha256:${'c'.repeat(64)} size: 1234');
if (args[0] === 'build') console.log('Successfully built');
`;
      fs.writeFileSync(path.join(bin, 'docker'), script, { mode: 0o755 });
    });
    after(() => fs.rmSync(bin, { recursive: true, force: true }));

    it('builds and pushes with the agent\'s docker: login on stdin, tags, push, digest', async function () {
      if (process.platform === 'win32') this.skip();
      const r = await runTaskAsAgent({
        fake,
        task: 'AmlPackage',
        scheme: 'secret',
        inputs: {
          resourceGroup: fake.resourceGroup,
          workspaceName: fake.workspaceName,
          mode: 'image',
          model: 'azureml:linear-demo:1',
          codeDirectory: path.join(sample, 'score'),
          pipRequirements: path.join(sample, 'requirements.txt'),
          outputDirectory: path.join(temp, 'image-context'),
          dockerRegistryServiceConnection: 'acr_conn',
          imageRepository: 'models/linear-demo',
          imageTags: '1, stable',
        },
        cwd: temp,
        env: {
          PATH: `${bin}${path.delimiter}${process.env.PATH}`,
          ENDPOINT_URL_acr_conn: 'https://contoso.azurecr.io',
          ENDPOINT_AUTH_acr_conn: JSON.stringify({ scheme: 'UsernamePassword', parameters: { registry: 'https://contoso.azurecr.io', username: 'pusher', password: 'registry-secret-456' } }),
          ENDPOINT_AUTH_SCHEME_acr_conn: 'UsernamePassword',
          ENDPOINT_AUTH_PARAMETER_acr_conn_REGISTRY: 'https://contoso.azurecr.io',
          ENDPOINT_AUTH_PARAMETER_acr_conn_USERNAME: 'pusher',
          ENDPOINT_AUTH_PARAMETER_acr_conn_PASSWORD: 'registry-secret-456',
        },
      });
      assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
      const calls = fs.readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { args: string[]; stdin: string });
      assert.deepStrictEqual(calls.map((c) => c.args[0]), ['version', 'login', 'build', 'push', 'push', 'logout']);
      assert.deepStrictEqual(calls[1].args, ['login', 'contoso.azurecr.io', '--username', 'pusher', '--password-stdin']);
      assert.strictEqual(calls[1].stdin, 'registry-secret-456');
      const build = calls[2].args;
      assert.deepStrictEqual(build.slice(0, 5), ['build', '--tag', 'contoso.azurecr.io/models/linear-demo:1', '--tag', 'contoso.azurecr.io/models/linear-demo:stable']);
      assert.ok(build.includes('com.microsoft.azureml.model=linear-demo:1'), build.join(' '));
      assert.strictEqual(build[build.length - 1], path.join(temp, 'image-context'));
      assert.strictEqual(r.outputs.imageName, 'contoso.azurecr.io/models/linear-demo:1');
      assert.strictEqual(r.outputs.imageDigest, `contoso.azurecr.io/models/linear-demo@sha256:${'c'.repeat(64)}`);
      assert.ok(r.maskedSecrets.includes('registry-secret-456'));
      assert.ok(!r.visibleLog.includes('registry-secret-456'), r.visibleLog.split('\n').filter((l) => l.includes('registry-secret-456')).join('\n'));
    });

    it('fails with one clear message when the agent has no Docker', async () => {
      const noDocker = fs.mkdtempSync(path.join(os.tmpdir(), 'no-docker-'));
      try {
        const r = await run({ mode: 'image', push: 'false', outputDirectory: path.join(temp, 'no-docker-context') }, { PATH: noDocker });
        assert.strictEqual(r.result, 'Failed', r.visibleLog);
        assert.strictEqual(r.errors.length, 1, r.visibleLog);
        assert.match(r.errors[0], /Docker is not installed on this agent/);
        assert.doesNotMatch(r.visibleLog, STACK_TRACE);
      } finally {
        fs.rmSync(noDocker, { recursive: true, force: true });
      }
    });
  });
});
