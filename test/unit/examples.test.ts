import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { parseSchema } from '../../src/data/schema';
import { loadJobSpec } from '../../src/jobs/spec';
import { loadBatchDeploymentSpec, loadBatchEndpointSpec, loadOnlineDeploymentSpec, loadOnlineEndpointSpec } from '../../src/deploy/spec';

const examples = path.resolve(__dirname, '..', '..', '..', 'examples');

describe('examples', () => {
  it('has job YAMLs that AmlTrain accepts without warnings', () => {
    const spec = loadJobSpec(path.join(examples, 'train', 'job.yml'));
    assert.deepStrictEqual(spec.warnings, []);
    assert.ok(spec.spec.type === 'command' && spec.spec.code && spec.spec.code.kind === 'local');
  });

  it('has a pipeline with an inline step, a local component and a registered component, and a sweep', () => {
    const pipeline = loadJobSpec(path.join(examples, 'train', 'pipeline.yml'));
    assert.deepStrictEqual(pipeline.warnings, []);
    assert.ok(pipeline.spec.type === 'pipeline');
    assert.deepStrictEqual(Object.values(pipeline.spec.jobs).map((step) => step.component.kind), ['inline', 'local', 'registered']);
    const sweep = loadJobSpec(path.join(examples, 'train', 'sweep.yml'));
    assert.deepStrictEqual(sweep.warnings, []);
    assert.ok(sweep.spec.type === 'sweep' && sweep.spec.trial.command.includes('${{search_space.alpha}}'));
  });

  it('has a pipeline whose AmlTrain steps point at files that exist', () => {
    const pipeline = parse(fs.readFileSync(path.join(examples, 'azure-pipelines.yml'), 'utf8'));
    type Step = { task?: string; inputs?: Record<string, string> };
    type Job = { steps?: Step[]; strategy?: { runOnce?: { deploy?: { steps?: Step[] } } } };
    const steps: Step[] = pipeline.stages.flatMap((s: { jobs: Job[] }) => s.jobs.flatMap((j) => j.steps ?? j.strategy?.runOnce?.deploy?.steps ?? []));
    const train = steps.filter((s) => s.task === 'AmlTrain@1');
    assert.ok(train.length > 0);
    for (const step of train) assert.ok(fs.existsSync(path.resolve(examples, '..', step.inputs!.jobSpec)), step.inputs!.jobSpec);
    const deploy = steps.filter((s) => s.task === 'AmlDeploy@1');
    assert.ok(deploy.length > 0);
    for (const step of deploy) {
      for (const input of ['endpointSpec', 'deploymentSpec', 'smokeRequests']) assert.ok(fs.existsSync(path.resolve(examples, '..', step.inputs![input])), step.inputs![input]);
    }
    const validate = steps.filter((s) => s.task === 'DataValidate@1');
    assert.ok(validate.length > 0);
    for (const step of validate) {
      assert.strictEqual(step.inputs!.dataPath, '$(trainingData)');
      assert.ok(fs.existsSync(path.resolve(examples, '..', pipeline.variables.trainingData)), pipeline.variables.trainingData);
      assert.ok(fs.existsSync(path.resolve(examples, '..', step.inputs!.schema)), step.inputs!.schema);
    }
    const pack = steps.filter((s) => s.task === 'AmlPackage@1');
    assert.ok(pack.length > 0);
    for (const step of pack) {
      const code = path.resolve(examples, '..', step.inputs!.codeDirectory);
      assert.ok(fs.existsSync(path.join(code, step.inputs!.scoringScript ?? 'score.py')), code);
      assert.ok(fs.existsSync(path.resolve(examples, '..', step.inputs!.pipRequirements)), step.inputs!.pipRequirements);
    }
  });

  it('has a data sample that its schema describes: the ten features and the target', () => {
    const schema = parseSchema(fs.readFileSync(path.join(examples, 'data', 'schema.yml'), 'utf8'), path.join(examples, 'data', 'schema.yml'));
    const [header, ...rows] = fs.readFileSync(path.join(examples, 'data', 'diabetes.csv'), 'utf8').trim().split('\n');
    assert.deepStrictEqual(header.split(','), schema.columns.map((c) => c.name));
    assert.deepStrictEqual(header.split(','), ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6', 'target']);
    assert.ok(rows.length >= 100 && rows.every((r) => r.split(',').length === 11));
  });

  it('has endpoint and deployment YAMLs that AmlDeploy accepts, with a sample request the fake model can answer', () => {
    const deploy = path.join(examples, 'deploy');
    const endpoint = loadOnlineEndpointSpec(path.join(deploy, 'endpoint.yml'));
    const deployment = loadOnlineDeploymentSpec(path.join(deploy, 'deployment.yml'));
    assert.strictEqual(deployment.spec.endpointName, endpoint.spec.name);
    assert.ok(deployment.spec.code?.kind === 'local' && fs.existsSync(path.join(deployment.spec.code.path, deployment.spec.scoringScript!)));
    const batchEndpoint = loadBatchEndpointSpec(path.join(deploy, 'batch-endpoint.yml'));
    const batch = loadBatchDeploymentSpec(path.join(deploy, 'batch-deployment.yml'));
    assert.strictEqual(batch.spec.endpointName, batchEndpoint.spec.name);
    const request = JSON.parse(fs.readFileSync(path.join(deploy, 'sample-request.json'), 'utf8'));
    assert.ok(Array.isArray(request.input_data) && request.input_data.every((row: number[]) => row.length === 10));
  });
});

describe('documentation', () => {
  const root = path.resolve(examples, '..');
  for (const doc of ['README.md', 'overview.md', path.join('docs', 'tasks', 'AmlTrain.md'), path.join('docs', 'tasks', 'AmlRegisterModel.md'), path.join('docs', 'tasks', 'DataValidate.md'), path.join('docs', 'tasks', 'AmlDeploy.md'), path.join('docs', 'tasks', 'AmlPackage.md'), path.join('docs', 'tasks', 'AmlJobWait.md'), path.join('docs', 'migration.md')]) {
    it(`has YAML snippets in ${doc} that parse`, () => {
      const text = fs.readFileSync(path.join(root, doc), 'utf8');
      const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
      for (const block of blocks) assert.doesNotThrow(() => parse(block), `a YAML snippet in ${doc} does not parse:\n${block}`);
    });

    it(`uses only inputs the tasks declare in the YAML snippets of ${doc}`, () => {
      const text = fs.readFileSync(path.join(root, doc), 'utf8');
      for (const [, block] of text.matchAll(/```yaml\n([\s\S]*?)```/g)) {
        for (const step of taskSteps(parse(block))) {
          const known = declaredInputs.get(step.task);
          if (!known) continue;
          for (const input of Object.keys(step.inputs ?? {})) assert.ok(known.has(input), `${doc}: ${step.task} has no input '${input}'`);
        }
      }
    });
  }
});

/** Every input name and alias of each task, keyed as a pipeline references it (`AmlTrain@1`). */
const declaredInputs = new Map<string, Set<string>>(
  fs.readdirSync(path.join(examples, '..', 'tasks')).map((name) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(examples, '..', 'tasks', name, 'task.json'), 'utf8')) as { version: { Major: number }; inputs: Array<{ name: string; aliases?: string[] }> };
    return [`${name}@${manifest.version.Major}`, new Set(manifest.inputs.flatMap((i) => [i.name, ...(i.aliases ?? [])]))];
  }),
);

/** The `- task:` steps anywhere in a parsed YAML document. */
function taskSteps(node: unknown): Array<{ task: string; inputs?: Record<string, unknown> }> {
  if (Array.isArray(node)) return node.flatMap(taskSteps);
  if (!node || typeof node !== 'object') return [];
  const own = typeof (node as { task?: unknown }).task === 'string' ? [node as { task: string; inputs?: Record<string, unknown> }] : [];
  return [...own, ...Object.values(node).flatMap(taskSteps)];
}

describe('DataValidate reference page', () => {
  it('shows a schema that DataValidate accepts', () => {
    const file = path.resolve(examples, '..', 'docs', 'tasks', 'DataValidate.md');
    const blocks = [...fs.readFileSync(file, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
    const schema = blocks.find((b) => b.startsWith('version:'));
    assert.ok(schema, 'no schema example');
    const parsed = parseSchema(schema!, file);
    assert.ok(parsed.columns.length >= 5);
  });
});
