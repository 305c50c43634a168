import * as assert from 'assert';
import { EventEmitter } from 'events';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as sinon from 'sinon';
import * as zlib from 'zlib';
import type { PartResult } from '../../../src/data/checks';
import { profileData, validateData, wholeFilesBalance, WorkerChannel, type ValidateOptions } from '../../../src/data/engine';
import * as readers from '../../../src/data/readers';
import { serializeProfile } from '../../../src/data/profile';
import { renderMarkdown } from '../../../src/data/report/markdown';
import { parseSchema } from '../../../src/data/schema';
import * as arrow from 'apache-arrow';
import { Readable } from 'stream';
import { loadParquetWasm } from '../../../src/data/readers/parquet';
import { gunzipSource, localFileSource, type DataSource } from '../../../src/data/sources';
import { memorySource } from './readers/helpers';
import { VALUE_NOT_KEPT } from '../../../src/data/unique';
import type { CheckResult, DatasetProfile, ValidationReport } from '../../../src/data/types';
import { silentLog } from '../../../src/log';

let dir: string;

function file(name: string, text: string) {
  const full = path.join(dir, name);
  fs.writeFileSync(full, text);
  return localFileSource(full, name, fs.statSync(full).size);
}

function options(sources: ReturnType<typeof file>[], schemaText: string, extra: Partial<ValidateOptions> = {}): ValidateOptions {
  return { sources, format: 'auto', reader: {}, schema: parseSchema(schemaText, 'schema.yaml'), workers: 1, log: silentLog, ...extra };
}

function byId(report: ValidationReport, id: string): CheckResult {
  const found = report.checks.find((c) => c.id === id);
  assert.ok(found, `no check ${id} in ${report.checks.map((c) => c.id).join(', ')}`);
  return found;
}

const PEOPLE = 'id,age,country,joined\n1,34,US,2024-01-02\n2,17,GB,2024-01-03\n3,,FR,2024-01-05\n4,50,US,2024-01-06\n';
const PEOPLE_SCHEMA = `version: 1
dataset:
  rowCount: { min: 1 }
  primaryKey: id
columns:
  - { name: id, type: integer, nullable: false, unique: true }
  - { name: age, type: integer, min: 18, severity: warning }
  - { name: country, type: category, allowed: [US, GB] }
  - { name: joined, type: datetime }
`;

describe('validateData', () => {
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'datavalidate-engine-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists every check, passing ones included, and names the failing rows and lines', async () => {
    const { report, profile } = await validateData(options([file('people.csv', PEOPLE)], PEOPLE_SCHEMA));
    assert.deepStrictEqual(
      report.checks.map((c) => [c.id, c.success]),
      [
        ['dataset.malformed', true],
        ['dataset.columns', true],
        ['dataset.rowCount', true],
        ['dataset.primaryKey', true],
        ['column.id.type', true],
        ['column.id.nullable', true],
        ['column.id.unique', true],
        ['column.age.type', true],
        ['column.age.min', false],
        ['column.country.type', true],
        ['column.country.allowed', false],
        ['column.joined.type', true],
      ],
    );
    assert.deepStrictEqual(byId(report, 'column.country.allowed').examples, [{ row: 3, line: 4, value: 'FR' }]);
    assert.strictEqual(byId(report, 'column.age.min').severity, 'warning');
    assert.strictEqual(byId(report, 'column.age.min').observed, 'min 17, max 50');
    assert.strictEqual(report.errors, 1);
    assert.strictEqual(report.warnings, 1);
    assert.strictEqual(report.passed, false);
    assert.strictEqual(report.rowCount, 4);
    assert.strictEqual(profile.columns.find((c) => c.name === 'age')?.nulls, 1);
  });

  it('passes when the only failures are warnings', async () => {
    const schema = PEOPLE_SCHEMA.replace('allowed: [US, GB]', 'allowed: [US, GB, FR]');
    const { report } = await validateData(options([file('people.csv', PEOPLE)], schema));
    assert.strictEqual(report.passed, true);
    assert.strictEqual(report.errors, 0);
    assert.strictEqual(report.warnings, 1);
  });

  it('says which delimiter a header that reads as one column seems to have, and when numbers have a decimal comma', async () => {
    const schema = 'version: 1\ncolumns:\n  - { name: a, type: number }\n  - { name: b, type: integer }\n';
    const semicolons = byId((await validateData(options([file('eu.csv', 'a;b\n1,5;2\n')], schema))).report, 'dataset.columns');
    assert.strictEqual(semicolons.observed, `missing: a, b; not in the schema: a;b. The data's header "a;b" looks like columns separated by ';': set the input csvDelimiter to ';'`);
    const tabs = byId((await validateData(options([file('t.csv', 'a\tb\n1\t2\n')], schema))).report, 'dataset.columns');
    assert.match(tabs.observed!, /looks like columns separated by '\\t': set the input csvDelimiter to '\\t'$/);
    // A name that only has a delimiter in it, with no declared name among its parts, gets no hint.
    const other = byId((await validateData(options([file('o.csv', 'a,b,x;y\n1,2,3\n')], schema))).report, 'dataset.columns');
    assert.strictEqual(other.observed, 'not in the schema: x;y');
    // An empty file has no header to be wrong about.
    const empty = byId((await validateData(options([file('empty.csv', '')], schema))).report, 'dataset.columns');
    assert.deepStrictEqual([empty.success, empty.observed], [false, 'no columns: the data is empty']);

    const { report } = await validateData(options([file('eu2.csv', 'a;b\n1,5;2\n-2,25;3\n')], schema, { reader: { delimiter: ';' } }));
    assert.strictEqual(byId(report, 'column.a.type').observed, '2 values of another type (numbers are read with a decimal point: a decimal comma, as in 1,5, makes a value text)');
    assert.strictEqual(byId(report, 'column.b.type').observed, '2 values parsed');
  });

  it('lets up to 1 - mostly of the values fail each value check of a column, and says so', async () => {
    // 200 ages: 3 below 18, 1 not a number, 2 nulls (not counted by value checks).
    const ages = Array.from({ length: 200 }, (_, i) => (i < 3 ? '12' : i === 3 ? 'x' : i < 6 ? '' : String(20 + (i % 50))));
    const data = [file('mostly.csv', ['age', ...ages].join('\n') + '\n')];
    const schemaFor = (mostly: number) => `version: 1\ncolumns:\n  - { name: age, type: integer, min: 18, mostly: ${mostly} }\n`;
    const loose = (await validateData(options(data, schemaFor(0.98)))).report;
    // 3 of 193 parsed values below the minimum (1.6 %), 1 of 194 values not a whole number: within 2 %.
    assert.deepStrictEqual(
      ['column.age.type', 'column.age.min'].map((id) => [byId(loose, id).success, byId(loose, id).unexpectedCount, byId(loose, id).expectation]),
      [
        [true, 1, 'values are integers, for at least 98% of the values'],
        [true, 3, 'age >= 18, for at least 98% of the values'],
      ],
    );
    assert.strictEqual(loose.passed, true);
    // The summary lists the values that failed a check that passed, and not the nulls within maxNullFraction.
    const summary = renderMarkdown((await validateData(options(data, schemaFor(0.98).replace('mostly: 0.98', 'mostly: 0.98, maxNullFraction: 0.5')))).report);
    assert.match(summary, /#### \u2705 column\.age\.min\n\n\| Row \| Line \| Value \|\n\| --- \| --- \| --- \|\n\| 1 \| 2 \| 12 \|/);
    assert.doesNotMatch(summary, /column\.age\.maxNullFraction\n/);
    const strict = (await validateData(options(data, schemaFor(0.99)))).report;
    assert.deepStrictEqual([byId(strict, 'column.age.type').success, byId(strict, 'column.age.min').success], [true, false]);
    assert.deepStrictEqual(byId(strict, 'column.age.min').examples.map((e) => e.row), [1, 2, 3]);
  });

  it('bounds the mean, median, standard deviation and distinct values of a column', async () => {
    // x: 1..4 (mean 2.5, median 2.5: the mean of the two middle values); y: 40,000 values spread widely (sketched).
    const rows = Array.from({ length: 40_000 }, (_, i) => `${(i % 4) + 1},${((i * 7919) % 40_000) * 0.37},c${i % 3}`);
    const data = [file('stats.csv', ['x,y,c', ...rows].join('\n') + '\n')];
    const schema = (x: string, y: string, c: string) =>
      `version: 1\ncolumns:\n  - { name: x, type: integer, ${x} }\n  - { name: y, type: number, ${y} }\n  - { name: c, type: category, ${c} }\n`;
    const ok = (await validateData(options(data, schema('mean: { min: 2.4, max: 2.6 }, median: { min: 2.5, max: 2.5 }, stdev: { max: 1.2 }', 'median: { min: 7326, max: 7474 }', 'distinct: { min: 3, max: 3 }')))).report;
    const stats = ['column.x.mean', 'column.x.median', 'column.x.stdev', 'column.y.median', 'column.c.distinct'].map((id) => byId(ok, id));
    assert.deepStrictEqual(
      stats.map((c) => [c.success, c.expectation, c.observed]),
      [
        [true, 'mean of x between 2.4 and 2.6', 'mean 2.5'],
        [true, 'median of x between 2.5 and 2.5', 'median 2.5'],
        [true, 'standard deviation of x <= 1.2', 'standard deviation 1.11805'],
        // The exact median is 7400 (the middle of 0 .. 14,799.63): the sketch's is within its 1 %.
        [true, 'median of y between 7326 and 7474', stats[3].observed],
        [true, 'distinct values of c between 3 and 3', 'distinct values 3'],
      ],
    );
    const bad = (await validateData(options(data, schema('mean: { min: 3 }', 'stdev: { min: 10000 }', 'distinct: { max: 2, min: 1 }')))).report;
    assert.deepStrictEqual(
      ['column.x.mean', 'column.y.stdev', 'column.c.distinct'].map((id) => [byId(bad, id).success, byId(bad, id).severity]),
      [[false, 'error'], [false, 'error'], [false, 'error']],
    );
    assert.strictEqual(bad.passed, false);
  });

  it('compares the data columns with the schema in each columns mode', async () => {
    const data = [file('d.csv', 'a,b,extra\n1,2,3\n')];
    const schemaFor = (mode: string) => `version: 1\ndataset:\n  columns: ${mode}\ncolumns:\n  - { name: a, type: integer }\n  - { name: b, type: integer }\n  - { name: c, type: integer }\n`;
    const exact = byId((await validateData(options(data, schemaFor('exact')))).report, 'dataset.columns');
    assert.strictEqual(exact.success, false);
    assert.strictEqual(exact.observed, 'missing: c; not in the schema: extra');
    // Of the names the data and the schema give together: a, b, c, extra.
    assert.deepStrictEqual([exact.unexpectedCount, exact.elementCount], [2, 4]);
    const subset = byId((await validateData(options(data, schemaFor('subset')))).report, 'dataset.columns');
    assert.strictEqual(subset.success, false);
    assert.strictEqual(subset.observed, 'not in the schema: extra');
    const superset = byId((await validateData(options(data, schemaFor('superset')))).report, 'dataset.columns');
    assert.strictEqual(superset.success, false);
    assert.strictEqual(superset.observed, 'missing: c');
    const fine = `version: 1\ndataset:\n  columns: superset\ncolumns:\n  - { name: a, type: integer }\n`;
    const { report, profile } = await validateData(options(data, fine));
    assert.strictEqual(byId(report, 'dataset.columns').success, true);
    // Each column's type: the schema's, or what the values of a column it does not declare parsed as; not in profile files.
    assert.deepStrictEqual(report.columns.map((c) => [c.name, c.type]), [['a', 'integer'], ['b', 'integer'], ['extra', 'integer']]);
    assert.ok((JSON.parse(serializeProfile(profile)) as DatasetProfile).columns.every((c) => c.type === undefined));

    // A name given to two columns fails in every mode; the rules of the name check the first of them.
    const twice = [file('twice.csv', 'a,b,a,x,x\n1,2,3,4,5\n')];
    const withMax = (mode: string) => `version: 1\ndataset:\n  columns: ${mode}\ncolumns:\n  - { name: a, type: integer, max: 2 }\n  - { name: b, type: integer }\n`;
    for (const mode of ['exact', 'subset', 'superset']) {
      const { report } = await validateData(options(twice, withMax(mode)));
      const columns = byId(report, 'dataset.columns');
      assert.strictEqual(columns.success, false, mode);
      const repeated = 'named more than once: a (columns 1 and 3), x (columns 4 and 5); the rules of a name check the first column of that name';
      assert.strictEqual(columns.observed, mode === 'superset' ? repeated : `not in the schema: x; ${repeated}`, mode);
      assert.deepStrictEqual([columns.unexpectedCount, columns.elementCount], [mode === 'superset' ? 2 : 3, 5], mode);
      assert.strictEqual(byId(report, 'column.a.max').success, true, mode);
      assert.strictEqual(report.passed, false, mode);
    }
  });

  it('fails the freshness rule when the latest value is older than maxAge before now', async () => {
    const data = [file('events.csv', 'ts\n2024-03-01T00:00:00Z\n2024-03-09T12:00:00Z\n')];
    const schema = 'version: 1\ndataset:\n  freshness: { column: ts, maxAge: 7d }\ncolumns:\n  - { name: ts, type: datetime }\n';
    const fresh = await validateData(options(data, schema, { now: () => new Date('2024-03-10T00:00:00Z') }));
    assert.strictEqual(byId(fresh.report, 'dataset.freshness').success, true);
    const stale = await validateData(options(data, schema, { now: () => new Date('2024-03-20T00:00:00Z') }));
    const check = byId(stale.report, 'dataset.freshness');
    assert.strictEqual(check.success, false);
    assert.strictEqual(check.observed, 'latest 2024-03-09T12:00:00Z, 10d 12h old');
  });

  it('reports malformed rows as a failed check with their lines instead of stopping', async () => {
    const data = [file('ragged.csv', 'a,b\n1,2\n3\n4,5\n')];
    const { report } = await validateData(options(data, 'version: 1\ncolumns:\n  - { name: a, type: integer }\n  - { name: b, type: integer }\n'));
    const malformed = byId(report, 'dataset.malformed');
    assert.strictEqual(malformed.success, false);
    assert.strictEqual(malformed.examples[0].line, 3);
    assert.strictEqual(report.rowCount, 3);
    // Of all the rows read.
    assert.deepStrictEqual([malformed.unexpectedCount, malformed.elementCount], [1, 3]);
  });

  it('reads gzip-compressed files as the plain ones, each whole, one per thread', async () => {
    const text = (from: number) => ['id,v', ...Array.from({ length: 5000 }, (_, i) => `${from + i},${i === 4000 ? 'bad' : i % 10}`)].join('\n') + '\n';
    const gzipFile = (name: string, body: string) => {
      const full = path.join(dir, name);
      fs.writeFileSync(full, zlib.gzipSync(body));
      return localFileSource(full, name);
    };
    const schema = 'version: 1\ncolumns:\n  - { name: id, type: integer, unique: true }\n  - { name: v, type: integer }\n';
    const plain = await validateData(options([file('p1.csv', text(0)), file('p2.csv', text(5000))], schema, { workers: 2, splitMinBytes: 1 }));
    const zipped = await validateData(options([gzipFile('p1.csv.gz', text(0)), gzipFile('p2.csv.gz', text(5000))], schema, { workers: 2, splitMinBytes: 1 }));
    assert.strictEqual(zipped.report.rowCount, 10000);
    const rename = (checks: CheckResult[]) => JSON.parse(JSON.stringify(checks).replace(/\.csv\.gz/g, '.csv')) as CheckResult[];
    assert.deepStrictEqual(rename(zipped.report.checks), plain.report.checks);
    assert.deepStrictEqual(byId(zipped.report, 'column.v.type').examples.map((e) => e.file), ['p1.csv.gz', 'p2.csv.gz']);
  });

  it('reads files whole when whole files keep the threads about equally busy', () => {
    const equal = (n: number) => new Array<number>(n).fill(100);
    assert.deepStrictEqual(
      [1, 2, 3, 4, 5, 8, 9, 11].map((n) => wholeFilesBalance(equal(n), 2)),
      [false, true, false, true, false, true, false, true],
    );
    assert.strictEqual(wholeFilesBalance([100, 100, 100], 3), true);
    assert.strictEqual(wholeFilesBalance([100, 100, 100, 100], 3), false);
    assert.strictEqual(wholeFilesBalance([600, 50, 50], 2), false);
    assert.strictEqual(wholeFilesBalance([300, 100, 100, 100], 2), true);
    assert.strictEqual(wholeFilesBalance([95, 100, 105, 100], 2), true);
  });

  it('splits a file between the threads only when it holds more than half of what each thread reads', async () => {
    const text = (from: number, n: number) => ['id,v', ...Array.from({ length: n }, (_, i) => `${from + i},${i === 100 ? 'bad' : i % 10}`)].join('\n') + '\n';
    const schema = 'version: 1\ncolumns:\n  - { name: id, type: integer, unique: true }\n  - { name: v, type: integer }\n';
    const split = sinon.spy(readers, 'splitIntoRanges');
    try {
      // Four files of a quarter each: two for each thread, whole.
      const even = [0, 1, 2, 3].map((k) => file(`even-${k}.csv`, text(k * 2000, 2000)));
      const whole = await validateData(options(even, schema, { workers: 2, splitMinBytes: 1 }));
      assert.strictEqual(split.callCount, 0);
      // One file of most of the rows, and two small ones: the large one is split.
      const uneven = [file('large.csv', text(0, 6000)), file('small-1.csv', text(6000, 500)), file('small-2.csv', text(6500, 500))];
      const parts = await validateData(options(uneven, schema, { workers: 2, splitMinBytes: 1 }));
      assert.deepStrictEqual(
        split.getCalls().map((call) => call.args[0].name),
        ['large.csv'],
      );
      // Either way, the checks of one thread, failing rows included.
      for (const [sources, report] of [
        [even, whole.report],
        [uneven, parts.report],
      ] as const) {
        const one = await validateData(options([...sources], schema, { workers: 1 }));
        assert.strictEqual(report.rowCount, one.report.rowCount);
        assert.deepStrictEqual(report.checks, one.report.checks);
      }
      assert.deepStrictEqual(byId(parts.report, 'column.v.type').examples.map((e) => e.file), ['large.csv', 'small-1.csv', 'small-2.csv']);
    } finally {
      split.restore();
    }
  });

  it('names the columns of a CSV file without a header as the schema does, in one part or several', async () => {
    // More rows than a batch holds: the first record is a row like the others.
    const data = [file('plain.csv', Array.from({ length: 20_000 }, (_, i) => `${i},n${i}`).join('\n'))];
    const schema = 'version: 1\ncolumns:\n  - { name: id, type: integer, unique: true }\n  - { name: name, type: string, pattern: "n[0-9]+" }\n';
    for (const workers of [1, 2]) {
      const { report } = await validateData(options(data, schema, { workers, splitMinBytes: 1, reader: { header: false } }));
      assert.deepStrictEqual(report.checks.filter((c) => !c.success), [], `${workers} workers`);
      assert.strictEqual(report.rowCount, 20_000);
      assert.deepStrictEqual(report.columns.map((c) => c.name), ['id', 'name']);
      const id = report.columns[0] as { min: number; max: number; count: number };
      assert.deepStrictEqual([id.min, id.max, id.count], [0, 19_999, 20_000], `${workers} workers`);
    }
  });

  it('takes integers within ±2^53 only, written as digits or as whole JSON numbers', async () => {
    const schema = 'version: 1\ncolumns:\n  - { name: n, type: integer }\n';
    const jsonl = file('n.jsonl', ['{"n": 3}', '{"n": 4.0}', '{"n": 9007199254740991}', '{"n": 1e20}', '{"n": 2.5}'].join('\n'));
    const csv = file('n.csv', ['n', '3', '4.0', '9007199254740991', '9007199254740993', '1e3'].join('\n'));
    for (const [data, failing] of [[jsonl, ['100000000000000000000', '2.5']], [csv, ['4.0', '9007199254740993', '1e3']]] as const) {
      const type = byId((await validateData(options([data], schema))).report, 'column.n.type');
      assert.deepStrictEqual(type.examples.map((e) => e.value), failing, data.name);
    }
  });

  it('checks JSON Lines keys the schema declares wherever they first come, and reports keys it does not as columns', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ a: i, ...(i >= 15_000 && { late: i === 19_000 ? 'bad' : 'ok', extra: 1 }) }));
    const data = [file('late.jsonl', lines.join('\n'))];
    const schemaFor = (mode: string) =>
      `version: 1\ndataset:\n  columns: ${mode}\ncolumns:\n  - { name: a, type: integer }\n  - { name: late, type: category, allowed: [ok] }\n  - { name: never, type: integer, nullable: false }\n`;
    for (const workers of [1, 2]) {
      const { report } = await validateData(options(data, schemaFor('exact'), { workers, splitMinBytes: 1 }));
      const columns = byId(report, 'dataset.columns');
      assert.strictEqual(columns.observed, 'missing: never; not in the schema: extra', `${workers} workers`);
      assert.strictEqual(byId(report, 'dataset.malformed').success, true);
      // The late key is read: its bad value is found on its row; the key no row has gets no checks and no profile.
      assert.deepStrictEqual(byId(report, 'column.late.allowed').examples.map((e) => [e.row, e.line, e.value]), [[19_001, 19_001, 'bad']]);
      assert.strictEqual(byId(report, 'column.late.type').elementCount, 5000);
      assert.ok(report.checks.every((c) => c.column !== 'never'));
      assert.deepStrictEqual(report.columns.map((c) => c.name), ['a', 'late']);
      const superset = await validateData(options(data, schemaFor('superset').replace(/  - \{ name: never.*\n/, ''), { workers, splitMinBytes: 1 }));
      assert.strictEqual(byId(superset.report, 'dataset.columns').success, true);
    }
  });

  it('learns JSON Lines columns from the first 8,192 objects, as the docs say (CSV batches are smaller)', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => JSON.stringify({ a: i, ...(i >= 8000 && { b: i }) }));
    const data = [file('keys.jsonl', lines.join('\n'))];
    const schema = 'version: 1\ndataset:\n  columns: superset\ncolumns:\n  - { name: a, type: integer }\n';
    const { report } = await validateData(options(data, schema));
    // A key of the first 8,192 objects is a column of the data, profiled as such.
    assert.deepStrictEqual(report.columns.map((c) => c.name), ['a', 'b']);
    assert.strictEqual(report.columns[1].nulls, 8000);
  });

  it('checks the rows before data that cannot be read on, and names where it went wrong', async () => {
    const schema = 'version: 1\ncolumns:\n  - { name: a, type: integer, max: 5 }\n  - { name: b, type: string }\n';
    const cases: Array<[string, string | Buffer, RegExp]> = [
      ['quote.csv', 'a,b\n1,x\n9,y\n3,"never closed\n4,z\n', /quote\.csv: a quoted field opened at line 4 \(row 3\) \(byte 14\) is never closed/],
      ['bytes.csv', Buffer.concat([Buffer.from('a,b\n1,x\n9,y\n3,'), Buffer.from([0xff]), Buffer.from('\n4,z\n')]), /bytes\.csv: invalid UTF-8 at line 4 \(row 3\), byte 14/],
      ['bytes.jsonl', Buffer.concat([Buffer.from('{"a":1,"b":"x"}\n{"a":9,"b":"y"}\n{"a":3,"b":"'), Buffer.from([0xff]), Buffer.from('"}\n')]), /bytes\.jsonl: invalid UTF-8 at line 3/],
    ];
    for (const [name, text, message] of cases) {
      const { report } = await validateData(options([file(name, text as string)], schema));
      assert.strictEqual(report.rowCount, 2, name);
      const malformed = byId(report, 'dataset.malformed');
      assert.match(malformed.examples[0].value, message);
      // The rows read and the one where reading stopped.
      assert.deepStrictEqual([malformed.unexpectedCount, malformed.elementCount], [1, 3], name);
      // The rows before were checked: the second one breaks max.
      assert.deepStrictEqual(byId(report, 'column.a.max').examples.map((e) => [e.row, e.value]), [[2, '9']], name);
    }
  });

  it('treats several files as one dataset with rows counted through them, naming the file of each row, and refuses different headers', async () => {
    const data = [file('a.csv', 'n\ny\n2\n'), file('b.csv', 'n\n3\nx\n'), file('c.csv', 'n\nz\n')];
    const { report } = await validateData(options(data, 'version: 1\ncolumns:\n  - { name: n, type: integer }\n'));
    assert.deepStrictEqual(byId(report, 'column.n.type').examples, [
      { row: 1, line: 2, file: 'a.csv', value: 'y' },
      { row: 4, line: 3, file: 'b.csv', value: 'x' },
      { row: 5, line: 2, file: 'c.csv', value: 'z' },
    ]);
    // One file: rows and lines say it all.
    const one = await validateData(options([data[1]], 'version: 1\ncolumns:\n  - { name: n, type: integer }\n'));
    assert.deepStrictEqual(byId(one.report, 'column.n.type').examples, [{ row: 2, line: 3, value: 'x' }]);
    const mismatched = [file('c.csv', 'n\n1\n'), file('d.csv', 'm\n1\n')];
    await assert.rejects(validateData(options(mismatched, 'version: 1\ncolumns:\n  - { name: n, type: integer }\n')), /d\.csv has the columns m, but c\.csv has n/);
  });

  it('merges a dataset of many files part by part into the report of one file with the same rows', async () => {
    const header = 'id,x,city';
    const rows = Array.from({ length: 6000 }, (_, i) => `${i % 2999 === 5 ? 7 : i},${((i * 7919) % 10007) * 0.37},c${(i * 31) % 2500}`);
    const whole = [file('whole.csv', [header, ...rows].join('\n') + '\n')];
    fs.mkdirSync(path.join(dir, 'many'), { recursive: true });
    const many = Array.from({ length: 300 }, (_, k) => file(`many/part-${String(k).padStart(3, '0')}.csv`, [header, ...rows.slice(k * 20, k * 20 + 20)].join('\n') + '\n'));
    const schema = 'version: 1\ndataset:\n  primaryKey: [id]\ncolumns:\n  - { name: id, type: integer, unique: true }\n  - { name: x, type: number }\n  - { name: city, type: category }\n';
    const one = (await validateData(options(whole, schema))).report;
    const inOne = (await validateData(options(many, schema, { workers: 1 }))).report;
    const inTwo = (await validateData(options(many, schema, { workers: 2 }))).report;
    // Parts merged in data order as they come: the same report however the threads took them.
    assert.deepStrictEqual({ ...inTwo, durationMs: 0 }, { ...inOne, durationMs: 0 });
    // The same rows fail as in one file, named by their file and its lines.
    const strip = (r: ValidationReport) => r.checks.map((c) => ({ ...c, examples: c.examples.map((e) => e.row) }));
    assert.deepStrictEqual(strip(inOne), strip(one));
    assert.deepStrictEqual(byId(inOne, 'column.id.unique').examples, [
      { row: 8, line: 9, file: 'many/part-000.csv', value: '7' },
      // Found when the parts merged: shown as the value its exact key holds.
      { row: 3005, line: 6, file: 'many/part-150.csv', value: '7' },
    ]);
    // The same counts and categories; sketches on the grid of the first file rather than of the first rows.
    const counted = (r: ValidationReport) => r.columns.map((c) => [c.name, c.count, c.nulls, c.min, c.max, c.categories, c.otherCount]);
    assert.deepStrictEqual(counted(inOne), counted(one));
  });

  it('checks sources only this thread reads (blobs) in worker threads, their bytes lent chunk by chunk, as it checks them here', async () => {
    const rows = (from: number) => Array.from({ length: 3000 }, (_, i) => `${from + i},${((i * 7919) % 1000) / 10},c${i % 7}`);
    const header = 'id,x,c';
    const text = (from: number) => [header, ...rows(from)].join('\n') + '\n';
    const table = new arrow.Table({
      id: arrow.makeVector(Int32Array.from({ length: 3000 }, (_, i) => 6000 + i)),
      x: arrow.makeVector(Float64Array.from({ length: 3000 }, (_, i) => ((i * 7919) % 1000) / 10)),
      c: arrow.vectorFromArray(Array.from({ length: 3000 }, (_, i) => `c${i % 7}`), new arrow.Utf8()),
    });
    const { pw } = loadParquetWasm();
    const parquet = Buffer.from(pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'))));
    const blobs = () => [
      memorySource(text(0), 1000, 'blob-a.csv'),
      gunzipSource(memorySource(zlib.gzipSync(text(3000)), 700, 'blob-b.csv.gz')),
      memorySource(parquet, 4096, 'blob-c.parquet'),
    ];
    const schema = 'version: 1\ndataset:\n  primaryKey: [id]\ncolumns:\n  - { name: id, type: integer, unique: true }\n  - { name: x, type: number, max: 99 }\n  - { name: c, type: category }\n';
    const logged: string[] = [];
    const log = { ...silentLog, info: (m: string) => void logged.push(m) };
    const here = (await validateData(options(blobs(), schema, { workers: 1 }))).report;
    const lent = (await validateData(options(blobs(), schema, { workers: 2, log }))).report;
    assert.match(logged.join('\n'), /of blob-a\.csv, blob-b\.csv\.gz, blob-c\.parquet in .* with 2 worker threads/);
    assert.deepStrictEqual({ ...lent, durationMs: 0 }, { ...here, durationMs: 0 });
    assert.strictEqual(lent.rowCount, 9000);

    // What goes wrong in a lent source is reported as it is here: a corrupt stream as malformed data, with its file.
    const corrupt = zlib.gzipSync(text(3000)).subarray(0, 5000);
    const broken = (await validateData(options([memorySource(text(0), 1000, 'blob-a.csv'), gunzipSource(memorySource(corrupt, 700, 'blob-b.csv.gz'))], schema, { workers: 2 }))).report;
    assert.match(byId(broken, 'dataset.malformed').examples[0].value, /blob-b\.csv\.gz is not a readable gzip file/);
    const failing: DataSource = { name: 'blob-d.csv', size: 100, open: () => new Readable({ read() { this.destroy(new Error('The blob service is unavailable.')); } }) };
    await assert.rejects(validateData(options([memorySource(text(0), 1000, 'blob-a.csv'), failing], schema, { workers: 2 })), /The blob service is unavailable\./);
  });

  it('gives the same report with two workers as with one on a file with quoted line breaks', async () => {
    const lines = ['id,note,amount,kind'];
    for (let i = 1; i <= 20000; i++) {
      const note = i % 7 === 0 ? `"line one\nline two, ""quoted"" ${i}"` : `plain ${i}`;
      const amount = i % 997 === 0 ? 'oops' : String((i * 37) % 1000);
      const id = i % 4999 === 0 ? 1 : i;
      lines.push(`${id},${note},${amount},${i % 3 === 0 ? 'b' : 'a'}`);
    }
    const data = [file('big.csv', lines.join('\n') + '\n')];
    const schema = `version: 1
dataset:
  primaryKey: id
columns:
  - { name: id, type: integer, unique: true }
  - { name: note, type: string, pattern: 'plain \\d+' }
  - { name: amount, type: number, max: 900 }
  - { name: kind, type: category, allowed: [a] }
`;
    const one = await validateData(options(data, schema, { workers: 1 }));
    const two = await validateData(options(data, schema, { workers: 2, splitMinBytes: 1 }));
    assert.ok(two.report.checks.length > 0);
    // A duplicate id whose first occurrence is in another worker's range is found when merging, where the text of
    // the value is no longer at hand: it is shown as the value its key holds, so even the values are the same.
    assert.deepStrictEqual(two.report.checks, one.report.checks);
    assert.ok(!two.report.checks.some((c) => c.examples.some((e) => e.value === VALUE_NOT_KEPT)));
    assert.strictEqual(two.report.rowCount, 20000);
    assert.deepStrictEqual(
      two.profile.columns.map((c) => [c.name, c.count, c.nulls, c.min, c.max]),
      one.profile.columns.map((c) => [c.name, c.count, c.nulls, c.min, c.max]),
    );
    const amount = byId(one.report, 'column.amount.type');
    assert.deepStrictEqual(amount.examples[0], { row: 997, line: 997 + 1 + Math.floor(996 / 7), value: 'oops' });
  });

  it('reads a file again, split exactly, when a split at a line break fell inside a quoted field', async () => {
    // Every record holds a long quoted field with a line break near its end: the first line break after the middle
    // of the file is one of those.
    const lines = ['id,note'];
    for (let i = 1; i <= 3000; i++) lines.push(`${i},"${'n'.repeat(300)} ${i}\nend"`);
    const text = lines.join('\n') + '\n';
    const middle = Math.floor(lines[0].length + 1 + (text.length - lines[0].length - 1) / 2);
    const before = text.slice(0, text.indexOf('\n', middle));
    assert.strictEqual((before.match(/"/g) ?? []).length % 2, 1, 'the split the test means to make lies inside quotes');
    const data = [file('notes.csv', text)];
    const schema = 'version: 1\ndataset:\n  primaryKey: id\ncolumns:\n  - { name: id, type: integer, unique: true }\n  - { name: note, type: string, maxLength: 320 }\n';
    const said: string[] = [];
    const log = { ...silentLog, info: (m: string) => said.push(m) };
    const one = await validateData(options(data, schema, { workers: 1 }));
    const two = await validateData(options(data, schema, { workers: 2, splitMinBytes: 1, log }));
    assert.ok(said.some((m) => /notes\.csv was taken for the end of a record .* reading it again, split exactly/.test(m)), said.join('\n'));
    assert.strictEqual(two.report.rowCount, 3000);
    assert.strictEqual(byId(two.report, 'dataset.malformed').success, true);
    assert.deepStrictEqual(two.report.checks, one.report.checks);
    // A file whose line breaks are all record boundaries is split once.
    said.length = 0;
    await validateData(options([file('plain.csv', ['id,note', ...Array.from({ length: 3000 }, (_, i) => `${i},"a, b"`)].join('\n'))], schema, { workers: 2, splitMinBytes: 1, log }));
    assert.ok(!said.some((m) => /again/.test(m)), said.join('\n'));
  });

  it("bounds the data's rows over the reference's, against reference data or a saved profile", async () => {
    const rows = (n: number) => ['x', ...Array.from({ length: n }, (_, i) => String(i % 10))].join('\n') + '\n';
    const reference = file('ratio-ref.csv', rows(1000));
    const schema = (bounds: string) => `version: 1\ncolumns:\n  - { name: x, type: integer }\ndrift:\n  rowCountRatio: ${bounds}\n  severity: error\n`;
    const withData = (bounds: string, n: number) =>
      validateData(options([file('ratio-cur.csv', rows(n))], schema(bounds), { reference: { kind: 'data', sources: [reference], format: 'auto' } }));
    const fine = byId((await withData('{ min: 0.8, max: 1.25 }', 1100)).report, 'dataset.rowCountRatio');
    assert.deepStrictEqual([fine.success, fine.expectation, fine.observed], [true, 'rows of the data / rows of the reference between 0.8 and 1.25', '1.1 (1100 rows against 1000 rows)']);
    const { report: small, profile } = await withData('{ min: 0.8 }', 500);
    assert.deepStrictEqual([byId(small, 'dataset.rowCountRatio').success, byId(small, 'dataset.rowCountRatio').severity, small.passed], [false, 'error', false]);
    // Against a saved profile of the data itself: a ratio of 1.
    const saved = (await validateData(options([file('ratio-cur.csv', rows(500))], schema('{ min: 1, max: 1 }'), { reference: { kind: 'profile', profile, file: 'p.json' } }))).report;
    assert.strictEqual(byId(saved, 'dataset.rowCountRatio').success, true);
  });

  it('compares with a reference for drift and reports columns missing from the reference', async () => {
    const reference = ['x,c'];
    const current = ['x,c,z'];
    for (let i = 0; i < 2000; i++) {
      reference.push(`${i % 100},${i % 2 === 0 ? 'a' : 'b'}`);
      current.push(`${(i % 100) + 40},${i % 2 === 0 ? 'a' : 'b'},1`);
    }
    const schema = 'version: 1\ncolumns:\n  - { name: x, type: number }\n  - { name: c, type: category }\n  - { name: z, type: integer }\n';
    const { report } = await validateData(
      options([file('cur.csv', current.join('\n'))], schema, { reference: { kind: 'data', sources: [file('ref.csv', reference.join('\n'))], format: 'auto' } }),
    );
    const drift = report.drift!;
    assert.strictEqual(drift.reference, 'ref.csv');
    const x = drift.results.find((r) => r.column === 'x')!;
    const c = drift.results.find((r) => r.column === 'c')!;
    assert.strictEqual(x.metric, 'normalized_wasserstein');
    assert.strictEqual(x.drifted, true);
    assert.strictEqual(x.severity, 'warning');
    assert.strictEqual(c.drifted, false);
    assert.strictEqual(drift.detected, true);
    assert.ok(drift.binning.length > 0);
    const missing = byId(report, 'drift.z');
    assert.strictEqual(missing.success, false);
    assert.match(missing.observed!, /not in the reference/);
    assert.strictEqual(report.passed, true);
    assert.strictEqual(report.warnings, 2);
  });

  it('says a column cannot be compared when either side has no values in it, rather than that it did not drift', async () => {
    const schema = 'version: 1\ncolumns:\n  - { name: x, type: number }\n  - { name: c, type: category, drift: { metric: chi_squared, threshold: 0.05 } }\n';
    const current = file('cur.csv', 'x,c\n1,a\n2,\n3,b\n');
    const run = (reference: string) => validateData(options([current], schema, { reference: { kind: 'data', sources: [file('ref.csv', reference)], format: 'auto' } }));
    const empty = (await run('x,c\n')).report;
    assert.deepStrictEqual(empty.drift!.results, []);
    for (const name of ['x', 'c']) assert.strictEqual(byId(empty, `drift.${name}`).observed, 'the reference has no values in the column');
    assert.strictEqual(empty.warnings, 2);
    const noC = (await run('x,c\n1,\n')).report;
    assert.deepStrictEqual(noC.drift!.results.map((r) => r.column), ['x']);
    assert.strictEqual(byId(noC, 'drift.c').observed, 'the reference has no values in the column');
    const blank = await validateData(options([file('blank.csv', 'x,c\n,a\n,b\n')], schema, { reference: { kind: 'data', sources: [file('ref.csv', 'x,c\n1,a\n')], format: 'auto' } }));
    assert.strictEqual(byId(blank.report, 'drift.x').observed, 'the data has no values in the column');
  });

  it('compares with a reference the same way when both are split between worker threads', async () => {
    const reference = ['x,c'];
    const current = ['x,c'];
    for (let i = 0; i < 20000; i++) {
      reference.push(`${i % 100},${i % 3 === 0 ? 'a' : 'b'}`);
      current.push(`${(i % 100) + 30},${i % 2 === 0 ? 'a' : 'b'}`);
    }
    const schema = 'version: 1\ncolumns:\n  - { name: x, type: number }\n  - { name: c, type: category }\n';
    const run = (workers: number) =>
      validateData(
        options([file('cur.csv', current.join('\n'))], schema, {
          workers,
          splitMinBytes: 1,
          reference: { kind: 'data', sources: [file('ref.csv', reference.join('\n'))], format: 'auto' },
        }),
      );
    const one = await run(1);
    // The module itself, whose export the engine calls (the namespace import is read-only).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const merges = sinon.spy(require('../../../src/data/profile') as typeof import('../../../src/data/profile'), 'mergeColumnProfileList');
    let two: typeof one;
    try {
      two = await run(2);
    } finally {
      merges.restore();
    }
    // The parts' categories were summed as the workers posted them: the merge at the end had none left to sum.
    assert.ok(merges.called);
    assert.ok(merges.getCalls().every((call) => call.args[0][0].kind === 'numeric'));
    assert.strictEqual(one.report.drift!.detected, true);
    assert.deepStrictEqual(two.report.drift, one.report.drift);
    assert.deepStrictEqual(two.report.checks, one.report.checks);
    // The categories came from the workers as lists: the same profile (numbers' std may differ in its last digits).
    assert.deepStrictEqual(two.report.columns[1], one.report.columns[1]);
  });

  it('reports what is wrong with a reference read in worker threads behind the data', async () => {
    const rows = (n: number) => ['x', ...Array.from({ length: n }, (_, i) => String(i % 50))].join('\n');
    const schema = 'version: 1\ncolumns:\n  - { name: x, type: number }\n';
    const data = [file('a.csv', rows(3000)), file('b.csv', rows(3000))];
    const brokenReference = { kind: 'data' as const, sources: [file('r1.parquet', 'PAR1 not a footer PAR1'), file('r2.parquet', 'PAR1 nor this PAR1')], format: 'auto' as const };
    await assert.rejects(validateData(options(data, schema, { workers: 2, splitMinBytes: 1, reference: brokenReference })), (e: Error) => {
      assert.match(e.message, /r1\.parquet/);
      return true;
    });
    // When the data fails too, its error is the one reported, and the reference's parts, queued or not, end quietly.
    const ragged = [file('c.csv', rows(3000)), file('d.csv', rows(3000).replace(/^x/, 'y'))];
    await assert.rejects(validateData(options(ragged, schema, { workers: 2, splitMinBytes: 1, reference: brokenReference })), /d\.csv has the columns y/);
    // And a reference that reads well after it still does, on the same threads.
    const reference = { kind: 'data' as const, sources: [file('r3.csv', rows(4000)), file('r4.csv', rows(4000))], format: 'auto' as const };
    const { report } = await validateData(options(data, schema, { workers: 2, splitMinBytes: 1, reference }));
    assert.strictEqual(report.drift!.results[0].drifted, false);
    assert.strictEqual(report.drift!.reference, 'r3.csv, r4.csv');
  });

  /**
   * Reads rows(0, total) whole on one thread, and then in parts (split between threads, or as two files on one and
   * two threads): the sketches of `columns` must be the same, and their drift against rows shifted by `shift`.
   */
  async function assertSameSketchesInParts(
    rows: (from: number, to: number, shift: number) => string[],
    header: string,
    total: number,
    shift: number,
    schema: string,
    columns: string[],
  ): Promise<Awaited<ReturnType<typeof validateData>>> {
    const csv = (name: string, from: number, to: number, by = 0) => file(name, [header, ...rows(from, to, by)].join('\n') + '\n');
    const whole = csv('whole.csv', 0, total);
    const halves = [csv('first.csv', 0, total / 2), csv('second.csv', total / 2, total)];
    const reference = { kind: 'data' as const, sources: [csv('ref.csv', 0, total, shift)], format: 'auto' as const };
    const run = (sources: ReturnType<typeof file>[], extra: Partial<ValidateOptions>) => validateData(options(sources, schema, { reference, ...extra }));
    const one = await run([whole], { workers: 1 });
    const sketchOf = (r: Awaited<typeof one>, column: string) => r.profile.columns.find((c) => c.name === column)!.sketch as { type: string };
    const driftOf = (r: Awaited<typeof one>, column: string) => r.report.drift!.results.find((d) => d.column === column)!.value;
    for (const column of columns) assert.strictEqual(sketchOf(one, column).type, 'ddsketch', column);
    for (const [label, other] of [
      ['two threads', await run([whole], { workers: 2, splitMinBytes: 1 })],
      // Parts of a quarter of the rows each: shorter than the rows that give the grids when there are 160,000.
      ['four threads', await run([whole], { workers: 4, splitMinBytes: 1 })],
      ['two files, one thread', await run(halves, { workers: 1 })],
      ['two files, two threads', await run(halves, { workers: 2 })],
    ] as const) {
      for (const column of columns) {
        assert.deepStrictEqual(sketchOf(other, column), sketchOf(one, column), `${label}: ${column}`);
        // Only the reference's standard deviation, merged from parts by Chan's formula, may differ in its last bits.
        const [a, b] = [driftOf(other, column), driftOf(one, column)];
        assert.ok(Math.abs(a - b) <= 1e-12 * Math.abs(b), `${label}: drift of ${column} ${a} vs ${b}`);
      }
    }
    return one;
  }

  it('keeps quantile sketches only of the columns whose quantiles are read: drift, a median, or a profile kept for later', async () => {
    // a: drift; b: no drift; c: a median; d: few values (counted exactly). 3,000 distinct values each but d.
    const rows = Array.from({ length: 3000 }, (_, i) => `${i * 1.5},${(i * 7) % 3001},${i % 1000 === 0 ? '' : i},${i % 7}`);
    const data = [file('q.csv', ['a,b,c,d', ...rows].join('\n') + '\n')];
    const reference = { kind: 'data' as const, sources: [file('q-ref.csv', ['a,b,c,d', ...rows].join('\n') + '\n')], format: 'auto' as const };
    const schema = `version: 1
columns:
  - { name: a, type: number }
  - { name: b, type: integer, drift: skip }
  - { name: c, type: integer, drift: skip, median: { min: 1000, max: 2000 } }
  - { name: d, type: integer, drift: skip }
`;
    const kinds = (r: { profile: DatasetProfile }) => r.profile.columns.map((c) => [c.name, (c.sketch as { type: string }).type]);
    const withReference = await validateData(options(data, schema, { reference }));
    assert.deepStrictEqual(kinds(withReference), [
      ['a', 'ddsketch'],
      ['b', 'none'],
      ['c', 'ddsketch'],
      ['d', 'exact'],
    ]);
    assert.strictEqual(byId(withReference.report, 'column.c.median').success, true);
    assert.strictEqual(withReference.report.drift!.results.length, 1);
    const b = withReference.profile.columns[1];
    const bs = Array.from({ length: 3000 }, (_, i) => (i * 7) % 3001);
    assert.deepStrictEqual([b.count, b.min, b.max], [3000, Math.min(...bs), Math.max(...bs)]);
    assert.ok(Math.abs(b.mean! - bs.reduce((x, y) => x + y, 0) / 3000) < 1e-9);
    assert.ok(Math.abs(b.distinct - 3000) < 100, String(b.distinct));
    // Kept for later: every column has its distribution, as a reference profile needs.
    assert.deepStrictEqual(kinds(await validateData(options(data, schema, { reference, keepsProfile: true }))), [
      ['a', 'ddsketch'],
      ['b', 'ddsketch'],
      ['c', 'ddsketch'],
      ['d', 'exact'],
    ]);
    // No reference, no drift: a is not compared either. Split between workers, the parts' distinct counts merge.
    const alone = await validateData(options(data, schema));
    const split = await validateData(options(data, schema, { workers: 2, splitMinBytes: 1 }));
    assert.deepStrictEqual(kinds(alone), [
      ['a', 'none'],
      ['b', 'none'],
      ['c', 'ddsketch'],
      ['d', 'exact'],
    ]);
    assert.deepStrictEqual(
      split.profile.columns.map((c) => [c.name, c.distinct, c.count]),
      alone.profile.columns.map((c) => [c.name, c.distinct, c.count]),
    );
  });

  it('sketches a column of many distinct values the same way whether the data is read in one part or several', async () => {
    // Values spread over a wide range, with thousands of distinct values in every part: each part sketches them.
    const rows = (from: number, to: number, shift: number) => {
      const out: string[] = [];
      for (let i = from; i < to; i++) out.push(`${(((i * 7919) % 10007) * 0.37 + shift + (i % 11) * 100).toFixed(2)},${i}`);
      return out;
    };
    await assertSameSketchesInParts(rows, 'x,id', 30_000, 150, 'version: 1\ncolumns:\n  - { name: x, type: number }\n  - { name: id, type: integer, drift: skip }\n', ['x']);
  });

  it('sketches columns that run out of exact counts only after the first rows, or only when parts merge, the same way in one part or several', async () => {
    // y: 300 values, then 100 more (the grid of the first 65,536 rows is not that of the first 40,000), then
    // thousands. z: 400 values in the first half, 400 others after, so each half is counted exactly and only the two
    // together need a sketch.
    const rows = (from: number, to: number, shift: number) => {
      const out: string[] = [];
      for (let i = from; i < to; i++) {
        const y = i < 40_000 ? (i % 300) * 1.5 : i < 100_000 ? 1000 + (i % 100) : ((i * 7919) % 100_003) * 0.0037;
        const z = (i < 80_000 ? 0 : 1000) + (i % 400) + shift;
        out.push(`${(y + shift).toFixed(4)},${z},${i}`);
      }
      return out;
    };
    const schema = 'version: 1\ncolumns:\n  - { name: y, type: number }\n  - { name: z, type: number }\n  - { name: id, type: integer, drift: skip }\n';
    await assertSameSketchesInParts(rows, 'y,z,id', 160_000, 3, schema, ['y', 'z']);
  });

  it('sketches a column without values in the first rows the same way in one part or several', async () => {
    // w: empty in the first 70,000 rows (past those that give the grids), then thousands of distinct values; v the
    // same without a declared range.
    const rows = (from: number, to: number, shift: number) => {
      const out: string[] = [];
      for (let i = from; i < to; i++) {
        const w = i < 70_000 ? '' : (((i * 7919) % 100_003) * 0.0037 + shift).toFixed(4);
        out.push(`${w},${w},${i}`);
      }
      return out;
    };
    const schema = 'version: 1\ncolumns:\n  - { name: w, type: number, min: 0, max: 400 }\n  - { name: v, type: number }\n  - { name: id, type: integer, drift: skip }\n';
    const one = await assertSameSketchesInParts(rows, 'w,v,id', 160_000, 3, schema, ['w', 'v']);
    // On the grids fixed for that case: the middle of the declared range, or 0.
    const anchorOf = (column: string) => (one.profile.columns.find((c) => c.name === column)!.sketch as { anchor: number }).anchor;
    assert.deepStrictEqual([anchorOf('w'), anchorOf('v')], [200, 0]);
  });

  it('stops with the cancellation reason when canceled while the data is split or checked in worker threads', async () => {
    const lines = ['id,text'];
    for (let i = 0; i < 400_000; i++) lines.push(`${i},some text ${i % 977}`);
    const data = file('big.csv', lines.join('\n'));
    const controller = new AbortController();
    const reason = new Error('canceled by the pipeline');
    setTimeout(() => controller.abort(reason), 50);
    const started = Date.now();
    await assert.rejects(
      validateData(options([data], 'version: 1\ncolumns:\n  - { name: id, type: integer, unique: true }\n  - { name: text, type: string }\n', { workers: 2, splitMinBytes: 1, signal: controller.signal })),
      (e: unknown) => e === reason,
    );
    assert.ok(Date.now() - started < 5000, 'the cancellation does not wait for the parts to finish');
  });

  it('fails with the error of a worker thread that cannot start, without a crash', async () => {
    const lines = ['id'];
    for (let i = 0; i < 1000; i++) lines.push(String(i));
    await assert.rejects(
      validateData(options([file('d.csv', lines.join('\n'))], 'version: 1\ncolumns:\n  - { name: id, type: integer }\n', { workers: 2, splitMinBytes: 1, workerScript: path.join(dir, 'missing.js') })),
      /Cannot find module/,
    );
  });

  it('leaves no spilled uniqueness tables behind when one of many files has other columns', async () => {
    const spillDir = path.join(dir, 'spill-mismatch');
    fs.mkdirSync(spillDir);
    fs.mkdirSync(path.join(dir, 'mixed'), { recursive: true });
    const files = Array.from({ length: 40 }, (_, f) => {
      const lines = [f === 30 ? 'other' : 'k'];
      for (let i = 0; i < 300; i++) lines.push(String(f * 300 + ((i * 7919) % 300))); // unique, in no order: no runs
      return file(`mixed/f-${String(f).padStart(2, '0')}.csv`, lines.join('\n') + '\n');
    });
    for (const workers of [1, 2]) {
      await assert.rejects(
        validateData(options(files, 'version: 1\ncolumns:\n  - { name: k, type: integer, unique: true }\n', { workers, uniqueMemoryCap: 100, spillDir })),
        /mixed\/f-30\.csv has the columns other, but mixed\/f-00\.csv has k/,
      );
      // Parts still coming after the failure are dropped, not merged.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepStrictEqual(fs.readdirSync(spillDir), [], `${workers} workers`);
    }
  });

  it('spills uniqueness tables into the folder it is given, and leaves nothing there', async () => {
    const lines = ['k'];
    for (let i = 0; i < 5000; i++) lines.push(String((i * 7919) % 5000)); // unique, in no order: no runs
    lines.push('42');
    const spillDir = path.join(dir, 'spill');
    fs.mkdirSync(spillDir);
    // The module itself, whose functions the engine's modules call (the namespace import is read-only).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const spy = sinon.spy(require('fs') as typeof fs, 'mkdtempSync');
    let made: string[];
    try {
      const { report } = await validateData(
        options([file('k.csv', lines.join('\n'))], 'version: 1\ncolumns:\n  - { name: k, type: integer, unique: true }\n', { uniqueMemoryCap: 100, spillDir }),
      );
      assert.strictEqual(byId(report, 'column.k.unique').unexpectedCount, 1);
    } finally {
      made = spy.args.map((args) => String(args[0]));
      spy.restore();
    }
    assert.ok(made.length > 0 && made.every((prefix) => prefix.startsWith(spillDir + path.sep)), JSON.stringify(made));
    assert.deepStrictEqual(fs.readdirSync(spillDir), []);
  });

  it('takes drift thresholds from the options over the schema', async () => {
    const reference = ['x'];
    const current = ['x'];
    for (let i = 0; i < 1000; i++) {
      reference.push(String(i % 100));
      current.push(String((i % 100) + 40));
    }
    const schema = 'version: 1\ndrift:\n  severity: error\ncolumns:\n  - { name: x, type: number }\n';
    const { report } = await validateData(
      options([file('cur.csv', current.join('\n'))], schema, {
        reference: { kind: 'data', sources: [file('ref.csv', reference.join('\n'))], format: 'auto' },
        driftThresholds: { numerical: 5 },
      }),
    );
    assert.strictEqual(report.drift!.results[0].threshold, 5);
    assert.strictEqual(report.drift!.results[0].drifted, false);
    assert.strictEqual(report.passed, true);
  });
});

describe('the channel to a worker thread', () => {
  /** A worker thread's side, played by the test: what it was sent, and whether it was stopped. */
  function fakeWorker() {
    const events = new EventEmitter();
    const fake = {
      posted: [] as unknown[],
      terminated: false,
      on: (event: string, listener: (...args: unknown[]) => void) => (events.on(event, listener), fake),
      postMessage: (message: unknown) => void fake.posted.push(message),
      terminate: async () => ((fake.terminated = true), 0),
      reply: (message: unknown) => events.emit('message', message),
      exit: (code: number) => events.emit('exit', code),
    };
    return fake;
  }
  const task = (name: string) => ({ source: { name }, format: 'csv' as const, reader: {}, lineBase: 0 });
  const part = (rowCount: number) => ({ rowCount, columnStates: [] }) as unknown as PartResult;
  const state = async (p: Promise<unknown>) => Promise.race([p.then(() => 'settled', () => 'failed'), new Promise((r) => setImmediate(() => r('pending')))]);

  it('frees the worker on ready, before its result, and matches each result to its part', async () => {
    const worker = fakeWorker();
    const channel = new WorkerChannel(worker as never);
    const first = channel.send(task('a.csv'));
    assert.strictEqual(await state(first.free), 'pending');
    worker.reply({ ready: true });
    assert.strictEqual(await state(first.free), 'settled');
    assert.strictEqual(await state(first.result), 'pending');
    // The next part is sent while the first one's result is on its way.
    const second = channel.send(task('b.csv'));
    worker.reply({ ok: part(1), categoryLists: [] });
    assert.strictEqual((await first.result).rowCount, 1);
    assert.strictEqual(await state(second.free), 'pending');
    worker.reply({ ready: true });
    worker.reply({ error: { message: 'b.csv is broken', name: 'Error', user: true, file: 'b.csv' } });
    await assert.rejects(second.result, /b\.csv is broken/);
    assert.strictEqual(worker.posted.length, 2);
  });

  it('sends a part with the head it is to read first, and takes the head\'s grids before the part\'s result', async () => {
    const worker = fakeWorker();
    const channel = new WorkerChannel(worker as never);
    const grids = { x: { anchor: 5, minOffset: 0.001 } };
    const first = channel.send(task('b.csv'), undefined, task('a.csv'));
    assert.deepStrictEqual(worker.posted[0], { task: task('b.csv'), head: task('a.csv') });
    assert.strictEqual(await state(first.grids!), 'pending');
    worker.reply({ grids });
    assert.deepStrictEqual(await first.grids, grids);
    assert.strictEqual(await state(first.free), 'pending');
    worker.reply({ ready: true });
    worker.reply({ ok: part(2), categoryLists: [] });
    assert.strictEqual((await first.result).rowCount, 2);
    // A part sent without a head has no grids to wait for; a head that fails fails its grids and its part.
    assert.strictEqual(channel.send(task('c.csv')).grids, undefined);
    worker.reply({ ready: true });
    worker.reply({ ok: part(1), categoryLists: [] });
    const failing = channel.send(task('d.csv'), undefined, task('a.csv'));
    worker.reply({ ready: true });
    worker.reply({ error: { message: 'a.csv is broken', name: 'Error', user: true, file: 'a.csv' } });
    await assert.rejects(failing.grids!, /a\.csv is broken/);
    await assert.rejects(failing.result, /a\.csv is broken/);
  });

  it('is stopped only once the results it posted have come, and fails the part it was checking', async () => {
    const worker = fakeWorker();
    const channel = new WorkerChannel(worker as never);
    const done = channel.send(task('a.csv'));
    worker.reply({ ready: true });
    const checking = channel.send(task('b.csv'));
    channel.end();
    assert.strictEqual(worker.terminated, false, 'a result is on its way');
    worker.reply({ ok: part(3), categoryLists: [] });
    assert.strictEqual((await done.result).rowCount, 3);
    assert.strictEqual(worker.terminated, true);
    worker.exit(1);
    await assert.rejects(checking.free, /stopped \(exit code 1\) before finishing b\.csv/);
    await assert.rejects(checking.result, /before finishing b\.csv/);
    // A part sent once the worker is gone fails at once.
    const late = channel.send(task('c.csv'));
    await assert.rejects(late.free, /before finishing c\.csv/);
    assert.strictEqual(worker.posted.length, 2);
  });
});

describe('profileData', () => {
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'datavalidate-engine-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('profiles columns by what their values parse as', async () => {
    const data = [file('d.csv', 'n,x,t,s\n1,1.5,2024-01-01,a\n2,2,2024-01-02,b\n')];
    const profile = await profileData({ sources: data, format: 'auto', reader: {}, workers: 1, log: silentLog });
    assert.deepStrictEqual(
      profile.columns.map((c) => [c.name, c.kind]),
      [['n', 'numeric'], ['x', 'numeric'], ['t', 'numeric'], ['s', 'categorical']],
    );
    assert.strictEqual(profile.rowCount, 2);
  });
});
