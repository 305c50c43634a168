import * as assert from 'assert';
import * as path from 'path';
import type { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';
import { runL0Scenario, SPN_ENDPOINT, optionsOf, outputCommand } from '../l0';

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
const taskJson = path.join(repoRoot, 'tasks', 'AmlPackage', 'task.json');
const sample = path.join(repoRoot, 'examples', 'package');

const spn = SPN_ENDPOINT;
const base = { azureSubscription: 'conn-1', resourceGroup: 'rg', workspaceName: 'ws', model: 'azureml:credit:3', codeDirectory: path.join(sample, 'score') };
const packaged = {
  contextPath: '/staging/credit-3',
  model: { name: 'credit', version: '3', id: 'x', modelUri: 'azureml://datastores/workspaceblobstore/paths/m', files: [{ path: 'model.pkl', bytes: 10 }], totalBytes: 10 },
  context: { dockerfile: '/staging/credit-3/Dockerfile', files: [], modelFiles: [], baseImage: 'mcr.microsoft.com/azureml/minimal-py311-inference:latest', modelDir: '/var/azureml-app/azureml-models/credit/3', port: 5001, warnings: [] },
  environment: 'mcr.microsoft.com/azureml/minimal-py311-inference:latest',
};

function runScenario(scenario: object): Promise<MockTestRunner> {
  return runL0Scenario(path.join(__dirname, 'scenario.js'), taskJson, scenario);
}

const output = outputCommand;

describe('AmlPackage entry point (L0, mock runner)', function () {
  this.timeout(30_000);

  it('passes a context request to the core as typed options, sets contextPath and publishes the artifact', async () => {
    const tr = await runScenario({
      inputs: { ...base, pipRequirements: path.join(sample, 'requirements.txt'), environmentVariables: 'LOG_LEVEL=debug', artifactName: 'image-context' },
      endpoint: spn,
      result: packaged,
    });
    assert.ok(tr.succeeded, tr.stdout);
    const o = optionsOf(tr);
    assert.deepStrictEqual(o.model, { kind: 'asset', name: 'credit', version: '3' });
    assert.deepStrictEqual(o.code, { dir: path.join(sample, 'score'), scoringScript: 'score.py' });
    assert.deepStrictEqual(o.environment, { kind: 'image', pipRequirements: path.join(sample, 'requirements.txt') });
    assert.deepStrictEqual(o.environmentVariables, { LOG_LEVEL: 'debug' });
    assert.strictEqual(path.basename(o.outputDirectory), 'm-7');
    assert.strictEqual(o.image, undefined);
    assert.ok(tr.stdout.includes(output('contextPath', '/staging/credit-3')), tr.stdout);
    assert.match(tr.stdout, /##vso\[artifact\.upload [^\]]*artifactname=image-context[^\]]*\]\/staging\/credit-3/);
    assert.ok(tr.stdout.includes('##vso[task.uploadsummary]'));
  });

  it('reads the registry connection for image mode and masks its password', async () => {
    const tr = await runScenario({
      inputs: { ...base, mode: 'image', environment: 'azureml:sklearn-env:2', dockerRegistryServiceConnection: 'reg-1', imageTags: '3 stable' },
      endpoint: spn,
      registry: { id: 'reg-1', scheme: 'UsernamePassword', params: { registry: 'https://contoso.azurecr.io/', username: 'pusher', password: 'registry-pass-789' } },
      result: { ...packaged, image: { imageName: 'contoso.azurecr.io/credit:3', imageDigest: `contoso.azurecr.io/credit@sha256:${'d'.repeat(64)}`, commands: [] } },
    });
    assert.ok(tr.succeeded, tr.stdout);
    const o = optionsOf(tr);
    assert.deepStrictEqual(o.environment, { kind: 'registered', name: 'sklearn-env', version: '2' });
    assert.deepStrictEqual(o.image, { registry: { server: 'contoso.azurecr.io', username: 'pusher', password: '<17 chars>' }, tags: ['3', 'stable'], push: true });
    assert.ok(tr.stdout.includes('##vso[task.setsecret]registry-pass-789'), 'the registry password was not masked');
    assert.ok(!tr.stdout.replace('##vso[task.setsecret]registry-pass-789', '').includes('registry-pass-789'), 'the registry password was printed');
    assert.ok(tr.stdout.includes(output('imageName', 'contoso.azurecr.io/credit:3')));
    assert.ok(tr.stdout.includes(output('imageDigest', `contoso.azurecr.io/credit@sha256:${'d'.repeat(64)}`)));
  });

  it('logs in to an Azure Container Registry connection with its service principal', async () => {
    const tr = await runScenario({
      inputs: { ...base, mode: 'image', dockerRegistryServiceConnection: 'acr-1' },
      endpoint: spn,
      registry: { id: 'acr-1', scheme: 'ServicePrincipal', params: { loginServer: 'Contoso.azurecr.io', serviceprincipalid: 'sp-app', serviceprincipalkey: 'sp-key-000', tenantId: 't' }, data: { registrytype: 'ACR' } },
      result: { ...packaged, image: { imageName: 'contoso.azurecr.io/credit:3', commands: [] } },
    });
    assert.ok(tr.succeeded, tr.stdout);
    assert.deepStrictEqual(optionsOf(tr).image.registry, { server: 'contoso.azurecr.io', username: 'sp-app', password: '<10 chars>' });
  });

  for (const [what, inputs, message] of [
    ['a registered environment and a base image', { environment: 'azureml:env:1', baseImage: 'python:3.11' }, /'environment' names a registered environment, so 'baseImage', 'condaFile' and 'pipRequirements' must be empty/],
    ['a conda file and pip requirements', { condaFile: path.join(repoRoot, 'test', 'unit', 'package', 'fixtures', 'conda.yml'), pipRequirements: path.join(sample, 'requirements.txt') }, /'condaFile' and 'pipRequirements' are both set/],
    ['a model without a version', { model: 'credit' }, /Input 'model': 'credit' is not a model reference/],
    ['a code folder that does not exist', { codeDirectory: path.join(sample, 'missing') }, /Input 'codeDirectory': .* is not a folder/],
    ['an uppercase repository', { mode: 'image', imageRepository: 'Models/Credit' }, /'imageRepository': 'Models\/Credit' is not a valid repository name/],
    ['a tag starting with -', { mode: 'image', imageTags: '-bad' }, /'imageTags': '-bad' is not a valid image tag/],
  ] as Array<[string, Record<string, string>, RegExp]>) {
    it(`refuses ${what} before calling Azure`, async () => {
      const tr = await runScenario({ inputs: { ...base, ...inputs }, endpoint: spn });
      assert.ok(tr.failed, tr.stdout);
      assert.strictEqual(tr.errorIssues.length, 1, tr.stdout);
      assert.match(tr.errorIssues[0], message);
      assert.ok(!tr.stdout.includes('L0_OPTIONS'), 'the core was called');
    });
  }
});
