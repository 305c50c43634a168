// Derives everything release-related from one place:
//   package.json `version`  -> vss-extension.json `version` and every tasks/*/task.json `version` {Major, Minor, Patch}
//   the task folders        -> vss-extension.json `files` and its task contributions
// The agent caches tasks by version, so a release whose task versions did not move would never reach agents;
// stamping every task with the extension version makes that impossible.
//
//   node scripts/stamp-version.mjs          write the files that are out of date
//   node scripts/stamp-version.mjs --check  only report them; exit code 1 when any is out of date
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const TASK_CONTRIBUTION_TYPE = 'ms.vss-distributed-task.task';
export const TASK_CONTRIBUTION_TARGET = 'ms.vss-distributed-task.tasks';

/**
 * How a task folder's task.json runs: 'node' when it has an index.ts (bundled into dist/index.js for the agent),
 * 'server' when it is an agentless task (runsOn Server, an HttpRequest execution that Azure DevOps itself performs:
 * it ships task.json and its icon only), undefined otherwise (work in progress, not shipped).
 */
export function taskKind(dir) {
  if (!fs.existsSync(path.join(dir, 'task.json'))) return undefined;
  if (fs.existsSync(path.join(dir, 'index.ts'))) return 'node';
  const task = readJson(path.join(dir, 'task.json'));
  if ((task.runsOn ?? []).includes('Server') && task.execution?.HttpRequest) return 'server';
  return undefined;
}

/** Shipped task folders, each with its kind: tasks/<Name>/ with task.json and either index.ts or a server execution. */
export function listTasks(root = repoRoot) {
  const tasksDir = path.join(root, 'tasks');
  if (!fs.existsSync(tasksDir)) return [];
  return fs
    .readdirSync(tasksDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => ({ name: d.name, dir: path.join(tasksDir, d.name), kind: taskKind(path.join(tasksDir, d.name)) }))
    .filter((t) => t.kind !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The tasks the build bundles: those that run on the agent. */
export function listNodeTasks(root = repoRoot) {
  return listTasks(root).filter((t) => t.kind === 'node');
}

/** Release versions must be plain x.y.z: task.json versions are three integers. */
export function parseVersion(version) {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(String(version));
  if (!m) throw new Error(`package.json version '${version}' must be MAJOR.MINOR.PATCH (task.json versions are three numbers).`);
  return { Major: Number(m[1]), Minor: Number(m[2]), Patch: Number(m[3]) };
}

/** Contribution ids are part of the published extension's identity, so they are derived from the task name, never edited. */
export function contributionId(taskName) {
  return `${taskName.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}-task`;
}

export function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

// Same layout the repo's JSON files already use, so stamping changes only the lines that moved.
function formatJson(value) {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The manifest as it should be: the hand-written static part, with version, files and task contributions derived. */
export function expectedManifest(manifest, version, tasks) {
  const otherContributions = (manifest.contributions ?? []).filter((c) => c.type !== TASK_CONTRIBUTION_TYPE);
  const otherFiles = (manifest.files ?? []).filter((f) => !/^tasks\//.test(f.path));
  return {
    ...manifest,
    version,
    files: [...otherFiles, ...tasks.map((t) => ({ path: `tasks/${t.name}` }))],
    contributions: [
      ...tasks.map((t) => {
        const task = readJson(path.join(t.dir, 'task.json'));
        return {
          id: contributionId(t.name),
          description: task.description,
          type: TASK_CONTRIBUTION_TYPE,
          targets: [TASK_CONTRIBUTION_TARGET],
          properties: { name: `tasks/${t.name}` },
        };
      }),
      ...otherContributions,
    ],
  };
}

/**
 * Brings vss-extension.json and every task.json in line with package.json and the task folders.
 * Returns the files that were (or, with check, would be) changed.
 */
export function stampVersions({ root = repoRoot, check = false } = {}) {
  const version = readJson(path.join(root, 'package.json')).version;
  const taskVersion = parseVersion(version);
  const tasks = listTasks(root);
  const outOfDate = [];
  const update = (file, next) => {
    const text = formatJson(next);
    if (fs.readFileSync(file, 'utf8') === text) return;
    outOfDate.push(path.relative(root, file));
    if (!check) fs.writeFileSync(file, text);
  };

  for (const t of tasks) {
    const file = path.join(t.dir, 'task.json');
    const task = readJson(file);
    update(file, { ...task, version: taskVersion });
  }
  const manifestFile = path.join(root, 'vss-extension.json');
  update(manifestFile, expectedManifest(readJson(manifestFile), version, tasks));
  return { version, outOfDate };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  try {
    const { version, outOfDate } = stampVersions({ check });
    if (check && outOfDate.length > 0) {
      console.error(`Out of date with package.json version ${version} or the task folders: ${outOfDate.join(', ')}. Run: node scripts/stamp-version.mjs`);
      process.exit(1);
    }
    console.log(outOfDate.length > 0 ? `Stamped ${version} into ${outOfDate.join(', ')}` : `Version ${version}: manifests up to date`);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
