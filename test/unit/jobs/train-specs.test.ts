import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TokenCredential } from '@azure/core-auth';
import { UserError } from '../../../src/errors';
import { submitJob, type TrainOptions } from '../../../src/jobs/train';
import type { WorkspaceClient } from '../../../src/workspace/client';

const WS_ID = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';

/** A workspace holding computes, environments, data, a registered component and code; it records every call. */
function fakeWorkspace() {
  const calls: Array<{ method: string; path: string; headers?: Record<string, string>; body?: any }> = [];
  const registered = {
    properties: { componentSpec: { type: 'command', inputs: { model: { type: 'uri_folder' }, threshold: { type: 'number', default: 0.5 } }, outputs: { report: { type: 'uri_folder' } } } },
  };
  const client = {
    workspace: { subscriptionId: 's', resourceGroup: 'rg', workspaceName: 'ws' },
    workspaceId: WS_ID,
    armId: (c: string, n: string, v?: string) => `${WS_ID}/${c}/${n}${v ? `/versions/${v}` : ''}`,
    async workspaceDetails() {
      return { id: WS_ID, location: 'eastus' };
    },
    async get(p: string, options: { query?: Record<string, string> } = {}) {
      calls.push({ method: 'GET', path: p });
      if (/^computes\/(cpu-cluster|gpu-cluster)$/.test(p)) return { id: `${WS_ID}/${p}` };
      if (/^environments\/env\/versions\/\d$/.test(p) || p === 'data/raw/versions/1') return { id: `${WS_ID}/${p}` };
      if (p === 'components/evaluate') return { properties: { latestVersion: '4' } };
      if (p === 'components/evaluate/versions/4') return { id: `${WS_ID}/${p}`, ...registered };
      if (/^codes\/[^/]+\/versions$/.test(p) && options.query?.hash) return { value: [{ id: `${WS_ID}/codes/existing-${options.query.hash.slice(0, 8)}/versions/1` }] };
      return undefined;
    },
    async put(p: string, body: any, options: { headers?: Record<string, string> } = {}) {
      calls.push({ method: 'PUT', path: p, headers: options.headers, body });
      return { id: `${WS_ID}/${p}`, name: p.split('/')[1], properties: { ...body.properties, status: 'NotStarted' } };
    },
  };
  return { client: client as unknown as WorkspaceClient, calls };
}

const credential: TokenCredential = {
  async getToken(scopes) {
    return { token: `token-for-${[scopes].flat().join(',')}`, expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};

const STEP = `type: command
inputs:
  data: {type: uri_folder}
outputs:
  model: {type: uri_folder}
code: ./src
environment: azureml:env:1
command: python train.py --data \${{inputs.data}} --model \${{outputs.model}}
`;

const PIPELINE = `type: pipeline
inputs:
  raw: {type: uri_folder, path: azureml:raw:1}
settings:
  default_compute: azureml:cpu-cluster
jobs:
  prep:
    command: python prep.py --in \${{inputs.raw}} --out \${{outputs.clean}}
    code: ./src
    environment: azureml:env:1
    inputs:
      raw: \${{parent.inputs.raw}}
    outputs:
      clean:
  train:
    component: ./train.yml
    inputs:
      data: \${{parent.jobs.prep.outputs.clean}}
  evaluate:
    component: azureml:evaluate@latest
    compute: azureml:gpu-cluster
    inputs:
      model: \${{parent.jobs.train.outputs.model}}
`;

describe('submitJob with pipeline and sweep jobs', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'train-specs-'));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'src', 'train.py'), 'print(1)\n');
    fs.writeFileSync(path.join(dir, 'train.yml'), STEP);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function options(client: WorkspaceClient, yaml: string, extra: Partial<TrainOptions> = {}): TrainOptions {
    fs.writeFileSync(path.join(dir, 'job.yml'), yaml);
    return {
      jobSpecFile: path.join(dir, 'job.yml'),
      waitForCompletion: false,
      timeoutMinutes: 0,
      cancelJobOnAbort: true,
      build: { buildId: '7' },
      client,
      credential,
      log: { info: () => {}, warning: () => {}, debug: () => {} },
      onSecret: () => {},
      newJobName: () => 'job_fixed',
      ...extra,
    };
  }

  it('registers the inline and local steps as components before the job, which carries the Azure ML token', async () => {
    const { client, calls } = fakeWorkspace();
    await submitJob(options(client, PIPELINE));
    const puts = calls.filter((c) => c.method === 'PUT');
    assert.deepStrictEqual(puts.map((c) => c.path.replace(/versions\/[0-9a-f]{32}$/, 'versions/<hash>')), [
      'components/azureml_anonymous/versions/<hash>',
      'components/azureml_anonymous/versions/<hash>',
      'jobs/job_fixed',
    ]);
    const job = puts[2];
    assert.deepStrictEqual(job.headers, { 'x-azureml-token': 'token-for-https://ml.azure.com/.default' });
    assert.strictEqual(job.body.properties.jobs.evaluate.componentId, `${WS_ID}/components/evaluate/versions/4`);
    assert.strictEqual(job.body.properties.jobs.evaluate.computeId, `${WS_ID}/computes/gpu-cluster`);
    assert.strictEqual(job.body.properties.jobs.prep.componentId, `${WS_ID}/${puts[0].path}`);
    // Both steps use the same code folder: its snapshot is looked up once.
    assert.strictEqual(calls.filter((c) => c.method === 'GET' && c.path.startsWith('codes/')).length, 1);
  });

  it('creates nothing when a registered component does not take an input the step gives', async () => {
    const { client, calls } = fakeWorkspace();
    const yaml = PIPELINE.replace('      model: ${{parent.jobs.train.outputs.model}}', '      modle: ${{parent.jobs.train.outputs.model}}');
    await assert.rejects(submitJob(options(client, yaml)), (e: UserError) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /job\.yml:23: jobs\.evaluate\.inputs\.modle: the component 'evaluate:4' has no input 'modle'\. Did you mean model\?/);
      return true;
    });
    assert.deepStrictEqual(calls.filter((c) => c.method === 'PUT'), []);
  });

  it('creates nothing when a step binds to an output a registered component does not have', async () => {
    const { client, calls } = fakeWorkspace();
    const yaml = `${PIPELINE}  publish:\n    command: cp -r \${{inputs.report}} out\n    environment: azureml:env:1\n    inputs:\n      report: \${{parent.jobs.evaluate.outputs.reprot}}\n`;
    await assert.rejects(
      submitJob(options(client, yaml)),
      /job\.yml:28: jobs\.publish\.inputs\.report: \$\{\{parent\.jobs\.evaluate\.outputs\.reprot\}\}: the component of step 'evaluate' has no output 'reprot'\. Did you mean \$\{\{parent\.jobs\.evaluate\.outputs\.report\}\}\?/,
    );
    assert.deepStrictEqual(calls.filter((c) => c.method === 'PUT'), []);
  });

  it('creates nothing when a binding is wrong: one error with the file and line, before any request', async () => {
    const { client, calls } = fakeWorkspace();
    const yaml = PIPELINE.replace('${{parent.inputs.raw}}', '${{parent.inputs.row}}');
    await assert.rejects(submitJob(options(client, yaml)), /job\.yml:12: jobs\.prep\.inputs\.raw: \$\{\{parent\.inputs\.row\}\}: the pipeline has no input 'row'/);
    assert.deepStrictEqual(calls, []);
  });

  it('names the component file and its line when the environment it names does not exist', async () => {
    const { client, calls } = fakeWorkspace();
    fs.writeFileSync(path.join(dir, 'train.yml'), STEP.replace('azureml:env:1', 'azureml:missing-env:3'));
    await assert.rejects(submitJob(options(client, PIPELINE)), (e: UserError) => {
      assert.ok(e instanceof UserError);
      assert.strictEqual(e.file, path.join(dir, 'train.yml'));
      assert.strictEqual(e.line, 7);
      assert.match(e.message, /environment 'missing-env:3' named in .*train\.yml does not exist/);
      return true;
    });
    assert.deepStrictEqual(calls.filter((c) => c.method === 'PUT'), []);
  });

  it('creates nothing when a step names a compute that does not exist', async () => {
    const { client, calls } = fakeWorkspace();
    await assert.rejects(submitJob(options(client, PIPELINE.replace('azureml:gpu-cluster', 'azureml:gpu-clustr'))), /The compute 'gpu-clustr'.*jobs\.evaluate\.compute/);
    assert.deepStrictEqual(calls.filter((c) => c.method === 'PUT'), []);
  });

  it('sends a sweep job without the Azure ML token header', async () => {
    const { client, calls } = fakeWorkspace();
    const yaml = 'type: sweep\ntrial:\n  command: python t.py --lr ${{search_space.lr}}\n  code: ./src\n  environment: azureml:env:1\ncompute: azureml:cpu-cluster\nsampling_algorithm: random\nsearch_space:\n  lr: {type: uniform, min_value: 0.01, max_value: 0.1}\nobjective: {goal: maximize, primary_metric: acc}\n';
    await submitJob(options(client, yaml, { overrides: { compute: 'gpu-cluster' } }));
    const job = calls.find((c) => c.method === 'PUT')!;
    assert.strictEqual(job.path, 'jobs/job_fixed');
    assert.strictEqual(job.headers, undefined);
    assert.strictEqual(job.body.properties.jobType, 'Sweep');
    assert.strictEqual(job.body.properties.computeId, `${WS_ID}/computes/gpu-cluster`);
    assert.deepStrictEqual(job.body.properties.searchSpace, { lr: ['uniform', [0.01, 0.1]] });
  });
});
