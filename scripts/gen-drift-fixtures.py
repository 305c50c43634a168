#!/usr/bin/python3
"""Writes test/unit/data/fixtures/drift/*.json: sample pairs with exact drift metrics computed by scipy.

Run with Debian's Python (numpy, scipy): /usr/bin/python3 scripts/gen-drift-fixtures.py
The TypeScript tests feed the same values through ColumnAccumulator and compare, so they need no Python.

Numeric values are quantised to integers / scale so both languages get bit-identical doubles (value = int / scale),
stored sorted as zlib-compressed LEB128 deltas (the tests shuffle them with a seeded PRNG before profiling).
Definitions (Azure ML model monitoring):
  normalized_wasserstein = wasserstein_distance(ref, cur) / max(std(ref, ddof=1), 0.001)
  ks = ks_2samp(ref, cur).statistic
  psi, jensen_shannon: Sturges bins, ceil(log2(min(n_ref, n_cur)) + 1) equal-width over the combined min..max
    (numpy.linspace edges, numpy.histogram counts); PSI with +1 per bin count; JS distance base 2
  categorical: union of categories; chi_squared = chi2_contingency([ref, cur]) (Yates for 2 categories);
    infinity_norm = max |ref share - cur share| (TFDV's L-infinity drift comparator)
"""
import base64
import json
import math
import os
import zlib

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'unit', 'data', 'fixtures', 'drift')
rng = np.random.default_rng(20240611)


def encode(ints):
    ints = np.sort(np.asarray(ints, dtype=np.int64))
    first = int(ints[0])
    out = bytearray()
    for d in np.diff(ints).tolist():
        while d >= 128:
            out.append((d & 127) | 128)
            d >>= 7
        out.append(d)
    return {'n': int(len(ints)), 'first': first, 'deltas': base64.b64encode(zlib.compress(bytes(out), 9)).decode()}


def psi(a, b):
    p = (a + 1) / np.sum(a + 1)
    q = (b + 1) / np.sum(b + 1)
    return float(np.sum((p - q) * np.log(p / q)))


def numeric_case(name, description, ref_ints, cur_ints, scale):
    ref = np.asarray(ref_ints, dtype=np.int64) / scale
    cur = np.asarray(cur_ints, dtype=np.int64) / scale
    lo = min(ref.min(), cur.min())
    hi = max(ref.max(), cur.max())
    bins = math.ceil(math.log2(min(len(ref), len(cur))) + 1)
    edges = np.linspace(lo, hi, bins + 1)
    a, _ = np.histogram(ref, edges)
    b, _ = np.histogram(cur, edges)
    std = float(np.std(ref, ddof=1))
    case = {
        'name': name,
        'description': description,
        'kind': 'numeric',
        'scale': scale,
        'reference': encode(ref_ints),
        'current': encode(cur_ints),
        'stats': {
            'reference': {'count': len(ref), 'mean': float(np.mean(ref)), 'std': std, 'min': float(ref.min()), 'max': float(ref.max()),
                          'distinct': int(len(np.unique(ref)))},
            'current': {'count': len(cur), 'mean': float(np.mean(cur)), 'std': float(np.std(cur, ddof=1)), 'min': float(cur.min()),
                        'max': float(cur.max()), 'distinct': int(len(np.unique(cur)))},
        },
        'bins': bins,
        'expected': {
            'normalized_wasserstein': float(stats.wasserstein_distance(ref, cur) / max(std, 0.001)),
            'ks': float(stats.ks_2samp(ref, cur).statistic),
            'psi': psi(a, b),
            'jensen_shannon': float(jensenshannon(a, b, base=2)),
        },
    }
    write(name, case)


def categorical_case(name, description, ref_counts, cur_counts):
    keys = sorted(set(ref_counts) | set(cur_counts))
    a = np.array([ref_counts.get(k, 0) for k in keys], dtype=float)
    b = np.array([cur_counts.get(k, 0) for k in keys], dtype=float)
    chi2, p, dof, _ = stats.chi2_contingency(np.vstack([a, b]))
    case = {
        'name': name,
        'description': description,
        'kind': 'categorical',
        'reference': ref_counts,
        'current': cur_counts,
        'expected': {
            'jensen_shannon': float(jensenshannon(a, b, base=2)),
            'psi': psi(a, b),
            'chi_squared': float(p),
            'chi_squared_statistic': float(chi2),
            'infinity_norm': float(np.max(np.abs(a / a.sum() - b / b.sum()))),
            'dof': int(dof),
        },
    }
    write(name, case)


def write(name, case):
    with open(os.path.join(OUT, name + '.json'), 'w') as f:
        json.dump(case, f, indent=1)
        f.write('\n')


def counts_of(labels, values):
    u, c = np.unique(values, return_counts=True)
    return {labels[int(i)]: int(n) for i, n in zip(u, c)}


def main():
    os.makedirs(OUT, exist_ok=True)
    s = 1000  # three decimals
    numeric_case('normal-shift', 'normal(0,1) 100k vs normal(0.1,1.1) 80k, 3 decimals',
                 np.round(rng.normal(0, 1, 100_000) * s), np.round(rng.normal(0.1, 1.1, 80_000) * s), s)
    s = 100
    numeric_case('lognormal-same', 'lognormal(3,0.8) 100k vs the same distribution 100k, 2 decimals',
                 np.round(rng.lognormal(3, 0.8, 100_000) * s), np.round(rng.lognormal(3, 0.8, 100_000) * s), s)
    numeric_case('lognormal-shift', 'lognormal(3,0.8) 100k vs lognormal(3.1,0.8) 50k, 2 decimals',
                 np.round(rng.lognormal(3, 0.8, 100_000) * s), np.round(rng.lognormal(3.1, 0.8, 50_000) * s), s)
    numeric_case('poisson-ties', 'poisson(20) 100k vs poisson(22) 60k: few distinct integers, many ties (exact path)',
                 rng.poisson(20, 100_000), rng.poisson(22, 60_000), 1)
    numeric_case('integers-ties', 'round(normal(5000,1500)) 150k vs round(normal(5200,1600)) 100k: ~10k distinct integers with ties',
                 np.round(rng.normal(5000, 1500, 150_000)), np.round(rng.normal(5200, 1600, 100_000)), 1)
    day = 86_400_000
    start = 1_704_067_200_000  # 2024-01-01T00:00:00Z
    numeric_case('datetime-shift', 'epoch ms to the second: uniform over 30 days 60k vs 30 days starting 3 days later 40k',
                 start + rng.integers(0, 30 * 86_400, 60_000) * 1000, start + 3 * day + rng.integers(0, 30 * 86_400, 40_000) * 1000, 1)
    numeric_case('mixed-sign-small', 'normal(-2,3) 20k vs normal(-1.5,3) 20k, 4 decimals',
                 np.round(rng.normal(-2, 3, 20_000) * 10_000), np.round(rng.normal(-1.5, 3, 20_000) * 10_000), 10_000)

    labels = [chr(ord('A') + i) for i in range(11)]
    ref_p = np.array([30, 20, 12, 10, 8, 6, 5, 4, 3, 2, 0], dtype=float)
    cur_p = np.array([26, 21, 13, 10, 8, 6, 5, 4, 3, 2, 2], dtype=float)  # K is new in the current data
    categorical_case('categories-new', '10 categories 100k vs shifted shares plus a new category K 70k',
                     counts_of(labels, rng.choice(11, 100_000, p=ref_p / ref_p.sum())),
                     counts_of(labels, rng.choice(11, 70_000, p=cur_p / cur_p.sum())))
    categorical_case('boolean', 'true/false 0.30 vs 0.32, 5000 each (2 x 2 table: Yates correction)',
                     counts_of(['false', 'true'], (rng.random(5000) < 0.30).astype(int)),
                     counts_of(['false', 'true'], (rng.random(5000) < 0.32).astype(int)))

    grid = []
    for dof in [1, 2, 3, 5, 10, 30, 100, 1000, 9999]:
        for q in [0.001, 0.05, 0.5, 0.95, 0.999999]:
            x = float(stats.chi2.ppf(q, dof))
            grid.append({'x': x, 'dof': dof, 'sf': float(stats.chi2.sf(x, dof))})
        for x in [0.01, 1.0, 7.5, 40.0, 250.0, 2000.0]:
            grid.append({'x': x, 'dof': dof, 'sf': float(stats.chi2.sf(x, dof))})
    write('chi2-sf', {'name': 'chi2-sf', 'description': 'scipy.stats.chi2.sf on a grid', 'grid': grid})


if __name__ == '__main__':
    main()
