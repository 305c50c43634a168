import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { startFakeAzure, type FakeAzure } from '../fake-azure';
import { azuriteServiceClient } from '../fake-azure/storage';
import { customers, toDelimited, toJsonLines, toParquet, write, type Customer } from './data-fixtures';
import { knownSecrets, runTaskAsAgent, STACK_TRACE, type AgentRun, type RunOptions } from './harness';

const fixtures = [path.join(__dirname, 'fixtures', 'data'), path.resolve(__dirname, '..', '..', '..', 'test', 'e2e', 'fixtures', 'data')].find((d) => fs.existsSync(path.join(d, 'schema.yml')))!;
const schema = path.join(fixtures, 'schema.yml');

interface Report {
  passed: boolean;
  rowCount: number;
  bytes: number;
  checks: Array<{ id: string; success: boolean; severity: string; examples: Array<{ row: number; line?: number; file?: string; value: string }> }>;
  drift?: { detected: boolean; results: Array<{ column: string; drifted: boolean; value: number }> };
}

describe('DataValidate, run as the agent runs it', function () {
  this.timeout(120_000);
  let fake: FakeAzure;
  let dir: string;
  const good = customers(400, 11);

  before(async () => {
    fake = await startFakeAzure();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'datavalidate-e2e-'));
    write(dir, 'good.csv', toDelimited(good, ','));
  });
  after(async () => {
    await fake?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (inputs: Record<string, string>, extra: Partial<RunOptions> = {}) =>
    runTaskAsAgent({ fake, task: 'DataValidate', inputs: { reportDirectory: path.join(dir, 'reports', String(Math.random()).slice(2)), ...inputs }, cwd: dir, ...extra });

  function report(r: AgentRun): Report {
    assert.ok(r.outputs.reportPath, `no report path:\n${r.visibleLog}`);
    return JSON.parse(fs.readFileSync(r.outputs.reportPath, 'utf8'));
  }
  const failedIds = (rep: Report) => rep.checks.filter((c) => !c.success).map((c) => c.id).sort();
  /** A large file read by two worker threads, with one age under its minimum and one id repeated across the parts. */
  function assertSplitRun(r: AgentRun, rowCount: number, youngRow: number, repeatRow: number): void {
    assert.match(r.visibleLog, /with 2 worker threads/);
    const rep = report(r);
    assert.strictEqual(rep.rowCount, rowCount);
    assert.deepStrictEqual(failedIds(rep), ['column.age.min', 'column.id.unique', 'dataset.primaryKey']);
    const rowsOf = (id: string) => rep.checks.find((c) => c.id === id)?.examples.map((e) => e.row);
    assert.deepStrictEqual(rowsOf('column.age.min'), [youngRow]);
    assert.deepStrictEqual(rowsOf('column.id.unique'), [repeatRow]);
  }

  it('passes valid data, publishes the checks as test results and writes the reports', async () => {
    const r = await run({ dataPath: 'good.csv', schema });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.strictEqual(r.outputs.validationPassed, 'true');
    assert.strictEqual(r.outputs.driftDetected, 'false');
    const rep = report(r);
    assert.strictEqual(rep.rowCount, 400);
    assert.deepStrictEqual(failedIds(rep), []);
    assert.ok(rep.checks.length >= 15, `only ${rep.checks.length} checks`);
    const junit = fs.readFileSync(r.outputs.junitPath, 'utf8');
    assert.match(junit, /<testsuites[\s>]/);
    assert.strictEqual((junit.match(/<testcase /g) ?? []).length, rep.checks.length);
    assert.match(r.stdout, /##vso\[results\.publish [^\]]*type=JUnit/);
    assert.match(r.stdout, /##vso\[task\.uploadsummary\]/);
  });

  it('fails data that breaks each kind of check, naming the rows that broke it', async () => {
    const rows: Customer[] = customers(120, 5);
    rows[4].age = 12; // below min (row 5)
    rows[6].age = 130; // above max (row 7)
    rows[9].country = 'XX'; // not allowed (row 10)
    rows[11].email = 'not-an-email'; // pattern (row 12)
    rows[13].email = `${'a'.repeat(70)}@mail1.example`; // maxLength (row 14)
    rows[15].id = 3; // duplicate id: unique and primary key (row 16)
    rows[17].income = -5; // below min (row 18)
    rows[19].signup = '2011-05-05T00:00:00Z'; // before min (row 20)
    const text = toDelimited(rows, ',').replace(`\n21,`, '\n,').replace(',true\n', ',maybe\n');
    write(dir, 'bad.csv', text);
    const r = await run({ dataPath: 'bad.csv', schema });
    assert.strictEqual(r.result, 'Failed', r.visibleLog);
    assert.strictEqual(r.outputs.validationPassed, 'false');
    assert.strictEqual(r.errors.length, 1, JSON.stringify(r.errors));
    assert.match(r.errors[0], /Data validation failed/);
    assert.doesNotMatch(r.visibleLog, STACK_TRACE);
    const rep = report(r);
    const rowsOf = (id: string) => rep.checks.find((c) => c.id === id)?.examples.map((e) => e.row);
    assert.deepStrictEqual(rowsOf('column.age.min'), [5]);
    assert.deepStrictEqual(rowsOf('column.age.max'), [7]);
    assert.deepStrictEqual(rowsOf('column.country.allowed'), [10]);
    assert.deepStrictEqual(rowsOf('column.email.pattern'), [12]);
    assert.deepStrictEqual(rowsOf('column.email.maxLength'), [14]);
    assert.deepStrictEqual(rowsOf('column.income.min'), [18]);
    assert.deepStrictEqual(rowsOf('column.signup.min'), [20]);
    assert.ok(rowsOf('column.id.unique')?.includes(16), 'duplicate id not named');
    assert.ok(rowsOf('dataset.primaryKey')?.includes(16), 'duplicate key not named');
    assert.deepStrictEqual(rowsOf('column.id.nullable'), [21]);
    assert.ok(rowsOf('column.active.type')?.length === 1, 'bad boolean not named');
  });

  it('checks statistics of columns, lets mostly pass a few failing values, and compares categories by the infinity norm', async () => {
    const rows = customers(120, 5);
    rows[2].age = 12;
    rows[8].age = 15;
    write(dir, 'stats.csv', toDelimited(rows, ','));
    write(dir, 'reference-stats.csv', toDelimited(customers(400, 9, true), ','));
    const statsSchema = fs
      .readFileSync(schema, 'utf8')
      .replace('    max: 100\n', '    max: 100\n    mostly: 0.95\n')
      .replace('    min: 0\n', '    min: 0\n    mean: { min: 0, max: 1 }\n')
      .replace('    allowed: [US, GB, DE, FR]\n', '    allowed: [US, GB, DE, FR]\n    distinct: { max: 3 }\n')
      .replace('categorical: { metric: jensen_shannon, threshold: 0.1 }', 'categorical: { metric: infinity_norm, threshold: 0.2 }');
    write(dir, 'stats-schema.yml', statsSchema);
    const r = await run({ dataPath: 'stats.csv', schema: 'stats-schema.yml', referenceData: 'reference-stats.csv' });
    assert.strictEqual(r.result, 'Failed', r.visibleLog);
    const rep = report(r);
    assert.deepStrictEqual(failedIds(rep), ['column.country.distinct', 'column.income.mean']);
    // 2 of 118 ages under the minimum: within mostly, and still named.
    const min = rep.checks.find((c) => c.id === 'column.age.min')!;
    assert.deepStrictEqual([min.success, min.examples.map((e) => e.row)], [true, [3, 9]]);
    assert.match(r.visibleLog, /FAILED column\.income\.mean: expected mean of income between 0 and 1, observed mean \d+/);
    assert.match(r.visibleLog, /FAILED column\.country\.distinct: expected distinct values of country <= 3, observed distinct values 4/);
    // The reference is nearly all US: the US share differs by far more than 0.2.
    const country = rep.drift!.results.find((d) => d.column === 'country')!;
    assert.ok(country.drifted && country.value > 0.4, JSON.stringify(country));
  });

  it('checks a large file in worker threads started from the task\'s worker bundle, with rows counted through the file', async function () {
    // Files from 8 MiB on are split between two worker threads when the agent has two cores.
    if (os.availableParallelism() < 2) this.skip();
    const rows = customers(130_000, 17);
    rows[99_999].age = 12; // row 100000, in the second half
    rows[120_000].id = 7; // a duplicate of row 7, found across the halves
    write(dir, 'large.csv', toDelimited(rows, ','));
    assert.ok(fs.statSync(path.join(dir, 'large.csv')).size > 8 * 1024 * 1024, 'the file is large enough to be split');
    write(dir, 'large-schema.yml', fs.readFileSync(schema, 'utf8').replace('max: 100000 }', 'max: 200000 }'));
    const r = await run({ dataPath: 'large.csv', schema: 'large-schema.yml' });
    assertSplitRun(r, 130_000, 100_000, 120_001);
    // Files are named as the pipeline names them, relative to the working directory.
    const summary = fs.readFileSync(path.join(path.dirname(r.outputs.reportPath), 'datavalidate-report.md'), 'utf8');
    assert.match(summary, /large\.csv \(csv\).* against large-schema\.yml/);
    assert.ok(!summary.includes(dir), summary);
    // threads: 1 checks it in the task's own thread, with the same checks failing on the same rows.
    const one = await run({ dataPath: 'large.csv', schema: 'large-schema.yml', threads: '1' });
    assert.match(one.visibleLog, /with one thread/);
    const failures = (rep: Report) => rep.checks.filter((c) => !c.success).map((c) => [c.id, c.examples.map((e) => e.row)]);
    assert.deepStrictEqual(failures(report(one)), failures(report(r)));
    // Every byte of the file counted once, the header of the split file included.
    const size = fs.statSync(path.join(dir, 'large.csv')).size;
    assert.deepStrictEqual([report(one).bytes, report(r).bytes], [size, size]);
  });

  it('checks a large Parquet file in the worker threads too, which load the Parquet decoder from their own bundle', async function () {
    if (os.availableParallelism() < 2) this.skip();
    const rows = customers(700_000, 23);
    rows[599_999].age = 12; // row 600000, in the second part
    rows[640_000].id = 9; // a duplicate of row 9, found across the parts
    write(dir, 'large.parquet', toParquet(rows));
    assert.ok(fs.statSync(path.join(dir, 'large.parquet')).size > 8 * 1024 * 1024, 'the file is large enough to be split');
    write(dir, 'large-pq-schema.yml', fs.readFileSync(schema, 'utf8').replace('max: 100000 }', 'max: 1000000 }'));
    const r = await run({ dataPath: 'large.parquet', schema: 'large-pq-schema.yml' });
    assertSplitRun(r, 700_000, 600_000, 640_001);
  });

  it('reports malformed rows with their location instead of crashing', async () => {
    write(dir, 'ragged.csv', toDelimited(good.slice(0, 150), ',').replace('\n7,', '\n7,extra,'));
    const r = await run({ dataPath: 'ragged.csv', schema });
    assert.strictEqual(r.result, 'Failed', r.visibleLog);
    assert.doesNotMatch(r.visibleLog, STACK_TRACE);
    const malformed = report(r).checks.find((c) => c.id.startsWith('dataset.malformed'));
    assert.ok(malformed && !malformed.success, 'no malformed-data check failed');
    assert.match(JSON.stringify(malformed), /"line":8|"row":7/);
  });

  it('detects drift against reference data and against a saved profile', async () => {
    // Large enough samples that sampling noise stays well under the 0.1 thresholds.
    write(dir, 'reference.csv', toDelimited(customers(5000, 99), ','));
    write(dir, 'current.csv', toDelimited(customers(5000, 98), ','));
    write(dir, 'drifted.csv', toDelimited(customers(5000, 12, true), ','));
    const same = await run({ dataPath: 'current.csv', schema, referenceData: 'reference.csv', profileOutput: 'reference.profile.json' });
    assert.strictEqual(same.result, 'Succeeded', same.visibleLog);
    assert.strictEqual(same.outputs.driftDetected, 'false', JSON.stringify(report(same).drift));
    const drifted = await run({ dataPath: 'drifted.csv', schema, referenceData: 'reference.csv' });
    assert.strictEqual(drifted.outputs.driftDetected, 'true');
    const income = report(drifted).drift!.results.find((d) => d.column === 'income')!;
    assert.ok(income.drifted && income.value > 0.1, JSON.stringify(income));
    // Drift is a warning in this schema: the step succeeds unless failOn is warning.
    assert.strictEqual(drifted.result, 'Succeeded', drifted.visibleLog);
    const strict = await run({ dataPath: 'drifted.csv', schema, referenceProfile: path.join(dir, 'reference.profile.json'), failOn: 'warning' });
    assert.strictEqual(strict.outputs.driftDetected, 'true');
    assert.strictEqual(strict.result, 'Failed');
    // The same data's profile saved by a run without a reference (which reads no quantiles itself) compares the same.
    const saved = await run({ dataPath: 'current.csv', schema, profileOutput: 'alone.profile.json' });
    assert.strictEqual(saved.result, 'Succeeded', saved.visibleLog);
    const later = await run({ dataPath: 'drifted.csv', schema, referenceProfile: path.join(dir, 'alone.profile.json') });
    assert.strictEqual(later.result, 'Succeeded', later.visibleLog);
    assert.deepStrictEqual(report(later).drift!.results, report(strict).drift!.results);
  });

  for (const format of ['tsv', 'jsonl', 'parquet'] as const) {
    it(`validates ${format} data the same way`, async () => {
      const file = `good.${format}`;
      write(dir, file, format === 'tsv' ? toDelimited(good, '\t') : format === 'jsonl' ? toJsonLines(good) : toParquet(good));
      const r = await run({ dataPath: file, schema });
      assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
      assert.strictEqual(report(r).rowCount, 400);
      const bad = customers(200, 3);
      bad[2].age = 5;
      write(dir, `bad.${format}`, format === 'tsv' ? toDelimited(bad, '\t') : format === 'jsonl' ? toJsonLines(bad) : toParquet(bad));
      const b = await run({ dataPath: `bad.${format}`, schema });
      assert.strictEqual(b.result, 'Failed', b.visibleLog);
      assert.deepStrictEqual(report(b).checks.find((c) => c.id === 'column.age.min')?.examples.map((e) => e.row), [3]);
    });
  }

  it('infers a schema that the same data then passes', async () => {
    const out = path.join(dir, 'inferred', 'schema.yml');
    const inferred = await run({ mode: 'infer', dataPath: 'good.csv', schemaOutput: out });
    assert.strictEqual(inferred.result, 'Succeeded', inferred.visibleLog);
    assert.match(fs.readFileSync(out, 'utf8'), /name: country/);
    const r = await run({ dataPath: 'good.csv', schema: out });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
  });

  it('reads a data asset from the workspace datastore', async () => {
    const ws = fake.workspace;
    // The fake's Azurite holds the default datastore's container: upload the data there and register it as an asset.
    const text = toDelimited(good, ',');
    await azuriteServiceClient(fake.storage!).getContainerClient(ws.identity.defaultContainer).getBlockBlobClient('validated/customers.csv').upload(text, Buffer.byteLength(text));
    ws.seedVersion('data', 'customers', '1', { dataType: 'uri_file', dataUri: 'azureml://datastores/workspaceblobstore/paths/validated/customers.csv' });
    const r = await run(
      { dataAsset: 'azureml:customers:1', schema, resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName },
      { scheme: 'secret' },
    );
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.strictEqual(report(r).rowCount, 400);
    for (const secret of knownSecrets(fake)) assert.ok(!r.visibleLog.includes(secret));
  });

  it('reads a folder data asset of gzip-compressed parts, naming the part of each failing row', async () => {
    const ws = fake.workspace;
    const container = azuriteServiceClient(fake.storage!).getContainerClient(ws.identity.defaultContainer);
    // The second part has an age under the minimum on its third row (row 203 of the dataset).
    const rows = good.map((c, i) => (i === 202 ? { ...c, age: 5 } : c));
    for (const [k, part] of [rows.slice(0, 200), rows.slice(200)].entries()) {
      const body = zlib.gzipSync(toDelimited(part, ','));
      await container.getBlockBlobClient(`gzipped/part-000${k}.csv.gz`).upload(body, body.length);
    }
    ws.seedVersion('data', 'customers-gz', '1', { dataType: 'uri_folder', dataUri: 'azureml://datastores/workspaceblobstore/paths/gzipped/' });
    const r = await run({ dataAsset: 'azureml:customers-gz:1', schema, resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName }, { scheme: 'secret' });
    assert.strictEqual(r.result, 'Failed', r.visibleLog);
    // The blobs are read in this thread and checked in the worker threads.
    assert.match(r.visibleLog, /of azureml:customers-gz:1 \(part-0000\.csv\.gz\), azureml:customers-gz:1 \(part-0001\.csv\.gz\) in .* with 2 worker threads/);
    const rep = report(r);
    assert.strictEqual(rep.rowCount, 400);
    assert.deepStrictEqual(failedIds(rep), ['column.age.min']);
    assert.deepStrictEqual(
      rep.checks.find((c) => c.id === 'column.age.min')!.examples.map((e) => [e.row, e.line, e.file, e.value]),
      [[203, 4, 'azureml:customers-gz:1 (part-0001.csv.gz)', '5']],
    );
    // The log names the part too.
    assert.match(r.visibleLog, /FAILED column\.age\.min: .* row 203 \(azureml:customers-gz:1 \(part-0001\.csv\.gz\), line 4\): 5/);
  });

  it('reads an mltable data asset: the files its MLTable names, read as it says, and warns of transformations it does not apply', async () => {
    const ws = fake.workspace;
    const container = azuriteServiceClient(fake.storage!).getContainerClient(ws.identity.defaultContainer);
    const upload = (name: string, body: string) => container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body));
    // Semicolon-separated parts that a pattern names, next to a file it does not.
    await upload('tables/customers/parts/p-1.csv', toDelimited(good.slice(0, 150), ';'));
    await upload('tables/customers/parts/p-2.csv', toDelimited(good.slice(150), ';'));
    await upload('tables/customers/parts/notes.txt', 'not data');
    await upload('tables/customers/MLTable', ['type: mltable', 'paths:', '  - pattern: ./parts/p-[0-9].csv', 'transformations:', '  - read_delimited:', "      delimiter: ';'", '  - take: 10', ''].join('\n'));
    ws.seedVersion('data', 'customers-table', '1', { dataType: 'mltable', dataUri: 'azureml://datastores/workspaceblobstore/paths/tables/customers/' });
    const r = await run({ dataAsset: 'azureml:customers-table:1', schema, resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName }, { scheme: 'secret' });
    assert.strictEqual(r.result, 'Succeeded', r.visibleLog);
    assert.strictEqual(report(r).rowCount, 400);
    assert.match(r.visibleLog, /Reading 2 file\(s\) of azureml:customers-table:1/);
    assert.match(r.visibleLog, /its transformations take are not applied/);

    // A path that does not exist: one clear error, naming it.
    await upload('tables/broken/MLTable', 'paths:\n  - file: ./missing.csv\n');
    ws.seedVersion('data', 'broken-table', '1', { dataType: 'mltable', dataUri: 'azureml://datastores/workspaceblobstore/paths/tables/broken' });
    const b = await run({ dataAsset: 'azureml:broken-table:1', schema, resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName }, { scheme: 'secret' });
    assert.strictEqual(b.result, 'Failed', b.visibleLog);
    assert.strictEqual(b.errors.length, 1, JSON.stringify(b.errors));
    assert.match(b.errors[0], /the MLTable file of azureml:broken-table:1 reads the file \.\/missing\.csv, which does not exist/);
    assert.doesNotMatch(b.visibleLog, STACK_TRACE);
  });

  it('fails with one clear error when the blob of a data asset is gone', async () => {
    fake.workspace.seedVersion('data', 'moved', '1', { dataType: 'uri_file', dataUri: 'azureml://datastores/workspaceblobstore/paths/validated/moved-away.csv' });
    const r = await run({ dataAsset: 'azureml:moved:1', schema, resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName }, { scheme: 'secret' });
    assert.strictEqual(r.result, 'Failed', r.visibleLog);
    assert.strictEqual(r.errors.length, 1, JSON.stringify(r.errors));
    assert.match(r.errors[0], /^The blob 'validated\/moved-away\.csv' of datastore 'workspaceblobstore' \(storage account '.+', container '.+'\) does not exist \(BlobNotFound: .*\): the data may have been moved or deleted\.$/);
    assert.doesNotMatch(r.visibleLog, STACK_TRACE);
  });

  it('fails with one clear error naming a data asset that does not exist, with workload identity federation', async () => {
    const r = await run(
      { dataAsset: 'azureml:no-such-data:3', schema, resourceGroup: fake.resourceGroup, workspaceName: fake.workspaceName },
      { scheme: 'federated' },
    );
    assert.strictEqual(r.result, 'Failed', r.visibleLog);
    assert.strictEqual(r.errors.length, 1, JSON.stringify(r.errors));
    assert.match(r.errors[0], /no-such-data/);
    assert.doesNotMatch(r.visibleLog, STACK_TRACE);
  });

  it('fails with one clear error when the schema has an unknown key', async () => {
    const badSchema = write(dir, 'bad-schema.yml', fs.readFileSync(schema, 'utf8').replace('    unique: true', '    uniq: true'));
    const r = await run({ dataPath: 'good.csv', schema: badSchema });
    assert.strictEqual(r.result, 'Failed');
    assert.strictEqual(r.errors.length, 1, JSON.stringify(r.errors));
    assert.match(r.errors[0], /uniq/);
    assert.doesNotMatch(r.visibleLog, STACK_TRACE);
  });

  it('fails with one clear error when the data does not exist', async () => {
    const r = await run({ dataPath: 'missing/*.csv', schema });
    assert.strictEqual(r.result, 'Failed');
    assert.strictEqual(r.errors.length, 1);
    assert.match(r.errors[0], /dataPath/);
  });
});
