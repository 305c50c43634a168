import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildJobBody, CommandJobProperties, JobBaseResource, referencesToResolve, ResolvedReferences } from '../../../src/jobs/rest-body';
import { CommandJobSpec, loadJobSpec } from '../../../src/jobs/spec';

const WS = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-dev';

function fixture(...parts: string[]): string {
  // Tests run from build/, the YAML fixtures stay next to the sources.
  const candidates = [path.join(__dirname, 'fixtures'), path.resolve(__dirname, '../../../../test/unit/jobs/fixtures')];
  const dir = candidates.find((candidate) => fs.existsSync(candidate));
  if (!dir) throw new Error(`fixtures not found from ${__dirname}`);
  return path.join(dir, ...parts);
}

function loadYaml(yaml: string): CommandJobSpec {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rest-body-'));
  try {
    fs.writeFileSync(path.join(dir, 'job.yml'), yaml);
    return loadJobSpec(path.join(dir, 'job.yml')).spec as CommandJobSpec;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The properties of a command job's body. */
function command(body: JobBaseResource): CommandJobProperties {
  return body.properties as CommandJobProperties;
}

const minimalRefs: ResolvedReferences = { environmentId: `${WS}/environments/env/versions/1`, inputUris: {} };

describe('buildJobBody', () => {
  it('turns the realistic CLI job fixture into the exact 2024-04-01 REST body', () => {
    const { spec } = loadJobSpec(fixture('train-job', 'job.yml'));
    const refs: ResolvedReferences = {
      codeId: `${WS}/codes/6f1c2d0e-7b4a-4c1e-9d55-3f2a9e8b7c61/versions/1`,
      environmentId: `${WS}/environments/sklearn-env/versions/7`,
      computeId: `${WS}/computes/cpu-cluster`,
      inputUris: { training_data: `${WS}/data/diabetes-data/versions/2` },
    };

    const body = buildJobBody(spec, refs, { tags: { 'build.id': '42', 'build.sourceVersion': 'abc123' } });

    assert.deepStrictEqual(body, {
      properties: {
        jobType: 'Command',
        displayName: 'diabetes-train',
        experimentName: 'diabetes-training',
        description: 'Train a diabetes regression model.',
        tags: { team: 'ml-platform', stage: 'dev', 'build.id': '42', 'build.sourceVersion': 'abc123' },
        command:
          'python train.py --data ${{inputs.training_data}} --reference ${{inputs.reference}} ' +
          '--learning-rate ${{inputs.learning_rate}} --epochs ${{inputs.epochs}} --use-gpu ${{inputs.use_gpu}} ' +
          '--model-dir ${{outputs.model}}',
        codeId: `${WS}/codes/6f1c2d0e-7b4a-4c1e-9d55-3f2a9e8b7c61/versions/1`,
        environmentId: `${WS}/environments/sklearn-env/versions/7`,
        computeId: `${WS}/computes/cpu-cluster`,
        environmentVariables: { PYTHONUNBUFFERED: '1', MLFLOW_TRACKING_LOG_LEVEL: 'info' },
        inputs: {
          training_data: { jobInputType: 'uri_folder', uri: `${WS}/data/diabetes-data/versions/2`, mode: 'ReadOnlyMount' },
          reference: {
            jobInputType: 'uri_file',
            uri: 'azureml://datastores/workspaceblobstore/paths/reference/baseline.csv',
            mode: 'Download',
          },
          learning_rate: { jobInputType: 'literal', value: '0.01' },
          epochs: { jobInputType: 'literal', value: '10' },
          use_gpu: { jobInputType: 'literal', value: 'True' },
        },
        outputs: {
          model: { jobOutputType: 'mlflow_model', mode: 'Upload' },
          metrics: { jobOutputType: 'uri_folder', mode: 'ReadWriteMount' },
        },
        resources: { instanceCount: 2, shmSize: '16g' },
        distribution: { distributionType: 'PyTorch', processCountPerInstance: 2 },
        limits: { jobLimitsType: 'Command', timeout: 'PT2H' },
      },
    });
  });

  it('sends only the required fields for a minimal job, with the Default experiment', () => {
    const spec = loadYaml('command: python train.py\nenvironment: azureml:env:1\n');
    assert.deepStrictEqual(buildJobBody(spec, minimalRefs, {}), {
      properties: {
        jobType: 'Command',
        experimentName: 'Default',
        command: 'python train.py',
        environmentId: `${WS}/environments/env/versions/1`,
      },
    });
  });

  it('sends no tags, properties, inputs or environment variables when they are empty', () => {
    const spec = loadYaml('command: python train.py\nenvironment: azureml:env:1\ntags: {}\nproperties: {}\ninputs: {}\noutputs: {}\nenvironment_variables: {}\n');
    const body = buildJobBody(spec, minimalRefs, { tags: {}, properties: {} });
    assert.deepStrictEqual(Object.keys(body.properties).sort(), ['command', 'environmentId', 'experimentName', 'jobType']);
  });

  it('lets the build lineage tags win over job tags with the same name and keeps the others', () => {
    const spec = loadYaml('command: x\nenvironment: azureml:env:1\ntags:\n  build.id: "1"\n  owner: me\n');
    const body = buildJobBody(spec, minimalRefs, { tags: { 'build.id': '99' }, properties: { 'azureml.source': 'ado' } });
    assert.deepStrictEqual(body.properties.tags, { 'build.id': '99', owner: 'me' });
    assert.deepStrictEqual(body.properties.properties, { 'azureml.source': 'ado' });
  });

  it('maps the mpi and tensorflow distributions, identities, queue settings, services and notifications', () => {
    const spec = loadYaml(
      [
        'command: x',
        'environment: azureml:env:1',
        'distribution:',
        '  type: tensorflow',
        '  worker_count: 4',
        '  parameter_server_count: 1',
        'identity:',
        '  type: managed',
        '  client_id: 11111111-2222-3333-4444-555555555555',
        'queue_settings:',
        '  job_tier: spot',
        'services:',
        '  my_ssh:',
        '    type: ssh',
        '    ssh_public_keys: ssh-rsa AAAA',
        '    nodes: all',
        '  board:',
        '    type: tensor_board',
        '    log_dir: outputs/tblogs',
        '    port: 6006',
        'notification_setting:',
        '  email_on: [job_completed, job_failed]',
        '  emails: [ml@example.com]',
        'resources:',
        '  instance_type: Standard_NC6s_v3',
        '  docker_args: --ipc=host',
        '  properties:',
        '    AISuperComputer: {interactive: false}',
      ].join('\n'),
    );
    const job = command(buildJobBody(spec, minimalRefs, {}));
    assert.deepStrictEqual(job.distribution, { distributionType: 'TensorFlow', workerCount: 4, parameterServerCount: 1 });
    assert.deepStrictEqual(job.identity, { identityType: 'Managed', clientId: '11111111-2222-3333-4444-555555555555' });
    assert.deepStrictEqual(job.queueSettings, { jobTier: 'Spot' });
    assert.deepStrictEqual(job.services, {
      my_ssh: { jobServiceType: 'SSH', nodes: { nodesValueType: 'All' }, properties: { sshPublicKeys: 'ssh-rsa AAAA' } },
      board: { jobServiceType: 'TensorBoard', port: 6006, properties: { logDir: 'outputs/tblogs' } },
    });
    assert.deepStrictEqual(job.notificationSetting, { emailOn: ['JobCompleted', 'JobFailed'], emails: ['ml@example.com'] });
    assert.deepStrictEqual(job.resources, {
      instanceType: 'Standard_NC6s_v3',
      dockerArgs: '--ipc=host',
      properties: { AISuperComputer: { interactive: false } },
    });
  });

  it('maps mpi distribution and the user and AML token identities', () => {
    const mpi = loadYaml('command: x\nenvironment: azureml:env:1\ndistribution: {type: mpi, process_count_per_instance: 8}\nidentity: {type: user_identity}\n');
    assert.deepStrictEqual(command(buildJobBody(mpi, minimalRefs)).distribution, { distributionType: 'Mpi', processCountPerInstance: 8 });
    assert.deepStrictEqual(buildJobBody(mpi, minimalRefs).properties.identity, { identityType: 'UserIdentity' });
    const token = loadYaml('command: x\nenvironment: azureml:env:1\nidentity: {type: aml_token}\n');
    assert.deepStrictEqual(buildJobBody(token, minimalRefs).properties.identity, { identityType: 'AMLToken' });
  });

  it('keeps output paths and descriptions and leaves out modes that were not given', () => {
    const spec = loadYaml(
      [
        'command: x ${{outputs.scores}}',
        'environment: azureml:env:1',
        'inputs:',
        '  raw:',
        '    path: https://example.blob.core.windows.net/data/raw/',
        '    description: raw data',
        'outputs:',
        '  scores:',
        '    type: uri_file',
        '    path: azureml://datastores/workspaceblobstore/paths/scores/scores.csv',
        '    description: the scores',
      ].join('\n'),
    );
    const job = buildJobBody(spec, minimalRefs).properties;
    assert.deepStrictEqual(job.inputs, {
      raw: { jobInputType: 'uri_folder', uri: 'https://example.blob.core.windows.net/data/raw/', description: 'raw data' },
    });
    assert.deepStrictEqual(job.outputs, {
      scores: { jobOutputType: 'uri_file', uri: 'azureml://datastores/workspaceblobstore/paths/scores/scores.csv', description: 'the scores' },
    });
  });

  it('converts the timeout in seconds to an ISO-8601 duration', () => {
    const spec = loadYaml('command: x\nenvironment: azureml:env:1\nlimits:\n  timeout: 5400\n');
    assert.deepStrictEqual(command(buildJobBody(spec, minimalRefs)).limits, { jobLimitsType: 'Command', timeout: 'PT1H30M' });
  });

  it('refuses to build a body when an asset input was not resolved, which is a caller bug', () => {
    const spec = loadYaml('command: x\nenvironment: azureml:env:1\ninputs:\n  data:\n    path: azureml:d:1\n');
    assert.throws(() => buildJobBody(spec, minimalRefs), (e: Error) => e.name === 'Error' && /inputUris\.data/.test(e.message));
  });

  it('refuses to build a body when the compute or the code was not resolved', () => {
    const withCompute = loadYaml('command: x\nenvironment: azureml:env:1\ncompute: gpu\n');
    assert.throws(() => buildJobBody(withCompute, minimalRefs), /computeId/);
    const withCode = loadYaml('command: x\nenvironment: azureml:env:1\ncode: azureml:my-code:3\n');
    assert.throws(() => buildJobBody(withCode, minimalRefs), /codeId/);
  });
});

describe('referencesToResolve', () => {
  it('lists the local code folder, the environment, the compute and every data input of the fixture job', () => {
    const loaded = loadJobSpec(fixture('train-job', 'job.yml'));
    assert.deepStrictEqual(referencesToResolve(loaded.spec), {
      code: { kind: 'local', dir: path.join(loaded.dir, 'src') },
      environment: { kind: 'asset', name: 'sklearn-env', latest: true },
      compute: { name: 'cpu-cluster' },
      inputs: {
        training_data: { kind: 'asset', assetType: 'data', name: 'diabetes-data', version: '2' },
        reference: { kind: 'uri', uri: 'azureml://datastores/workspaceblobstore/paths/reference/baseline.csv' },
      },
    });
  });

  it('asks for model assets for model inputs and data assets for tables and files', () => {
    const spec = loadYaml(
      [
        'command: x',
        'environment: /subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/environments/e/versions/3',
        'compute: /subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/computes/gpu',
        'code: azureml:my-code:4',
        'inputs:',
        '  base_model: {type: mlflow_model, path: azureml:credit-model@latest}',
        '  custom: {type: custom_model, path: "azureml:my-model:5"}',
        '  table: {type: mltable, path: "azureml:sales-table:1"}',
      ].join('\n'),
    );
    assert.deepStrictEqual(referencesToResolve(spec), {
      code: { kind: 'asset', name: 'my-code', version: '4' },
      environment: {
        kind: 'armId',
        id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/environments/e/versions/3',
      },
      compute: { armId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/computes/gpu' },
      inputs: {
        base_model: { kind: 'asset', assetType: 'models', name: 'credit-model', latest: true },
        custom: { kind: 'asset', assetType: 'models', name: 'my-model', version: '5' },
        table: { kind: 'asset', assetType: 'data', name: 'sales-table', version: '1' },
      },
    });
  });

  it('passes an inline environment on with its conda file text', () => {
    const loaded = loadJobSpec(fixture('inline-env', 'job.yml'));
    const refs = referencesToResolve(loaded.spec);
    assert.deepStrictEqual(refs.environment, {
      kind: 'inline',
      image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest',
      condaFile: fs.readFileSync(fixture('inline-env', 'conda.yml'), 'utf8'),
      name: 'hello-env',
      description: 'Built from the image and the conda file next to this job.',
    });
    assert.deepStrictEqual(refs.compute, { name: 'cpu-cluster' });
    assert.strictEqual(refs.code, undefined);
  });
});
