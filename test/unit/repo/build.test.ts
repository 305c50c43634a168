import assert from 'assert';
import { spawnSync } from 'child_process';
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
