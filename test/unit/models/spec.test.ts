import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../../../src/errors';
import { loadModelSpec } from '../../../src/models/spec';

describe('Model YAML', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-spec-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (text: string) => {
    const f = path.join(dir, `m${Math.random().toString(36).slice(2)}.yml`);
    fs.writeFileSync(f, text);
    return f;
  };

  it('reads every field of the az ml model create format', () => {
    const f = write(
      [
        '$schema: https://azuremlschemas.azureedge.net/latest/model.schema.json',
        'name: churn',
        'version: 3',
        'path: ./model',
        'type: mlflow_model',
        'description: Churn classifier',
        'tags:',
        '  team: growth',
        '  reviewed: true',
        'properties:',
        '  framework: sklearn',
        'stage: Development',
      ].join('\n'),
    );
    const spec = loadModelSpec(f);
    assert.deepStrictEqual(spec, {
      file: f,
      name: 'churn',
      version: '3',
      path: './model',
      type: 'mlflow_model',
      description: 'Churn classifier',
      tags: { team: 'growth', reviewed: 'true' },
      properties: { framework: 'sklearn' },
      stage: 'Development',
    });
  });

  it('names the file and line of an unknown field and the likely one', () => {
    const f = write('name: churn\npath: ./model\ntyp: custom_model\n');
    assert.throws(
      () => loadModelSpec(f),
      (e: unknown) => e instanceof UserError && e.line === 3 && e.file === f && e.message.startsWith(`${f}:3: unknown field "typ". Did you mean "type"?`),
    );
  });

  it('refuses a type that is not a model type, on its line', () => {
    const f = write('name: churn\ntype: sklearn\n');
    assert.throws(() => loadModelSpec(f), (e: unknown) => e instanceof UserError && e.line === 2 && /type 'sklearn' is not a model type: use custom_model, mlflow_model, triton_model/.test(e.message));
  });

  it('refuses YAML that does not parse, and nested values where one is expected', () => {
    assert.throws(() => loadModelSpec(write('name: [churn\n')), /not valid YAML/);
    assert.throws(() => loadModelSpec(write('name:\n  a: b\n')), (e: unknown) => e instanceof UserError && e.line === 2 && /name must be a single value/.test(e.message));
    assert.throws(() => loadModelSpec(write('tags: [a, b]\n')), /tags must be a mapping/);
  });

  it('says so when the file does not exist', () => {
    assert.throws(() => loadModelSpec(path.join(dir, 'missing.yml')), (e: unknown) => e instanceof UserError && e.input === 'modelSpec');
  });
});
