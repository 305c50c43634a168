import { strict as assert } from 'assert';
import { BINNING_RULE, chiSquaredSurvival, chiSquaredTest, columnDrift, defaultDriftMetric } from '../../../src/data/drift';
import { ColumnAccumulator } from '../../../src/data/profile';
import { UserError } from '../../../src/errors';
import type { ColumnProfile, DriftMetric } from '../../../src/data/types';
import { categoricalProfile, decode, numericProfile, readFixture, shuffle } from './drift-helpers';

const NUMERIC: DriftMetric[] = ['normalized_wasserstein', 'ks', 'psi', 'jensen_shannon'];

/**
 * Largest difference from scipy allowed for sketch-based profiles (> 512 distinct values). What was achieved on these
 * fixtures when written: W1-norm within 0.2 % relative, KS within 2e-4, PSI within 3e-3 absolute (0.25 % of 1.1),
 * JS within 1e-3 absolute (the worst being two samples of one distribution, where JS is pure sampling noise).
 */
function within(metric: DriftMetric, actual: number, expected: number): boolean {
  switch (metric) {
    case 'normalized_wasserstein':
      return Math.abs(actual - expected) <= 0.005 * expected + 1e-4;
    case 'ks':
      return Math.abs(actual - expected) <= 0.001;
    case 'psi':
      return Math.abs(actual - expected) <= 0.005;
    default:
      return Math.abs(actual - expected) <= 0.002;
  }
}

function numericPair(name: string): { ref: ColumnProfile; cur: ColumnProfile; fixture: any } {
  const fixture = readFixture(name);
  const ref = numericProfile('x', shuffle(decode(fixture.reference, fixture.scale), 1));
  const cur = numericProfile('x', shuffle(decode(fixture.current, fixture.scale), 2));
  return { ref, cur, fixture };
}

describe('drift metrics against scipy', () => {
  for (const name of ['normal-shift', 'lognormal-same', 'lognormal-shift', 'integers-ties', 'datetime-shift', 'mixed-sign-small']) {
    it(`reproduces scipy's metrics from sketches: ${name}`, () => {
      const { ref, cur, fixture } = numericPair(name);
      assert.equal((ref.sketch as { type: string }).type, 'ddsketch');
      for (const metric of NUMERIC) {
        const r = columnDrift(ref, cur, metric, 0.1, 'warning');
        const expected = fixture.expected[metric];
        assert.ok(within(metric, r.value, expected), `${metric}: ${r.value} vs scipy ${expected}`);
      }
    });
  }

  it('matches scipy exactly for columns with few distinct values (ties)', () => {
    const { ref, cur, fixture } = numericPair('poisson-ties');
    assert.equal((ref.sketch as { type: string }).type, 'exact');
    for (const metric of NUMERIC) {
      const r = columnDrift(ref, cur, metric, 0.1, 'warning');
      assert.ok(Math.abs(r.value - fixture.expected[metric]) <= 1e-12, `${metric}: ${r.value} vs ${fixture.expected[metric]}`);
    }
  });

  it('profiles reproduce numpy count, mean, std, min, max and distinct', () => {
    for (const name of ['normal-shift', 'poisson-ties', 'datetime-shift']) {
      const { ref, fixture } = numericPair(name);
      const s = fixture.stats.reference;
      assert.equal(ref.count, s.count);
      assert.equal(ref.min, s.min);
      assert.equal(ref.max, s.max);
      assert.ok(Math.abs(ref.mean! - s.mean) <= 1e-12 * Math.max(1, Math.abs(s.mean)), name);
      assert.ok(Math.abs(ref.std! - s.std) <= 1e-9 * s.std, name);
      assert.ok(Math.abs(ref.distinct - s.distinct) <= 0.05 * s.distinct, `${name}: distinct ${ref.distinct} vs ${s.distinct}`);
    }
  });

  for (const name of ['categories-new', 'boolean']) {
    it(`matches scipy exactly on categories: ${name}`, () => {
      const f = readFixture(name);
      const ref = categoricalProfile('c', f.reference, 1);
      const cur = categoricalProfile('c', f.current, 2);
      for (const metric of ['jensen_shannon', 'psi', 'chi_squared', 'infinity_norm'] as const) {
        const r = columnDrift(ref, cur, metric, 0.05, 'error');
        const expected = f.expected[metric];
        assert.ok(Math.abs(r.value - expected) <= 1e-12 + 1e-9 * expected, `${metric}: ${r.value} vs ${expected}`);
      }
      const a = Object.keys({ ...f.reference, ...f.current }).sort();
      const t = chiSquaredTest(
        a.map((k) => f.reference[k] ?? 0),
        a.map((k) => f.current[k] ?? 0),
      );
      assert.ok(Math.abs(t.statistic - f.expected.chi_squared_statistic) <= 1e-9 * f.expected.chi_squared_statistic);
      assert.equal(t.dof, f.expected.dof);
    });
  }

  it('computes the chi-squared survival function as scipy.stats.chi2.sf', () => {
    const { grid } = readFixture<{ grid: Array<{ x: number; dof: number; sf: number }> }>('chi2-sf');
    for (const { x, dof, sf } of grid) {
      const got = chiSquaredSurvival(x, dof);
      const ok = sf < 1e-300 ? got < 1e-290 : Math.abs(got - sf) <= 1e-12 + 1e-9 * sf;
      assert.ok(ok, `chi2.sf(${x}, ${dof}) = ${got}, scipy ${sf}`);
    }
  });
});

describe('drift results', () => {
  it('flags drift at value >= threshold and carries the binning for binned metrics', () => {
    const { ref, cur } = numericPair('normal-shift');
    const w = columnDrift(ref, cur, 'normalized_wasserstein', 0.1, 'error');
    assert.deepEqual({ ...w, value: undefined }, { column: 'x', metric: 'normalized_wasserstein', value: undefined, threshold: 0.1, drifted: true, severity: 'error' });
    assert.equal(columnDrift(ref, cur, 'normalized_wasserstein', w.value, 'error').drifted, true);
    assert.equal(columnDrift(ref, cur, 'normalized_wasserstein', w.value + 1e-9, 'error').drifted, false);
    const js = columnDrift(ref, cur, 'jensen_shannon', 0.1, 'warning');
    assert.equal(js.drifted, false);
    assert.match(js.binning!, /^Sturges: 18 equal-width bins over /);
  });

  it('reports chi-squared as its p-value and flags drift when p < threshold', () => {
    const f = readFixture('boolean');
    const ref = categoricalProfile('b', f.reference);
    const cur = categoricalProfile('b', f.current);
    const r = columnDrift(ref, cur, 'chi_squared', 0.05, 'warning');
    assert.equal(r.pValue, r.value);
    assert.equal(r.drifted, false); // p = 0.39
    assert.equal(columnDrift(ref, cur, 'chi_squared', 0.5, 'warning').drifted, true);
    const g = readFixture('categories-new');
    assert.equal(columnDrift(categoricalProfile('c', g.reference), categoricalProfile('c', g.current), 'chi_squared', 0.05, 'warning').drifted, true);
  });

  it('treats a new category as drift, with zero reference share', () => {
    const ref = categoricalProfile('c', { a: 50, b: 50 });
    const cur = categoricalProfile('c', { a: 50, b: 50, z: 100 });
    const r = columnDrift(ref, cur, 'jensen_shannon', 0.1, 'warning');
    assert.ok(r.value > 0.5 && r.drifted);
    assert.equal(r.binning, '3 categories (union of both datasets)');
    assert.equal(columnDrift(ref, ref, 'jensen_shannon', 0.1, 'warning').value, 0);
  });

  it('compares values beyond the category cap as one category', () => {
    const acc = (values: string[]) => {
      const a = new ColumnAccumulator('c', 'categorical', { categoryCap: 2 });
      values.forEach((v) => a.addText(v));
      return a.toProfile();
    };
    const ref = acc(['a', 'b', 'c', 'd']);
    const cur = acc(['a', 'b', 'e', 'f']);
    assert.equal(columnDrift(ref, cur, 'jensen_shannon', 0.1, 'warning').value, 0);
  });

  it('gives NaN, not drifted, when either side has no values', () => {
    const empty = new ColumnAccumulator('x', 'numeric');
    empty.addNull();
    const full = numericProfile('x', [1, 2, 3]);
    for (const metric of NUMERIC) {
      const r = columnDrift(empty.toProfile(), full, metric, 0.1, 'error');
      assert.ok(Number.isNaN(r.value) && r.drifted === false, metric);
      assert.ok(Number.isNaN(columnDrift(full, empty.toProfile(), metric, 0.1, 'error').value));
    }
    const noCategories = new ColumnAccumulator('c', 'categorical').toProfile();
    assert.ok(Number.isNaN(columnDrift(noCategories, categoricalProfile('c', { a: 1 }), 'chi_squared', 0.05, 'error').value));
  });

  it('is zero for identical constant columns and uses the 0.001 std floor', () => {
    const a = numericProfile('x', [5, 5, 5, 5]);
    for (const metric of NUMERIC) assert.equal(columnDrift(a, a, metric, 0.1, 'error').value, 0, metric);
    const b = numericProfile('x', [5, 5, 5, 6]);
    // W1 = 0.25, reference std 0 -> divided by 0.001
    assert.ok(Math.abs(columnDrift(a, b, 'normalized_wasserstein', 0.1, 'error').value - 250) < 1e-9);
  });

  it('refuses mixed kinds and metrics that do not fit the column, as user errors naming the column', () => {
    const n = numericProfile('age', [1, 2, 3]);
    const c = categoricalProfile('age', { a: 1 });
    assert.throws(() => columnDrift(n, c, 'jensen_shannon', 0.1, 'error'), (e: unknown) => e instanceof UserError && /'age' is numeric in the reference and categorical/.test(e.message));
    assert.throws(() => columnDrift(n, n, 'chi_squared', 0.1, 'error'), (e: unknown) => e instanceof UserError && /chi_squared does not apply to numeric column 'age'/.test(e.message));
    assert.throws(() => columnDrift(c, c, 'ks', 0.1, 'error'), UserError);
  });

  it("defaults to Azure ML's metrics and thresholds, and states its binning rule", () => {
    assert.deepEqual(defaultDriftMetric('numeric'), { metric: 'normalized_wasserstein', threshold: 0.1 });
    assert.deepEqual(defaultDriftMetric('categorical'), { metric: 'jensen_shannon', threshold: 0.1 });
    assert.match(BINNING_RULE, /Sturges/);
    assert.match(BINNING_RULE, /log base 2/);
    assert.match(BINNING_RULE, /adds 1 to every bin count/);
  });
});
