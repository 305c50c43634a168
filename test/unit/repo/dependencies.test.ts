import assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { filesUnder, repoRoot } from './repo-files';

// One dependency direction: tasks -> src/agent (the only user of the task library) + the domain core -> Azure clients.
// The core stays testable with plain objects and free of pipeline globals, and the task library stays one copy.

/** Module specifiers a TypeScript file imports, re-exports or requires, comments removed first. */
export function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const specifiers: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\sfrom\s*['"`]([^'"`]+)['"`]/g,
    /\bimport\s*['"`]([^'"`]+)['"`]/g,
    /\b(?:require|import)\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) specifiers.push(m[1]);
  return specifiers;
}

const isTaskLib = (spec: string) => spec === 'azure-pipelines-task-lib' || spec.startsWith('azure-pipelines-task-lib/');
const tsFiles = (dir: string) => filesUnder(path.join(repoRoot, dir), (rel) => /\.ts$/.test(rel) && !rel.endsWith('.d.ts'));

/** Where an import resolves inside the repository, '/'-separated, or undefined for a package. */
function target(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  return path.relative(repoRoot, path.resolve(repoRoot, path.dirname(file), spec)).split(path.sep).join('/');
}

describe('Dependency direction', () => {
  const srcFiles = tsFiles('src');
  const taskFiles = tsFiles('tasks');

  it('finds the sources it checks', () => {
    assert.ok(srcFiles.length > 0 && taskFiles.length > 0);
  });

  it('only src/agent/ imports azure-pipelines-task-lib', () => {
    const offenders = [...srcFiles.filter((f) => !f.startsWith('src/agent/')), ...taskFiles].filter((f) =>
      importsOf(fs.readFileSync(path.join(repoRoot, f), 'utf8')).some(isTaskLib),
    );
    assert.deepStrictEqual(offenders, [], 'use or extend the adapter in src/agent/ instead');
  });

  it('the core (src/ outside src/agent/) never imports the agent adapter, a task or a test', () => {
    const offenders: string[] = [];
    for (const f of srcFiles.filter((x) => !x.startsWith('src/agent/'))) {
      for (const spec of importsOf(fs.readFileSync(path.join(repoRoot, f), 'utf8'))) {
        const t = target(f, spec);
        if (t && (t === 'src/agent' || t.startsWith('src/agent/') || t.startsWith('tasks/') || t.startsWith('test/'))) offenders.push(`${f} -> ${spec}`);
      }
    }
    assert.deepStrictEqual(offenders, [], 'the core takes plain options; only tasks and src/agent/ know the pipeline');
  });

  it('only src/cli/ imports the command line tool, which ships in the npm package and never in a task bundle', () => {
    const offenders: string[] = [];
    for (const f of [...srcFiles.filter((x) => !x.startsWith('src/cli/')), ...taskFiles]) {
      for (const spec of importsOf(fs.readFileSync(path.join(repoRoot, f), 'utf8'))) {
        const t = target(f, spec);
        if (t && (t === 'src/cli' || t.startsWith('src/cli/'))) offenders.push(`${f} -> ${spec}`);
      }
    }
    assert.deepStrictEqual(offenders, []);
  });

  it('src/agent/ never imports a task or a test', () => {
    const offenders: string[] = [];
    for (const f of srcFiles.filter((x) => x.startsWith('src/agent/'))) {
      for (const spec of importsOf(fs.readFileSync(path.join(repoRoot, f), 'utf8'))) {
        const t = target(f, spec);
        if (t && (t.startsWith('tasks/') || t.startsWith('test/'))) offenders.push(`${f} -> ${spec}`);
      }
    }
    assert.deepStrictEqual(offenders, []);
  });

  it('tasks never import from test/ or from another task', () => {
    const offenders: string[] = [];
    for (const f of taskFiles) {
      const own = f.split('/').slice(0, 2).join('/');
      for (const spec of importsOf(fs.readFileSync(path.join(repoRoot, f), 'utf8'))) {
        const t = target(f, spec);
        if (t && (t.startsWith('test/') || (t.startsWith('tasks/') && !t.startsWith(`${own}/`)))) offenders.push(`${f} -> ${spec}`);
      }
    }
    assert.deepStrictEqual(offenders, []);
  });

  describe('the import scanner', () => {
    it('sees static, side-effect, type, dynamic and require imports, and ignores comments', () => {
      const src = [
        "import * as tl from 'azure-pipelines-task-lib/task';",
        "import type { X } from './x';",
        "import './side-effect';",
        "export { y } from '../y';",
        "const z = require('z');",
        "const w = await import(\"w\");",
        "import {\n  a,\n  b,\n} from 'multi-line';",
        "// import q from 'commented-out';",
        "/* require('also-commented') */",
        "const url = 'https://example.com/x'; // a URL is not a comment start",
      ].join('\n');
      assert.deepStrictEqual(importsOf(src).sort(), ['../y', './side-effect', './x', 'azure-pipelines-task-lib/task', 'multi-line', 'w', 'z'].sort());
    });
  });
});
