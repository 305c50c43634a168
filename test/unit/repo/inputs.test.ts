import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { readJson, repoRoot, taskFolders } from './repo-files';

/** Input names a task's typed reader asks for: getString('x'), getExistingFile('x', ...), and workspace input maps. */
function namesReadBy(taskDir: string): Set<string> {
  const names = new Set<string>();
  for (const file of ['inputs.ts', 'index.ts']) {
    const full = path.join(taskDir, file);
    if (!fs.existsSync(full)) continue;
    const text = fs.readFileSync(full, 'utf8');
    for (const m of text.matchAll(/\b(?:getString|getRequiredString|getBoolean|getInteger|getChoice|getExistingFile|readDockerRegistry)\(\s*'([A-Za-z0-9]+)'/g)) names.add(m[1]);
    for (const m of text.matchAll(/\b(?:connection|resourceGroup|workspaceName):\s*'([A-Za-z0-9]+)'/g)) names.add(m[1]);
  }
  return names;
}

describe('task inputs', () => {
  for (const task of taskFolders().filter((t) => t.shipped)) {
    // A server task has no code to read inputs: test/unit/tasks-server checks its templates use exactly its inputs.
    if (task.kind === 'node') {
      it(`${task.name} reads exactly the inputs its task.json declares`, () => {
        const declared = new Set(readJson<{ inputs: Array<{ name: string }> }>('tasks', task.name, 'task.json').inputs.map((i) => i.name));
        const read = namesReadBy(task.dir);
        assert.deepStrictEqual([...read].filter((n) => !declared.has(n)).sort(), [], 'read but not declared in task.json');
        assert.deepStrictEqual([...declared].filter((n) => !read.has(n)).sort(), [], 'declared in task.json but never read');
      });
    }

    it(`${task.name} has a reference page listing every input and output`, () => {
      const doc = path.join(repoRoot, 'docs', 'tasks', `${task.name}.md`);
      assert.ok(fs.existsSync(doc), `docs/tasks/${task.name}.md is missing`);
      const text = fs.readFileSync(doc, 'utf8');
      const manifest = readJson<{ inputs: Array<{ name: string }>; outputVariables?: Array<{ name: string }> }>('tasks', task.name, 'task.json');
      for (const name of [...manifest.inputs.map((i) => i.name), ...(manifest.outputVariables ?? []).map((o) => o.name)]) {
        assert.ok(text.includes(`\`${name}\``), `docs/tasks/${task.name}.md does not mention \`${name}\``);
      }
    });
  }
});
