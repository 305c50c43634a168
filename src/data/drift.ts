/**
 * Drift metrics between a reference and a current column profile, with Azure ML model monitoring's definitions:
 * normalized Wasserstein (W1 / std of the reference, floor 0.001), Jensen-Shannon distance with log base 2, PSI with
 * +1 per bin, on Sturges equal-width bins over the combined min..max, and Pearson's chi-squared for categories.
 *
 * Numeric distributions are piecewise: exact atoms for columns with few distinct values, uniform mass within each
 * sketch bucket otherwise (sketch.ts). KS, W1 and bin masses are computed exactly on that representation, so for
 * low-cardinality columns they equal scipy's values and otherwise carry only the sketch's approximation.
 *
 * Decisions:
 *  - chi_squared: value and pValue are the test's p-value (as Azure ML reports it); drifted = p-value < threshold
 *    (e.g. 0.05). Every other metric: drifted = value >= threshold. With millions of rows almost any difference gives
 *    p ~ 0; prefer jensen_shannon or psi for large data. Yates' correction applies to 2 categories, as scipy's
 *    chi2_contingency does by default.
 *  - Either side with no non-null values: value NaN, drifted false (nothing to compare; the engine reports such a
 *    column as one that cannot be compared before asking).
 *  - A metric that does not fit the column's kind, or a column profiled as numeric on one side and categorical on the
 *    other: UserError, since it is a schema or reference-profile mismatch the user must fix.
 *  - Categorical values beyond the category cap are compared as one more category, "other".
 */

import { UserError } from '../errors';
import { exactPieces, LogSketch, Pieces, SerializedSketch } from './sketch';
import type { ColumnProfile, DriftMetric, DriftResult, Severity } from './types';

export const BINNING_RULE =
  "Numeric PSI and Jensen-Shannon use Sturges' rule: ceil(log2(n) + 1) equal-width bins over the combined min..max of both datasets, " +
  'n = the smaller non-null count, each bin [low, high) except the last, which includes the maximum; bin masses of columns with more ' +
  'than 512 distinct values come from their quantile sketches (1 % relative accuracy around the median). Categorical metrics use the ' +
  'union of the categories of both datasets (values beyond the category cap count as one category). Jensen-Shannon is the distance ' +
  '(square root of the divergence) with log base 2; PSI adds 1 to every bin count; chi-squared is Pearson\'s test on the 2 x k table ' +
  "(Yates' correction for 2 categories), reported as its p-value; the infinity norm is the largest difference between a category's " +
  'shares (as TFDV\'s drift comparator).';

const NUMERIC_METRICS: readonly DriftMetric[] = ['normalized_wasserstein', 'ks', 'psi', 'jensen_shannon'];
const CATEGORICAL_METRICS: readonly DriftMetric[] = ['jensen_shannon', 'psi', 'chi_squared', 'infinity_norm'];

export function defaultDriftMetric(kind: 'numeric' | 'categorical'): { metric: DriftMetric; threshold: number } {
  return kind === 'numeric' ? { metric: 'normalized_wasserstein', threshold: 0.1 } : { metric: 'jensen_shannon', threshold: 0.1 };
}

export function columnDrift(reference: ColumnProfile, current: ColumnProfile, metric: DriftMetric, threshold: number, severity: Severity): DriftResult {
  const column = current.name;
  if (reference.kind !== current.kind) {
    throw new UserError(
      `Column '${column}' is ${reference.kind} in the reference and ${current.kind} in the current data, so drift cannot be compared. ` +
        `Make the column's type the same on both sides (rebuild the reference profile with the current schema), or set its drift to 'skip'.`,
    );
  }
  const allowed = current.kind === 'numeric' ? NUMERIC_METRICS : CATEGORICAL_METRICS;
  if (!allowed.includes(metric)) {
    throw new UserError(`Drift metric ${metric} does not apply to ${current.kind} column '${column}'; use one of ${allowed.join(', ')}.`);
  }
  const result: DriftResult = { column, metric, value: NaN, threshold, drifted: false, severity };
  if (reference.count === 0 || current.count === 0) return result;

  if (current.kind === 'categorical') {
    const [ref, cur] = categoryCounts(reference, current);
    result.binning = `${ref.length} categories (union of both datasets)`;
    if (metric === 'chi_squared') {
      const { pValue } = chiSquaredTest(ref, cur);
      result.value = pValue;
      result.pValue = pValue;
      result.drifted = pValue < threshold;
      return result;
    }
    result.value = metric === 'psi' ? psi(ref, cur) : metric === 'infinity_norm' ? infinityNorm(ref, cur) : jensenShannonDistance(ref, cur);
  } else {
    const ref = numericPieces(reference);
    const cur = numericPieces(current);
    if (metric === 'normalized_wasserstein') {
      result.value = wasserstein1(ref, cur) / Math.max(reference.std ?? 0, 0.001);
    } else if (metric === 'ks') {
      result.value = ksStatistic(ref, cur);
    } else {
      const lo = Math.min(reference.min!, current.min!);
      const hi = Math.max(reference.max!, current.max!);
      const bins = sturgesBins(Math.min(reference.count, current.count));
      const edges = binEdges(lo, hi, bins);
      const a = binCounts(ref, edges);
      const b = binCounts(cur, edges);
      result.binning = `Sturges: ${bins} equal-width bins over ${lo}..${hi}`;
      result.value = metric === 'psi' ? psi(a, b) : jensenShannonDistance(a, b);
    }
  }
  result.drifted = result.value >= threshold;
  return result;
}

// ---------------------------------------------------------------- numeric

export function numericPieces(p: ColumnProfile): Pieces {
  const s = p.sketch as SerializedSketch | undefined;
  if (s === undefined || s.type === 'none') throw new Error(`numeric profile of ${p.name} has no sketch`);
  return s.type === 'exact' ? exactPieces(s) : LogSketch.parse(s).pieces(p.min!, p.max!);
}

export function sturgesBins(n: number): number {
  return Math.max(1, Math.ceil(Math.log2(n) + 1));
}

/** As numpy.linspace(lo, hi, bins + 1): start + i * step, the last edge exactly hi. */
export function binEdges(lo: number, hi: number, bins: number): Float64Array {
  const edges = new Float64Array(bins + 1);
  const step = (hi - lo) / bins;
  for (let i = 0; i < bins; i++) edges[i] = i * step + lo;
  edges[bins] = hi;
  return edges;
}

/**
 * Cumulative mass at ascending points x: below x (left) or up to and including x (right). Atoms jump; interval
 * pieces rise linearly over (lo, hi].
 */
function cumulative(p: Pieces, xs: Float64Array, right: boolean): Float64Array {
  const out = new Float64Array(xs.length);
  let j = 0;
  let before = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    while (j < p.lo.length && (p.hi[j] < x || (p.hi[j] === x && (right || p.lo[j] < x)))) before += p.mass[j++];
    let partial = 0;
    if (j < p.lo.length && p.lo[j] < x) partial = (p.mass[j] * (x - p.lo[j])) / (p.hi[j] - p.lo[j]);
    out[i] = before + partial;
  }
  return out;
}

function breakpoints(a: Pieces, b: Pieces): Float64Array {
  const all = new Float64Array(2 * (a.lo.length + b.lo.length));
  all.set(a.lo, 0);
  all.set(a.hi, a.lo.length);
  all.set(b.lo, 2 * a.lo.length);
  all.set(b.hi, 2 * a.lo.length + b.lo.length);
  all.sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[n - 1]) all[n++] = all[i];
  return all.subarray(0, n);
}

/** CDFs (as fractions) of both sides at every breakpoint, from the left and from the right. */
function cdfs(a: Pieces, b: Pieces) {
  const xs = breakpoints(a, b);
  const scale = (v: Float64Array, total: number): Float64Array => v.map((m) => m / total);
  return {
    xs,
    aLeft: scale(cumulative(a, xs, false), a.total),
    aRight: scale(cumulative(a, xs, true), a.total),
    bLeft: scale(cumulative(b, xs, false), b.total),
    bRight: scale(cumulative(b, xs, true), b.total),
  };
}

/** Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two CDFs. */
export function ksStatistic(a: Pieces, b: Pieces): number {
  const c = cdfs(a, b);
  let d = 0;
  for (let i = 0; i < c.xs.length; i++) {
    d = Math.max(d, Math.abs(c.aLeft[i] - c.bLeft[i]), Math.abs(c.aRight[i] - c.bRight[i]));
  }
  return d;
}

/** W1 = integral of |F_a - F_b|; both CDFs are linear between breakpoints, so each stretch integrates in closed form. */
export function wasserstein1(a: Pieces, b: Pieces): number {
  const c = cdfs(a, b);
  let w = 0;
  for (let i = 0; i + 1 < c.xs.length; i++) {
    const h = c.xs[i + 1] - c.xs[i];
    const g0 = c.aRight[i] - c.bRight[i];
    const g1 = c.aLeft[i + 1] - c.bLeft[i + 1];
    if (g0 * g1 >= 0) w += ((Math.abs(g0) + Math.abs(g1)) / 2) * h;
    else w += ((g0 * g0 + g1 * g1) / (2 * (Math.abs(g0) + Math.abs(g1)))) * h;
  }
  return w;
}

/** Counts per bin, as numpy.histogram with these edges: [e_i, e_i+1), the last bin closed. */
export function binCounts(p: Pieces, edges: Float64Array): Float64Array {
  const below = cumulative(p, edges, false);
  const bins = edges.length - 1;
  const out = new Float64Array(bins);
  for (let i = 0; i < bins - 1; i++) out[i] = below[i + 1] - below[i];
  out[bins - 1] = p.total - below[bins - 1];
  return out;
}

// ---------------------------------------------------------------- distributions over bins or categories

/** Population stability index with 1 added to every count (so empty bins stay finite). */
export function psi(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    sa += a[i] + 1;
    sb += b[i] + 1;
  }
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const p = (a[i] + 1) / sa;
    const q = (b[i] + 1) / sb;
    s += (p - q) * Math.log(p / q);
  }
  return s;
}

/** Jensen-Shannon distance, log base 2 (0..1), of two count vectors (as scipy.spatial.distance.jensenshannon). */
export function jensenShannonDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const [sa, sb] = totals(a, b);
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    const p = a[i] / sa;
    const q = b[i] / sb;
    const m = (p + q) / 2;
    if (p > 0) d += p * Math.log(p / m);
    if (q > 0) d += q * Math.log(q / m);
  }
  return Math.sqrt(Math.max(0, d / 2 / Math.LN2));
}

/** The L-infinity distance of two distributions given as counts: the largest difference between shares (TFDV's infinity_norm). */
export function infinityNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const [sa, sb] = totals(a, b);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] / sa - b[i] / sb));
  return d;
}

/** The sums of two count vectors of one length. */
function totals(a: ArrayLike<number>, b: ArrayLike<number>): [number, number] {
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    sa += a[i];
    sb += b[i];
  }
  return [sa, sb];
}

function categoryCounts(reference: ColumnProfile, current: ColumnProfile): [number[], number[]] {
  const union = new Map<string, [number, number]>();
  for (const [k, v] of Object.entries(reference.categories ?? {})) union.set(k, [v, 0]);
  for (const [k, v] of Object.entries(current.categories ?? {})) {
    const e = union.get(k);
    if (e) e[1] = v;
    else union.set(k, [0, v]);
  }
  const ref: number[] = [];
  const cur: number[] = [];
  for (const [a, b] of union.values()) {
    ref.push(a);
    cur.push(b);
  }
  const otherA = reference.otherCount ?? 0;
  const otherB = current.otherCount ?? 0;
  if (otherA > 0 || otherB > 0) {
    ref.push(otherA);
    cur.push(otherB);
  }
  return [ref, cur];
}

// ---------------------------------------------------------------- chi-squared

/** Pearson's chi-squared test of homogeneity on the 2 x k table [a; b], as scipy.stats.chi2_contingency. */
export function chiSquaredTest(a: ArrayLike<number>, b: ArrayLike<number>): { statistic: number; dof: number; pValue: number } {
  const k = a.length;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < k; i++) {
    na += a[i];
    nb += b[i];
  }
  const n = na + nb;
  const dof = k - 1;
  if (dof === 0) return { statistic: 0, dof, pValue: 1 };
  let stat = 0;
  for (let i = 0; i < k; i++) {
    const col = a[i] + b[i];
    for (const [observed, rowTotal] of [
      [a[i], na],
      [b[i], nb],
    ]) {
      const expected = (rowTotal * col) / n;
      let diff = Math.abs(observed - expected);
      if (dof === 1) diff = Math.max(0, diff - 0.5); // Yates: move each observation up to 0.5 towards its expectation
      stat += (diff * diff) / expected;
    }
  }
  return { statistic: stat, dof, pValue: chiSquaredSurvival(stat, dof) };
}

/** P(X > x) for X ~ chi-squared(dof): the regularized upper incomplete gamma Q(dof/2, x/2). */
export function chiSquaredSurvival(x: number, dof: number): number {
  if (!(x > 0)) return 1;
  return upperGammaRegularized(dof / 2, x / 2);
}

/** ln Gamma(z) for z > 0 (Lanczos approximation, g = 7, 9 terms; ~15 significant digits). */
export function logGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  z -= 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Q(a, x) = Gamma(a, x) / Gamma(a): power series for x < a + 1, else Lentz's continued fraction. */
export function upperGammaRegularized(a: number, x: number): number {
  if (x <= 0) return 1;
  const logPrefix = a * Math.log(x) - x - logGamma(a);
  const maxIterations = 100_000;
  if (x < a + 1) {
    // P(a, x) = x^a e^-x / Gamma(a+1) * sum x^n / ((a+1)...(a+n))
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < maxIterations; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * Math.exp(logPrefix));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < maxIterations; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(logPrefix) * h;
}
