import * as fs from 'fs';
import * as path from 'path';

/** Rows of the customers dataset the DataValidate tests use, generated from a seed so any size can be made. */
export interface Customer {
  id: number;
  age: number | null;
  income: number;
  country: string;
  email: string;
  signup: string;
  active: boolean;
}

/** A small deterministic PRNG (xorshift32), so the data is the same on every machine. */
function rng(seed: number): () => number {
  // Spread the seed over all bits (small seeds start xorshift in a low-entropy state) and warm it up.
  let x = Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) >>> 0 || 1;
  for (let i = 0; i < 32; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

export function customers(n: number, seed: number, drift = false): Customer[] {
  const r = rng(seed);
  const countries = drift ? ['US', 'US', 'US', 'US', 'DE'] : ['US', 'GB', 'DE', 'FR'];
  const rows: Customer[] = [];
  for (let i = 1; i <= n; i++) {
    const u = r() + r() + r(); // roughly normal
    const income = Math.round((drift ? 90000 : 50000) * (0.5 + u / 3) * 100) / 100;
    const day = new Date(Date.UTC(2019, 0, 1) + Math.floor(r() * 6 * 365) * 86400000);
    rows.push({
      id: i,
      age: r() < 0.02 ? null : 18 + Math.floor(r() * 70),
      income,
      country: countries[Math.floor(r() * countries.length)],
      email: `user.${i}@mail${Math.floor(r() * 5)}.example`,
      signup: day.toISOString().slice(0, 19) + 'Z',
      active: r() < 0.7,
    });
  }
  return rows;
}

export const COLUMNS = ['id', 'age', 'income', 'country', 'email', 'signup', 'active'] as const;

export function toDelimited(rows: Customer[], delimiter: string): string {
  const cell = (v: unknown) => (v === null ? '' : String(v));
  return [COLUMNS.join(delimiter), ...rows.map((row) => COLUMNS.map((c) => cell(row[c])).join(delimiter))].join('\n') + '\n';
}

export function toJsonLines(rows: Customer[]): string {
  return rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
}

/** A Parquet twin written with parquet-wasm and Apache Arrow, ZSTD-compressed. */
export function toParquet(rows: Customer[]): Uint8Array {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const arrow = require('apache-arrow');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pw = require('parquet-wasm');
  const table = arrow.tableFromArrays({
    id: Int32Array.from(rows.map((r) => r.id)),
    age: rows.map((r) => r.age),
    income: Float64Array.from(rows.map((r) => r.income)),
    country: rows.map((r) => r.country),
    email: rows.map((r) => r.email),
    signup: rows.map((r) => r.signup),
    active: rows.map((r) => r.active),
  });
  const wasmTable = pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  return pw.writeParquet(wasmTable, new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).build());
}

export function write(dir: string, name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}
