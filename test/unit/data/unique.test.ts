import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { numberKey, UniqueTracker } from '../../../src/data/unique';

describe('uniqueness keys', () => {
  it('gives whole numbers exact, distinct keys, so ids never collide', () => {
    const seen = new Set<number>();
    for (const x of [0, 1, -1, 2 ** 40, -(2 ** 40), 2 ** 51 - 1, -(2 ** 51)]) {
      const k = numberKey(x);
      assert.strictEqual(k.exact, true, String(x));
      assert.ok(k.key > 0 && k.key < 2 ** 53, String(x));
      assert.ok(!seen.has(k.key), `two numbers share the key of ${x}`);
      seen.add(k.key);
    }
  });

  it('hashes fractions and numbers beyond 51 bits', () => {
    assert.strictEqual(numberKey(0.5).exact, false);
    assert.strictEqual(numberKey(2 ** 60).exact, false);
  });

  it('finds a duplicate id among many spilled values with no hash-collision caveat', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unique-'));
    try {
      const tracker = new UniqueTracker(1024, dir);
      for (let id = 1; id <= 50_000; id++) {
        const k = numberKey(id);
        tracker.add(k.key, id, id + 1, k.exact);
      }
      const dup = numberKey(777);
      tracker.add(dup.key, 50_001, 50_002, dup.exact);
      const result = tracker.finish();
      assert.strictEqual(result.duplicates, 1);
      assert.strictEqual(result.hashedValues, 0);
      assert.deepStrictEqual(result.examples.map((e) => e.row), [50_001]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
