import * as assert from 'assert';
import * as path from 'path';
import { rawRequest, tokenWithSecret } from '../../fake-azure/client';
import { startFakeAzure, type FakeAzure } from '../../fake-azure';
import { buildGolden, goldenCases, goldenRoot, GOLDEN_WORKSPACE, registeredComponents } from './rest-body-golden';

type AssetKind = 'codes' | 'environments' | 'data' | 'models' | 'components';

const ASSET_ID = /^(?:azureml:)?(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+)\/(codes|environments|data|models|components)\/([^/]+)\/versions\/([^/]+)$/;

/** Every asset version a body names, with the input type of the input that names it. */
function referencedAssets(value: unknown, found: Array<{ kind: AssetKind; name: string; version: string; type?: string }> = [], type?: string) {
  if (typeof value === 'string') {
    const m = ASSET_ID.exec(value);
    if (m && m[1] === GOLDEN_WORKSPACE) found.push({ kind: m[2] as AssetKind, name: m[3], version: m[4], type });
  } else if (Array.isArray(value)) {
    for (const item of value) referencedAssets(item, found, type);
  } else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const own = (record.jobInputType ?? record.job_input_type) as string | undefined;
    for (const item of Object.values(record)) referencedAssets(item, found, own ?? type);
  }
  return found;
}

describe('the fake workspace accepts every golden REST body', function () {
  this.timeout(120_000);
  let fake: FakeAzure;
  let token: string;

  before(async () => {
    fake = await startFakeAzure({ blob: false });
    token = await tokenWithSecret(fake, fake.identities.secret.clientId, fake.identities.secret.clientSecret);
    assert.strictEqual(`/subscriptions/${fake.subscriptionId}/resourceGroups/${fake.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${fake.workspaceName}`, GOLDEN_WORKSPACE);
  });
  after(async () => {
    await fake?.stop();
  });

  const put = (relative: string, body: unknown, headers: Record<string, string> = {}) =>
    rawRequest(fake.caCertPath, `${fake.url}${GOLDEN_WORKSPACE}/${relative}?api-version=2024-04-01`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${token}`, ...headers },
      body,
    });

  /** Creates what a body references and the product would have found or created before the job. */
  function seed(caseName: string, bodies: unknown[], anonymous: Set<string>): void {
    const registered = registeredComponents(path.join(goldenRoot(), caseName));
    const exists = (kind: AssetKind, name: string, version: string) => fake.workspace.resources(kind).some((r) => r.name === name && r.version === version);
    const assets = referencedAssets([...bodies, ...Object.values(registered)]);
    // Components last: their specs name environments and codes.
    assets.sort((a, b) => Number(a.kind === 'components') - Number(b.kind === 'components'));
    for (const { kind, name, version, type } of assets) {
      if (exists(kind, name, version) || (kind === 'components' && anonymous.has(`${name}/${version}`))) continue;
      if (kind === 'codes') fake.workspace.seedVersion(kind, name, version, { codeUri: `https://example.blob.core.windows.net/code/${name}`, isAnonymous: true });
      if (kind === 'environments') fake.workspace.seedVersion(kind, name, version, { image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest' });
      if (kind === 'data') {
        const dataType = type === 'uri_file' || type === 'mltable' ? type : 'uri_folder';
        fake.workspace.seedVersion(kind, name, version, { dataType, dataUri: `azureml://datastores/workspaceblobstore/paths/golden/${name}${dataType === 'uri_file' ? '.csv' : '/'}` });
      }
      if (kind === 'models') fake.workspace.seedVersion(kind, name, version, { modelType: type ?? 'custom_model', modelUri: `azureml://datastores/workspaceblobstore/paths/models/${name}/` });
      if (kind === 'components') {
        const spec = registered[`${name}:${version}`];
        assert.ok(spec, `${caseName}: no registered spec for component ${name}:${version}`);
        fake.workspace.seedVersion(kind, name, version, { componentSpec: spec });
      }
    }
  }

  for (const name of goldenCases()) {
    it(`creates the job of ${name}`, async () => {
      const { submission } = await buildGolden(name);
      const anonymous = new Set(submission.components.map((c) => `${c.name}/${c.version}`));
      seed(name, [submission.job, ...submission.components.map((c) => c.body)], anonymous);
      for (const component of submission.components) {
        const res = await put(`components/${component.name}/versions/${component.version}`, component.body);
        assert.ok(res.status === 201 || res.status === 200, `component of step ${component.step}: ${res.status} ${res.text}`);
      }
      const res = await put(`jobs/golden-${name}`, submission.job, submission.job.properties.jobType === 'Pipeline' ? { 'x-azureml-token': token } : {});
      assert.strictEqual(res.status, 201, res.text);
      assert.strictEqual(res.json.properties.jobType, submission.job.properties.jobType);
    });
  }

  // The same fake must turn away what Azure ML would, or accepting the bodies above proves nothing.
  describe('and rejects broken variants of them', () => {
    async function pipeline(caseName: string) {
      const { submission } = await buildGolden(caseName);
      seed(caseName, [submission.job, ...submission.components.map((c) => c.body)], new Set(submission.components.map((c) => `${c.name}/${c.version}`)));
      for (const component of submission.components) await put(`components/${component.name}/versions/${component.version}`, component.body);
      return structuredClone(submission.job) as any;
    }

    it('a binding to a pipeline input that does not exist', async () => {
      const job = await pipeline('pipeline-local-components');
      job.properties.jobs.prep.inputs.raw_data.value = '${{parent.inputs.raw_dta}}';
      const res = await put('jobs/golden-bad-binding', job);
      assert.strictEqual(res.status, 400, res.text);
      assert.match(res.text, /properties\.jobs\.prep\.inputs\.raw_data.*has no 'raw_dta'/);
    });

    it('a binding to the output of a step that does not exist, or that the step does not have', async () => {
      const job = await pipeline('pipeline-local-components');
      job.properties.jobs.train.inputs.train_data.value = '${{parent.jobs.prepare.outputs.prep_data}}';
      job.properties.jobs.score.inputs.test_data.value = '${{parent.jobs.prep.outputs.cleaned}}';
      const res = await put('jobs/golden-bad-step-binding', job);
      assert.strictEqual(res.status, 400, res.text);
      assert.match(res.text, /no node 'prepare'/);
      assert.match(res.text, /node 'prep' has no output 'cleaned'/);
    });

    it('a node whose component was never created, and an input the component does not declare', async () => {
      const job = await pipeline('pipeline-registered-components');
      job.properties.jobs.train_job.componentId = `${GOLDEN_WORKSPACE}/components/train_model/versions/99`;
      job.properties.jobs.score_job.inputs.extra = { job_input_type: 'literal', value: '1' };
      const res = await put('jobs/golden-bad-component', job);
      assert.strictEqual(res.status, 400, res.text);
      assert.match(res.text, /Could not find component train_model:99/);
      assert.match(res.text, /the component has no input 'extra'/);
    });

    it('a component version whose command uses an input it does not declare', async () => {
      const { submission } = await buildGolden('pipeline-local-components');
      const body = structuredClone(submission.components[0].body) as any;
      body.properties.componentSpec.command += ' --extra ${{inputs.missing}}';
      const res = await put('components/azureml_anonymous/versions/broken1', body);
      assert.strictEqual(res.status, 400, res.text);
      assert.match(res.text, /\$\{\{inputs\.missing\}\}/);
    });

    it('a sweep search space entry that is not [distribution, parameters], and grid sampling over a uniform', async () => {
      const { submission } = await buildGolden('sweep-random-median');
      const job = structuredClone(submission.job) as any;
      job.properties.searchSpace.C = ['uniform', [0.5]];
      job.properties.samplingAlgorithm = { samplingAlgorithmType: 'Grid' };
      const res = await put('jobs/golden-bad-sweep', job);
      assert.strictEqual(res.status, 400, res.text);
      assert.match(res.text, /uniform takes 2 numbers/);
      assert.match(res.text, /grid sampling only supports choice/);
    });
  });
});
