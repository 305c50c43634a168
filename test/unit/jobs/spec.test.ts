import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../../../src/errors';
import { applyOverrides, cliLiteralValue, CommandJobSpec, loadJobSpec, LoadedJobSpec, pythonFloatRepr } from '../../../src/jobs/spec';

let workDir: string;

function writeJob(yaml: string, files: Record<string, string> = {}): string {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(workDir, name)), { recursive: true });
    fs.writeFileSync(path.join(workDir, name), content);
  }
  const file = path.join(workDir, 'job.yml');
  fs.writeFileSync(file, yaml);
  return file;
}

function load(yaml: string, files: Record<string, string> = {}): LoadedJobSpec {
  return loadJobSpec(writeJob(yaml, files));
}

function spec(yaml: string, files: Record<string, string> = {}): CommandJobSpec {
  return load(yaml, files).spec as CommandJobSpec;
}

/** The job fails with one UserError that names the file and the line, and says what is wrong. */
function assertUserError(yaml: string, line: number, ...expected: (string | RegExp)[]): UserError {
  const file = writeJob(yaml);
  let caught: unknown;
  try {
    loadJobSpec(file);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof UserError, `expected a UserError, got ${String(caught)}`);
  assert.strictEqual(caught.file, file);
  assert.strictEqual(caught.line, line, `line in: ${caught.message}`);
  assert.ok(caught.message.startsWith(`${file}:${line}: `), caught.message);
  for (const part of expected) {
    if (typeof part === 'string') assert.ok(caught.message.includes(part), `"${part}" not in: ${caught.message}`);
    else assert.match(caught.message, part);
  }
  return caught;
}

const BASE = 'command: python train.py\nenvironment: azureml:env:1\n';

/** Each test writes its job into a fresh temporary folder. */
function useTempFolder(): void {
  beforeEach(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'job-spec-'));
  });
  afterEach(() => {
    fs.rmSync(workDir, { recursive: true, force: true });
  });
}

describe('loadJobSpec: reading a CLI job file', () => {
  useTempFolder();

  it('treats a job without type as a command job, like the CLI', () => {
    assert.strictEqual(spec(BASE).type, 'command');
    assert.strictEqual(spec(`type: command\n${BASE}`).type, 'command');
  });

  it('tells the line of each field, input and output so later errors can point at it', () => {
    const loaded = load(`command: x\nenvironment: azureml:e:1\ncompute: cpu\ninputs:\n  data: {path: "azureml:d:1"}\n  lr: 1\noutputs:\n  model:\n`);
    assert.deepStrictEqual(loaded.lines, {
      command: 1,
      environment: 2,
      compute: 3,
      inputs: 4,
      'inputs.data': 5,
      'inputs.lr': 6,
      outputs: 7,
      'outputs.model': 8,
    });
  });

  it('returns the absolute file and its folder', () => {
    const loaded = load(BASE);
    assert.strictEqual(loaded.file, path.join(workDir, 'job.yml'));
    assert.strictEqual(loaded.dir, workDir);
    assert.deepStrictEqual(loaded.warnings, []);
  });

  it('ignores $schema and reads names, descriptions, tags and properties', () => {
    const result = spec(
      [
        '$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json',
        'name: train-2024-06-01',
        'display_name: Train',
        'experiment_name: churn',
        'description: trains',
        'tags: {owner: me, sprint: 12, reviewed: true}',
        'properties: {source: pipeline}',
        BASE,
      ].join('\n'),
    );
    assert.strictEqual(result.name, 'train-2024-06-01');
    assert.strictEqual(result.displayName, 'Train');
    assert.strictEqual(result.experimentName, 'churn');
    assert.strictEqual(result.description, 'trains');
    assert.deepStrictEqual(result.tags, { owner: 'me', sprint: '12', reviewed: 'true' });
    assert.deepStrictEqual(result.properties, { source: 'pipeline' });
  });

  it('turns environment variable numbers and booleans into the text that was written', () => {
    const result = spec(`${BASE}environment_variables:\n  WORKERS: 4\n  RATIO: 0.50\n  DEBUG: false\n  NAME: x\n`);
    assert.deepStrictEqual(result.environmentVariables, { WORKERS: '4', RATIO: '0.50', DEBUG: 'false', NAME: 'x' });
  });

  it('resolves a local code folder relative to the YAML file, not the working directory', () => {
    const result = spec(`code: ./src\n${BASE}`, { 'src/train.py': 'print(1)\n' });
    assert.deepStrictEqual(result.code, { kind: 'local', path: path.join(workDir, 'src') });
  });

  it('accepts a single code file and a registered code asset', () => {
    assert.deepStrictEqual(spec(`code: train.py\n${BASE}`, { 'train.py': '' }).code, { kind: 'local', path: path.join(workDir, 'train.py') });
    assert.deepStrictEqual(spec(`code: azureml:train-code:3\n${BASE}`).code, { kind: 'asset', name: 'train-code', version: '3' });
  });

  it('reads every environment reference form the CLI accepts', () => {
    const env = (value: string) => spec(`command: x\nenvironment: ${value}\n`).environment;
    assert.deepStrictEqual(env('azureml:sklearn-env:12'), { kind: 'asset', name: 'sklearn-env', version: '12' });
    assert.deepStrictEqual(env('azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest'), {
      kind: 'asset',
      name: 'AzureML-sklearn-1.0-ubuntu20.04-py38-cpu',
      latest: true,
    });
    const armId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/environments/e/versions/2';
    assert.deepStrictEqual(env(armId), { kind: 'armId', id: armId });
    assert.deepStrictEqual(env(`azureml:${armId}`), { kind: 'armId', id: armId });
    assert.deepStrictEqual(env('azureml://registries/azureml/environments/sklearn-1.5/versions/3'), {
      kind: 'armId',
      id: 'azureml://registries/azureml/environments/sklearn-1.5/versions/3',
    });
  });

  it('serializes an inline conda mapping to YAML text', () => {
    const result = spec('command: x\nenvironment:\n  image: python:3.11\n  conda_file:\n    channels: [conda-forge]\n    dependencies: [python=3.11]\n');
    assert.deepStrictEqual(result.environment, {
      kind: 'inline',
      image: 'python:3.11',
      condaFile: 'channels:\n  - conda-forge\ndependencies:\n  - python=3.11\n',
    });
  });

  it('reads the compute as a name, an azureml: name or an ARM id, and serverless as no compute', () => {
    const compute = (value: string) => spec(`${BASE}compute: ${value}\n`).compute;
    assert.deepStrictEqual(compute('cpu-cluster'), { name: 'cpu-cluster' });
    assert.deepStrictEqual(compute('azureml:gpu_cluster'), { name: 'gpu_cluster' });
    const armId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/computes/c';
    assert.deepStrictEqual(compute(armId), { armId });
    assert.strictEqual(compute('serverless'), undefined);
    assert.strictEqual(spec(BASE).compute, undefined);
  });

  it('passes URI input paths through untouched and defaults the input type to uri_folder', () => {
    const paths = [
      'azureml://datastores/workspaceblobstore/paths/data/train/',
      'azureml://subscriptions/s/resourcegroups/rg/workspaces/w/datastores/d/paths/x.csv',
      'azureml://jobs/previous-job/outputs/model',
      'https://account.blob.core.windows.net/container/data.csv',
      'wasbs://container@account.blob.core.windows.net/data/',
      'abfss://fs@account.dfs.core.windows.net/data/',
    ];
    const yaml = `${BASE}inputs:\n${paths.map((p, i) => `  in${i}:\n    path: ${p}\n`).join('')}`;
    const inputs = spec(yaml).inputs;
    paths.forEach((p, i) => assert.deepStrictEqual(inputs[`in${i}`], { type: 'uri_folder', path: { kind: 'uri', uri: p } }));
  });

  it('maps every input mode the CLI knows to its REST name', () => {
    const modes = { ro_mount: 'ReadOnlyMount', rw_mount: 'ReadWriteMount', download: 'Download', direct: 'Direct', eval_mount: 'EvalMount', eval_download: 'EvalDownload' };
    const yaml = `${BASE}inputs:\n${Object.keys(modes).map((mode) => `  ${mode}: {path: "azureml:d:1", mode: ${mode}}\n`).join('')}`;
    const inputs = spec(yaml).inputs;
    for (const [mode, rest] of Object.entries(modes)) assert.strictEqual((inputs[mode] as { mode?: string }).mode, rest);
  });

  it('maps output modes and types, and reads a bare output as a read-write mounted folder', () => {
    const outputs = spec(`${BASE}outputs:\n  a:\n  b: {type: mlflow_model, mode: upload}\n  c: {type: uri_file, mode: direct}\n  d: {mode: rw_mount}\n`).outputs;
    assert.deepStrictEqual(outputs, {
      a: { type: 'uri_folder', mode: 'ReadWriteMount' },
      b: { type: 'mlflow_model', mode: 'Upload' },
      c: { type: 'uri_file', mode: 'Direct' },
      d: { type: 'uri_folder', mode: 'ReadWriteMount' },
    });
  });

  it('keeps ${{inputs.x}} and ${{outputs.x}} in the command as they are', () => {
    const result = load(`command: python t.py --in \${{inputs.data}} --out \${{ outputs.model }}\nenvironment: azureml:e:1\ninputs:\n  data: {path: "azureml:d:1"}\noutputs:\n  model:\n`);
    assert.strictEqual((result.spec as CommandJobSpec).command, 'python t.py --in ${{inputs.data}} --out ${{ outputs.model }}');
    assert.deepStrictEqual(result.warnings, []);
  });

  it('rewrites single-brace {inputs.x} to ${{inputs.x}} and warns with the line, as the CLI does', () => {
    const result = load('environment: azureml:e:1\ninputs:\n  lr: 0.1\noutputs:\n  model:\ncommand: |\n  python t.py\n  --lr {inputs.lr} --out {outputs.model}\n');
    assert.strictEqual((result.spec as CommandJobSpec).command, 'python t.py\n--lr ${{inputs.lr}} --out ${{outputs.model}}\n');
    assert.strictEqual(result.warnings.length, 2);
    assert.ok(result.warnings[0].startsWith(`${path.join(workDir, 'job.yml')}:8: `), result.warnings[0]);
    assert.ok(result.warnings[0].includes('{inputs.lr}') && result.warnings[0].includes('${{inputs.lr}}'), result.warnings[0]);
  });

  it('reads limits, resources, identity and queue settings', () => {
    const result = spec(`${BASE}limits: {timeout: 600}\nresources: {instance_count: 1, instance_type: Standard_DS3_v2}\nidentity: {type: user_identity}\nqueue_settings: {job_tier: null}\n`);
    assert.deepStrictEqual(result.limits, { timeoutSeconds: 600 });
    assert.deepStrictEqual(result.resources, { instanceCount: 1, instanceType: 'Standard_DS3_v2' });
    assert.deepStrictEqual(result.identity, { type: 'UserIdentity' });
    assert.deepStrictEqual(result.queueSettings, { jobTier: 'Null' });
  });

  it('follows YAML anchors and aliases', () => {
    const result = spec(`command: x\nenvironment: &env azureml:env:1\ntags:\n  env: *env\n`);
    assert.deepStrictEqual(result.tags, { env: 'azureml:env:1' });
  });
});

describe('loadJobSpec: literal inputs are sent as the CLI sends them', () => {
  useTempFolder();

  const cases: Array<[string, string]> = [
    ['0.01', '0.01'],
    ['10', '10'],
    ['true', 'True'],
    ['False', 'False'],
    ['yes', 'True'],
    ['off', 'False'],
    ['100.0', '100.0'],
    ['1.0e-5', '1e-05'],
    ['1e-5', '1e-5'],
    ['0777', '511'],
    ['0x1F', '31'],
    ['1_000', '1000'],
    ['-3', '-3'],
    ['.inf', 'inf'],
    ['"true"', 'true'],
    ["'0.010'", '0.010'],
    ['adam', 'adam'],
    ['2024-01-31', '2024-01-31'],
  ];
  for (const [yaml, sent] of cases) {
    it(`sends ${yaml} as "${sent}"`, () => {
      const inputs = spec(`${BASE}inputs:\n  value: ${yaml}\n`).inputs;
      assert.deepStrictEqual(inputs.value, { type: 'literal', value: sent });
    });
  }

  it('formats floats like Python repr', () => {
    assert.strictEqual(pythonFloatRepr(1e16), '1e+16');
    assert.strictEqual(pythonFloatRepr(1.5e-7), '1.5e-07');
    assert.strictEqual(pythonFloatRepr(0.0001), '0.0001');
    assert.strictEqual(pythonFloatRepr(123456789.125), '123456789.125');
    assert.strictEqual(pythonFloatRepr(-2.5), '-2.5');
    assert.strictEqual(pythonFloatRepr(1e22), '1e+22');
    assert.strictEqual(cliLiteralValue({ type: 'QUOTE_DOUBLE', source: 'x', value: 'x' }), 'x');
  });
});

describe('applyOverrides', () => {
  useTempFolder();

  it('replaces the experiment and display name given by the pipeline and keeps the rest', () => {
    const original = spec(`experiment_name: from-yaml\ndisplay_name: yaml\n${BASE}`);
    const result = applyOverrides(original, { experimentName: 'from-pipeline', displayName: 'build 42' });
    assert.strictEqual(result.experimentName, 'from-pipeline');
    assert.strictEqual(result.displayName, 'build 42');
    assert.strictEqual(result.command, original.command);
    assert.strictEqual(original.experimentName, 'from-yaml');
  });

  it('leaves the YAML values when the overrides are empty', () => {
    const original = spec(`experiment_name: from-yaml\n${BASE}`);
    assert.strictEqual(applyOverrides(original, { experimentName: ' ', displayName: undefined }).experimentName, 'from-yaml');
  });
});

describe('loadJobSpec: every problem is one UserError naming the file and the line', () => {
  useTempFolder();

  it('fails when the file does not exist', () => {
    const missing = path.join(workDir, 'nope.yml');
    assert.throws(() => loadJobSpec(missing), (e: unknown) => e instanceof UserError && e.file === missing && e.message.includes('does not exist'));
  });

  it('fails on invalid YAML with the line of the syntax error', () => {
    assertUserError('command: x\nenvironment: azureml:e:1\ninputs:\n  a: [1, 2\n', 5, 'not valid YAML');
  });

  it('fails on a key written twice', () => {
    assertUserError('command: x\nenvironment: azureml:e:1\ncommand: y\n', 3, 'not valid YAML');
  });

  it('fails on a file with two YAML documents', () => {
    assertUserError(`${BASE}---\n${BASE}`, 3, 'more than one YAML document');
  });

  it('fails on an empty file', () => {
    assertUserError('', 1, 'is empty');
  });

  it('fails when the file is a list instead of a job', () => {
    assertUserError('- command: x\n', 1, 'must be a mapping');
  });

  it('fails on command fields at the top of a sweep job, saying they go under trial', () => {
    assertUserError(`type: sweep\n${BASE}`, 2, 'command belongs to the command of each trial in a sweep job: move it under trial:');
  });

  it('fails on automl and spark jobs, naming the supported types', () => {
    for (const type of ['automl', 'spark']) assertUserError(`type: ${type}\n`, 1, `type: ${type} is not supported yet by AmlTrain`, 'supported: command, sweep, pipeline');
  });

  it('fails on an unknown job type', () => {
    assertUserError('type: comand\n', 1, 'not a job type AmlTrain knows');
  });

  it('fails on sweep fields in a command job', () => {
    assertUserError(`${BASE}search_space:\n  lr: {type: choice, values: [1]}\n`, 3, 'search_space belongs to sweep jobs');
  });

  it('fails on the read-only parameters field', () => {
    assertUserError(`${BASE}parameters: {}\n`, 3, 'parameters is set by Azure ML');
  });

  it('fails on an unknown field and suggests the close one', () => {
    assertUserError('command: x\nenviroment: azureml:e:1\n', 2, 'unknown field "enviroment"', 'Did you mean "environment"?');
  });

  it('suggests the snake_case name for a camelCase field', () => {
    assertUserError(`${BASE}displayName: x\n`, 3, 'Did you mean "display_name"?');
  });

  it('fails on an unknown nested field and suggests the close one', () => {
    assertUserError(`${BASE}resources:\n  instance_cont: 2\n`, 4, 'unknown field "instance_cont" in resources', 'Did you mean "instance_count"?');
  });

  it('fails on a value of the wrong type', () => {
    assertUserError(`${BASE}resources:\n  instance_count: two\n`, 4, 'resources.instance_count must be a whole number', '"two"');
  });

  it('fails on an instance count below one', () => {
    assertUserError(`${BASE}resources:\n  instance_count: 0\n`, 4, 'at least 1');
  });

  it('fails on a shared memory size without a unit', () => {
    assertUserError(`${BASE}resources:\n  shm_size: 16\n`, 4, 'resources.shm_size');
  });

  it('fails on resource fields the 2024-04-01 API does not have', () => {
    assertUserError(`${BASE}resources:\n  locations: [westeurope]\n`, 4, 'resources.locations needs a newer Azure ML REST API');
  });

  it('fails on a number where text is expected and says to quote it', () => {
    assertUserError(`${BASE}experiment_name: 2024\n`, 3, 'experiment_name must be a text value', 'Quote it');
  });

  it('fails when the command is missing', () => {
    assertUserError('environment: azureml:e:1\n', 1, 'has no command');
  });

  it('fails when the command is empty', () => {
    assertUserError('command: ""\nenvironment: azureml:e:1\n', 1, 'command is empty');
  });

  it('fails when the environment is missing', () => {
    assertUserError('command: x\n', 1, 'has no environment');
  });

  it('fails when the command uses an input that is not declared, on the line of the reference', () => {
    assertUserError(
      'environment: azureml:e:1\ninputs:\n  data: {path: "azureml:d:1"}\ncommand: >-\n  python train.py\n  --data ${{inputs.data}}\n  --lr ${{inputs.learning_rate}}\n',
      7,
      '${{inputs.learning_rate}}',
      'Declared inputs: data',
    );
  });

  it('fails when the command uses an output that is not declared, suggesting a close name', () => {
    assertUserError('environment: azureml:e:1\noutputs:\n  model:\ncommand: python t.py --out ${{outputs.modle}}\n', 4, 'outputs.modle is not declared', 'Did you mean outputs.model?');
  });

  it('fails on input names the CLI rejects', () => {
    assertUserError(`${BASE}inputs:\n  my-data: 1\n`, 4, '"my-data" is not a valid input name');
    assertUserError(`${BASE}inputs:\n  1st: 1\n`, 4, '"1st" is not a valid input name');
  });

  it('fails on output names the CLI rejects', () => {
    assertUserError(`${BASE}outputs:\n  model.v2:\n`, 4, '"model.v2" is not a valid output name');
  });

  it('fails on a local input path, naming the input and saying how to register or reference it', () => {
    assertUserError(
      `${BASE}inputs:\n  training_data:\n    type: uri_folder\n    path: ./data\n`,
      6,
      'inputs.training_data.path: ./data is a local path',
      'az ml data create',
      'azureml://datastores/<datastore>/paths/<path>',
    );
  });

  it('fails on a local model input path suggesting a registered model', () => {
    assertUserError(`${BASE}inputs:\n  m:\n    type: mlflow_model\n    path: ../model\n`, 6, 'az ml model create');
  });

  it('fails on an input without a path', () => {
    assertUserError(`${BASE}inputs:\n  data:\n    type: uri_file\n`, 4, 'inputs.data has no path');
  });

  it('fails on an input without a value', () => {
    assertUserError(`${BASE}inputs:\n  lr:\n`, 4, 'inputs.lr has no value');
  });

  it('fails on an unknown input type with a suggestion', () => {
    assertUserError(`${BASE}inputs:\n  data:\n    type: uri_foldr\n    path: azureml:d:1\n`, 5, 'uri_foldr is not one of', 'Did you mean uri_folder?');
  });

  it('fails on a component-style typed literal input', () => {
    assertUserError(`${BASE}inputs:\n  lr:\n    type: number\n    default: 0.1\n`, 6, 'default is for component inputs');
    assertUserError(`${BASE}inputs:\n  lr:\n    type: number\n`, 5, 'write the value directly');
  });

  it('fails on an input mode that does not exist', () => {
    assertUserError(`${BASE}inputs:\n  data:\n    path: azureml:d:1\n    mode: upload\n`, 6, 'inputs.data.mode: upload is not one of');
  });

  it('fails on an asset reference without a version', () => {
    assertUserError(`${BASE}inputs:\n  data:\n    path: azureml:diabetes\n`, 5, 'has no version', 'azureml:diabetes@latest');
  });

  it('fails on an asset label other than latest', () => {
    assertUserError('command: x\nenvironment: azureml:env@prod\n', 2, 'only @latest is supported');
  });

  it('fails on output name and version, which 2024-04-01 cannot send', () => {
    assertUserError(`${BASE}outputs:\n  model:\n    type: mlflow_model\n    name: credit-model\n`, 6, 'outputs.model.name needs a newer Azure ML REST API', 'AmlRegisterModel');
  });

  it('fails on a local output path', () => {
    assertUserError(`${BASE}outputs:\n  model:\n    path: ./out\n`, 5, 'outputs.model.path: ./out is not a datastore location');
  });

  it('fails when the local code folder does not exist', () => {
    assertUserError(`code: ./missing\n${BASE}`, 1, 'code: ./missing does not exist', 'relative to the folder of the YAML file');
  });

  it('fails on code given as a URL', () => {
    assertUserError(`code: https://github.com/org/repo\n${BASE}`, 1, 'give a local folder');
  });

  it('fails on an environment written without azureml:', () => {
    assertUserError('command: x\nenvironment: sklearn-env:1\n', 2, 'needs the azureml: prefix', 'environment: azureml:sklearn-env:1');
    assertUserError('command: x\nenvironment: docker.io/python\n', 2, 'is not an environment reference', 'azureml:<name>:<version>');
  });

  it('fails on an inline environment built from a Docker context', () => {
    assertUserError('command: x\nenvironment:\n  build:\n    path: ./docker\n', 3, 'environment.build', 'az ml environment create');
  });

  it('fails on an inline environment without an image', () => {
    assertUserError('command: x\nenvironment:\n  conda_file: conda.yml\n', 2, 'environment has no image');
  });

  it('fails when the conda file cannot be read', () => {
    assertUserError('command: x\nenvironment:\n  image: python:3.11\n  conda_file: missing.yml\n', 4, 'conda_file: missing.yml cannot be read');
  });

  it('fails on local compute', () => {
    assertUserError(`${BASE}compute: local\n`, 3, 'compute: local');
  });

  it('fails on a distribution type the API version does not have', () => {
    assertUserError(`${BASE}distribution:\n  type: ray\n`, 4, 'ray needs a newer Azure ML REST API');
    assertUserError(`${BASE}distribution:\n  type: horovod\n`, 4, 'horovod is not one of pytorch, mpi, tensorflow');
  });

  it('fails on a distribution without a type or with a field of another framework', () => {
    assertUserError(`${BASE}distribution:\n  process_count_per_instance: 2\n`, 3, 'distribution has no type');
    assertUserError(`${BASE}distribution:\n  type: pytorch\n  worker_count: 2\n`, 5, 'unknown field "worker_count" in distribution');
  });

  it('fails on a timeout that is not a number of seconds', () => {
    assertUserError(`${BASE}limits:\n  timeout: 1h\n`, 4, 'limits.timeout must be a whole number (seconds');
  });

  it('fails on sweep limits in a command job', () => {
    assertUserError(`${BASE}limits:\n  max_total_trials: 4\n`, 4, 'limits.max_total_trials is a sweep job limit');
  });

  it('fails on an unknown identity type', () => {
    assertUserError(`${BASE}identity:\n  type: service_principal\n`, 4, 'identity.type: service_principal is not one of');
  });

  it('fails on queue priority, which 2024-04-01 does not have', () => {
    assertUserError(`${BASE}queue_settings:\n  priority: high\n`, 4, 'queue_settings.priority needs a newer');
  });

  it('fails on an environment variable whose value is a mapping', () => {
    assertUserError(`${BASE}environment_variables:\n  CONFIG:\n    a: 1\n`, 5, 'environment_variables.CONFIG must be a text value', 'got a mapping');
  });

  it('fails on a tag whose value is a list', () => {
    assertUserError(`${BASE}tags:\n  owners: [a, b]\n`, 4, 'tags.owners must be a text value', 'got a list');
  });

  it('fails on an invalid job name', () => {
    assertUserError(`name: my job\n${BASE}`, 1, 'not a valid job name');
  });

  it('fails on an ssh service field used with another service type', () => {
    assertUserError(`${BASE}services:\n  lab:\n    type: jupyter_lab\n    ssh_public_keys: abc\n`, 6, 'unknown field "ssh_public_keys" in services.lab');
  });
});
