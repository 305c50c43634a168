// The "Parquet decoder alone" contenders of the DataValidate benchmark: every row of the Parquet twin read on one
// thread through DataValidate's Parquet reader (build/src/data/readers, from the tsc build), with parquet-wasm
// (the library) or with its own page decoder (src/data/readers/parquet-pages.ts), and one trivial aggregate so
// nothing is optimised away: row count and null count of every column. Both hand the checkers the same typed
// columns, so the difference between the two is the decoding alone. No checks.
//
// Usage: node bench/datavalidate/parquet-decode.mjs <wasm|pages> <file.parquet>   (prints one JSON line)
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const build = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'build', 'src', 'data');
const { openTable } = require(path.join(build, 'readers', 'index.js'));
const { localSources } = require(path.join(build, 'sources.js'));

const [decoder, file] = process.argv.slice(2);
const [source] = localSources(file, process.cwd(), 'dataPath');
const table = await openTable(source, { format: 'parquet', parquetDecoder: decoder === 'wasm' ? 'wasm' : 'auto' });
let rows = 0;
const nulls = new Array(table.columns.length).fill(0);
for await (const batch of table.batches()) {
  rows += batch.rowCount;
  batch.typed.forEach((t, c) => {
    if (t?.validity === undefined) return;
    for (let r = 0; r < batch.rowCount; r++) {
      const bit = t.validityOffset + r;
      if ((t.validity[bit >> 3] & (1 << (bit & 7))) === 0) nulls[c]++;
    }
  });
}
console.log(JSON.stringify({ rows, nulls }));
