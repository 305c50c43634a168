#!/usr/bin/python3
"""The pandas contender of the DataValidate benchmark: the checks of bench/datavalidate/schema.yml, the way a
data scientist would write them with pandas, reading the CSV in chunks of 1M rows (bounded memory; whole-file
read_csv is both slower and 3.5x the file size in RAM, see the research report).

Per chunk, for every column of the schema:
  * null count (empty cell = null; keep_default_na=False so only '' is null, as in the schema's missingValues);
  * type: integer/number via pd.to_numeric(errors='coerce') (integer also needs a whole number), datetime via
    pd.to_datetime(format ISO 'YYYY-MM-DDTHH:MM:SSZ', errors='coerce', utc=True), boolean by value set; a non-null
    cell that does not convert is a type failure;
  * min / max on the converted values; allowed via isin; pattern via str.fullmatch; minLength / maxLength via
    str.len();
  * unique: the ids of all chunks kept as int64 and checked with a sort at the end (exact, across chunks);
  * nullable / maxNullFraction from the totals at the end; row count and the exact set of columns;
  * gc.collect() after each chunk, so that memory stays bounded by the chunk (see the comment there).
Drift against the reference CSV (read whole: 1M rows) for every column whose schema drift is not skip:
  * numeric (integer, number): scipy.stats.wasserstein_distance between a 10 % random sample of the current
    non-null values (fixed seed) and all reference non-null values, divided by the reference std
    (normalized Wasserstein, Azure ML's numerical default);
  * categorical (category, boolean): scipy.spatial.distance.jensenshannon(base=2) of the exact value counts
    (all chunks) against the reference counts, nulls left out.
Prints one JSON object: rows, failures per check, drift per column, seconds.

Usage: /usr/bin/python3 pandas_check.py <data.csv> <reference.csv|-> <schema.yml> [chunksize]
(Debian's python3-pandas 1.5.3 + python3-scipy + python3-yaml; no pyarrow engine.)
"""
import gc
import json
import sys
import time

import numpy as np
import pandas as pd
import yaml
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

TRUE = {"true", "t", "yes", "y", "1"}
FALSE = {"false", "f", "no", "n", "0"}
ISO = "%Y-%m-%dT%H:%M:%SZ"


def main():
    started = time.perf_counter()
    data, reference, schema_file = sys.argv[1], sys.argv[2], sys.argv[3]
    chunksize = int(sys.argv[4]) if len(sys.argv) > 4 else 1_000_000
    with open(schema_file) as f:
        schema = yaml.safe_load(f)
    columns = schema["columns"]
    names = [c["name"] for c in columns]
    # Text columns stay text; numeric and boolean ones are left to read_csv's C parser (its fast path).
    dtype = {c["name"]: str for c in columns if c["type"] in ("string", "category", "datetime")}
    read = dict(dtype=dtype, keep_default_na=False, na_values=[""])
    drift_default = schema.get("drift", {})

    def drift_kind(c):
        if c.get("drift") == "skip":
            return None
        return "numeric" if c["type"] in ("integer", "number") else "categorical" if c["type"] in ("category", "boolean") else None

    failures = {}
    nulls = {n: 0 for n in names}
    ids = {c["name"]: [] for c in columns if c.get("unique")}
    samples = {c["name"]: [] for c in columns if drift_kind(c) == "numeric"}
    counts = {c["name"]: pd.Series(dtype="int64") for c in columns if drift_kind(c) == "categorical"}
    rng = np.random.default_rng(1)
    rows = 0
    header = None

    def fail(key, n):
        if n:
            failures[key] = failures.get(key, 0) + int(n)

    for chunk in pd.read_csv(data, chunksize=chunksize, **read):
        if header is None:
            header = list(chunk.columns)
        rows += len(chunk)
        for c in columns:
            name, kind = c["name"], c["type"]
            raw = chunk[name]
            isnull = raw.isna()
            nulls[name] += int(isnull.sum())
            present = ~isnull
            values = raw
            if kind in ("integer", "number"):
                values = pd.to_numeric(raw, errors="coerce")
                bad = present & values.isna()
                if kind == "integer":
                    bad |= values.notna() & (values % 1 != 0)
                fail(f"{name}.type", bad.sum())
            elif kind == "datetime":
                values = pd.to_datetime(raw, format=ISO, errors="coerce", utc=True)
                fail(f"{name}.type", (present & values.isna()).sum())
            elif kind == "boolean":
                if raw.dtype != bool:
                    text = raw[present].astype(str).str.lower()
                    fail(f"{name}.type", (~text.isin(TRUE | FALSE)).sum())
            if "min" in c or "max" in c:
                lo, hi = c.get("min"), c.get("max")
                if kind == "datetime":
                    lo = None if lo is None else pd.Timestamp(str(lo), tz="UTC")
                    hi = None if hi is None else pd.Timestamp(str(hi), tz="UTC")
                if lo is not None:
                    fail(f"{name}.min", (values < lo).sum())
                if hi is not None:
                    fail(f"{name}.max", (values > hi).sum())
            if "allowed" in c:
                allowed = c["allowed"]
                if kind in ("integer", "number"):
                    fail(f"{name}.allowed", (values.notna() & ~values.isin([float(a) for a in allowed])).sum())
                else:
                    fail(f"{name}.allowed", (present & ~raw.isin([str(a) for a in allowed])).sum())
            if "pattern" in c:
                fail(f"{name}.pattern", (present & ~raw.str.fullmatch(c["pattern"]).fillna(False).astype(bool)).sum())
            if "minLength" in c or "maxLength" in c:
                lengths = raw.str.len()
                if "minLength" in c:
                    fail(f"{name}.minLength", (lengths < c["minLength"]).sum())
                if "maxLength" in c:
                    fail(f"{name}.maxLength", (lengths > c["maxLength"]).sum())
            if name in ids:
                ids[name].append(values.dropna().to_numpy(dtype="int64"))
            if name in samples:
                v = values.dropna().to_numpy(dtype="float64")
                samples[name].append(v[rng.random(len(v)) < 0.1])
            if name in counts:
                counts[name] = counts[name].add(raw.value_counts(), fill_value=0)
        # The .str accessor that a Series caches refers back to the Series: a cycle that keeps each chunk alive
        # until Python's cyclic collector happens to run (pandas 1.5.3 grew to 2.8 GiB over 10 chunks without this).
        del chunk, raw, values
        gc.collect()

    if header != names:
        fail("dataset.columns", 1)
    rc = schema.get("dataset", {}).get("rowCount", {})
    if ("min" in rc and rows < rc["min"]) or ("max" in rc and rows > rc["max"]):
        fail("dataset.rowCount", 1)
    for c in columns:
        if not c.get("nullable", True):
            fail(f"{c['name']}.nullable", nulls[c["name"]])
        if "maxNullFraction" in c and rows and nulls[c["name"]] / rows > c["maxNullFraction"]:
            fail(f"{c['name']}.maxNullFraction", 1)
    for name, parts in ids.items():
        all_ids = np.sort(np.concatenate(parts)) if parts else np.array([], dtype="int64")
        fail(f"{name}.unique", (all_ids[1:] == all_ids[:-1]).sum())
    read_seconds = time.perf_counter() - started

    drift = {}
    if reference != "-" and (samples or counts):
        ref = pd.read_csv(reference, usecols=list(samples) + list(counts), **read)
        for name, parts in samples.items():
            r = pd.to_numeric(ref[name], errors="coerce").dropna().to_numpy(dtype="float64")
            cur = np.concatenate(parts)
            std = r.std()
            value = wasserstein_distance(cur, r) / std if std > 0 else 0.0
            threshold = drift_default.get("numerical", {}).get("threshold", 0.1)
            drift[name] = {"metric": "normalized_wasserstein", "value": round(float(value), 4), "drifted": bool(value > threshold)}
        for name, cur in counts.items():
            r = ref[name].value_counts()
            keys = sorted(set(map(str, cur.index)) | set(map(str, r.index)))
            cur.index = cur.index.map(str)
            r.index = r.index.map(str)
            p = cur.reindex(keys, fill_value=0).to_numpy(dtype="float64")
            q = r.reindex(keys, fill_value=0).to_numpy(dtype="float64")
            value = jensenshannon(p / p.sum(), q / q.sum(), base=2)
            threshold = drift_default.get("categorical", {}).get("threshold", 0.1)
            drift[name] = {"metric": "jensen_shannon", "value": round(float(value), 4), "drifted": bool(value > threshold)}

    print(json.dumps({
        "rows": rows,
        "failures": failures,
        "nulls": nulls,
        "drift": drift,
        "seconds": round(time.perf_counter() - started, 3),
        "checkSeconds": round(read_seconds, 3),
        "pandas": pd.__version__,
    }))


if __name__ == "__main__":
    main()
