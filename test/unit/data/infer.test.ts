import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as arrow from 'apache-arrow';
import { profileData, validateData } from '../../../src/data/engine';
import { inferSchema, roundOutward } from '../../../src/data/infer';
import { loadParquetWasm } from '../../../src/data/readers/parquet';
import { parseSchema, schemaToYaml } from '../../../src/data/schema';
import { localFileSource } from '../../../src/data/sources';
import { silentLog } from '../../../src/log';

describe('inferSchema', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'datavalidate-infer-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function dataset(): ReturnType<typeof localFileSource>[] {
    const lines = ['id,age,income,country,active,joined,email'];
    for (let i = 1; i <= 400; i++) {
      const age = i % 50 === 0 ? '' : String(18 + (i % 60));
      lines.push(`${i},${age},${(1000 + i * 13.37).toFixed(2)},${['US', 'GB', 'DE'][i % 3]},${i % 2 ? 'true' : 'false'},2024-01-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z,user${i}@example.com`);
    }
    const file = path.join(dir, 'train.csv');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    return [localFileSource(file, 'train.csv', fs.statSync(file).size)];
  }

  it('infers types, nullability, bounds, categories and uniqueness from the values', async () => {
    const profile = await profileData({ sources: dataset(), format: 'auto', reader: {}, workers: 1, log: silentLog });
    const schema = inferSchema(profile);
    const rule = (name: string) => schema.columns.find((c) => c.name === name)!;
    assert.deepStrictEqual(schema.columns.map((c) => [c.name, c.type]), [
      ['id', 'integer'], ['age', 'integer'], ['income', 'number'], ['country', 'category'], ['active', 'boolean'], ['joined', 'datetime'], ['email', 'string'],
    ]);
    assert.strictEqual(rule('id').unique, true);
    assert.strictEqual(rule('id').nullable, false);
    assert.strictEqual(rule('age').nullable, true);
    assert.strictEqual(rule('age').unique, undefined);
    assert.deepStrictEqual([rule('age').min, rule('age').max], [18, 77]);
    assert.deepStrictEqual([rule('income').min, rule('income').max], [1000, 6400]);
    assert.deepStrictEqual([...rule('country').allowed!].sort(), ['DE', 'GB', 'US']);
    assert.strictEqual(rule('joined').min, Date.UTC(2024, 0, 1));
    assert.strictEqual(rule('joined').max, undefined);
    // Drift is skipped for ids and times, compared for the rest.
    assert.deepStrictEqual(schema.columns.filter((c) => c.drift === 'skip').map((c) => c.name), ['id', 'joined']);
  });

  it('writes a schema with a review comment that validates the data it came from', async () => {
    const sources = dataset();
    const profile = await profileData({ sources, format: 'auto', reader: {}, workers: 1, log: silentLog });
    const yaml = schemaToYaml(inferSchema(profile));
    assert.match(yaml, /^# Inferred by DataValidate from train\.csv \(400 rows\)/);
    assert.match(yaml, /review every rule/);
    assert.match(yaml, /# Drift is skipped for datetimes and ids \(unique integers, or unique values of a category too large to list\)/);
    assert.match(yaml, /- name: id\n(    .*\n)*    drift: skip\n/);
    const schema = parseSchema(yaml, 'inferred.yaml');
    const { report } = await validateData({ sources, format: 'auto', reader: {}, schema, workers: 1, log: silentLog });
    assert.deepStrictEqual(report.checks.filter((c) => !c.success), []);
    assert.strictEqual(report.passed, true);
  });

  it('warns when the data reads as one column whose name looks like columns joined by another delimiter', async () => {
    const warnings: string[] = [];
    const log = { ...silentLog, warning: (m: string) => void warnings.push(m) };
    const file = path.join(dir, 'semi.csv');
    fs.writeFileSync(file, 'a;b\n1;2\n');
    const schema = inferSchema(await profileData({ sources: [localFileSource(file, 'semi.csv', 8)], format: 'auto', reader: {}, workers: 1, log }));
    assert.deepStrictEqual(schema.columns.map((c) => c.name), ['a;b']);
    assert.deepStrictEqual(warnings, [`semi.csv has one column, "a;b": if its columns are separated by ';', set the input csvDelimiter to ';' and infer again.`]);
    warnings.length = 0;
    await profileData({ sources: [localFileSource(file, 'semi.csv', 8)], format: 'auto', reader: { delimiter: ';' }, workers: 1, log });
    assert.deepStrictEqual(warnings, []);
  });

  it('refuses data with no columns, or with two columns of one name, naming them', async () => {
    const infer = async (name: string, text: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return inferSchema(await profileData({ sources: [localFileSource(file, name, text.length)], format: 'csv', reader: {}, workers: 1, log: silentLog }));
    };
    await assert.rejects(infer('empty.csv', ''), (e: Error) => e.name === 'UserError' && /empty\.csv has no columns: there is nothing to infer a schema from/.test(e.message));
    await assert.rejects(
      infer('twice.csv', 'a,b,a,c,b,b\n1,2,3,4,5,6\n'),
      (e: Error) => e.name === 'UserError' && e.message.startsWith('twice.csv has more than one column of the same name: a (columns 1 and 3), b (columns 2, 5 and 6). '),
    );
    // A header without rows is still a schema to start from: its columns, with no rules on their values.
    assert.deepStrictEqual((await infer('header.csv', 'a,b\n')).columns.map((c) => c.name), ['a', 'b']);
  });

  it('infers a schema that validates JSON Lines with numbers and text in one column, and warns of the lines it could not read', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify({ id: i % 7 === 0 ? `A-${i}` : i, code: i % 2 ? 'x' : 1, note: `n${i}` }));
    lines.splice(10, 0, '[1, 2]');
    const file = path.join(dir, 'mixed.jsonl');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const sources = [localFileSource(file, 'mixed.jsonl', fs.statSync(file).size)];
    const warnings: string[] = [];
    const log = { ...silentLog, warning: (m: string) => void warnings.push(m) };
    const schema = inferSchema(await profileData({ sources, format: 'auto', reader: {}, workers: 1, log }));
    assert.deepStrictEqual(warnings, [
      '1 row of mixed.jsonl could not be read as jsonl and is not in the profile (the first: mixed.jsonl: line 11 is an array; JSON Lines data needs one ' +
        'object per line. The line is skipped). Validating this data fails dataset.malformed until it is mended.',
    ]);
    // Numbers and text: a category, which takes both (a string column refuses numbers); few values: allowed ones.
    assert.deepStrictEqual(schema.columns.map((c) => [c.name, c.type, c.allowed]), [['id', 'category', undefined], ['code', 'category', ['1', 'x']], ['note', 'string', undefined]]);
    const { report } = await validateData({ sources, format: 'auto', reader: {}, schema, workers: 1, log: silentLog });
    assert.deepStrictEqual(report.checks.filter((c) => !c.success).map((c) => c.id), ['dataset.malformed']);
  });

  it('infers types that validate the data: whole numbers written as 1.0 or 1e3 are numbers, ids beyond 2^53 are text', async () => {
    const lines = ['ratio,big_id,count'];
    for (let i = 0; i < 200; i++) lines.push(`${i % 3}.0,${9007199254740993n + BigInt(i) * 7n},${i % 5}e2`);
    const file = path.join(dir, 'whole.csv');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const csv = [localFileSource(file, 'whole.csv', fs.statSync(file).size)];
    const fromCsv = inferSchema(await profileData({ sources: csv, format: 'auto', reader: {}, workers: 1, log: silentLog }));
    assert.deepStrictEqual(fromCsv.columns.map((c) => [c.name, c.type, c.unique]), [['ratio', 'number', undefined], ['big_id', 'string', true], ['count', 'number', undefined]]);
    const { report } = await validateData({ sources: csv, format: 'auto', reader: {}, schema: fromCsv, workers: 1, log: silentLog });
    assert.deepStrictEqual(report.checks.filter((c) => !c.success), []);

    // Parquet int64 beyond 2^53: a category, which takes their exact digits.
    const { pw } = loadParquetWasm();
    const table = new arrow.Table({ id: arrow.makeVector(BigInt64Array.from({ length: 200 }, (_, i) => 9007199254740993n + BigInt(i))) });
    const pq = path.join(dir, 'ids.parquet');
    fs.writeFileSync(pq, pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'))));
    const parquet = [localFileSource(pq, 'ids.parquet', fs.statSync(pq).size)];
    const fromParquet = inferSchema(await profileData({ sources: parquet, format: 'auto', reader: {}, workers: 1, log: silentLog }));
    assert.deepStrictEqual(fromParquet.columns.map((c) => [c.name, c.type, c.unique, c.drift]), [['id', 'category', true, 'skip']]);
    const checked = await validateData({ sources: parquet, format: 'auto', reader: {}, schema: fromParquet, workers: 1, log: silentLog });
    assert.deepStrictEqual(checked.report.checks.filter((c) => !c.success), []);

    // Parquet floats with an infinity, which a number column refuses: a category. Finite ones: numbers.
    const floats = new arrow.Table({
      ratio: arrow.vectorFromArray(Array.from({ length: 200 }, (_, i) => (i === 150 ? -Infinity : i / 8)), new arrow.Float64()),
      share: arrow.vectorFromArray(Array.from({ length: 200 }, (_, i) => i / 16), new arrow.Float32()),
    });
    const fpq = path.join(dir, 'floats.parquet');
    fs.writeFileSync(fpq, pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(floats, 'stream'))));
    const floatFile = [localFileSource(fpq, 'floats.parquet', fs.statSync(fpq).size)];
    const fromFloats = inferSchema(await profileData({ sources: floatFile, format: 'auto', reader: {}, workers: 1, log: silentLog }));
    assert.deepStrictEqual(fromFloats.columns.map((c) => [c.name, c.type]), [['ratio', 'category'], ['share', 'number']]);
    assert.deepStrictEqual((await validateData({ sources: floatFile, format: 'auto', reader: {}, schema: fromFloats, workers: 1, log: silentLog })).report.checks.filter((c) => !c.success), []);

    // A JSON number too large for a double reads as Infinity: a category too.
    const hj = path.join(dir, 'huge.jsonl');
    fs.writeFileSync(hj, Array.from({ length: 50 }, (_, i) => `{"x": ${i === 20 ? '1e400' : i / 4}}`).join('\n') + '\n');
    const huge = [localFileSource(hj, 'huge.jsonl', fs.statSync(hj).size)];
    const fromHuge = inferSchema(await profileData({ sources: huge, format: 'auto', reader: {}, workers: 1, log: silentLog }));
    assert.deepStrictEqual(fromHuge.columns.map((c) => [c.name, c.type]), [['x', 'category']]);
    assert.deepStrictEqual((await validateData({ sources: huge, format: 'auto', reader: {}, schema: fromHuge, workers: 1, log: silentLog })).report.checks.filter((c) => !c.success), []);

    // JSON numbers beyond 2^53 (ids one apart, which doubles would make equal): a category of their exact digits.
    const jl = path.join(dir, 'ids.jsonl');
    const ids = Array.from({ length: 200 }, (_, i) => `{"id": ${1234567890123456789n + BigInt(i)}}`);
    fs.writeFileSync(jl, ids.join('\n') + '\n');
    const jsonl = [localFileSource(jl, 'ids.jsonl', fs.statSync(jl).size)];
    const fromJsonl = inferSchema(await profileData({ sources: jsonl, format: 'auto', reader: {}, workers: 1, log: silentLog }));
    assert.deepStrictEqual(fromJsonl.columns.map((c) => [c.name, c.type, c.unique, c.drift]), [['id', 'category', true, 'skip']]);
    assert.deepStrictEqual((await validateData({ sources: jsonl, format: 'auto', reader: {}, schema: fromJsonl, workers: 1, log: silentLog })).report.checks.filter((c) => !c.success), []);
    // One id written twice is the one duplicate.
    fs.writeFileSync(jl, [...ids, ids[5]].join('\n') + '\n');
    const again = await validateData({ sources: [localFileSource(jl, 'ids.jsonl', fs.statSync(jl).size)], format: 'auto', reader: {}, schema: fromJsonl, workers: 1, log: silentLog });
    assert.deepStrictEqual(again.report.checks.filter((c) => !c.success).map((c) => [c.id, c.unexpectedCount, c.examples.map((e) => e.value)]), [['column.id.unique', 1, ['1234567890123456794']]]);
  });

  it('keeps categories as written when some of them read as booleans (NO for Norway), and counts booleans as true and false', async () => {
    const lines = ['country,consent'];
    for (let i = 0; i < 400; i++) lines.push(`${['NO', 'SE', 'DK', 'FI'][i % 4]},${['yes', 'No', 'TRUE', 'false'][i % 4]}`);
    const file = path.join(dir, 'nordic.csv');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const sources = [localFileSource(file, 'nordic.csv', fs.statSync(file).size)];
    const profile = await profileData({ sources, format: 'auto', reader: {}, workers: 1, log: silentLog });
    assert.deepStrictEqual({ ...profile.columns[0].categories }, { DK: 100, FI: 100, NO: 100, SE: 100 });
    assert.deepStrictEqual({ ...profile.columns[1].categories }, { false: 200, true: 200 });
    const schema = inferSchema(profile);
    assert.deepStrictEqual(schema.columns.map((c) => [c.name, c.type, c.allowed && [...c.allowed].sort()]), [['country', 'category', ['DK', 'FI', 'NO', 'SE']], ['consent', 'boolean', undefined]]);
    const { report } = await validateData({ sources, format: 'auto', reader: {}, schema, workers: 1, log: silentLog });
    assert.deepStrictEqual(report.checks.filter((c) => !c.success), []);
  });

  it('finds repeats within a part and across parts alike, read whole or in parts', async () => {
    const lines = ['u,inner,across'];
    for (let i = 0; i < 2000; i++) lines.push(`k${i},${i === 1900 || i === 1950 ? 'same' : `v${i}`},${i === 1 || i === 1999 ? 'dup' : `w${i}`}`);
    const file = path.join(dir, 'repeats.csv');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const sources = [localFileSource(file, 'repeats.csv', fs.statSync(file).size)];
    for (const workers of [1, 2]) {
      const schema = inferSchema(await profileData({ sources, format: 'auto', reader: {}, workers, splitMinBytes: 1, log: silentLog }));
      assert.deepStrictEqual(schema.columns.map((c) => [c.name, c.unique]), [['u', true], ['inner', undefined], ['across', undefined]], `${workers} workers`);
    }
  });

  it('warns of JSON Lines keys that first come after the rows its columns are taken from', async () => {
    const lines = Array.from({ length: 9000 }, (_, i) => JSON.stringify({ a: i, ...(i === 8500 && { b: 1, c: 2 }) }));
    const file = path.join(dir, 'late.jsonl');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const warnings: string[] = [];
    const log = { ...silentLog, warning: (m: string) => void warnings.push(m) };
    const sources = [localFileSource(file, 'late.jsonl', fs.statSync(file).size)];
    const schema = inferSchema(await profileData({ sources, format: 'auto', reader: {}, workers: 1, log }));
    assert.deepStrictEqual(schema.columns.map((c) => c.name), ['a']);
    assert.deepStrictEqual(warnings, [
      '2 keys of late.jsonl first came after the rows its columns were taken from, and are not in the profile: b (line 8501), c (line 8501). ' +
        'Declare them in the schema to validate them.',
    ]);
  });

  it('rounds bounds outward to two significant digits', () => {
    assert.strictEqual(roundOutward(1682.13, 'down', false), 1600);
    assert.strictEqual(roundOutward(927974.52, 'up', false), 930000);
    assert.strictEqual(roundOutward(-3.14159, 'down', false), -3.2);
    assert.strictEqual(roundOutward(0.0123, 'up', false), 0.013);
    assert.strictEqual(roundOutward(17, 'down', true), 17);
    assert.strictEqual(roundOutward(12345, 'up', true), 13000);
  });
});
