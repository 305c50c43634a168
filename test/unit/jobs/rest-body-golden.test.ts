import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { buildGolden, goldenCases, goldenRoot } from './rest-body-golden';

// UPDATE_GOLDEN=1 rewrites expected.json from the current output; review every changed file against the REST spec.
const update = process.env.UPDATE_GOLDEN === '1';

describe('REST bodies of the golden job YAMLs', () => {
  const cases = goldenCases();

  it('covers at least 25 jobs in the styles of the Azure ML CLI examples', () => {
    assert.ok(cases.length >= 25, `only ${cases.length} golden cases`);
    for (const type of ['command', 'sweep', 'pipeline']) assert.ok(cases.some((c) => c.startsWith(`${type}-`)), `no ${type} case`);
  });

  for (const name of cases) {
    it(`turns ${name}/job.yml into expected.json`, async () => {
      const { expected } = await buildGolden(name);
      const file = path.join(goldenRoot(), name, 'expected.json');
      if (update) fs.writeFileSync(file, `${JSON.stringify(expected, null, 2)}\n`);
      assert.ok(fs.existsSync(file), `${file} is missing; run with UPDATE_GOLDEN=1 and review it`);
      assert.deepStrictEqual(JSON.parse(JSON.stringify(expected)), JSON.parse(fs.readFileSync(file, 'utf8')));
    });
  }
});
