import assert from 'assert';
import { readJson, taskFolders } from './repo-files';

// package.json's version is the one source; scripts/stamp-version.mjs (run by every build) writes it everywhere else.
describe('Versions', () => {
  const version: string = readJson('package.json').version;

  it('package.json has a MAJOR.MINOR.PATCH version, the only form task.json versions can take', () => {
    assert.match(version, /^\d+\.\d+\.\d+$/);
  });

  it('vss-extension.json has the package.json version', () => {
    assert.strictEqual(readJson('vss-extension.json').version, version, 'run: node scripts/stamp-version.mjs');
  });

  it('every task.json has the package.json version, so agents never keep a cached older task', () => {
    const [Major, Minor, Patch] = version.split('.').map(Number);
    for (const t of taskFolders()) {
      assert.deepStrictEqual(readJson('tasks', t.name, 'task.json').version, { Major, Minor, Patch }, `tasks/${t.name}/task.json: run node scripts/stamp-version.mjs`);
    }
  });
});
