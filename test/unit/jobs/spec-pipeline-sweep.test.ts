import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../../../src/errors';
import { applyOverrides, loadJobSpec, type CommandJobSpec, type JobSpec, type PipelineJobSpec, type SweepJobSpec } from '../../../src/jobs/spec';

let workDir: string;

function write(files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(workDir, name)), { recursive: true });
    fs.writeFileSync(path.join(workDir, name), content);
  }
}

function load<T extends JobSpec>(yaml: string, files: Record<string, string> = {}): T {
  write({ ...files, 'job.yml': yaml });
  return loadJobSpec(path.join(workDir, 'job.yml')).spec as T;
}

/** Loading fails with one UserError that names the file (job.yml unless told) and line and says what is wrong. */
function assertUserError(yaml: string, files: Record<string, string>, where: { file?: string; line: number }, ...expected: (string | RegExp)[]): void {
  write({ ...files, 'job.yml': yaml });
  let caught: unknown;
  try {
    loadJobSpec(path.join(workDir, 'job.yml'));
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof UserError, `expected a UserError, got ${String(caught)}`);
  const file = path.join(workDir, where.file ?? 'job.yml');
  assert.strictEqual(caught.file, file, caught.message);
  assert.strictEqual(caught.line, where.line, `line in: ${caught.message}`);
  assert.ok(caught.message.startsWith(`${file}:${where.line}: `), caught.message);
  for (const part of expected) {
    if (typeof part === 'string') assert.ok(caught.message.includes(part), `"${part}" not in: ${caught.message}`);
    else assert.match(caught.message, part);
  }
}

const COMPONENT = `type: command
inputs:
  data: {type: uri_folder}
  lr: {type: number, default: 0.1}
outputs:
  model: {type: mlflow_model}
environment: azureml:env:1
command: python train.py --data \${{inputs.data}} --lr \${{inputs.lr}} --model \${{outputs.model}}
`;

const PIPELINE = `type: pipeline
inputs:
  raw: {type: uri_folder, path: azureml:raw:1}
outputs:
  final:
settings:
  default_compute: azureml:cpu-cluster
jobs:
  prep:
    command: python prep.py --in \${{inputs.raw}} --out \${{outputs.clean}}
    environment: azureml:env:1
    inputs:
      raw: \${{parent.inputs.raw}}
    outputs:
      clean:
  train:
    component: ./train.yml
    inputs:
      data: \${{parent.jobs.prep.outputs.clean}}
    outputs:
      model: \${{parent.outputs.final}}
`;

describe('pipeline and sweep jobs', () => {
  beforeEach(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'job-spec-'));
  });
  afterEach(() => fs.rmSync(workDir, { recursive: true, force: true }));

  describe('pipelines', () => {
    it('reads inline steps, local component files, registered components, settings and bindings', () => {
      const spec = load<PipelineJobSpec>(
        `${PIPELINE}  score:\n    component: azureml:score@latest\n    compute: azureml:gpu-cluster\n    inputs:\n      model: \${{parent.jobs.train.outputs.model}}\n`,
        { 'train.yml': COMPONENT },
      );
      assert.strictEqual(spec.type, 'pipeline');
      assert.deepStrictEqual(spec.settings, { defaultCompute: { name: 'cpu-cluster' } });
      assert.strictEqual(spec.jobs.prep.component.kind, 'inline');
      assert.strictEqual(spec.jobs.train.component.kind, 'local');
      assert.deepStrictEqual(spec.jobs.score.component, { kind: 'registered', name: 'score', version: undefined, latest: true });
      assert.deepStrictEqual(spec.jobs.score.compute, { name: 'gpu-cluster' });
      assert.deepStrictEqual(spec.jobs.train.inputs.data, { type: 'binding', value: '${{parent.jobs.prep.outputs.clean}}' });
      const prep = spec.jobs.prep.component;
      assert.ok(prep.kind === 'inline');
      assert.deepStrictEqual(prep.component.inputs, { raw: { type: 'uri_folder' } });
    });

    it('lets a step bind to a step written further down', () => {
      const spec = load<PipelineJobSpec>(
        'type: pipeline\njobs:\n  b:\n    command: cat ${{inputs.x}}\n    environment: azureml:env:1\n    inputs:\n      x: ${{parent.jobs.a.outputs.y}}\n  a:\n    command: echo > ${{outputs.y}}\n    environment: azureml:env:1\n    outputs:\n      y:\n',
      );
      assert.deepStrictEqual(Object.keys(spec.jobs), ['b', 'a']);
    });

    it('gives inline steps without an environment the pipeline default environment', () => {
      const spec = load<PipelineJobSpec>('type: pipeline\nsettings:\n  default_environment: azureml:env:2\njobs:\n  a:\n    command: echo hi\n');
      const a = spec.jobs.a.component;
      assert.ok(a.kind === 'inline');
      assert.deepStrictEqual(a.component.environment, { kind: 'asset', name: 'env', version: '2' });
    });

    it('fails on a binding to a pipeline input that does not exist, on its line, suggesting the close one', () => {
      assertUserError(PIPELINE.replace('raw: ${{parent.inputs.raw}}', 'raw: ${{parent.inputs.rwa}}'), { 'train.yml': COMPONENT }, { line: 13 }, 'jobs.prep.inputs.raw', "has no input 'rwa'", 'Did you mean ${{parent.inputs.raw}}?');
    });

    it('fails on a binding to a step that does not exist', () => {
      assertUserError(PIPELINE.replace('parent.jobs.prep.outputs.clean', 'parent.jobs.prepare.outputs.clean'), { 'train.yml': COMPONENT }, { line: 19 }, "has no step 'prepare'. Its steps: prep.");
      assertUserError(PIPELINE.replace('parent.jobs.prep.outputs.clean', 'parent.jobs.perp.outputs.clean'), { 'train.yml': COMPONENT }, { line: 19 }, 'Did you mean ${{parent.jobs.prep.outputs.clean}}?');
    });

    it('fails on a binding to an output the step does not have', () => {
      assertUserError(PIPELINE.replace('parent.jobs.prep.outputs.clean', 'parent.jobs.prep.outputs.cleaned'), { 'train.yml': COMPONENT }, { line: 19 }, "step 'prep' has no output 'cleaned'", 'Did you mean ${{parent.jobs.prep.outputs.clean}}?');
    });

    it('fails on a pipeline output that does not exist', () => {
      assertUserError(PIPELINE.replace('${{parent.outputs.final}}', '${{parent.outputs.best}}'), { 'train.yml': COMPONENT }, { line: 21 }, "the pipeline has no output 'best'");
    });

    it('fails when a step input reads a pipeline output', () => {
      assertUserError(PIPELINE.replace('${{parent.jobs.prep.outputs.clean}}', '${{parent.outputs.final}}'), { 'train.yml': COMPONENT }, { line: 19 }, 'a step input cannot read a pipeline output');
    });

    it('fails on a step input the component does not declare, suggesting the close one', () => {
      assertUserError(PIPELINE.replace('      data: ${{parent.jobs', '      dat: ${{parent.jobs'), { 'train.yml': COMPONENT }, { line: 19 }, "the component train.yml has no input 'dat'", 'Did you mean data?');
    });

    it('fails when a required component input is not given', () => {
      assertUserError(PIPELINE.replace('    inputs:\n      data: ${{parent.jobs.prep.outputs.clean}}\n', ''), { 'train.yml': COMPONENT }, { line: 16 }, "needs the input 'data'");
    });

    it('fails on a component file that does not exist, at the step', () => {
      assertUserError(PIPELINE, {}, { line: 17 }, 'jobs.train.component: ./train.yml is not a component file');
    });

    it('names the component file and its line for a problem inside it', () => {
      assertUserError(PIPELINE, { 'train.yml': COMPONENT.replace('${{inputs.lr}}', '${{inputs.learning_rate}}') }, { file: 'train.yml', line: 8 }, 'inputs.learning_rate is not declared');
    });

    it('fails on a step type other than command, and on command fields at the top of the pipeline', () => {
      assertUserError('type: pipeline\njobs:\n  a:\n    type: spark\n', {}, { line: 4 }, 'spark steps are not supported yet');
      assertUserError('type: pipeline\ncommand: echo\njobs: {}\n', {}, { line: 2 }, 'command belongs to a step of a pipeline job');
    });
  });

  describe('sweeps', () => {
    const SWEEP = `type: sweep
trial:
  command: python train.py --lr \${{search_space.lr}} --data \${{inputs.data}}
  environment: azureml:env:1
inputs:
  data: {type: uri_file, path: azureml:d:1}
sampling_algorithm: random
search_space:
  lr: {type: loguniform, min_value: -6, max_value: -1}
  batch: {type: choice, values: [16, 32]}
objective:
  goal: maximize
  primary_metric: accuracy
limits:
  max_total_trials: 8
  max_concurrent_trials: 2
  timeout: 3600
`;

    it('reads the trial, the search space in REST order, sampling, objective and limits', () => {
      const spec = load<SweepJobSpec>(SWEEP);
      assert.deepStrictEqual(spec.searchSpace, {
        lr: { distribution: 'loguniform', parameters: [-6, -1] },
        batch: { distribution: 'choice', parameters: [[16, 32]] },
      });
      assert.deepStrictEqual(spec.samplingAlgorithm, { type: 'Random' });
      assert.deepStrictEqual(spec.objective, { goal: 'Maximize', primaryMetric: 'accuracy' });
      assert.deepStrictEqual(spec.limits, { maxTotalTrials: 8, maxConcurrentTrials: 2, timeoutSeconds: 3600 });
    });

    it('reads the object form of the sampling algorithm', () => {
      const spec = load<SweepJobSpec>(SWEEP.replace('sampling_algorithm: random', 'sampling_algorithm:\n  type: random\n  seed: 7\n  rule: sobol'));
      assert.deepStrictEqual(spec.samplingAlgorithm, { type: 'Random', seed: 7, rule: 'Sobol' });
    });

    it('fails when the trial command uses a search-space entry that does not exist, suggesting the close one', () => {
      assertUserError(SWEEP.replace('search_space.lr', 'search_space.learning_rate'), {}, { line: 3 }, 'search_space.learning_rate is not declared');
      assertUserError(SWEEP.replace('search_space.lr', 'search_space.bach'), {}, { line: 3 }, 'Did you mean search_space.batch?');
    });

    it('fails on an unknown distribution and on a missing parameter', () => {
      assertUserError(SWEEP.replace('type: loguniform', 'type: log_uniform'), {}, { line: 9 }, 'Did you mean loguniform?');
      assertUserError(SWEEP.replace(', max_value: -1', ''), {}, { line: 9 }, 'has no max_value');
    });

    it('fails without an objective, and on more concurrent than total trials', () => {
      assertUserError(SWEEP.replace('objective:\n  goal: maximize\n  primary_metric: accuracy\n', ''), {}, { line: 1 }, 'the sweep job has no objective');
      assertUserError(SWEEP.replace('max_concurrent_trials: 2', 'max_concurrent_trials: 20'), {}, { line: 14 }, 'is more than limits.max_total_trials');
    });

    it('fails on command fields at the top of a sweep, saying they go under trial', () => {
      assertUserError(`${SWEEP}code: ./src\n`, {}, { line: 18 }, 'code belongs to the command of each trial');
    });

    it('runs a component file as the trial, its search-space inputs sent as ${{search_space.x}}', () => {
      const spec = load<SweepJobSpec>(SWEEP.replace(/trial:\n.*\n.*\n/, 'trial: ./train.yml\n').replace('search_space:\n', 'search_space:\n  dropout: {type: uniform, min_value: 0.1, max_value: 0.5}\n'), {
        'train.yml': 'type: command\ninputs:\n  data: {type: uri_file}\n  dropout: {type: number}\n  lr: {type: number, default: 0.1}\n  batch: {type: integer}\nenvironment: azureml:env:1\ncommand: python t.py ${{inputs.data}} ${{inputs.dropout}} ${{inputs.lr}} ${{inputs.batch}}\n',
      });
      assert.strictEqual(spec.trial.command, 'python t.py ${{inputs.data}} ${{search_space.dropout}} ${{search_space.lr}} ${{search_space.batch}}');
    });
  });

  describe('input overrides', () => {
    const JOB = 'command: python t.py ${{inputs.data}} ${{inputs.lr}}\nenvironment: azureml:env:1\ninputs:\n  data: {type: uri_file, path: azureml:d:1}\n  lr: 0.1\n';

    it('types a literal as the CLI would and takes a new path for a data input', () => {
      const spec = load<CommandJobSpec>(JOB);
      const lit = (value: string) => (applyOverrides(spec, { inputs: [{ name: 'lr', value }] }).inputs.lr as { value: string }).value;
      assert.strictEqual(lit('0.5'), '0.5');
      assert.strictEqual(lit('true'), 'True');
      assert.strictEqual(lit('1.0e-5'), '1e-05');
      assert.strictEqual(lit('1e-5'), '1e-5', 'YAML 1.1 reads a float only with a dot, so this stays text');
      assert.strictEqual(lit('adam'), 'adam');
      const path = (value: string) => (applyOverrides(spec, { inputs: [{ name: 'data', value }] }).inputs.data as { path: unknown }).path;
      assert.deepStrictEqual(path('azureml:d:2'), { kind: 'asset', name: 'd', version: '2' });
      assert.deepStrictEqual(path('azureml:d@latest'), { kind: 'asset', name: 'd', latest: true });
      assert.deepStrictEqual(path('https://example.com/x.csv'), { kind: 'uri', uri: 'https://example.com/x.csv' });
      assert.deepStrictEqual(spec.inputs.lr, { type: 'literal', value: '0.1' }, 'the loaded spec is not changed');
    });

    it('fails on an input the job does not have, naming the task input and suggesting the close one', () => {
      const spec = load<CommandJobSpec>(JOB);
      assert.throws(() => applyOverrides(spec, { inputs: [{ name: 'lrr', value: '1' }] }), (e: UserError) => e instanceof UserError && e.input === 'inputs' && /no input 'lrr'\. Did you mean lr\?/.test(e.message));
      assert.throws(() => applyOverrides(spec, { inputs: [{ name: 'data', value: './local.csv' }] }), (e: UserError) => e instanceof UserError && e.input === 'inputs' && /not a path for the data input 'data'/.test(e.message));
    });

    it('overrides pipeline and sweep inputs, and the compute: a pipeline default compute, a sweep compute', () => {
      const pipeline = load<PipelineJobSpec>(PIPELINE, { 'train.yml': COMPONENT });
      const p = applyOverrides(pipeline, { compute: 'gpu-cluster', inputs: [{ name: 'raw', value: 'azureml:raw:7' }] });
      assert.deepStrictEqual(p.settings.defaultCompute, { name: 'gpu-cluster' });
      assert.strictEqual(p.compute, undefined);
      assert.deepStrictEqual((p.inputs.raw as { path: unknown }).path, { kind: 'asset', name: 'raw', version: '7' });
      assert.strictEqual(applyOverrides(pipeline, { compute: 'serverless' }).settings.defaultCompute, undefined);
      const sweep = load<SweepJobSpec>('type: sweep\ntrial: {command: "python t.py ${{search_space.lr}}", environment: "azureml:env:1"}\nsampling_algorithm: grid\nsearch_space:\n  lr: {type: choice, values: [1, 2]}\nobjective: {goal: minimize, primary_metric: loss}\n');
      assert.deepStrictEqual(applyOverrides(sweep, { compute: 'azureml:cpu-cluster' }).compute, { name: 'cpu-cluster' });
    });
  });
});
