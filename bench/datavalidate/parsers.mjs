// The "npm CSV parser alone" contenders of the DataValidate benchmark, as the research measured them: stream
// the whole file through the parser and compute one trivial aggregate so nothing is optimised away — row count,
// empty-cell count of every column and min/max of income. No validation: this is the floor of any validator
// built on the parser.
//
// Usage: node bench/datavalidate/parsers.mjs <udsv|papaparse> <file.csv>   (prints one JSON line)
import fs from 'node:fs';

const [parserName, file] = process.argv.slice(2);
const INCOME = 2;
let rows = 0;
let nulls = null;
let min = Infinity;
let max = -Infinity;

function onRow(row) {
  rows++;
  nulls ??= new Array(row.length).fill(0);
  for (let i = 0; i < row.length; i++) if (row[i] === '' || row[i] == null) nulls[i]++;
  const v = row[INCOME];
  if (v !== '' && v != null) {
    const n = +v;
    if (n < min) min = n;
    if (n > max) max = n;
  }
}

async function udsv() {
  const { inferSchema, initParser } = await import('udsv');
  let parser;
  const stream = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  // stringArrs: every field as a string (no type inference); the third argument is called with each row
  // instead of accumulating them.
  const onRows = (row) => {
    onRow(row);
    return true;
  };
  for await (const chunk of stream) {
    parser ??= initParser(inferSchema(chunk));
    parser.chunk(chunk, parser.stringArrs, onRows);
  }
  parser.end();
}

async function papaparse() {
  const Papa = (await import('papaparse')).default;
  let header = true;
  await new Promise((resolve, reject) => {
    Papa.parse(fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }), {
      step(result) {
        if (header) header = false;
        else onRow(result.data);
      },
      complete: resolve,
      error: reject,
    });
  });
}

const start = process.hrtime.bigint();
if (parserName === 'udsv') await udsv();
else if (parserName === 'papaparse') await papaparse();
else {
  console.error('usage: node bench/datavalidate/parsers.mjs <udsv|papaparse> <file.csv>');
  process.exit(2);
}
console.log(JSON.stringify({ parser: parserName, rows, nulls, incomeMin: min, incomeMax: max, ms: Number(process.hrtime.bigint() - start) / 1e6 }));
