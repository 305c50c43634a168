import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { ColumnAccumulator } from '../../../src/data/profile';
import type { ColumnProfile } from '../../../src/data/types';
import { seededRandom } from '../../support/random';

// Tests run from build/, the fixtures stay next to the sources.
export function fixtureDir(): string {
  const candidates = [path.join(__dirname, 'fixtures', 'drift'), path.resolve(__dirname, '../../../../test/unit/data/fixtures/drift')];
  const dir = candidates.find((d) => fs.existsSync(path.join(d, 'chi2-sf.json')));
  if (!dir) throw new Error(`drift fixtures not found from ${__dirname}`);
  return dir;
}

export function readFixture<T = any>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(fixtureDir(), name + '.json'), 'utf8')) as T;
}

export interface Encoded {
  n: number;
  first: number;
  deltas: string;
}

/** Inverse of gen-drift-fixtures.py's encode: sorted integers, divided by scale exactly as numpy does. */
export function decode(e: Encoded, scale: number): Float64Array {
  const bytes = zlib.inflateSync(Buffer.from(e.deltas, 'base64'));
  const out = new Float64Array(e.n);
  let v = e.first;
  out[0] = v / scale;
  let i = 1;
  let d = 0;
  let mul = 1;
  for (const b of bytes) {
    d += (b & 127) * mul;
    if (b >= 128) {
      mul *= 128;
      continue;
    }
    v += d;
    out[i++] = v / scale;
    d = 0;
    mul = 1;
  }
  if (i !== e.n) throw new Error(`decoded ${i} values, expected ${e.n}`);
  return out;
}

/** Deterministic shuffle (mulberry32), so sketches see the values in no particular order, as from a file. */
export function shuffle<T extends { length: number; [i: number]: any }>(a: T, seed = 12345): T {
  const rand = seededRandom(seed);
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = a[i];
    a[i] = a[j];
    a[j] = tmp;
  }
  return a;
}

export function numericProfile(name: string, values: ArrayLike<number>): ColumnProfile {
  const acc = new ColumnAccumulator(name, 'numeric');
  for (let i = 0; i < values.length; i++) acc.addNumber(values[i]);
  return acc.toProfile();
}

export function categoricalProfile(name: string, counts: Record<string, number>, seed = 7): ColumnProfile {
  const values: string[] = [];
  for (const [k, n] of Object.entries(counts)) for (let i = 0; i < n; i++) values.push(k);
  shuffle(values, seed);
  const acc = new ColumnAccumulator(name, 'categorical');
  for (const v of values) acc.addText(v);
  return acc.toProfile();
}
