import * as fs from 'fs';
import * as path from 'path';

/** The repository root, found from here whether the test runs from test/ or from its compiled copy in build/. */
export const repoRoot = findRoot(__dirname);

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'vss-extension.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`No repository root above ${from}`);
  }
}

export function readJson<T = any>(...segments: string[]): T {
  return JSON.parse(fs.readFileSync(path.join(repoRoot, ...segments), 'utf8')) as T;
}

export interface TaskFolder {
  name: string;
  dir: string;
  /**
   * 'node': has an index.ts, which the build bundles for the agent; 'server': an agentless task (runsOn Server with an
   * HttpRequest execution) that Azure DevOps performs itself; undefined: neither, work in progress.
   * The rule of scripts/stamp-version.mjs taskKind.
   */
  kind: 'node' | 'server' | undefined;
  /** The extension ships it: a node or a server task. */
  shipped: boolean;
}

function kindOf(dir: string): TaskFolder['kind'] {
  if (fs.existsSync(path.join(dir, 'index.ts'))) return 'node';
  const task = JSON.parse(fs.readFileSync(path.join(dir, 'task.json'), 'utf8'));
  return (task.runsOn ?? []).includes('Server') && task.execution?.HttpRequest ? 'server' : undefined;
}

/** Every tasks/<Name>/ with a task.json. */
export function taskFolders(): TaskFolder[] {
  const tasksDir = path.join(repoRoot, 'tasks');
  return fs
    .readdirSync(tasksDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(tasksDir, d.name, 'task.json')))
    .map((d) => {
      const dir = path.join(tasksDir, d.name);
      const kind = kindOf(dir);
      return { name: d.name, dir, kind, shipped: kind !== undefined };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Width and height from a PNG's IHDR chunk; throws when the file is not a PNG. */
export function pngSize(file: string): { width: number; height: number } {
  const buf = fs.readFileSync(file);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (buf.length < 24 || !buf.subarray(0, 8).equals(signature) || buf.toString('ascii', 12, 16) !== 'IHDR') {
    throw new Error(`${file} is not a PNG`);
  }
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** Files under a folder, recursively, relative to the repository root with '/' separators. */
export function filesUnder(dir: string, keep: (rel: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'dist') walk(full);
      } else {
        const rel = path.relative(repoRoot, full).split(path.sep).join('/');
        if (keep(rel)) out.push(rel);
      }
    }
  };
  walk(dir);
  return out.sort();
}
