import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { AgentLogRenderer, resultLine, type TaskOutcome } from './agent-log';
import { connectionEnv, connectionId, profileSecrets, type ConnectionProfile } from './connection';
import { CliError, connectionInputs, inputEnvName, readTaskManifest, repoRootOf, resolveInputs } from './task-manifest';

export interface RunTaskOptions {
  /** Task name, with or without its version (`AmlTrain` or `AmlTrain@1`). */
  task: string;
  inputs: Record<string, string>;
  /**
   * The service principal for the task's service connection inputs, or one per connection name; a connection
   * input without a profile is left empty, so the task uses your Azure login.
   */
  connection?: ConnectionProfile | ConnectionProfiles;
  /** Where the agent temp folder, summaries and reports go. */
  out: string;
  /** The working directory of the task (System.DefaultWorkingDirectory). */
  cwd?: string;
  debug?: boolean;
  /** Base name of the summary file copied into `out` (default: the task name). */
  summaryName?: string;
  /** More environment for the task (a step's `env:`). */
  env?: Record<string, string>;
  print?: (line: string) => void;
  root?: string;
}

/** Profiles by service connection name, and the one for any other name. */
export interface ConnectionProfiles {
  byName: Record<string, ConnectionProfile>;
  fallback?: ConnectionProfile;
}

function profileFor(connection: RunTaskOptions['connection'], name: string): ConnectionProfile | undefined {
  if (!connection) return undefined;
  if (!('byName' in connection)) return connection;
  const key = Object.keys(connection.byName).find((k) => k.toLowerCase() === name.toLowerCase());
  return key ? connection.byName[key] : connection.fallback;
}

function allProfiles(connection: RunTaskOptions['connection']): ConnectionProfile[] {
  if (!connection) return [];
  return 'byName' in connection ? [...Object.values(connection.byName), ...(connection.fallback ? [connection.fallback] : [])] : [connection];
}

export interface TaskRun {
  ok: boolean;
  exitCode: number | null;
  outcome: TaskOutcome;
  /** The task's summary, copied into `out`, when it wrote one. */
  summaryFile?: string;
}

/** The agent's variables a task reads: temp and working folders, and what git knows of the sources. */
export function agentEnv(out: string, cwd: string): Record<string, string> {
  const temp = path.join(out, 'temp');
  const staging = path.join(out, 'artifacts');
  fs.mkdirSync(temp, { recursive: true });
  fs.mkdirSync(staging, { recursive: true });
  const env: Record<string, string> = {
    AGENT_TEMPDIRECTORY: temp,
    AGENT_WORKFOLDER: out,
    SYSTEM_DEFAULTWORKINGDIRECTORY: cwd,
    BUILD_SOURCESDIRECTORY: cwd,
    BUILD_ARTIFACTSTAGINGDIRECTORY: staging,
  };
  return { ...env, ...gitEnv(cwd) };
}

/** BUILD_* variables from the git checkout at cwd; none when git or the repository is missing. */
export function gitEnv(cwd: string): Record<string, string> {
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return r.status === 0 ? r.stdout.trim() : '';
  };
  const env: Record<string, string> = {};
  const top = git('rev-parse', '--show-toplevel');
  if (!top) return env;
  env.BUILD_SOURCESDIRECTORY = top;
  const commit = git('rev-parse', 'HEAD');
  if (commit) env.BUILD_SOURCEVERSION = commit;
  const branch = git('rev-parse', '--abbrev-ref', 'HEAD');
  if (branch && branch !== 'HEAD') {
    env.BUILD_SOURCEBRANCH = `refs/heads/${branch}`;
    env.BUILD_SOURCEBRANCHNAME = branch.split('/').pop()!;
  }
  const remote = git('remote', 'get-url', 'origin');
  if (remote) env.BUILD_REPOSITORY_URI = remote;
  env.BUILD_REPOSITORY_NAME = path.basename(remote || top).replace(/\.git$/, '');
  return env;
}

/** The process environment without what an agent would not pass on: other tasks' inputs and connections. */
function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(INPUT_|ENDPOINT_|SECRET_|VSTS_)/i.test(k)) continue;
    env[k] = v;
  }
  return env;
}

/**
 * Runs a bundled task in a child Node process as the agent runs it (inputs as INPUT_*, the service connection as
 * ENDPOINT_*), printing its output readably. Resolves with the result and output variables; never throws for a
 * failed task, only for a run that cannot start (unknown task or input, missing bundle).
 */
export async function runTask(o: RunTaskOptions): Promise<TaskRun> {
  const print = o.print ?? ((l: string) => console.log(l));
  const root = o.root ?? repoRootOf();
  const manifest = readTaskManifest(o.task, root);
  if (!manifest.entry) throw new CliError(`${manifest.name} is a server task: Azure DevOps runs it without an agent, so there is nothing to run locally.`);
  if (!fs.existsSync(manifest.entry)) {
    throw new CliError(`${path.relative(process.cwd(), manifest.entry) || manifest.entry} does not exist: build the tasks first with "npm run build".`);
  }
  const inputs = resolveInputs(manifest, o.inputs);
  const out = path.resolve(o.out);
  const cwd = path.resolve(o.cwd ?? process.cwd());
  const env: Record<string, string> = { ...inheritedEnv(), ...agentEnv(out, cwd), ...(o.env ?? {}) };

  for (const name of connectionInputs(manifest)) {
    const given = inputs[name]?.trim();
    // Every Azure connection input the step uses (and the main one even when empty) gets its profile.
    if (!given && name !== 'azureSubscription') continue;
    const profile = profileFor(o.connection, given ?? '');
    if (profile) {
      const id = connectionId(given);
      inputs[name] = id;
      Object.assign(env, connectionEnv(id, profile));
    } else if (given) {
      print(`note: no --connection for '${name}: ${given}', so it is left empty: the task uses your Azure login and the workspace config.json.`);
      delete inputs[name];
    }
  }
  for (const [name, value] of Object.entries(inputs)) env[inputEnvName(name)] = value;

  const renderer = new AgentLogRenderer({ debug: o.debug, secrets: allProfiles(o.connection).flatMap(profileSecrets) });
  const emit = (line: string) => {
    for (const l of renderer.render(line)) print(l);
  };
  print(`==> ${manifest.name}${o.summaryName && o.summaryName !== manifest.name ? ` (${o.summaryName})` : ''}`);
  const child = spawn(process.execPath, [manifest.entry], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pending = { stdout: '', stderr: '' };
  const onData = (which: 'stdout' | 'stderr') => (d: Buffer) => {
    pending[which] += d.toString('utf8');
    const lines = pending[which].split(/\r?\n/);
    pending[which] = lines.pop()!;
    for (const l of lines) which === 'stdout' ? emit(l) : print(renderer.mask(l));
  };
  child.stdout.on('data', onData('stdout'));
  child.stderr.on('data', onData('stderr'));
  const forward = () => child.kill('SIGINT');
  // Ctrl+C reaches the task as the agent's cancel does, so it can cancel what it started in Azure.
  process.on('SIGINT', forward);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  }).finally(() => process.off('SIGINT', forward));
  if (pending.stdout) emit(pending.stdout);
  if (pending.stderr) print(renderer.mask(pending.stderr));

  const outcome = renderer.outcome;
  let summaryFile: string | undefined;
  if (outcome.summaries.length > 0) {
    summaryFile = path.join(out, `${o.summaryName ?? manifest.name}-summary.md`);
    const parts = outcome.summaries.filter((f) => fs.existsSync(f)).map((f) => renderer.mask(fs.readFileSync(f, 'utf8')));
    fs.writeFileSync(summaryFile, parts.join('\n\n---\n\n'));
    print(`Summary: ${summaryFile}`);
  }
  const { line, ok } = resultLine(outcome, exitCode);
  print(renderer.mask(line));
  return { ok, exitCode, outcome, summaryFile };
}
