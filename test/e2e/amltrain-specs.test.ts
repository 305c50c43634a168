import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startFakeAzure, type FakeAzure } from '../fake-azure';
import { runTaskAsAgent, STACK_TRACE, type AuthScheme, type RunOptions } from './harness';

// Compiled tests run from build/; the examples stay in the source tree.
const examples = [path.resolve(__dirname, '..', '..', 'examples', 'train'), path.resolve(__dirname, '..', '..', '..', 'examples', 'train')].find((dir) => fs.existsSync(path.join(dir, 'pipeline.yml')))!;

describe('AmlTrain with pipeline and sweep jobs, run as the agent runs it, against the local Azure', function () {
  this.timeout(180_000);
  let fake: FakeAzure;
  let workspaceId: string;

  before(async () => {
    fake = await startFakeAzure();
    workspaceId = `/subscriptions/${fake.subscriptionId}/resourceGroups/${fake.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${fake.workspaceName}`;
    // The example's registered component, as `az ml component create -f components/evaluate.yml` would have left it.
    fake.workspace.seedVersion('components', 'evaluate_diabetes_model', '1', {
      componentSpec: {
        name: 'evaluate_diabetes_model',
        version: '1',
        type: 'command',
        inputs: { model: { type: 'mlflow_model' }, test_data: { type: 'uri_folder' } },
        outputs: { report: { type: 'uri_folder' } },
        command: 'python evaluate.py --model ${{inputs.model}} --data ${{inputs.test_data}}/test.csv --report ${{outputs.report}}',
        environment: `azureml:${workspaceId}/environments/sklearn-env/versions/2`,
      },
    });
  });
  after(async () => {
    await fake?.stop();
  });

  const run = (scheme: AuthScheme, inputs: Record<string, string>, extra: Partial<RunOptions> = {}) =>
    runTaskAsAgent({ fake, task: 'AmlTrain', scheme, inputs: { resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName, ...inputs }, cwd: examples, ...extra });

  /** Runs the task keeping the agent temp folder, and returns the run with its uploaded summary. */
  async function runWithSummary(scheme: AuthScheme, inputs: Record<string, string>) {
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'specs-e2e-'));
    try {
      const r = await run(scheme, inputs, { env: { AGENT_TEMPDIRECTORY: temp } });
      const m = /##vso\[task\.uploadsummary\](.+)/.exec(r.stdout);
      assert.ok(m, `no run summary was uploaded:\n${r.visibleLog}`);
      return { r, summary: fs.readFileSync(m[1].trim(), 'utf8') };
    } finally {
      fs.rmSync(temp, { recursive: true, force: true });
    }
  }

  it('submits the example pipeline: an inline step and a local component become components, the registered one is used as it is', async () => {
    const before = fake.workspace.resources('components').length;
    const stepLines = (step: string, n: number) => Array.from({ length: n }, (_, i) => `${step}: line ${i + 1} of ${n}`);
    const steps = { split: stepLines('split', 4), train: stepLines('train', 11), evaluate: stepLines('evaluate', 6) };
    fake.workspace.scriptJobs({
      statuses: ['Queued', 'Running', 'Completed'],
      steps: {
        split: { statuses: ['Queued', 'Running', 'Completed'], logLines: steps.split },
        train: { statuses: ['Queued', 'Running', 'Running', 'Running', 'Completed'], logLines: steps.train, metrics: { r2: 0.47 } },
        evaluate: { statuses: ['Running', 'Completed'], logLines: steps.evaluate, metrics: { r2_test: 0.44 } },
      },
    });
    const { r, summary } = await runWithSummary('federated', { jobSpec: path.join(examples, 'pipeline.yml'), inputs: 'alpha=0.1' }).finally(() => fake.workspace.scriptJobs(undefined));
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    // Every step's log streamed exactly once, in order, prefixed with the step; the steps one after another; the summary last.
    const logLines = r.visibleLog.split(/\r?\n/);
    for (const [step, lines] of Object.entries(steps)) {
      assert.deepStrictEqual(logLines.filter((l) => l.startsWith(`[${step}] ${step}: line`)), lines.map((l) => `[${step}] ${l}`), `the log of step ${step}`);
    }
    const firstOf = (step: string) => r.visibleLog.indexOf(`[${step}] ${step}: line 1 of`);
    assert.ok(firstOf('split') < firstOf('train') && firstOf('train') < firstOf('evaluate'), 'steps run one after another');
    assert.ok(r.visibleLog.indexOf('##vso[task.uploadsummary]') > r.visibleLog.lastIndexOf('[evaluate] evaluate: line'), 'the summary comes after the logs');
    assert.match(summary, /\| Step \| Status \|/);
    for (const step of Object.keys(steps)) assert.match(summary, new RegExp(`\\| ${step} \\| Completed \\|`));
    assert.deepStrictEqual(JSON.parse(r.outputs.metrics), { 'train.r2': 0.47, 'evaluate.r2_test': 0.44 });
    assert.strictEqual(r.outputs.jobStatus, 'Completed');
    const job = fake.workspace.jobs().find((j) => j.name === r.outputs.jobName)!;
    const props = job.body.properties;
    assert.strictEqual(props.jobType, 'Pipeline');
    assert.deepStrictEqual(Object.keys(props.jobs), ['split', 'train', 'evaluate']);
    assert.strictEqual(props.jobs.evaluate.componentId, `${workspaceId}/components/evaluate_diabetes_model/versions/1`);
    assert.strictEqual(props.settings.default_compute, `${workspaceId}/computes/cpu-cluster`);
    assert.deepStrictEqual(props.inputs.alpha, { jobInputType: 'literal', value: '0.1' });
    const created = fake.workspace.resources('components').filter((c) => c.name === 'azureml_anonymous');
    assert.strictEqual(fake.workspace.resources('components').length, before + 2);
    for (const step of ['split', 'train']) {
      assert.ok(created.some((c) => props.jobs[step].componentId === c.id), `the component of ${step} was not created`);
    }
    // The inline step and the local component use the same code folder: one code version.
    const codes = new Set(created.map((c) => c.properties.componentSpec.code));
    assert.strictEqual(codes.size, 1);
  });

  it('submits the example sweep job', async () => {
    fake.workspace.scriptJobs({ trials: [{ metrics: { r2: [0.31, 0.38] } }, { metrics: { r2: [0.4, 0.46] } }, { metrics: { r2: [0.2, 0.29] } }] });
    const { r, summary } = await runWithSummary('secret', { jobSpec: path.join(examples, 'sweep.yml'), compute: 'gpu-cluster' }).finally(() => fake.workspace.scriptJobs(undefined));
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    const best = `${r.outputs.jobName}_1`.replace(/_/g, '\\_');
    assert.ok(summary.includes(`| Best trial | ${best} (r2 = 0.46, maximize) |`), summary);
    const job = fake.workspace.jobs().find((j) => j.name === r.outputs.jobName)!;
    const props = job.body.properties;
    assert.strictEqual(props.jobType, 'Sweep');
    assert.strictEqual(props.computeId, `${workspaceId}/computes/gpu-cluster`);
    assert.deepStrictEqual(props.searchSpace, { alpha: ['loguniform', [-7, 0]] });
    assert.deepStrictEqual(props.limits, { jobLimitsType: 'Sweep', maxTotalTrials: 12, maxConcurrentTrials: 3, timeout: 'PT2H', trialTimeout: 'PT15M' });
    assert.match(props.trial.codeId, /\/codes\/[^/]+\/versions\/1$/);
  });

  describe('bad input', () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-pipelines-'));
      fs.cpSync(examples, dir, { recursive: true });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const pipeline = () => fs.readFileSync(path.join(examples, 'pipeline.yml'), 'utf8');
    const write = (name: string, text: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return file;
    };

    const cases: Array<{ name: string; expect: RegExp; inputs: () => Record<string, string> }> = [
      {
        name: 'a step binds to a step output that does not exist',
        expect: /binding\.yml:\d+: jobs\.evaluate\.inputs\.test_data: \$\{\{parent\.jobs\.split\.outputs\.tset\}\}: step 'split' has no output 'tset'\. Did you mean \$\{\{parent\.jobs\.split\.outputs\.test\}\}\?/,
        inputs: () => ({ jobSpec: write('binding.yml', pipeline().replace('parent.jobs.split.outputs.test}}', 'parent.jobs.split.outputs.tset}}')) }),
      },
      {
        name: 'the registered component does not exist',
        expect: /component 'evaluate_model' .*does not exist/,
        inputs: () => ({ jobSpec: write('registered.yml', pipeline().replace('azureml:evaluate_diabetes_model@latest', 'azureml:evaluate_model@latest')) }),
      },
      {
        name: 'an input override names an input the pipeline does not have',
        expect: /Input 'inputs': the job has no input 'alhpa'\. Did you mean alpha\?/,
        inputs: () => ({ jobSpec: path.join(dir, 'pipeline.yml'), inputs: 'alhpa=0.2' }),
      },
      {
        name: 'the trial command of a sweep uses a search-space entry that does not exist',
        expect: /sweep\.yml:\d+: the trial\.command uses \$\{\{search_space\.alhpa\}\}/,
        inputs: () => ({ jobSpec: write('sweep.yml', fs.readFileSync(path.join(examples, 'sweep.yml'), 'utf8').replace('search_space.alpha', 'search_space.alhpa')) }),
      },
    ];

    for (const c of cases) {
      it(`fails with one clear error and creates nothing when ${c.name}`, async () => {
        const createdBefore = fake.workspace.createdCount();
        const r = await run('secret', c.inputs());
        assert.strictEqual(r.result, 'Failed', r.visibleLog);
        assert.strictEqual(r.errors.length, 1, `expected one error, got: ${JSON.stringify(r.errors)}`);
        assert.match(r.errors[0], c.expect);
        assert.doesNotMatch(r.visibleLog, STACK_TRACE);
        assert.strictEqual(fake.workspace.createdCount(), createdBefore, 'something was created in the workspace');
      });
    }
  });
});
