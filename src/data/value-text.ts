/**
 * The texts of numbers and times, byte for byte as String(x) and Date.prototype.toISOString write them, written
 * into a buffer without making a string: for a column without a rule, whose values are profiled as text too
 * (checks.ts, SniffingChecker). String of a double took about 250 ns, toISOString about 500 ns; these take a
 * tenth of that on the common values, and fall back to them on the others.
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const TWO_52 = 2 ** 52;
const POWERS = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17];
const MS_PER_DAY = 86_400_000;

/** Writes the whole number x (within ±2^53) as String(x) does, from byte at of bytes; returns where it ended. */
export function writeInteger(bytes: Uint8Array, at: number, x: number): number {
  if (x < 0) {
    bytes[at++] = 45;
    x = -x;
  }
  let digits = 1;
  for (let p = 10; p <= x; p *= 10) digits++;
  const end = at + digits;
  for (let i = end - 1; i >= at; i--) {
    // Exact below 2^53: x / 10 rounds by at most 1/16, so it never reaches the next whole number.
    const q = Math.floor(x / 10);
    bytes[i] = 48 + (x - q * 10);
    x = q;
  }
  return end;
}

/**
 * Writes String(x) for a number from byte at of bytes (at most 24 bytes); returns where it ended.
 *
 * String(x) is the decimal of fewest digits that reads back as x (ECMAScript's Number::toString), in fixed notation
 * from 1e-6 to 1e21. A number that is not whole is tried with k = 1, 2, ... digits after the point: the candidates
 * are the whole numbers c with c / 10^k === x (a division of exact doubles, rounded once, as reading the decimal
 * back is). While y = |x| * 10^k < 2^52, they lie in an interval narrower than 1 around y, so there is at most one,
 * and the first k with one gives the fewest digits: that decimal is String's. Below 2^51 the interval is narrower
 * than a half and y rounds by at most 1/8, so the one candidate is Math.round(y); from 2^51 on it may be a neighbour,
 * and the next k is past 2^52: then, as for anything else (exponents, more digits), String writes it.
 */
export function writeNumber(bytes: Buffer, at: number, x: number): number {
  if (x === Math.floor(x) && x >= -MAX_SAFE && x <= MAX_SAFE) return writeInteger(bytes, at, x);
  const size = x < 0 ? -x : x;
  if (size >= 1e-6 && size < 1e15) {
    for (let k = 1; k < POWERS.length; k++) {
      const p = POWERS[k];
      const y = x * p;
      if (y >= TWO_52 || y <= -TWO_52) break;
      const m = Math.round(y);
      if (m / p === x) return writeDecimal(bytes, at, m, k);
    }
  }
  return at + bytes.write(String(x), at, 'latin1');
}

/** Writes c / 10^k with k digits after the point (c not a multiple of 10, |c| < 2^52). */
function writeDecimal(bytes: Uint8Array, at: number, c: number, k: number): number {
  if (c < 0) {
    bytes[at++] = 45;
    c = -c;
  }
  const p = POWERS[k];
  const whole = Math.floor(c / p);
  let fraction = c - whole * p;
  at = writeInteger(bytes, at, whole);
  bytes[at] = 46;
  const end = at + 1 + k;
  for (let i = end - 1; i > at; i--) {
    const q = Math.floor(fraction / 10);
    bytes[i] = 48 + (fraction - q * 10);
    fraction = q;
  }
  return end;
}

/** 0000-01-01T00:00:00.000Z and the first millisecond past 9999-12-31: the times whose year has four digits. */
const YEAR_0 = -62_167_219_200_000;
const YEAR_10000 = 253_402_300_800_000;

/**
 * Writes the ISO 8601 texts of times (epoch milliseconds) as toISOString does: the date from the day's number
 * (the civil calendar of days since 1970, proleptic Gregorian, Howard Hinnant's days_from_civil inverted), kept for
 * the next time of the same day, then the clock. Years outside 0 to 9999 (six digits and a sign) are toISOString's;
 * an invalid time (NaN, beyond the range of Date) is written as String(new Date(NaN)) is, 'Invalid Date'.
 */
export class IsoWriter {
  private day = NaN;
  private readonly dayText = new Uint8Array(11);

  /** Writes the text of time ms from byte at of bytes (at most 27 bytes); returns where it ended. */
  write(bytes: Buffer, at: number, ms: number): number {
    if (!(ms >= -8.64e15 && ms <= 8.64e15)) return at + bytes.write('Invalid Date', at, 'latin1');
    if (!(ms >= YEAR_0 && ms < YEAR_10000) || ms !== Math.floor(ms)) return at + bytes.write(new Date(ms).toISOString(), at, 'latin1');
    // Exact: within years 0 to 9999 (fewer than 2^22 days from 1970) the quotient is not rounded to a whole number.
    const day = Math.floor(ms / MS_PER_DAY);
    let clock = ms - day * MS_PER_DAY;
    if (day !== this.day) {
      this.writeDate(day);
      this.day = day;
    }
    bytes.set(this.dayText, at);
    at += 11;
    const millis = clock % 1000;
    clock = (clock - millis) / 1000;
    const seconds = clock % 60;
    clock = (clock - seconds) / 60;
    const minutes = clock % 60;
    const hours = (clock - minutes) / 60;
    at = twoDigits(bytes, at, hours);
    bytes[at++] = 58;
    at = twoDigits(bytes, at, minutes);
    bytes[at++] = 58;
    at = twoDigits(bytes, at, seconds);
    bytes[at] = 46;
    bytes[at + 1] = 48 + Math.floor(millis / 100);
    bytes[at + 2] = 48 + (Math.floor(millis / 10) % 10);
    bytes[at + 3] = 48 + (millis % 10);
    bytes[at + 4] = 90;
    return at + 5;
  }

  /** dayText: YYYY-MM-DDT of day (days since 1970-01-01, in years 0 to 9999). */
  private writeDate(day: number): void {
    // Days since 0000-03-01, in eras of 400 years (146,097 days) that start on a 1 March.
    const z = day + 719_468;
    const era = Math.floor(z / 146_097);
    const dayOfEra = z - era * 146_097;
    const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
    const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
    const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
    const date = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
    const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
    const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
    const text = this.dayText;
    twoDigits(text, 0, Math.floor(year / 100));
    twoDigits(text, 2, year % 100);
    text[4] = 45;
    twoDigits(text, 5, month);
    text[7] = 45;
    twoDigits(text, 8, date);
    text[10] = 84;
  }
}

function twoDigits(bytes: Uint8Array, at: number, n: number): number {
  bytes[at] = 48 + Math.floor(n / 10);
  bytes[at + 1] = 48 + (n % 10);
  return at + 2;
}
