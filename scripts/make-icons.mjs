// Draws the extension icon (images/extension-icon.png, 128x128) and one 32x32 icon.png per task folder.
// Plain Node (zlib for the PNG stream), so the icons can be changed and regenerated without an image editor
// or a graphics package. The build does not run this: the PNGs are committed.
//
//   node scripts/make-icons.mjs              write the extension icon and an icon for every task folder
//   node scripts/make-icons.mjs --out <dir>  write every design (also for tasks that do not exist yet) into <dir>, for a look
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---- PNG encoding (8-bit RGBA, no interlace) ----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

export function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bits per channel, RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // no filter: the images are tiny
    rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- Shapes in a unit square (0..1, y down); each is an inside test ----

const circle = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;

function segment(x1, y1, x2, y2, w) {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const len2 = dx * dx + dy * dy;
  return (x, y) => {
    const t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / len2));
    return (x - x1 - t * dx) ** 2 + (y - y1 - t * dy) ** 2 <= (w / 2) ** 2;
  };
}

function roundRect(x0, y0, w, h, r) {
  return (x, y) => {
    const qx = Math.max(x0 + r - x, 0, x - (x0 + w - r));
    const qy = Math.max(y0 + r - y, 0, y - (y0 + h - r));
    return x >= x0 && x <= x0 + w && y >= y0 && y <= y0 + h && qx * qx + qy * qy <= r * r;
  };
}

function polygon(points) {
  return (x, y) => {
    let inside = false;
    for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
      const [xi, yi] = points[i];
      const [xj, yj] = points[j];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  };
}

/** A stroked open path through points, with round joins and caps. */
function polyline(points, w) {
  const parts = points.slice(1).map((p, i) => segment(points[i][0], points[i][1], p[0], p[1], w));
  return (x, y) => parts.some((f) => f(x, y));
}

const union = (...fs) => (x, y) => fs.some((f) => f(x, y));
const minus = (a, b) => (x, y) => a(x, y) && !b(x, y);

// ---- Colours ----

function hex(h, alpha = 1) {
  const n = parseInt(h.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255, alpha];
}

const WHITE = hex('#ffffff');

/** Top-to-bottom gradient between two colours, for the tile. */
const gradient = (top, bottom) => (x, y) => top.map((c, i) => c + (bottom[i] - c) * y);

// ---- Rendering: supersampled coverage per layer, composited in premultiplied RGBA ----

function render(size, layers) {
  const n = size >= 64 ? 4 : 6; // more samples where a pixel is a larger share of the shape
  const out = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (const { shape, color } of layers) {
        let hits = 0;
        for (let sy = 0; sy < n; sy++) {
          for (let sx = 0; sx < n; sx++) if (shape((px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size)) hits++;
        }
        if (hits === 0) continue;
        const c = typeof color === 'function' ? color((px + 0.5) / size, (py + 0.5) / size) : color;
        const k = (c[3] * hits) / (n * n);
        r = c[0] * k + r * (1 - k);
        g = c[1] * k + g * (1 - k);
        b = c[2] * k + b * (1 - k);
        a = k + a * (1 - k);
      }
      const o = (py * size + px) * 4;
      if (a > 0) {
        out[o] = Math.round(r / a);
        out[o + 1] = Math.round(g / a);
        out[o + 2] = Math.round(b / a);
      }
      out[o + 3] = Math.round(a * 255);
    }
  }
  return encodePng(size, size, out);
}

// Strokes need at least ~1.6 px to stay crisp at 32x32; at 128 they follow the design.
const stroke = (size, w) => Math.max(w, 1.6 / size);

function tile(top, bottom) {
  return { shape: roundRect(0.03, 0.03, 0.94, 0.94, 0.2), color: gradient(hex(top), hex(bottom)) };
}

// ---- Glyphs ----

/** A small neural network: 2 inputs, 3 hidden, 1 output, fully connected. */
function network(size, { x0 = 0.24, x1 = 0.76, y0 = 0.24, y1 = 0.76 } = {}) {
  const xs = [x0, (x0 + x1) / 2, x1];
  const h = y1 - y0;
  const layers = [
    [y0 + h * 0.25, y0 + h * 0.75],
    [y0, y0 + h / 2, y1],
    [y0 + h / 2],
  ];
  const nodes = layers.map((ys, i) => ys.map((y) => [xs[i], y]));
  const edges = [];
  for (let i = 0; i < 2; i++) for (const a of nodes[i]) for (const b of nodes[i + 1]) edges.push(segment(a[0], a[1], b[0], b[1], stroke(size, 0.035)));
  const r = size >= 64 ? 0.075 : 0.085;
  return { edges: union(...edges), nodes: union(...nodes.flat().map(([x, y]) => circle(x, y, r))), outputNode: circle(xs[2], y0 + h / 2, r) };
}

/** The MLOps loop (train, deploy, monitor, retrain) as a figure-eight: a lemniscate of Bernoulli, stroked. */
function loop(size) {
  const pts = [];
  for (let i = 0; i <= 200; i++) {
    const t = (i / 200) * 2 * Math.PI;
    const d = 1 + Math.sin(t) ** 2;
    pts.push([0.5 + (0.34 * Math.cos(t)) / d, 0.5 + (0.34 * Math.sin(t) * Math.cos(t)) / d]);
  }
  return polyline(pts, stroke(size, 0.065));
}

/** Designs per task: tile colours (an Azure hue each, so tasks tell apart in the task picker) and a white glyph. */
const TASK_DESIGNS = {
  // Training: a network, with the output node in the accent colour.
  AmlTrain: (size) => {
    const net = network(size);
    return [tile('#1a8fe3', '#0063b1'), { shape: net.edges, color: hex('#ffffff', 0.85) }, { shape: net.nodes, color: WHITE }, { shape: circle(0.76, 0.5, 0.045), color: hex('#0063b1') }];
  },
  // Data validation: a table with a check mark.
  DataValidate: (size) => {
    const s = stroke(size, 0.055);
    const table = union(
      minus(roundRect(0.2, 0.22, 0.6, 0.56, 0.07), roundRect(0.2 + s, 0.22 + s, 0.6 - 2 * s, 0.56 - 2 * s, 0.04)),
      segment(0.2, 0.41, 0.8, 0.41, s),
      segment(0.2, 0.59, 0.8, 0.59, s),
      segment(0.42, 0.22, 0.42, 0.78, s),
    );
    return [
      tile('#00a3a3', '#00787a'),
      { shape: table, color: hex('#ffffff', 0.9) },
      { shape: circle(0.74, 0.72, 0.2), color: hex('#00787a') },
      { shape: circle(0.74, 0.72, 0.165), color: WHITE },
      { shape: polyline([[0.655, 0.725], [0.72, 0.79], [0.83, 0.66]], stroke(size, 0.06)), color: hex('#00787a') },
    ];
  },
  // Agentless wait: an hourglass, sand left in the top bulb and fallen into the bottom one.
  AmlJobWait: (size) => {
    const s = stroke(size, 0.06);
    const glass = union(segment(0.3, 0.2, 0.7, 0.2, s), segment(0.3, 0.8, 0.7, 0.8, s), polyline([[0.34, 0.2], [0.66, 0.8]], s), polyline([[0.66, 0.2], [0.34, 0.8]], s));
    return [
      tile('#6264a7', '#464775'),
      { shape: glass, color: WHITE },
      { shape: polygon([[0.42, 0.34], [0.58, 0.34], [0.5, 0.49]]), color: hex('#ffffff', 0.85) },
      { shape: polygon([[0.5, 0.6], [0.61, 0.77], [0.39, 0.77]]), color: hex('#ffffff', 0.85) },
    ];
  },
  // Model registration: a tag.
  AmlRegisterModel: () => [
    tile('#8a5cd6', '#5c2d91'),
    { shape: minus(polygon([[0.2, 0.28], [0.58, 0.28], [0.82, 0.5], [0.58, 0.72], [0.2, 0.72]]), circle(0.62, 0.5, 0.065)), color: WHITE },
    { shape: roundRect(0.27, 0.41, 0.22, 0.06, 0.03), color: hex('#5c2d91', 0.8) },
    { shape: roundRect(0.27, 0.53, 0.15, 0.06, 0.03), color: hex('#5c2d91', 0.8) },
  ],
  // Packaging: a box, three faces in three shades of white.
  AmlPackage: () => [
    tile('#f2841f', '#c25400'),
    { shape: polygon([[0.5, 0.18], [0.8, 0.33], [0.5, 0.48], [0.2, 0.33]]), color: WHITE },
    { shape: polygon([[0.2, 0.37], [0.48, 0.51], [0.48, 0.84], [0.2, 0.69]]), color: hex('#ffffff', 0.85) },
    { shape: polygon([[0.8, 0.37], [0.52, 0.51], [0.52, 0.84], [0.8, 0.69]]), color: hex('#ffffff', 0.65) },
  ],
  // Deployment: an arrow going up into a cloud.
  AmlDeploy: (size) => {
    const cloud = union(circle(0.36, 0.55, 0.14), circle(0.55, 0.47, 0.19), circle(0.7, 0.6, 0.12), roundRect(0.22, 0.55, 0.6, 0.17, 0.085));
    return [
      tile('#2ea043', '#107c10'),
      { shape: cloud, color: WHITE },
      { shape: segment(0.5, 0.66, 0.5, 0.5, stroke(size, 0.09)), color: hex('#107c10') },
      { shape: polygon([[0.5, 0.35], [0.64, 0.52], [0.36, 0.52]]), color: hex('#107c10') },
    ];
  },
};

/** A task without its own design gets a tile coloured from its name and the network glyph. */
function defaultDesign(name) {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const hue = h % 360;
  const hsl = (l) => {
    const c = (1 - Math.abs(2 * l - 1)) * 0.7;
    const x = c * (1 - Math.abs(((hue / 60) % 2) - 1));
    const [r, g, b] = [[c, x, 0], [x, c, 0], [0, c, x], [0, x, c], [x, 0, c], [c, 0, x]][Math.floor(hue / 60)];
    return `#${[r, g, b].map((v) => Math.round((v + l - c / 2) * 255).toString(16).padStart(2, '0')).join('')}`;
  };
  return (size) => {
    const net = network(size);
    return [tile(hsl(0.5), hsl(0.36)), { shape: net.edges, color: hex('#ffffff', 0.85) }, { shape: net.nodes, color: WHITE }];
  };
}

/** The extension: the MLOps loop, a figure-eight with a node at each end. */
function extensionIcon(size) {
  const layers = [tile('#1a8fe3', '#0058a3'), { shape: loop(size), color: WHITE }];
  for (const x of [0.5 - 0.34, 0.5 + 0.34]) layers.push({ shape: circle(x, 0.5, 0.095), color: hex('#0063b1') }, { shape: circle(x, 0.5, 0.07), color: WHITE });
  return render(size, layers);
}

export function taskIcon(name, size = 32) {
  return render(size, (TASK_DESIGNS[name] ?? defaultDesign(name))(size));
}

function main() {
  const at = process.argv.indexOf('--out');
  if (at > 0) {
    const out = path.resolve(process.argv[at + 1]);
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'extension-icon.png'), extensionIcon(128));
    for (const name of [...Object.keys(TASK_DESIGNS), 'SomeFutureTask']) {
      fs.writeFileSync(path.join(out, `${name}.png`), taskIcon(name));
      fs.writeFileSync(path.join(out, `${name}-128.png`), taskIcon(name, 128));
    }
    console.log(`Wrote every design into ${out}`);
    return;
  }
  fs.mkdirSync(path.join(repoRoot, 'images'), { recursive: true });
  fs.writeFileSync(path.join(repoRoot, 'images', 'extension-icon.png'), extensionIcon(128));
  const written = ['images/extension-icon.png'];
  const tasksDir = path.join(repoRoot, 'tasks');
  for (const d of fs.existsSync(tasksDir) ? fs.readdirSync(tasksDir, { withFileTypes: true }) : []) {
    if (!d.isDirectory() || !fs.existsSync(path.join(tasksDir, d.name, 'task.json'))) continue;
    if (!TASK_DESIGNS[d.name]) console.warn(`${d.name} has no design of its own in scripts/make-icons.mjs: using the default glyph.`);
    fs.writeFileSync(path.join(tasksDir, d.name, 'icon.png'), taskIcon(d.name));
    written.push(`tasks/${d.name}/icon.png`);
  }
  console.log(`Wrote ${written.join(', ')}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
