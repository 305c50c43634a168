import * as assert from 'assert';
import * as path from 'path';
import { UserError } from '../../../src/errors';
import { chooseSource, jobSourceUri, parseJobUri, sourceJob } from '../../../src/models/source';

const refuses = (fn: () => unknown, input: string, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof UserError && e.input === input && pattern.test(e.message));

describe('Model sources', () => {
  it('registers a named job output in the CLI form, with or without a path inside it', () => {
    const s = chooseSource({ jobName: 'job_1', jobOutput: 'model' });
    assert.deepStrictEqual(s, { kind: 'job-output', jobName: 'job_1', output: 'model' });
    assert.strictEqual(jobSourceUri(s as any), 'azureml://jobs/job_1/outputs/model');
    const sub = chooseSource({ jobName: 'job_1', jobOutput: 'model/sklearn/' });
    assert.strictEqual(jobSourceUri(sub as any), 'azureml://jobs/job_1/outputs/model/paths/sklearn');
  });

  it('registers an artifact path as azureml://jobs/<job>/outputs/artifacts/paths/<path>/', () => {
    const s = chooseSource({ jobName: 'job_1', artifactPath: '/model/' });
    assert.strictEqual(jobSourceUri(s as any), 'azureml://jobs/job_1/outputs/artifacts/paths/model/');
    assert.deepStrictEqual(sourceJob(s), { jobName: 'job_1', output: 'artifacts', input: 'jobName' });
  });

  it('takes modelPath as a local path or a URI', () => {
    assert.deepStrictEqual(chooseSource({ modelPath: 'out/model' }), { kind: 'local', path: path.resolve('out/model'), input: 'modelPath' });
    assert.deepStrictEqual(chooseSource({ modelPath: 'https://acct.blob.core.windows.net/c/m.pkl' }), { kind: 'uri', uri: 'https://acct.blob.core.windows.net/c/m.pkl', input: 'modelPath' });
    const job = chooseSource({ modelPath: 'azureml://jobs/job_9/outputs/artifacts/paths/model/' });
    assert.deepStrictEqual(sourceJob(job), { jobName: 'job_9', output: 'artifacts', input: 'modelPath' });
    assert.deepStrictEqual(chooseSource({ modelPath: 'runs:/job_9/model' }), { kind: 'uri', uri: 'azureml://jobs/job_9/outputs/artifacts/paths/model', input: 'modelPath', jobName: 'job_9', output: 'artifacts' });
  });

  it('resolves the model YAML path from the YAML folder, and task inputs win over it', () => {
    assert.deepStrictEqual(chooseSource({ specPath: './model', specFile: '/work/p/model.yml' }), { kind: 'local', path: path.resolve('/work/p/model'), input: 'modelSpec' });
    assert.strictEqual(chooseSource({ modelPath: 'azureml://datastores/ds/paths/m', specPath: './model', specFile: '/x/m.yml' }).kind, 'uri');
  });

  it('reads job URIs and runs: URIs', () => {
    assert.deepStrictEqual(parseJobUri('azureml://jobs/j/outputs/model/paths/a/b'), { jobName: 'j', output: 'model', subPath: 'a/b' });
    assert.deepStrictEqual(parseJobUri('azureml://jobs/j/outputs/model'), { jobName: 'j', output: 'model' });
    assert.deepStrictEqual(parseJobUri('runs:/j/model'), { jobName: 'j', output: 'artifacts', subPath: 'model' });
    assert.strictEqual(parseJobUri('azureml://datastores/d/paths/x'), undefined);
  });

  it('refuses no source, two sources, and half a job source, each naming the input', () => {
    refuses(() => chooseSource({}), 'modelPath', /^No model to register\. Give exactly one source/);
    refuses(() => chooseSource({ jobName: 'j', modelPath: 'x' }), 'modelPath', /'jobName' and 'modelPath' are both set/);
    refuses(() => chooseSource({ jobOutput: 'model' }), 'jobName', /'jobOutput' needs 'jobName'/);
    refuses(() => chooseSource({ jobName: 'j' }), 'jobOutput', /needs 'jobOutput'.*or 'artifactPath'/);
    refuses(() => chooseSource({ jobName: 'j', jobOutput: 'a', artifactPath: 'b' }), 'artifactPath', /both set/);
    refuses(() => chooseSource({ jobName: 'bad name', jobOutput: 'a' }), 'jobName', /not an Azure ML job name/);
    refuses(() => chooseSource({ jobName: 'j', artifactPath: '../x' }), 'artifactPath', /not a path inside/);
    refuses(() => chooseSource({ modelPath: 'http://insecure/m' }), 'modelPath', /not supported/);
  });
});
