import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startFakeAzure, type FakeAzure } from '../fake-azure';
import { assertNoSecretsVisible, runTaskAsAgent, STACK_TRACE, type AuthScheme, type RunOptions } from './harness';

const project = path.join(__dirname, 'fixtures', 'project');
// Compiled tests run from build/; the fixtures stay in the source tree.
const fixtures = fs.existsSync(project) ? project : path.resolve(__dirname, '..', '..', '..', 'test', 'e2e', 'fixtures', 'project');
const jobSpec = path.join(fixtures, 'job.yml');

describe('AmlTrain, run as the agent runs it, against the local Azure', function () {
  this.timeout(120_000);
  let fake: FakeAzure;

  before(async () => {
    fake = await startFakeAzure();
  });
  after(async () => {
    await fake?.stop();
  });
  afterEach(() => {
    fake.setFaults(undefined);
    fake.workspace.scriptJobs(undefined);
  });

  const run = (scheme: AuthScheme | undefined, inputs: Record<string, string>, extra: Partial<RunOptions> = {}) =>
    runTaskAsAgent({ fake, task: 'AmlTrain', scheme, inputs: { resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName, ...inputs }, cwd: fixtures, ...extra });

  for (const scheme of ['secret', 'certificate', 'federated', 'managed'] as const) {
    it(`submits the job and finishes green with a ${scheme} service connection`, async () => {
      const before = fake.workspace.jobs().length;
      const r = await run(scheme, { jobSpec });
      assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
      assert.strictEqual(r.outputs.jobStatus, 'Completed');
      assert.match(r.outputs.jobName, /^job_[a-z0-9]{12}$/);
      assert.match(r.outputs.studioUrl, /^https:\/\/ml\.azure\.com\/runs\//);
      const jobs = fake.workspace.jobs();
      assert.strictEqual(jobs.length, before + 1);
      const job = jobs.find((j) => j.name === r.outputs.jobName)!;
      assert.strictEqual(job.body.properties.tags['azure-devops.buildId'], '4242');
      assert.strictEqual(job.body.properties.tags.team, 'diabetes');
      assert.strictEqual(job.body.properties.inputs.training_data.uri.endsWith('/data/diabetes-data/versions/1'), true);
      assert.strictEqual(job.body.properties.inputs.training_data.mode, 'ReadOnlyMount');
      assertNoSecretsVisible(r, fake);
      if (scheme === 'secret') assert.ok(r.maskedSecrets.includes(fake.identities.secret.clientSecret), 'the client secret was not masked');
      if (scheme === 'federated') assert.ok(r.maskedSecrets.includes(fake.identities.federated.systemAccessToken), 'the system access token was not masked');
      if (scheme === 'federated') assert.ok(r.maskedSecrets.some((s) => s.startsWith('eyJ')), 'the OIDC token was not masked');
    });
  }

  it('submits the example job from the repository', async () => {
    const example = path.resolve(fixtures, '..', '..', '..', '..', 'examples', 'train', 'job.yml');
    const r = await run('federated', { jobSpec: example });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    const job = fake.workspace.jobs().find((j) => j.name === r.outputs.jobName)!;
    assert.strictEqual(job.body.properties.outputs.model.jobOutputType, 'mlflow_model');
    assert.strictEqual(job.body.properties.limits.timeout, 'PT1H');
  });

  it('uploads the code once and reuses it when it has not changed', async () => {
    const first = await run('secret', { jobSpec });
    const second = await run('secret', { jobSpec });
    assert.strictEqual(first.result, 'Succeeded', first.visibleLog);
    assert.strictEqual(second.result, 'Succeeded', second.visibleLog);
    assert.match(second.visibleLog, /unchanged since an earlier upload/);
    const jobs = fake.workspace.jobs();
    const [a, b] = [first, second].map((r) => jobs.find((j) => j.name === r.outputs.jobName)!.body.properties.codeId);
    assert.strictEqual(a, b);
    assert.ok(!second.visibleLog.includes('.pyc'), 'ignored files should not be listed');
  });

  it('fails with the job error when the job fails in Azure', async () => {
    fake.workspace.scriptJobs({ statuses: ['Queued', 'Running', 'Failed'], error: { code: 'UserError', message: 'ModuleNotFoundError: No module named sklearn' } });
    const r = await run('secret', { jobSpec });
    assert.strictEqual(r.result, 'Failed');
    assert.strictEqual(r.outputs.jobStatus, 'Failed');
    assert.strictEqual(r.errors.length, 1, r.visibleLog);
    assert.match(r.errors[0], /ended with status Failed: UserError: ModuleNotFoundError: No module named sklearn/);
    assert.match(r.errors[0], /https:\/\/ml\.azure\.com\/runs\//);
    assert.doesNotMatch(r.visibleLog, STACK_TRACE);
  });

  it('fails when the job is canceled in Azure', async () => {
    fake.workspace.scriptJobs({ statuses: ['Running', 'Canceled'] });
    const r = await run('secret', { jobSpec });
    assert.strictEqual(r.result, 'Failed');
    assert.match(r.errors[0], /ended with status Canceled/);
  });

  it('returns right after submitting when waitForCompletion is false', async () => {
    const r = await run('secret', { jobSpec, waitForCompletion: 'false' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.strictEqual(r.outputs.jobStatus, 'NotStarted');
  });

  it('registers an inline environment once and submits with it', async () => {
    const r = await run('secret', { jobSpec: path.join(fixtures, 'inline-env.yml') });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    const envs = fake.workspace.resources('environments').filter((e) => e.name === 'CliV2AnonymousEnvironment');
    assert.strictEqual(envs.length, 1);
    assert.match(envs[0].properties.condaFile, /scikit-learn==1\.5\.2/);
  });

  it('still succeeds, with exactly one job, when 20% of requests fail transiently', async () => {
    const before = fake.workspace.jobs().length;
    fake.setFaults({ rate: 0.2, kinds: ['429', '500', '503', 'reset'], seed: 7 });
    const r = await run('secret', { jobSpec });
    const injected = fake.faultsInjected;
    fake.setFaults(undefined);
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.ok(injected >= 2, `only ${injected} faults were injected`);
    assert.strictEqual(fake.workspace.jobs().length, before + 1);
  });

  describe('bad input', () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-jobs-'));
      fs.cpSync(path.join(fixtures, 'src'), path.join(dir, 'src'), { recursive: true });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const write = (name: string, text: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return file;
    };
    const good = fs.readFileSync(jobSpec, 'utf8');

    const cases: Array<{ name: string; expect: RegExp; setup: () => { scheme?: AuthScheme; inputs: Record<string, string>; extra?: Partial<RunOptions> } }> = [
      { name: 'jobSpec is empty', expect: /Input 'jobSpec' is required/, setup: () => ({ scheme: 'secret', inputs: { jobSpec: '' } }) },
      { name: 'the job YAML does not exist', expect: /jobSpec'.*does not exist/, setup: () => ({ scheme: 'secret', inputs: { jobSpec: path.join(dir, 'nope.yml') } }) },
      { name: 'the job YAML is not YAML', expect: /not-yaml\.yml:\d+: .*not valid YAML/, setup: () => ({ scheme: 'secret', inputs: { jobSpec: write('not-yaml.yml', 'command: [python train.py\ncode: ./src\n  bad: : indent\n') } }) },
      { name: 'the job type is not supported', expect: /automl/, setup: () => ({ scheme: 'secret', inputs: { jobSpec: write('automl.yml', 'type: automl\ntask: classification\n') } }) },
      { name: 'a field is misspelled', expect: /comand/, setup: () => ({ scheme: 'secret', inputs: { jobSpec: write('typo.yml', good.replace('command:', 'comand:')) } }) },
      { name: 'the command uses an input that is not declared', expect: /epochs/, setup: () => ({ scheme: 'secret', inputs: { jobSpec: write('undeclared.yml', good.replace('--alpha ${{inputs.alpha}}', '--alpha ${{inputs.alpha}} --epochs ${{inputs.epochs}}')) } }) },
      { name: 'the compute does not exist', expect: /compute 'gpu-monster'.*does not exist/, setup: () => ({ scheme: 'secret', inputs: { jobSpec: write('compute.yml', good.replace('azureml:cpu-cluster', 'azureml:gpu-monster')) } }) },
      { name: 'the environment does not exist', expect: /environment 'tensorflow-env'.*does not exist/, setup: () => ({ scheme: 'secret', inputs: { jobSpec: write('env.yml', good.replace('azureml:sklearn-env@latest', 'azureml:tensorflow-env@latest')) } }) },
      { name: 'the environment version does not exist', expect: /sklearn-env:99'.*does not exist/, setup: () => ({ scheme: 'secret', inputs: { jobSpec: write('envver.yml', good.replace('azureml:sklearn-env@latest', 'azureml:sklearn-env:99')) } }) },
      { name: 'the data asset does not exist', expect: /data asset 'churn-data:1'.*does not exist/, setup: () => ({ scheme: 'secret', inputs: { jobSpec: write('data.yml', good.replace('azureml:diabetes-data:1', 'azureml:churn-data:1')) } }) },
      { name: 'the datastore does not exist', expect: /datastore 'lakestore'.*does not exist/, setup: () => ({ scheme: 'secret', inputs: { jobSpec: write('ds.yml', good.replace('azureml:diabetes-data:1', 'azureml://datastores/lakestore/paths/data/diabetes.csv')) } }) },
      { name: 'the code folder does not exist', expect: /train-code/, setup: () => ({ scheme: 'secret', inputs: { jobSpec: write('code.yml', good.replace('code: ./src', 'code: ./train-code')) } }) },
      { name: 'the service connection uses an unsupported scheme', expect: /authentication scheme 'UsernamePassword'/, setup: () => ({ scheme: 'secret', inputs: { jobSpec }, extra: { rawScheme: 'UsernamePassword' } }) },
      { name: 'the client secret is wrong', expect: /Could not sign in.*AADSTS7000215/, setup: () => ({ scheme: 'secret', inputs: { jobSpec }, extra: { clientSecret: 'not-the-secret-0123456789' } }) },
      { name: 'the service principal has no role on the workspace', expect: /not allowed to.*AzureML Data Scientist/, setup: () => ({ scheme: 'noAccess', inputs: { jobSpec } }) },
      { name: 'the workspace does not exist', expect: /workspace 'mlw-missing' was not found/, setup: () => ({ scheme: 'secret', inputs: { jobSpec, workspaceName: 'mlw-missing' } }) },
      { name: 'resourceGroup is missing', expect: /Input 'resourceGroup' is required/, setup: () => ({ scheme: 'secret', inputs: { jobSpec, resourceGroup: '' } }) },
      { name: 'timeoutMinutes is not a number', expect: /Input 'timeoutMinutes' must be a whole number/, setup: () => ({ scheme: 'secret', inputs: { jobSpec, timeoutMinutes: 'ten' } }) },
      { name: 'workload identity federation has no System.AccessToken', expect: /System\.AccessToken/, setup: () => ({ scheme: 'federated', inputs: { jobSpec }, extra: { withoutSystemToken: true } }) },
      { name: 'no service connection and no workspace config', expect: /Input 'azureSubscription' is required/, setup: () => ({ inputs: { jobSpec, resourceGroup: '', workspaceName: '' }, extra: { cwd: dir } }) },
    ];

    for (const c of cases) {
      it(`fails with one clear error and creates nothing when ${c.name}`, async () => {
        const { scheme, inputs, extra } = c.setup();
        const createdBefore = fake.workspace.createdCount();
        const r = await run(scheme, inputs, extra);
        assert.strictEqual(r.result, 'Failed', r.visibleLog);
        assert.strictEqual(r.errors.length, 1, `expected one error, got: ${JSON.stringify(r.errors)}`);
        assert.match(r.errors[0], c.expect);
        assert.doesNotMatch(r.visibleLog, STACK_TRACE);
        assert.strictEqual(fake.workspace.createdCount(), createdBefore, 'something was created in the workspace');
        assertNoSecretsVisible(r, fake);
      });
    }
  });
});
