import * as assert from 'assert';
import { IsoWriter, writeNumber } from '../../../src/data/value-text';
import { seededRandom } from '../../support/random';

const bytes = Buffer.alloc(64);

function numberText(x: number): string {
  return bytes.toString('latin1', 0, writeNumber(bytes, 0, x));
}

/** Doubles of every kind: whole, decimals of a few digits, random bits, and the edges of fixed notation. */
function numbers(): number[] {
  const random = seededRandom(17);
  const bits = new Float64Array(1);
  const words = new Uint32Array(bits.buffer);
  const xs = [0, -0, 1, -1, 0.1, 0.2, 0.3, 0.1 + 0.2, 1 / 3, 2 / 3, 5e-7, 1e-6, 1.5e-6, 9.99e-7, 0.000001, 0.0000015, 123.456, 1e15, 1e15 + 0.5, 1e16, 1e21, 1e20 + 0.5];
  xs.push(4503599627370495.5, 2 ** 52 + 0.5, 2 ** 53 - 1, 2 ** 53, -(2 ** 53 - 1), 2 ** 60, 2.0000000000000004, 0.9999999999999999, 1.7976931348623157e308, 5e-324, NaN, Infinity, -Infinity);
  for (let i = 0; i < 200_000; i++) {
    const digits = 1 + Math.floor(random() * 8);
    const scale = 10 ** Math.floor(random() * 12);
    xs.push(Math.round(random() * 10 ** digits) / scale);
    xs.push(-Math.round(random() * 1e7) / 100);
    xs.push((random() - 0.5) * 10 ** (Math.floor(random() * 40) - 20));
    words[0] = (random() * 2 ** 32) >>> 0;
    words[1] = (random() * 2 ** 32) >>> 0;
    xs.push(bits[0]);
    xs.push(Math.fround(random() * 1000));
    // Full mantissas in every binade up to 2^52: decimals of 16 digits, whose products with 10^k round the most.
    xs.push((1 + random()) * 2 ** Math.floor(random() * 52));
    xs.push(4 + random() / 2);
  }
  return xs;
}

describe('texts of values written as bytes', () => {
  it('writes every number as String does', () => {
    let checked = 0;
    for (const x of numbers()) {
      const text = numberText(x);
      if (text !== String(x)) assert.fail(`${String(x)} written as ${text}`);
      checked++;
    }
    assert.ok(checked > 1_000_000);
  });

  it('writes every time as toISOString does, invalid ones as Invalid Date', () => {
    const random = seededRandom(23);
    const writer = new IsoWriter();
    const times = [0, -1, 1, 86_399_999, 86_400_000, -86_400_000, -86_400_001, 8.64e15, -8.64e15, 8.64e15 + 1, NaN, 253402300799999, 253402300800000, -62167219200000, -62167219200001, 1.5];
    // Leap days and the days around them, in years the rule of 100 and of 400 decide.
    for (const day of ['2000-02-29', '1900-02-28', '1900-03-01', '2100-02-28', '2100-03-01', '1600-02-29', '0000-02-29', '0000-03-01', '9999-12-31', '1970-01-01', '1969-12-31']) {
      const ms = Date.parse(`${day}T00:00:00Z`);
      times.push(ms, ms - 1, ms + 86_399_999);
    }
    for (let i = 0; i < 200_000; i++) {
      // Any time of years 0 to 9999, whose dates are written here.
      times.push(Math.floor(-62167219200000 + random() * (253402300800000 + 62167219200000)));
      times.push(Math.floor((random() - 0.5) * 2 * 8.64e15));
      // Runs of times of one day, then another, as a column of events has them.
      times.push(1_700_000_000_000 + Math.floor(i / 7) * 3_600_000 + Math.floor(random() * 3_600_000));
      times.push(Math.floor((random() - 0.7) * 4e12));
    }
    for (const ms of times) {
      const text = bytes.toString('latin1', 0, writer.write(bytes, 0, ms));
      const want = Number.isNaN(new Date(ms).getTime()) ? 'Invalid Date' : new Date(ms).toISOString();
      if (text !== want) assert.fail(`${ms} written as ${text}, not ${want}`);
    }
  });
});
