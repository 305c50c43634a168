// Deterministic synthetic data for the DataValidate benchmark: 12 columns, written as CSV (streaming, bounded
// memory) and as a Parquet twin (the same rows: parquet-wasm writing 1M-row record batches as row groups).
//
// Rows come from one PRNG stream consumed row by row, so a given (seed, drift) yields the same values whatever the
// batch size, and the CSV and Parquet files of the same parameters hold the same data.
//
// Alone: node bench/datavalidate/generate.mjs <out.csv|out.parquet> <rows> [seed] [drift]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const COLUMNS = ['id', 'age', 'income', 'score', 'country', 'device', 'segment', 'comment', 'email', 'event_time', 'is_active', 'label'];
/** Bumped whenever the generated data changes, so cached files are made again. */
export const GENERATOR_VERSION = 1;

export const COUNTRIES = [
  'US', 'IN', 'GB', 'DE', 'FR', 'BR', 'CA', 'JP', 'AU', 'ES', 'IT', 'MX', 'NL', 'SE', 'PL',
  'TR', 'KR', 'ID', 'AR', 'ZA', 'NG', 'EG', 'CH', 'BE', 'AT', 'NO', 'DK', 'FI', 'IE', 'PT',
];
export const DEVICES = ['mobile', 'desktop', 'tablet'];
export const SEGMENTS = ['consumer', 'smb', 'enterprise', 'public', 'partner'];
const WORDS = [
  'great', 'product', 'delivery', 'late', 'support', 'helpful', 'price', 'too', 'high', 'would', 'buy', 'again',
  'broken', 'on', 'arrival', 'fast', 'shipping', 'quality', 'poor', 'excellent', 'value', 'for', 'money', 'the',
  'app', 'keeps', 'crashing', 'love', 'it', 'not', 'as', 'described', 'easy', 'setup', 'refund', 'requested',
];
const FIRST = ['anna', 'ben', 'chen', 'dana', 'eli', 'fatma', 'gus', 'hana', 'ivan', 'jo', 'kofi', 'lea', 'mo', 'nia', 'omar', 'pia'];
const DOMAINS = ['example.com', 'mail.example', 'contoso.com', 'fabrikam.net', 'outlook.example', 'corp.example.org'];
const TIME_START = Date.UTC(2024, 0, 1);
const TIME_SPAN_S = 365 * 86400;

/** sfc32: small, fast, good enough for synthetic data; seeded through splitmix32. */
function makeRandom(seed) {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split(), b = split(), c = split(), d = split();
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  let spare = NaN;
  const normal = () => {
    if (spare === spare) {
      const v = spare;
      spare = NaN;
      return v;
    }
    let u = 0;
    while (u === 0) u = next();
    const r = Math.sqrt(-2 * Math.log(u));
    const th = 2 * Math.PI * next();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
  return { next, normal };
}

/** Cumulative Zipf(s) weights over n items. */
function zipfCdf(n, s) {
  const w = Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);
  const total = w.reduce((x, y) => x + y, 0);
  let acc = 0;
  return Float64Array.from(w, (x) => (acc += x / total));
}

function pick(cdf, u) {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u < cdf[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * A source of rows. `drift` = 0 for the data under test; the reference uses another seed and drift = 1, which
 * shifts income (log-mean -0.1: normalized Wasserstein ≈ 0.16, over the 0.1 default), age (mean -1 year: small),
 * country (a flatter Zipf) and device (more desktop), so drift results are a mix of flagged and not flagged.
 */
export function rowSource({ seed = 42, drift = 0, firstId = 1 } = {}) {
  const rnd = makeRandom(seed);
  const countryCdf = zipfCdf(COUNTRIES.length, drift ? 1.0 : 1.1);
  const deviceCdf = drift ? Float64Array.of(0.5, 0.88, 1) : Float64Array.of(0.55, 0.9, 1);
  const segmentCdf = Float64Array.of(0.45, 0.75, 0.9, 0.96, 1);
  const ageMean = drift ? 39 : 40;
  const incomeMu = drift ? 10.7 : 10.8;
  let id = firstId;

  /** Fills a columnar batch of n rows. Nulls: NaN for numbers, -1 for category codes, null for strings. */
  function batch(n) {
    const b = {
      length: n,
      id: new Float64Array(n),
      age: new Float64Array(n),
      income: new Float64Array(n),
      score: new Float64Array(n),
      country: new Int8Array(n),
      device: new Int8Array(n),
      segment: new Int8Array(n),
      comment: new Array(n),
      email: new Array(n),
      eventTime: new Float64Array(n),
      isActive: new Uint8Array(n),
      label: new Uint8Array(n),
    };
    for (let i = 0; i < n; i++) {
      b.id[i] = id++;
      b.age[i] = rnd.next() < 0.02 ? NaN : Math.min(90, Math.max(18, Math.round(ageMean + 12 * rnd.normal())));
      b.income[i] = rnd.next() < 0.05 ? NaN : Math.round(Math.exp(incomeMu + 0.6 * rnd.normal()) * 100) / 100;
      const score = Math.round(1500 * rnd.normal()) / 1000;
      b.score[i] = score;
      b.country[i] = pick(countryCdf, rnd.next());
      b.device[i] = pick(deviceCdf, rnd.next());
      b.segment[i] = rnd.next() < 0.01 ? -1 : pick(segmentCdf, rnd.next());
      b.comment[i] = comment(rnd);
      const first = FIRST[(rnd.next() * FIRST.length) | 0];
      b.email[i] = `${first}.${(rnd.next() * 100000) | 0}@${DOMAINS[(rnd.next() * DOMAINS.length) | 0]}`;
      b.eventTime[i] = TIME_START + ((rnd.next() * TIME_SPAN_S) | 0) * 1000;
      b.isActive[i] = rnd.next() < 0.7 ? 1 : 0;
      b.label[i] = rnd.next() < 1 / (1 + Math.exp(-score)) ? 1 : 0;
    }
    return b;
  }
  return { batch };
}

/** 2–7 words; ~15 % have a comma (so the CSV field is quoted), a third of those also a quoted word. */
function comment(rnd) {
  const n = 2 + ((rnd.next() * 6) | 0);
  let text = WORDS[(rnd.next() * WORDS.length) | 0];
  const special = rnd.next() < 0.15;
  const commaAt = special ? 1 + ((rnd.next() * (n - 1)) | 0) : -1;
  const quoted = special && rnd.next() < 0.34;
  for (let w = 1; w < n; w++) {
    const word = WORDS[(rnd.next() * WORDS.length) | 0];
    text += w === commaAt ? `, ${quoted ? `"${word}"` : word}` : ` ${word}`;
  }
  return text;
}

function csvField(text) {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const pad2 = (n) => (n < 10 ? `0${n}` : `${n}`);
function isoSeconds(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}Z`;
}

/** Writes `rows` rows as CSV, 64K rows at a time with backpressure. Returns { rows, bytes, ms }. */
export async function writeCsv(file, { rows, seed, drift }) {
  const start = process.hrtime.bigint();
  const source = rowSource({ seed, drift });
  const tmp = `${file}.partial`;
  const out = fs.createWriteStream(tmp, { highWaterMark: 4 << 20 });
  const write = (chunk) => (out.write(chunk) ? Promise.resolve() : new Promise((resolve) => out.once('drain', resolve)));
  await write(`${COLUMNS.join(',')}\n`);
  const BATCH = 8192;
  for (let done = 0; done < rows; ) {
    const n = Math.min(BATCH, rows - done);
    const b = source.batch(n);
    const lines = new Array(n);
    for (let i = 0; i < n; i++) {
      lines[i] =
        `${b.id[i]},${b.age[i] === b.age[i] ? b.age[i] : ''},${b.income[i] === b.income[i] ? b.income[i] : ''},${b.score[i]},` +
        `${COUNTRIES[b.country[i]]},${DEVICES[b.device[i]]},${b.segment[i] < 0 ? '' : SEGMENTS[b.segment[i]]},${csvField(b.comment[i])},` +
        `${b.email[i]},${isoSeconds(b.eventTime[i])},${b.isActive[i] ? 'true' : 'false'},${b.label[i]}\n`;
    }
    await write(lines.join(''));
    done += n;
  }
  await new Promise((resolve, reject) => out.end((e) => (e ? reject(e) : resolve())));
  fs.renameSync(tmp, file);
  return { rows, bytes: fs.statSync(file).size, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

/**
 * Writes the same rows as Parquet: 1M-row Arrow record batches (built straight from typed arrays), each handed to
 * parquet-wasm's transformParquetStream, which writes one row group per batch (snappy) and streams the file out.
 * Only one batch is generated ahead of the writer, so memory is bounded by the batch size, not the row count.
 */
export async function writeParquet(file, { rows, seed, drift, batchRows = 1_000_000 }) {
  const start = process.hrtime.bigint();
  const arrow = await import('apache-arrow');
  const pq = await import('parquet-wasm');
  const source = rowSource({ seed, drift });
  const schema = new arrow.Schema([
    new arrow.Field('id', new arrow.Int64(), false),
    new arrow.Field('age', new arrow.Int32(), true),
    new arrow.Field('income', new arrow.Float64(), true),
    new arrow.Field('score', new arrow.Float64(), false),
    new arrow.Field('country', new arrow.Utf8(), false),
    new arrow.Field('device', new arrow.Utf8(), false),
    new arrow.Field('segment', new arrow.Utf8(), true),
    new arrow.Field('comment', new arrow.Utf8(), false),
    new arrow.Field('email', new arrow.Utf8(), false),
    new arrow.Field('event_time', new arrow.TimestampMillisecond('UTC'), false),
    new arrow.Field('is_active', new arrow.Bool(), false),
    new arrow.Field('label', new arrow.Int32(), false),
  ]);
  const bitmapOf = (n, valid) => {
    const bits = new Uint8Array((n + 7) >> 3);
    let nulls = 0;
    for (let i = 0; i < n; i++) {
      if (valid(i)) bits[i >> 3] |= 1 << (i & 7);
      else nulls++;
    }
    return { bits, nulls };
  };
  // All values go into one buffer (per-string TextEncoder arrays would be millions of small allocations).
  const utf8 = (type, n, textAt) => {
    const offsets = new Int32Array(n + 1);
    const nullBits = new Uint8Array((n + 7) >> 3);
    let nulls = 0;
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const t = textAt(i);
      if (t === null) nulls++;
      else {
        nullBits[i >> 3] |= 1 << (i & 7);
        bytes += Buffer.byteLength(t, 'utf8');
      }
      offsets[i + 1] = bytes;
    }
    const data = Buffer.allocUnsafe(bytes);
    for (let i = 0; i < n; i++) {
      const t = textAt(i);
      if (t !== null) data.write(t, offsets[i], 'utf8');
    }
    return arrow.makeData({ type, length: n, nullCount: nulls, nullBitmap: nulls ? nullBits : undefined, valueOffsets: offsets, data: new Uint8Array(data.buffer, data.byteOffset, bytes) });
  };
  const toArrowBatch = (b) => {
    const n = b.length;
    const f = schema.fields;
    const age = bitmapOf(n, (i) => b.age[i] === b.age[i]);
    const income = bitmapOf(n, (i) => b.income[i] === b.income[i]);
    const bools = bitmapOf(n, (i) => b.isActive[i] === 1);
    const children = [
      arrow.makeData({ type: f[0].type, length: n, data: BigInt64Array.from(b.id, (v) => BigInt(v)) }),
      arrow.makeData({ type: f[1].type, length: n, nullCount: age.nulls, nullBitmap: age.bits, data: Int32Array.from(b.age, (v) => (v === v ? v : 0)) }),
      arrow.makeData({ type: f[2].type, length: n, nullCount: income.nulls, nullBitmap: income.bits, data: Float64Array.from(b.income, (v) => (v === v ? v : 0)) }),
      arrow.makeData({ type: f[3].type, length: n, data: b.score }),
      utf8(f[4].type, n, (i) => COUNTRIES[b.country[i]]),
      utf8(f[5].type, n, (i) => DEVICES[b.device[i]]),
      utf8(f[6].type, n, (i) => (b.segment[i] < 0 ? null : SEGMENTS[b.segment[i]])),
      utf8(f[7].type, n, (i) => b.comment[i]),
      utf8(f[8].type, n, (i) => b.email[i]),
      arrow.makeData({ type: f[9].type, length: n, data: BigInt64Array.from(b.eventTime, (v) => BigInt(v)) }),
      arrow.makeData({ type: f[10].type, length: n, data: bools.bits }),
      arrow.makeData({ type: f[11].type, length: n, data: Int32Array.from(b.label) }),
    ];
    const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: n, children });
    return new arrow.RecordBatch(schema, struct);
  };

  let done = 0;
  const batches = new ReadableStream(
    {
      pull(controller) {
        if (done >= rows) {
          controller.close();
          return;
        }
        const n = Math.min(batchRows, rows - done);
        done += n;
        let t = process.hrtime.bigint();
        const lap = (label) => {
          if (!process.env.DV_GEN_DEBUG) return;
          const now = process.hrtime.bigint();
          console.error(`${label} ${Math.round(Number(now - t) / 1e6)} ms rss ${Math.round(process.memoryUsage.rss() / 2 ** 20)} MiB ext ${Math.round(process.memoryUsage().arrayBuffers / 2 ** 20)} wasm ${Math.round(pq.wasmMemory().buffer.byteLength / 2 ** 20)}`);
          t = now;
        };
        const rowsBatch = source.batch(n);
        lap('generate');
        const arrowBatch = toArrowBatch(rowsBatch);
        lap('arrow');
        const ipc = arrow.tableToIPC(new arrow.Table([arrowBatch]), 'stream');
        lap('ipc');
        // Free the wasm Table right away (its batch shares the buffers): left to the garbage collector's
        // finalizers, each one keeps a row group's worth of wasm memory alive and the writer's memory grows.
        const table = pq.Table.fromIPCStream(ipc);
        const batch = table.recordBatch(0);
        table.free();
        controller.enqueue(batch);
        lap('wasm');
      },
    },
    { highWaterMark: 0 },
  );
  const props = new pq.WriterPropertiesBuilder().setCompression(pq.Compression.SNAPPY).setMaxRowGroupSize(batchRows).build();
  const bytesOut = await pq.transformParquetStream(batches, props);
  const tmp = `${file}.partial`;
  const fd = fs.openSync(tmp, 'w');
  let peakRss = process.memoryUsage.rss();
  try {
    for await (const chunk of bytesOut) {
      fs.writeSync(fd, chunk);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  return { rows, bytes: fs.statSync(file).size, ms: Number(process.hrtime.bigint() - start) / 1e6, peakRssBytes: peakRss };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, rowsText, seedText = '42', driftText = '0'] = process.argv.slice(2);
  if (!file || !rowsText) {
    console.error('usage: node bench/datavalidate/generate.mjs <out.csv|out.parquet> <rows> [seed] [drift]');
    process.exit(2);
  }
  const opts = { rows: Number(rowsText), seed: Number(seedText), drift: Number(driftText) };
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const r = file.endsWith('.parquet') ? await writeParquet(file, opts) : await writeCsv(file, opts);
  // The parent reads this line (the Parquet writer runs in its own process so its RSS is its own).
  console.log(JSON.stringify(r));
}
