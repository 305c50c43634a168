import * as assert from 'assert';
import { renderJson } from '../../../src/data/report/json';
import { renderJUnit } from '../../../src/data/report/junit';
import { renderMarkdown } from '../../../src/data/report/markdown';
import type { ValidationReport } from '../../../src/data/types';

function sampleReport(): ValidationReport {
  return {
    passed: false,
    errors: 1,
    warnings: 1,
    source: 'data/people.csv',
    format: 'csv',
    rowCount: 4,
    bytes: 1234,
    durationMs: 1500,
    schemaFile: 'schema.yaml',
    columns: [
      { name: 'age', kind: 'numeric', count: 3, nulls: 1, min: 17, max: 50, mean: 33.666666, distinct: 3, topValues: [], type: 'integer' },
      { name: 'country', kind: 'categorical', count: 4, nulls: 0, distinct: 3, topValues: [{ value: 'US', count: 2 }, { value: 'a|b', count: 1 }] },
      { name: 'joined', kind: 'numeric', count: 2, nulls: 0, min: Date.UTC(2024, 0, 2), max: Date.UTC(2024, 1, 3, 4, 5, 6), mean: 1705000000000.4, distinct: 2, topValues: [], type: 'datetime' },
    ],
    checks: [
      { id: 'column.age.type', kind: 'type', column: 'age', severity: 'error', success: true, expectation: 'values are integers', observed: '3 values parsed', elementCount: 3, unexpectedCount: 0, examples: [] },
      {
        id: 'column.country.allowed',
        kind: 'allowed',
        column: 'country',
        severity: 'error',
        success: false,
        expectation: 'country is one of US, GB',
        observed: '2 values not allowed',
        elementCount: 4,
        unexpectedCount: 2,
        examples: [
          { row: 3, line: 4, value: 'F|R *bold* <b>x</b>' },
          { row: 4, line: 6, file: 'data/people-2.csv', value: 'two\nlines & "quotes" \'single\' \u0001' },
        ],
      },
      { id: 'column.age.min', kind: 'min', column: 'age', severity: 'warning', success: false, expectation: 'age >= 18', observed: 'min 17, max 50', elementCount: 3, unexpectedCount: 1, examples: [{ row: 2, line: 3, value: '17' }] },
    ],
    drift: {
      reference: 'ref.profile.json',
      results: [
        { column: 'age', metric: 'normalized_wasserstein', value: 0.25, threshold: 0.1, drifted: true, severity: 'warning' },
        { column: 'country', metric: 'jensen_shannon', value: 0.01, threshold: 0.1, drifted: false, severity: 'warning' },
      ],
      driftedShare: 0.5,
      detected: true,
      binning: "Sturges' rule",
    },
  };
}

describe('renderMarkdown', () => {
  const markdown = renderMarkdown(sampleReport());

  it('shows the verdict and a status icon per check', () => {
    assert.match(markdown, /^## DataValidate: ❌ failed/);
    assert.match(markdown, /\| ✅ \| column\.age\.type \| values are integers \| 3 values parsed \| 0 of 3 \(0%\) \|/);
    assert.match(markdown, /\| ❌ \| column\.country\.allowed \|/);
    assert.match(markdown, /\| ⚠️ \| column\.age\.min \|/);
  });

  it('lists the first failing rows with pipes, line breaks and markdown in values escaped', () => {
    assert.match(markdown, /#### ❌ column\.country\.allowed/);
    // A File column once an example names its file (a dataset of several files).
    assert.match(markdown, /\| Row \| File \| Line \| Value \|/);
    assert.match(markdown, /\| 3 \|  \| 4 \| F\\\|R \\\*bold\\\* \\<b\\>x\\<\/b\\> \|/);
    assert.match(markdown, /\| 4 \| data\/people-2\.csv \| 6 \| two<br>lines/);
    for (const line of markdown.split('\n').filter((l) => l.startsWith('|'))) {
      const cells = line.replace(/\\\|/g, '').split('|').length;
      assert.ok(cells >= 3, line);
    }
  });

  it('has the column profiles and the drift table with the binning rule under it', () => {
    assert.match(markdown, /\| Column \| Type \| Count \|/);
    assert.match(markdown, /\| age \| integer \| 3 \| 1 \| 17 \| 50 \| 33\.67 \| 3 \|/);
    // A profile without a type (an older report's) shows its kind.
    assert.match(markdown, /\| country \| categorical \| 4 \| 0 \|.*US \(2\), a\\\|b \(1\) \|/);
    // Datetimes as instants, not epoch milliseconds.
    assert.match(markdown, /\| joined \| datetime \| 2 \| 0 \| 2024-01-02 \| 2024-02-03T04:05:06Z \| 2024-01-11T19:06:40Z \| 2 \|/);
    assert.match(markdown, /### Drift against ref\.profile\.json/);
    assert.match(markdown, /\| ⚠️ \| age \| normalized\\_wasserstein \| 0\.25 \| 0\.1 \| yes \|/);
    assert.match(markdown, /Binning: Sturges' rule/);
  });
});

describe('renderJUnit', () => {
  const xml = renderJUnit(sampleReport());

  it('has one testcase per check and drift result, named by id, with the source as classname', () => {
    const names = [...xml.matchAll(/<testcase name="([^"]+)" classname="DataValidate\.data\/people\.csv"/g)].map((m) => m[1]);
    assert.deepStrictEqual(names, ['column.age.type', 'column.country.allowed', 'column.age.min', 'drift.age', 'drift.country']);
    assert.match(xml, /<testsuites name="DataValidate" tests="5" failures="1" errors="0" skipped="2"/);
  });

  it('fails error checks and marks warnings as skipped, which does not fail a test run', () => {
    assert.match(xml, /<testcase name="column\.country\.allowed"[^>]*>\n\s*<failure message="expected country is one of US, GB; observed 2 values not allowed" type="error">/);
    assert.match(xml, /<testcase name="column\.age\.min"[^>]*>\n\s*<skipped message="Warning: expected age &gt;= 18; observed min 17, max 50"\/>/);
    assert.match(xml, /<testcase name="drift\.age"[^>]*>\n\s*<skipped message="Warning: normalized_wasserstein 0\.25 &gt;= threshold 0\.1"\/>/);
    assert.match(xml, /<testcase name="column\.age\.type" classname="[^"]+" time="0"\/>/);
  });

  it('escapes <&"\' and writes control characters XML cannot hold as \\u escapes', () => {
    assert.match(xml, /row 3 \(line 4\): F\|R \*bold\* &lt;b&gt;x&lt;\/b&gt;/);
    assert.match(xml, /row 4 \(data\/people-2\.csv line 6\): two\nlines &amp; "quotes" 'single' \\u0001/);
    assert.ok(!/[\u0000-\u0008]/.test(xml));
    const withQuotes = renderJUnit({ ...sampleReport(), source: `a"b'c<d>&e` });
    assert.match(withQuotes, /classname="DataValidate\.a&quot;b&apos;c&lt;d&gt;&amp;e"/);
  });
});

describe('renderJson', () => {
  it('writes a stable, documented shape with every check', () => {
    const json = JSON.parse(renderJson(sampleReport()));
    assert.deepStrictEqual(Object.keys(json), [
      'format', 'version', 'passed', 'errors', 'warnings', 'statistics', 'source', 'dataFormat', 'rowCount', 'bytes', 'durationMs', 'schemaFile', 'checks', 'drift', 'columns',
    ]);
    assert.strictEqual(json.format, 'datavalidate-report');
    assert.deepStrictEqual(json.statistics, { evaluated: 3, successful: 1, unsuccessful: 2 });
    assert.strictEqual(json.checks[1].unexpectedPercent, 50);
    assert.deepStrictEqual(json.checks[1].examples[0], { row: 3, line: 4, value: 'F|R *bold* <b>x</b>' });
    assert.deepStrictEqual(Object.keys(json.checks[1].examples[1]), ['row', 'line', 'file', 'value']);
  });

  it('writes NaN drift values as null', () => {
    const report = sampleReport();
    report.drift!.results[0].value = NaN;
    assert.strictEqual(JSON.parse(renderJson(report)).drift.results[0].value, null);
  });
});
