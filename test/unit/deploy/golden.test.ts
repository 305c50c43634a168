import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { validatorFor } from '../../fake-azure/schema';
import { buildGolden, goldenCases, goldenRoot } from './golden';

// UPDATE_GOLDEN=1 rewrites expected.json from the current output; review every changed file against the REST spec.
const update = process.env.UPDATE_GOLDEN === '1';

describe('REST bodies of the golden endpoint and deployment YAMLs', () => {
  const cases = goldenCases();

  it('covers at least 15 YAMLs of every kind in the styles of the azureml-examples CLI samples', () => {
    assert.ok(cases.length >= 15, `only ${cases.length} golden cases`);
    for (const kind of ['online-endpoint', 'online-deployment', 'batch-endpoint', 'batch-deployment']) {
      assert.ok(cases.some((c) => c.kind === kind), `no ${kind} case`);
    }
  });

  for (const { name, kind } of cases) {
    it(`turns ${name} into expected.json`, async () => {
      const body = await buildGolden(name, kind);
      const file = path.join(goldenRoot(), name, 'expected.json');
      if (update) fs.writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
      assert.ok(fs.existsSync(file), `${file} is missing; run with UPDATE_GOLDEN=1 and review it`);
      assert.deepStrictEqual(JSON.parse(JSON.stringify(body)), JSON.parse(fs.readFileSync(file, 'utf8')));
    });
  }
});

describe('golden expected.json bodies against the REST contract of the fake', () => {
  const validator = validatorFor('2024-04-01');
  for (const { name, definition } of goldenCases()) {
    it(`${name}/expected.json is a valid ${definition}`, function () {
      // The endpoint and deployment definitions join the fake's schema file with its endpoint routes; until then there is nothing to check against.
      if (!validator?.has(definition)) this.skip();
      const body = JSON.parse(fs.readFileSync(path.join(goldenRoot(), name, 'expected.json'), 'utf8'));
      assert.deepStrictEqual(validator.validate(definition, body), []);
    });
  }
});
