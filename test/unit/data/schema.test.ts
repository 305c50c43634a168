import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../../../src/errors';
import { DateFormatParser, daysFromCivil, formatInstant, parseAge, parseIsoDateTime } from '../../../src/data/durations';
import { loadSchema, parseSchema, schemaToYaml } from '../../../src/data/schema';

const FULL = `version: 1
missingValues: ['', 'NA']
dataset:
  rowCount: { min: 1000, max: 50000000 }
  columns: exact
  primaryKey: [id]
  freshness: { column: event_time, maxAge: 7d }
  severity: error
columns:
  - name: id
    type: integer
    nullable: false
    unique: true
    min: 1
  - name: age
    type: integer
    min: 18
    max: 100
    maxNullFraction: 0.02
    mostly: 0.99
    mean: { min: 30, max: 50 }
    distinct: { max: 80 }
    severity: warning
  - name: country
    type: category
    allowed: [US, GB, DE]
    severity: { default: error, allowed: warning }
  - name: email
    type: string
    pattern: '^[^@\\s]+@[^@\\s]+$'
    minLength: 3
    maxLength: 254
  - name: event_time
    type: datetime
    format: '%Y-%m-%dT%H:%M:%SZ'
    min: 2020-01-01
  - name: income
    type: number
    drift: { metric: psi, threshold: 0.2 }
drift:
  numerical: { metric: normalized_wasserstein, threshold: 0.1 }
  categorical: { metric: jensen_shannon, threshold: 0.1 }
  rowCountRatio: { min: 0.5, max: 2 }
  severity: warning
`;

function schemaError(text: string): UserError {
  try {
    parseSchema(text, 'schema.yaml');
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the schema to be refused');
}

describe('loadSchema', () => {
  it('reads every rule of the documented format', () => {
    const schema = parseSchema(FULL, 'schema.yaml');
    assert.deepStrictEqual(schema.missingValues, ['', 'NA']);
    assert.deepStrictEqual(schema.dataset.rowCount, { min: 1000, max: 50000000, severity: 'error' });
    assert.deepStrictEqual(schema.dataset.primaryKey, { columns: ['id'], severity: 'error' });
    assert.strictEqual(schema.dataset.freshness?.maxAgeMs, 7 * 86_400_000);
    const [id, age, country, email, eventTime, income] = schema.columns;
    assert.strictEqual(id.nullable, false);
    assert.strictEqual(id.unique, true);
    assert.strictEqual(id.line, 10);
    assert.strictEqual(age.severity.min, 'warning');
    assert.strictEqual(age.maxNullFraction, 0.02);
    assert.strictEqual(age.mostly, 0.99);
    assert.deepStrictEqual(age.statistics, { mean: { min: 30, max: 50 }, distinct: { max: 80 } });
    assert.strictEqual(country.severity.allowed, 'warning');
    assert.strictEqual(country.severity.type, 'error');
    assert.deepStrictEqual(country.allowed, ['US', 'GB', 'DE']);
    assert.strictEqual(email.pattern, '^[^@\\s]+@[^@\\s]+$');
    assert.strictEqual(eventTime.min, Date.UTC(2020, 0, 1));
    assert.deepStrictEqual(income.drift, { metric: 'psi', threshold: 0.2 });
    assert.strictEqual(schema.drift.severity, 'warning');
    assert.deepStrictEqual(schema.drift.rowCountRatio, { min: 0.5, max: 2 });
  });

  it('reads a schema file from disk and names it in errors', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-'));
    try {
      const file = path.join(dir, 'bad.yaml');
      fs.writeFileSync(file, 'version: 1\ncolumns:\n  - name: a\n    type: integr\n');
      assert.throws(() => loadSchema(file), (e: UserError) => e.file === file && e.line === 4 && /Did you mean "integer"/.test(e.message));
      assert.throws(() => loadSchema(path.join(dir, 'missing.yaml')), /does not exist/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses Azure ML defaults for drift and warning as its severity when the schema has no drift block', () => {
    const schema = parseSchema('version: 1\ncolumns:\n  - { name: a, type: string }\n', 's.yaml');
    assert.deepStrictEqual(schema.drift, {
      numerical: { metric: 'normalized_wasserstein', threshold: 0.1 },
      categorical: { metric: 'jensen_shannon', threshold: 0.1 },
      severity: 'warning',
    });
    assert.deepStrictEqual(schema.missingValues, ['']);
    assert.deepStrictEqual(schema.dataset.columns, { mode: 'exact', severity: 'error' });
  });

  it('refuses an unknown key with its line and a did-you-mean', () => {
    const e = schemaError('version: 1\ncolumns:\n  - name: a\n    type: integer\n    nulable: false\n');
    assert.strictEqual(e.line, 5);
    assert.match(e.message, /^schema\.yaml:5: unknown key "nulable" in a column\. Did you mean "nullable"\?/);
  });

  it('refuses unknown keys at the top and in the dataset block', () => {
    assert.strictEqual(schemaError('version: 1\ncolumn: []\n').line, 2);
    const e = schemaError('version: 1\ndataset:\n  rowcount: { min: 1 }\ncolumns:\n  - { name: a, type: string }\n');
    assert.strictEqual(e.line, 3);
    assert.match(e.message, /Did you mean "rowCount"/);
  });

  it('refuses min greater than max, naming the line of min', () => {
    const e = schemaError('version: 1\ncolumns:\n  - name: a\n    type: integer\n    min: 10\n    max: 5\n');
    assert.strictEqual(e.line, 5);
    assert.match(e.message, /min \(10\) is greater than max \(5\)/);
  });

  it('refuses a regular expression that does not compile, with its message', () => {
    const e = schemaError("version: 1\ncolumns:\n  - name: a\n    type: string\n    pattern: '([a-z'\n");
    assert.strictEqual(e.line, 5);
    assert.match(e.message, /not a valid regular expression: .*Unterminated character class/);
  });

  it('refuses an unknown type and an unknown drift metric', () => {
    assert.match(schemaError('version: 1\ncolumns:\n  - { name: a, type: float }\n').message, /type: "float" is not one of/);
    const e = schemaError('version: 1\ncolumns:\n  - { name: a, type: number }\ndrift:\n  numerical: { metric: wasserstein }\n');
    assert.strictEqual(e.line, 5);
    assert.match(e.message, /Did you mean "normalized_wasserstein"/);
  });

  it('refuses a categorical drift metric on a numeric column', () => {
    const e = schemaError('version: 1\ncolumns:\n  - name: a\n    type: number\n    drift: { metric: chi_squared, threshold: 0.05 }\n');
    assert.strictEqual(e.line, 3);
    assert.match(e.message, /chi_squared does not apply to a number column/);
  });

  it('refuses a primary key or freshness column that is not declared', () => {
    const key = schemaError('version: 1\ndataset:\n  primaryKey: [idd]\ncolumns:\n  - { name: id, type: integer }\n');
    assert.strictEqual(key.line, 3);
    assert.match(key.message, /"idd", which the schema does not declare\. Did you mean "id"\?/);
    const fresh = schemaError('version: 1\ndataset:\n  freshness: { column: ts, maxAge: 7d }\ncolumns:\n  - { name: id, type: integer }\n');
    assert.strictEqual(fresh.line, 3);
  });

  it('refuses a freshness rule on a column that is not a datetime, and an age it cannot read', () => {
    assert.match(schemaError('version: 1\ndataset:\n  freshness: { column: id, maxAge: 7d }\ncolumns:\n  - { name: id, type: integer }\n').message, /must be a datetime column/);
    assert.match(schemaError('version: 1\ndataset:\n  freshness: { column: t, maxAge: 7 days }\ncolumns:\n  - { name: t, type: datetime }\n').message, /is not an age/);
  });

  it('refuses a column declared twice, naming both lines', () => {
    const e = schemaError('version: 1\ncolumns:\n  - { name: a, type: string }\n  - { name: a, type: integer }\n');
    assert.strictEqual(e.line, 4);
    assert.match(e.message, /declared twice \(first on line 3\)/);
  });

  it('refuses rules that do not fit the column type', () => {
    assert.match(schemaError('version: 1\ncolumns:\n  - { name: a, type: string, min: 1 }\n').message, /use minLength and maxLength/);
    assert.match(schemaError('version: 1\ncolumns:\n  - { name: a, type: integer, format: "%Y" }\n').message, /format applies to datetime columns only/);
    assert.match(schemaError('version: 1\ncolumns:\n  - { name: a, type: integer, allowed: [1, x] }\n').message, /"x" is not an integer/);
    assert.match(schemaError('version: 1\ncolumns:\n  - { name: a, type: number, maxNullFraction: 2 }\n').message, /between 0 and 1/);
    assert.match(schemaError('version: 1\ncolumns:\n  - { name: a, type: string, mean: { min: 1 } }\n').message, /mean applies to integer and number columns only/);
    assert.match(schemaError('version: 1\ncolumns:\n  - { name: a, type: number, median: {} }\n').message, /median needs a min, a max or both/);
    assert.match(schemaError('version: 1\ncolumns:\n  - { name: a, type: number, mean: { min: 2, max: 1 } }\n').message, /mean: min \(2\) is greater than max \(1\)/);
    assert.match(schemaError('version: 1\ncolumns:\n  - { name: a, type: number, stdev: { mni: 1 } }\n').message, /unknown key "mni" .* Did you mean "min"\?/);
    assert.match(schemaError('version: 1\ncolumns:\n  - { name: a, type: category, drift: { metric: infinity_norm } }\n').message, /needs a threshold for infinity_norm \(it has no default\)/);
    assert.match(schemaError('version: 1\ncolumns:\n  - { name: a, type: number }\ndrift:\n  numerical: { metric: infinity_norm, threshold: 0.1 }\n').message, /"infinity_norm" is not one of normalized_wasserstein, ks, psi, jensen_shannon/);
    assert.match(schemaError('version: 1\ncolumns:\n  - { name: a, type: number }\ndrift:\n  rowCountRatio: { min: 2, max: 1 }\n').message, /drift\.rowCountRatio: min \(2\) is greater than max \(1\)/);
    assert.match(schemaError('version: 1\ncolumns:\n  - { name: a, type: number }\ndrift:\n  rowCountRatio: {}\n').message, /rowCountRatio needs a min, a max or both/);
    for (const share of [0, 1.5, -0.1]) assert.match(schemaError(`version: 1\ncolumns:\n  - { name: a, type: number, mostly: ${share} }\n`).message, /mostly must be a fraction above 0 and at most 1/);
    assert.match(schemaError('version: 1\ncolumns:\n  - { name: a, type: datetime, format: "%Y-%q" }\n').message, /%q is not a supported directive/);
  });

  it('points at the line of invalid YAML and refuses a missing version', () => {
    assert.strictEqual(schemaError('version: 1\ncolumns:\n  - name: a\n   type: b\n').line !== undefined, true);
    assert.match(schemaError('columns:\n  - { name: a, type: string }\n').message, /no version/);
  });

  it('takes severity per dataset rule', () => {
    const schema = parseSchema(
      'version: 1\ndataset:\n  severity: warning\n  rowCount: { min: 1, severity: error }\n  columns: { mode: superset }\n  primaryKey: { columns: [a, b], severity: error }\ncolumns:\n  - { name: a, type: string }\n  - { name: b, type: integer }\n',
      's.yaml',
    );
    assert.strictEqual(schema.dataset.rowCount?.severity, 'error');
    assert.deepStrictEqual(schema.dataset.columns, { mode: 'superset', severity: 'warning' });
    assert.deepStrictEqual(schema.dataset.primaryKey, { columns: ['a', 'b'], severity: 'error' });
  });
});

describe('schemaToYaml', () => {
  it('writes YAML that loadSchema reads back to the same schema', () => {
    const schema = parseSchema(FULL, 'schema.yaml');
    const text = schemaToYaml(schema, 'Inferred; review it.');
    assert.match(text, /^# Inferred; review it\.\n/);
    const again = parseSchema(text, 'again.yaml');
    const strip = (s: typeof schema) => ({ ...s, file: undefined, columns: s.columns.map((c) => ({ ...c, line: undefined })) });
    assert.deepStrictEqual(strip(again), strip(schema));
  });
});

describe('time rules', () => {
  it('reads ages in short and ISO 8601 forms and refuses months', () => {
    assert.strictEqual(parseAge('30m'), 30 * 60_000);
    assert.strictEqual(parseAge('12h'), 12 * 3_600_000);
    assert.strictEqual(parseAge('2w'), 14 * 86_400_000);
    assert.strictEqual(parseAge('P7D'), 7 * 86_400_000);
    assert.strictEqual(parseAge('PT12H'), 12 * 3_600_000);
    assert.strictEqual(parseAge('P1DT6H'), 30 * 3_600_000);
    assert.strictEqual(parseAge('P1M'), undefined);
    assert.strictEqual(parseAge('P'), undefined);
    assert.strictEqual(parseAge('7 days'), undefined);
  });

  it('parses ISO 8601 dates and date-times with zones, and refuses dates that do not exist', () => {
    assert.strictEqual(parseIsoDateTime('2024-02-29'), Date.UTC(2024, 1, 29));
    assert.strictEqual(parseIsoDateTime('2024-02-29T10:11:12Z'), Date.UTC(2024, 1, 29, 10, 11, 12));
    assert.strictEqual(parseIsoDateTime('2024-02-29 10:11:12.345'), Date.UTC(2024, 1, 29, 10, 11, 12, 345));
    assert.strictEqual(parseIsoDateTime('2024-02-29T10:11+02:00'), Date.UTC(2024, 1, 29, 8, 11));
    assert.strictEqual(parseIsoDateTime('1969-12-31T23:59:59Z'), -1000);
    assert.ok(Number.isNaN(parseIsoDateTime('2023-02-29')));
    assert.ok(Number.isNaN(parseIsoDateTime('2023-13-01')));
    assert.ok(Number.isNaN(parseIsoDateTime('2023-01-01T25:00')));
    assert.ok(Number.isNaN(parseIsoDateTime('2023-01-01T10:00Zx')));
  });

  it('counts the days of every date as Date.UTC does, inside the table of month starts and outside it', () => {
    const days = (y: number, m: number, d: number) => {
      const date = new Date(0);
      date.setUTCFullYear(y, m - 1, d);
      return Math.round(date.getTime() / 86_400_000);
    };
    for (const year of [1, 4, 100, 400, 1600, 1899, 1900, 1969, 1970, 2000, 2024, 2100, 2155, 2156, 9999]) {
      for (let month = 1; month <= 12; month++) {
        for (const day of [1, 15, 28]) assert.strictEqual(daysFromCivil(year, month, day), days(year, month, day), `${year}-${month}-${day}`);
      }
    }
    assert.strictEqual(daysFromCivil(0, 1, 1), days(0, 1, 1));
  });

  it('parses strftime formats', () => {
    assert.strictEqual(new DateFormatParser('%d/%m/%Y %H:%M').parse('31/01/2024 13:05'), Date.UTC(2024, 0, 31, 13, 5));
    assert.strictEqual(new DateFormatParser('%Y%m%d').parse('20240131'), Date.UTC(2024, 0, 31));
    assert.strictEqual(new DateFormatParser('%b %e %Y %I:%M %p').parse('Jan  5 2024 01:30 PM'), Date.UTC(2024, 0, 5, 13, 30));
    assert.strictEqual(new DateFormatParser('%Y-%m-%dT%H:%M:%S.%f%z').parse('2024-01-05T10:00:00.5+0100'), Date.UTC(2024, 0, 5, 9, 0, 0, 500));
    assert.strictEqual(new DateFormatParser('%Y-%j').parse('2024-060'), Date.UTC(2024, 1, 29));
    assert.strictEqual(new DateFormatParser('%s').parse('86400'), 86_400_000);
    assert.ok(Number.isNaN(new DateFormatParser('%Y-%m-%d').parse('2024-02-30')));
    assert.ok(Number.isNaN(new DateFormatParser('%Y-%m-%d').parse('2024-02-03 ')));
    assert.strictEqual(formatInstant(Date.UTC(2020, 0, 1)), '2020-01-01');
    assert.strictEqual(formatInstant(Date.UTC(2020, 0, 1, 10)), '2020-01-01T10:00:00Z');
  });
});
