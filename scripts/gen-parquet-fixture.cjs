// Writes test/unit/data/fixtures/parquet/no-page-index.parquet and bad-page-index.parquet, which parquet-wasm (it
// always writes a correct offset index) cannot make:
//   - no-page-index: no offset index, as pyarrow writes by default;
//   - bad-page-index: @dsnp/parquetjs's offset index, whose page locations all say the page starts at row 0.
// Both: 3,000 rows in row groups of 1,000, data pages of 100 rows, no compression:
//   id int64 (1..3000), v int32 (nullable: null every 7th row, else i % 50), name utf8 (`n${i % 13}`).
// The tests read them back against the same formulas, so they need no writer at test time.
//
//   npm exec --yes --package @dsnp/parquetjs@1.8.8 -- node scripts/gen-parquet-fixture.cjs
// (@dsnp/parquetjs is not a dependency of the project: it is used for these fixtures only.)
const path = require('path');
const { ParquetSchema, ParquetWriter } = require('@dsnp/parquetjs');

async function write(name, pageIndex) {
  const out = path.join(__dirname, '..', 'test', 'unit', 'data', 'fixtures', 'parquet', name);
  const schema = new ParquetSchema({
    id: { type: 'INT64' },
    v: { type: 'INT32', optional: true },
    name: { type: 'UTF8' },
  });
  const writer = await ParquetWriter.openFile(schema, out, { rowGroupSize: 1000, pageSize: 100, pageIndex, useDataPageV2: false });
  for (let i = 0; i < 3000; i++) {
    await writer.appendRow({ id: BigInt(i + 1), ...(i % 7 === 0 ? {} : { v: i % 50 }), name: `n${i % 13}` });
  }
  await writer.close();
  console.log(`wrote ${out}`);
}

async function main() {
  await write('no-page-index.parquet', false);
  await write('bad-page-index.parquet', true);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
