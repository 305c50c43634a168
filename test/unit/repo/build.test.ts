import assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { repoRoot } from './repo-files';

// The checks scripts/build.mjs applies to each bundle's esbuild metafile, fed with made-up metafiles.

interface Check {
  problems: string[];
  warnings: string[];
}

function checkBundle(inputs: string[], opts: { imports?: Array<{ path: string; external?: boolean }>; bytes?: number } = {}): Check {
  const metafile = {
    inputs: Object.fromEntries(inputs.map((i) => [i, { bytes: 1, imports: [] }])),
    outputs: { 'tasks/AmlTrain/dist/index.js': { entryPoint: 'tasks/AmlTrain/index.ts', imports: opts.imports ?? [], inputs: {} } },
  };
  const script = [
    `import { checkBundle } from ${JSON.stringify(pathToFileURL(path.join(repoRoot, 'scripts', 'build.mjs')).href)};`,
    'const { problems, warnings } = checkBundle("AmlTrain", JSON.parse(process.argv[1]), Number(process.argv[2]));',
    'console.log(JSON.stringify({ problems, warnings }));',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(metafile), String(opts.bytes ?? 1000)], { cwd: repoRoot, encoding: 'utf8' });
  assert.strictEqual(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Check;
}

const OK_INPUTS = ['tasks/AmlTrain/index.ts', 'src/jobs/train.ts', 'node_modules/azure-pipelines-task-lib/task.js', 'node_modules/@azure/identity/dist/index.js'];

describe('Bundle checks (scripts/build.mjs)', () => {
  it('accept a bundle of the task, src/ and one copy of each package', () => {
    assert.deepStrictEqual(checkBundle(OK_INPUTS, { imports: [{ path: 'fs', external: true }, { path: 'node:crypto', external: true }] }), { problems: [], warnings: [] });
  });

  it('fail on two copies of the task library', () => {
    const { problems } = checkBundle([...OK_INPUTS, 'node_modules/some-helper/node_modules/azure-pipelines-task-lib/task.js']);
    assert.strictEqual(problems.length, 1);
    assert.match(problems[0], /2 copies of azure-pipelines-task-lib/);
  });

  it('only note two copies of another package', () => {
    const { problems, warnings } = checkBundle([...OK_INPUTS, 'node_modules/a/node_modules/ms/index.js', 'node_modules/ms/index.js']);
    assert.deepStrictEqual(problems, []);
    assert.match(warnings.join('\n'), /ms x2/);
  });

  it('fail on a native addon', () => {
    assert.match(checkBundle([...OK_INPUTS, 'node_modules/keytar/build/Release/keytar.node']).problems.join('\n'), /native addon/);
  });

  it('fail on a package left out of the bundle, which the agent would not have', () => {
    assert.match(checkBundle(OK_INPUTS, { imports: [{ path: 'keytar', external: true }] }).problems.join('\n'), /'keytar' is not bundled/);
  });

  it('fail on test code or another task in the bundle', () => {
    const { problems } = checkBundle([...OK_INPUTS, 'test/support/localhost-dns.ts', 'tasks/AmlDeploy/inputs.ts']);
    assert.strictEqual(problems.length, 2, problems.join('\n'));
  });

  it('fail over the size budget', () => {
    assert.match(checkBundle(OK_INPUTS, { bytes: 5 * 1024 * 1024 }).problems.join('\n'), /over the 4\.00 MB budget/);
  });
});

describe('Task kinds (scripts/stamp-version.mjs)', () => {
  let root: string;

  function run(code: string): any {
    const script = [
      `import * as s from ${JSON.stringify(pathToFileURL(path.join(repoRoot, 'scripts', 'stamp-version.mjs')).href)};`,
      `const root = ${JSON.stringify(root)};`,
      `console.log(JSON.stringify(${code}));`,
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  }

  function task(name: string, json: object, withIndex: boolean): void {
    fs.mkdirSync(path.join(root, 'tasks', name), { recursive: true });
    fs.writeFileSync(path.join(root, 'tasks', name, 'task.json'), JSON.stringify({ name, description: `${name} task`, ...json }));
    if (withIndex) fs.writeFileSync(path.join(root, 'tasks', name, 'index.ts'), '');
  }

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'task-kinds-'));
    task('Agent', { runsOn: ['Agent'], execution: { Node20_1: { target: 'dist/index.js' } } }, true);
    task('Server', { runsOn: ['Server', 'ServerGate'], execution: { HttpRequest: { Execute: {} } } }, false);
    task('Unfinished', { runsOn: ['Agent'], execution: { Node20_1: { target: 'dist/index.js' } } }, false);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('ships node tasks and server tasks, not a folder without index.ts that is no server task', () => {
    assert.deepStrictEqual(run('s.listTasks(root).map((t) => [t.name, t.kind])'), [['Agent', 'node'], ['Server', 'server']]);
  });

  it('bundles only the tasks that run on the agent', () => {
    assert.deepStrictEqual(run('s.listNodeTasks(root).map((t) => t.name)'), ['Agent']);
  });

  it('contributes and packages a server task like any other', () => {
    const m = run("s.expectedManifest({ contributions: [], files: [] }, '1.2.3', s.listTasks(root))");
    assert.deepStrictEqual(m.files, [{ path: 'tasks/Agent' }, { path: 'tasks/Server' }]);
    assert.deepStrictEqual(m.contributions.map((c: { id: string }) => c.id), ['agent-task', 'server-task']);
  });
});
