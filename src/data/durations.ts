/**
 * Time for the DataValidate rules: ages for the freshness rule (30m, 12h, 7d, 2w, 45s and ISO 8601 durations
 * such as P7D, PT12H), and instants: ISO 8601 dates and date-times and strftime formats, parsed to epoch ms.
 * Months and years are refused as ages: their length depends on the calendar, and an age limit should not.
 */

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

const SHORT_FORM = /^(\d+(?:\.\d+)?)\s*([smhdw])$/;
const ISO_FORM = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Milliseconds of an age such as '7d' or 'P7D', or undefined when the text is neither form. */
export function parseAge(text: string): number | undefined {
  const trimmed = text.trim();
  const short = SHORT_FORM.exec(trimmed);
  if (short) return Number(short[1]) * UNIT_MS[short[2]];
  const iso = ISO_FORM.exec(trimmed.toUpperCase());
  if (!iso || trimmed.length <= 1 || /T$/i.test(trimmed)) return undefined;
  const [, weeks, days, hours, minutes, seconds] = iso;
  if (weeks === undefined && days === undefined && hours === undefined && minutes === undefined && seconds === undefined) return undefined;
  return (
    Number(weeks ?? 0) * UNIT_MS.w +
    Number(days ?? 0) * UNIT_MS.d +
    Number(hours ?? 0) * UNIT_MS.h +
    Number(minutes ?? 0) * UNIT_MS.m +
    Number(seconds ?? 0) * UNIT_MS.s
  );
}

/** An age in words for reports: the two largest units, "9d 2h", "45m", "12s". */
export function formatAge(ms: number): string {
  const negative = ms < 0;
  let rest = Math.round(Math.abs(ms) / 1000);
  const parts: string[] = [];
  for (const [unit, seconds] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const count = Math.floor(rest / seconds);
    rest -= count * seconds;
    if (count > 0 || (unit === 's' && parts.length === 0)) parts.push(`${count}${unit}`);
    if (parts.length === 2) break;
  }
  return (negative ? '-' : '') + parts.join(' ');
}

// ---------------------------------------------------------------- instants

const MS_PER_DAY = 86_400_000;

/**
 * Days since 1970-01-01 of a proleptic Gregorian date: from a table of month starts for the years most data has,
 * else by civilDays. Much faster than Date.UTC per cell.
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const k = (year - MONTH_STARTS_FROM) * 12 + month - 1;
  return k >= 0 && k < MONTH_STARTS.length ? MONTH_STARTS[k] + day - 1 : civilDays(year, month, day);
}

/** daysFromCivil by integer arithmetic alone. */
function civilDays(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** The first day of each month of the years 1900 to 2155, as civilDays gives it. */
const MONTH_STARTS_FROM = 1900;
const MONTH_STARTS = new Int32Array(256 * 12);
for (let k = 0; k < MONTH_STARTS.length; k++) MONTH_STARTS[k] = civilDays(MONTH_STARTS_FROM + Math.floor(k / 12), (k % 12) + 1, 1);

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/**
 * Epoch milliseconds of an ISO 8601 date or date-time: YYYY-MM-DD, optionally followed by 'T' or a space,
 * HH:MM, optional :SS and fraction, and an optional zone (Z, ±HH:MM, ±HHMM, ±HH). No zone means UTC.
 * NaN when the text is not one of these forms or names a date that does not exist.
 */
export function parseIsoDateTime(text: string): number {
  const length = text.length;
  if (length < 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return NaN;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  let ms = daysFromCivil(year, month, day) * MS_PER_DAY;
  if (length === 10) return ms;
  const separator = text.charCodeAt(10);
  if ((separator !== 84 && separator !== 32 && separator !== 116) || length < 16 || text.charCodeAt(13) !== 58) return NaN;
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return NaN;
  ms += hour * 3_600_000 + minute * 60_000;
  let i = 16;
  if (i < length && text.charCodeAt(i) === 58) {
    const second = digitsAt(text, i + 1, 2);
    if (second < 0 || second > 59 || i + 3 > length) return NaN;
    ms += second * 1000;
    i += 3;
    if (i < length && (text.charCodeAt(i) === 46 || text.charCodeAt(i) === 44)) {
      i++;
      let scale = 100;
      const fractionStart = i;
      while (i < length) {
        const d = text.charCodeAt(i) - 48;
        if (d < 0 || d > 9) break;
        ms += d * scale;
        scale /= 10;
        i++;
      }
      if (i === fractionStart) return NaN;
    }
  }
  if (i === length) return ms;
  return applyZone(text, i, ms);
}

/** The zone suffix at `start` (Z, ±HH:MM, ±HHMM, ±HH) applied to a local time, or NaN. */
function applyZone(text: string, start: number, localMs: number): number {
  const length = text.length;
  const first = text.charCodeAt(start);
  if (first === 90 || first === 122) return start + 1 === length ? localMs : NaN;
  if (first !== 43 && first !== 45) return NaN;
  const hours = digitsAt(text, start + 1, 2);
  let minutes = 0;
  const rest = length - start - 3;
  if (rest === 3 && text.charCodeAt(start + 3) === 58) minutes = digitsAt(text, start + 4, 2);
  else if (rest === 2) minutes = digitsAt(text, start + 3, 2);
  else if (rest !== 0) return NaN;
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return NaN;
  const offset = (hours * 60 + minutes) * 60_000;
  return first === 43 ? localMs - offset : localMs + offset;
}

/** digitsAt over bytes; -1 past the cell's end too (where the text version reads NaN and fails the same way). */
function digitsAtBytes(buf: Uint8Array, start: number, count: number, end: number): number {
  if (start + count > end) return -1;
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/**
 * parseIsoDateTime of the cell bytes buf[s, e), for CSV cells read without a string. Every accepted form is ASCII,
 * and a byte >= 0x80 fails where the text version's non-ASCII character fails, so both agree on every cell.
 */
export function parseIsoDateTimeBytes(buf: Uint8Array, s: number, e: number): number {
  const length = e - s;
  if (length < 10 || buf[s + 4] !== 45 || buf[s + 7] !== 45) return NaN;
  const year = digitsAtBytes(buf, s, 4, e);
  const month = digitsAtBytes(buf, s + 5, 2, e);
  const day = digitsAtBytes(buf, s + 8, 2, e);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  let ms = daysFromCivil(year, month, day) * MS_PER_DAY;
  if (length === 10) return ms;
  const separator = buf[s + 10];
  if ((separator !== 84 && separator !== 32 && separator !== 116) || length < 16 || buf[s + 13] !== 58) return NaN;
  const hour = digitsAtBytes(buf, s + 11, 2, e);
  const minute = digitsAtBytes(buf, s + 14, 2, e);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return NaN;
  ms += hour * 3_600_000 + minute * 60_000;
  let i = s + 16;
  if (i < e && buf[i] === 58) {
    const second = digitsAtBytes(buf, i + 1, 2, e);
    if (second < 0 || second > 59 || i + 3 > e) return NaN;
    ms += second * 1000;
    i += 3;
    if (i < e && (buf[i] === 46 || buf[i] === 44)) {
      i++;
      let scale = 100;
      const fractionStart = i;
      while (i < e) {
        const d = buf[i] - 48;
        if (d < 0 || d > 9) break;
        ms += d * scale;
        scale /= 10;
        i++;
      }
      if (i === fractionStart) return NaN;
    }
  }
  if (i === e) return ms;
  const first = buf[i];
  if (first === 90 || first === 122) return i + 1 === e ? ms : NaN;
  if (first !== 43 && first !== 45) return NaN;
  const hours = digitsAtBytes(buf, i + 1, 2, e);
  let minutes = 0;
  const rest = e - i - 3;
  if (rest === 3 && buf[i + 3] === 58) minutes = digitsAtBytes(buf, i + 4, 2, e);
  else if (rest === 2) minutes = digitsAtBytes(buf, i + 3, 2, e);
  else if (rest !== 0) return NaN;
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return NaN;
  const offset = (hours * 60 + minutes) * 60_000;
  return first === 43 ? ms - offset : ms + offset;
}

/** An instant as ISO 8601 text for reports and schemas: the date alone at midnight UTC, no ".000" otherwise. */
export function formatInstant(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const iso = new Date(ms).toISOString();
  if (ms % MS_PER_DAY === 0) return iso.slice(0, 10);
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WEEKDAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** The strftime directives a datetime format may use (the common subset of C, Python and pandas). */
export const DATE_FORMAT_DIRECTIVES: Record<string, string> = {
  '%Y': 'year, 4 digits',
  '%y': 'year, 2 digits (69-99 = 19xx, 00-68 = 20xx)',
  '%m': 'month, 1-2 digits',
  '%d': 'day of month, 1-2 digits',
  '%e': 'day of month, space-padded',
  '%j': 'day of year, 1-3 digits',
  '%H': 'hour 0-23, 1-2 digits',
  '%I': 'hour 1-12, with %p',
  '%p': 'AM or PM',
  '%M': 'minute, 1-2 digits',
  '%S': 'second, 1-2 digits',
  '%f': 'fraction of a second, 1-9 digits',
  '%z': 'UTC offset: Z, +HHMM, +HH:MM or +HH',
  '%Z': 'zone name: UTC, GMT or Z',
  '%b': 'month abbreviation (Jan)',
  '%h': 'month abbreviation (Jan)',
  '%B': 'month name (January)',
  '%a': 'weekday abbreviation (Mon), not checked against the date',
  '%A': 'weekday name (Monday), not checked against the date',
  '%s': 'seconds since 1970-01-01 UTC',
  '%F': 'same as %Y-%m-%d',
  '%T': 'same as %H:%M:%S',
  '%R': 'same as %H:%M',
  '%D': 'same as %m/%d/%y',
  '%%': 'a literal %',
};

const EXPANSIONS: Record<string, string> = { '%F': '%Y-%m-%d', '%T': '%H:%M:%S', '%R': '%H:%M', '%D': '%m/%d/%y' };

/** Parses text with one strftime format, compiled once per column. */
export class DateFormatParser {
  private readonly tokens: string[] = [];

  /** Throws an Error naming the directive when the format uses one that is not supported. */
  constructor(readonly format: string) {
    let expanded = format;
    for (const [short, long] of Object.entries(EXPANSIONS)) expanded = expanded.split(short).join(long);
    let literal = '';
    for (let i = 0; i < expanded.length; i++) {
      const ch = expanded[i];
      if (ch !== '%') {
        literal += ch;
        continue;
      }
      const directive = expanded.slice(i, i + 2);
      if (!(directive in DATE_FORMAT_DIRECTIVES)) {
        throw new Error(`${directive === '%' ? 'a lone %' : directive} is not a supported directive (supported: ${Object.keys(DATE_FORMAT_DIRECTIVES).join(' ')})`);
      }
      i++;
      if (directive === '%%') {
        literal += '%';
        continue;
      }
      if (literal) this.tokens.push(literal);
      literal = '';
      this.tokens.push(directive);
    }
    if (literal) this.tokens.push(literal);
  }

  /** Epoch milliseconds, or NaN when the text does not match the format. Times without %z are UTC. */
  parse(text: string): number {
    let year = 1970;
    let month = 1;
    let day = 1;
    let dayOfYear = -1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let fractionMs = 0;
    let pm = -1;
    let offsetMs = 0;
    let epochSeconds = NaN;
    let i = 0;
    const length = text.length;
    for (const token of this.tokens) {
      if (token.charCodeAt(0) !== 37 || token.length !== 2) {
        if (!text.startsWith(token, i)) return NaN;
        i += token.length;
        continue;
      }
      let value = 0;
      let read = 0;
      let maxDigits = 2;
      switch (token) {
        case '%Y': maxDigits = 4; break;
        case '%j': maxDigits = 3; break;
        case '%f': maxDigits = 9; break;
        case '%s': maxDigits = 12; break;
        case '%e':
          if (text.charCodeAt(i) === 32) i++;
          break;
        default:
          break;
      }
      switch (token) {
        case '%p': {
          const marker = text.slice(i, i + 2).toUpperCase();
          if (marker !== 'AM' && marker !== 'PM') return NaN;
          pm = marker === 'PM' ? 1 : 0;
          i += 2;
          continue;
        }
        case '%z':
        case '%Z': {
          const end = zoneEnd(text, i, token === '%Z');
          if (end < 0) return NaN;
          const zone = text.slice(i, end);
          if (token === '%Z' || zone === 'Z' || zone === 'z') offsetMs = 0;
          else {
            const applied = applyZone(text.slice(0, end), i, 0);
            if (applied !== applied) return NaN;
            offsetMs = -applied;
          }
          i = end;
          continue;
        }
        case '%b':
        case '%h':
        case '%B':
        case '%a':
        case '%A': {
          const names = token === '%B' ? MONTH_NAMES : token === '%a' ? WEEKDAYS : token === '%A' ? WEEKDAY_NAMES : MONTHS;
          const found = matchName(text, i, names);
          if (found < 0) return NaN;
          if (token === '%b' || token === '%h' || token === '%B') month = found + 1;
          i += names[found].length;
          continue;
        }
        default:
          break;
      }
      const negative = token === '%s' && text.charCodeAt(i) === 45;
      if (negative) i++;
      while (read < maxDigits && i < length) {
        const d = text.charCodeAt(i) - 48;
        if (d < 0 || d > 9) break;
        value = value * 10 + d;
        read++;
        i++;
      }
      if (read === 0 || (token === '%Y' && read !== 4)) return NaN;
      switch (token) {
        case '%Y': year = value; break;
        case '%y': year = value < 69 ? 2000 + value : 1900 + value; break;
        case '%m': month = value; break;
        case '%d':
        case '%e': day = value; break;
        case '%j': dayOfYear = value; break;
        case '%H':
        case '%I': hour = value; break;
        case '%M': minute = value; break;
        case '%S': second = value; break;
        case '%f': fractionMs = (value / 10 ** read) * 1000; break;
        case '%s': epochSeconds = negative ? -value : value; break;
        default: break;
      }
    }
    if (i !== length) return NaN;
    if (epochSeconds === epochSeconds) return epochSeconds * 1000 + fractionMs;
    if (pm >= 0) {
      if (hour < 1 || hour > 12) return NaN;
      hour = (hour % 12) + (pm === 1 ? 12 : 0);
    }
    if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return NaN;
    let days: number;
    if (dayOfYear >= 0) {
      const yearLength = daysInMonth(year, 2) === 29 ? 366 : 365;
      if (dayOfYear < 1 || dayOfYear > yearLength) return NaN;
      days = daysFromCivil(year, 1, 1) + dayOfYear - 1;
    } else {
      if (day < 1 || day > daysInMonth(year, month)) return NaN;
      days = daysFromCivil(year, month, day);
    }
    return days * MS_PER_DAY + hour * 3_600_000 + minute * 60_000 + second * 1000 + fractionMs - offsetMs;
  }
}

function zoneEnd(text: string, start: number, named: boolean): number {
  if (named) {
    for (const name of ['UTC', 'GMT', 'Z']) if (text.startsWith(name, start)) return start + name.length;
    return -1;
  }
  const first = text.charCodeAt(start);
  if (first === 90 || first === 122) return start + 1;
  if (first !== 43 && first !== 45) return -1;
  let i = start + 1;
  while (i < text.length && i - start <= 5) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 58)) break;
    i++;
  }
  return i;
}

function matchName(text: string, start: number, names: readonly string[]): number {
  for (let n = 0; n < names.length; n++) {
    const name = names[n];
    if (text.length - start >= name.length && text.slice(start, start + name.length).toLowerCase() === name) return n;
  }
  return -1;
}
