import assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { pngSize, readJson, repoRoot, taskFolders } from './repo-files';

interface Contribution {
  id: string;
  type: string;
  targets: string[];
  properties?: { name?: string };
}

// vss-extension.json's files and task contributions are derived from the task folders by scripts/stamp-version.mjs.
describe('Extension manifest (vss-extension.json)', () => {
  const manifest = readJson('vss-extension.json');
  const shipped = taskFolders().filter((t) => t.shipped);
  const taskContributions = (manifest.contributions as Contribution[]).filter((c) => c.type === 'ms.vss-distributed-task.task');

  it('has what the Marketplace requires', () => {
    assert.strictEqual(manifest.manifestVersion, 1);
    for (const key of ['id', 'publisher', 'name', 'description']) assert.ok(typeof manifest[key] === 'string' && manifest[key], `${key} is required`);
    assert.match(manifest.id, /^[A-Za-z0-9][A-Za-z0-9-]*$/);
    assert.deepStrictEqual(manifest.categories, ['Azure Pipelines']);
    assert.deepStrictEqual(manifest.targets, [{ id: 'Microsoft.VisualStudio.Services' }]);
  });

  it('points at an icon of at least 128x128, the overview page and the license, all present', () => {
    const icon = pngSize(path.join(repoRoot, manifest.icons.default));
    assert.ok(icon.width >= 128 && icon.width === icon.height, `extension icon is ${icon.width}x${icon.height}`);
    assert.ok(fs.existsSync(path.join(repoRoot, manifest.content.details.path)), 'overview');
    assert.ok(fs.existsSync(path.join(repoRoot, manifest.content.license.path)), 'license');
  });

  it('contributes exactly one task per task folder, by folder', () => {
    assert.ok(shipped.length > 0);
    assert.deepStrictEqual(
      taskContributions.map((c) => c.properties?.name).sort(),
      shipped.map((t) => `tasks/${t.name}`),
      'run: node scripts/stamp-version.mjs',
    );
    for (const c of taskContributions) assert.deepStrictEqual(c.targets, ['ms.vss-distributed-task.tasks'], c.id);
  });

  it('has unique contribution ids', () => {
    const ids = (manifest.contributions as Contribution[]).map((c) => c.id);
    assert.deepStrictEqual(ids, [...new Set(ids)]);
  });

  it('packages every task folder and nothing else from tasks/', () => {
    const taskFiles = (manifest.files as Array<{ path: string }>).map((f) => f.path).filter((p) => p.startsWith('tasks/'));
    assert.deepStrictEqual(taskFiles.sort(), shipped.map((t) => `tasks/${t.name}`), 'run: node scripts/stamp-version.mjs');
  });
});
