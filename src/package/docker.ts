import { spawn } from 'child_process';
import { UserError } from '../errors';
import { abortError } from '../http/retry';
import type { Log } from '../log';

/** Runs the docker CLI; replaced in tests. `stdin` carries what must not be on the command line (a password). */
export type DockerRunner = (args: string[], o: { cwd?: string; stdin?: string; signal?: AbortSignal; onLine?: (line: string) => void }) => Promise<{ code: number; stdout: string; stderr: string }>;

export interface RegistryLogin {
  /** `myregistry.azurecr.io`, `docker.io`, `ghcr.io`... */
  server: string;
  username: string;
  /** A secret: sent on stdin, never in an argument. */
  password: string;
}

export interface ImageOptions {
  /** The build context folder. */
  contextDir: string;
  /** `<server>/<repository>` without a tag, such as `myregistry.azurecr.io/models/credit`. */
  repository: string;
  /** Tags, the first one the main one: `<model version>`, `latest`... */
  tags: string[];
  /** OCI labels written into the image. */
  labels: Record<string, string>;
  registry?: RegistryLogin;
  /** Build and tag only. */
  push: boolean;
  log: Log;
  signal?: AbortSignal;
  run?: DockerRunner;
}

export interface ImageResult {
  /** `<repository>:<first tag>`. */
  imageName: string;
  /** `<repository>@sha256:...` once pushed. */
  imageDigest?: string;
  commands: string[][];
}

/** The docker command lines, in order, for a build (and push) as `buildImage` runs them. */
export function dockerCommands(o: Pick<ImageOptions, 'contextDir' | 'repository' | 'tags' | 'labels' | 'registry' | 'push'>): string[][] {
  const commands: string[][] = [];
  if (o.registry && o.push) commands.push(['login', o.registry.server, '--username', o.registry.username, '--password-stdin']);
  const build = ['build'];
  for (const tag of o.tags) build.push('--tag', `${o.repository}:${tag}`);
  for (const [k, v] of Object.entries(o.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) build.push('--label', `${k}=${v}`);
  build.push(o.contextDir);
  commands.push(build);
  if (o.push) for (const tag of o.tags) commands.push(['push', `${o.repository}:${tag}`]);
  if (o.registry && o.push) commands.push(['logout', o.registry.server]);
  return commands;
}

/** Builds the image from the context with the agent's Docker, tags it, and pushes it when asked (after `checkDocker`). */
export async function buildImage(o: ImageOptions): Promise<ImageResult> {
  const run = o.run ?? runDocker;
  const commands = dockerCommands(o);
  const result: ImageResult = { imageName: `${o.repository}:${o.tags[0]}`, commands };
  let loggedIn = false;
  try {
    for (const args of commands) {
      if (args[0] === 'logout') continue;
      const login = args[0] === 'login';
      o.log.info(`docker ${args.join(' ')}`);
      const r = await run(args, { cwd: o.contextDir, stdin: login ? o.registry!.password : undefined, signal: o.signal, onLine: login ? undefined : (line) => o.log.info(line) });
      if (r.code !== 0) throw new UserError(`docker ${args[0]} failed (exit code ${r.code}): ${lastLine(r.stderr || r.stdout)}${login ? ' Check the Docker registry service connection (server, user name and password or token).' : ''}`);
      if (login) loggedIn = true;
      if (args[0] === 'push') result.imageDigest ??= digestOf(r.stdout, o.repository);
    }
  } finally {
    if (loggedIn) await run(['logout', o.registry!.server], {}).catch(() => undefined);
  }
  return result;
}

/**
 * Fails with one clear message when Docker is missing or its engine is not running: called before anything is
 * downloaded or written. `docker version` answers for the server only when the engine runs.
 */
export async function checkDocker(run: DockerRunner = runDocker, signal?: AbortSignal): Promise<void> {
  let r: { code: number; stdout: string; stderr: string };
  try {
    r = await run(['version', '--format', '{{.Server.Version}}'], { signal });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError(
        "Docker is not installed on this agent, so mode 'image' cannot build the image. Use an agent with Docker (Microsoft-hosted ubuntu-latest or windows-latest images have it), or mode 'context' to hand over the build context instead.",
        { input: 'mode' },
      );
    }
    throw e;
  }
  if (r.code !== 0 || !r.stdout.trim()) {
    throw new UserError(`Docker is installed on this agent but its engine does not answer (${lastLine(r.stderr) || `exit code ${r.code}`}). Start the Docker service, or use mode 'context'.`, { input: 'mode' });
  }
}

/** The digest `docker push` reports: `latest: digest: sha256:... size: 1234`. */
export function digestOf(pushOutput: string, repository: string): string | undefined {
  const m = /digest:\s*(sha256:[0-9a-f]{64})/.exec(pushOutput);
  return m ? `${repository}@${m[1]}` : undefined;
}

function lastLine(text: string): string {
  const lines = text.trim().split(/\r?\n/);
  return lines[lines.length - 1] ?? '';
}

/** The real runner: the `docker` executable on PATH, output streamed line by line. */
export const runDocker: DockerRunner = (args, o) =>
  new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(abortError());
    const child = spawn('docker', args, { cwd: o.cwd, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const out = { stdout: '', stderr: '' };
    const partial = { stdout: '', stderr: '' };
    const onAbort = () => child.kill('SIGTERM');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    // Both streams are shown as they come: docker build reports its progress on stderr.
    for (const name of ['stdout', 'stderr'] as const) {
      child[name].on('data', (d: Buffer) => {
        const text = d.toString('utf8');
        out[name] += text;
        if (!o.onLine) return;
        const lines = (partial[name] + text).split(/\r?\n/);
        partial[name] = lines.pop() ?? '';
        for (const line of lines) o.onLine(line);
      });
    }
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => {
      o.signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.on('close', (code) => {
      o.signal?.removeEventListener('abort', onAbort);
      for (const rest of [partial.stdout, partial.stderr]) if (rest && o.onLine) o.onLine(rest);
      if (o.signal?.aborted) return reject(abortError());
      resolve({ code: code ?? 1, stdout: out.stdout, stderr: out.stderr });
    });
    child.stdin.end(o.stdin ?? '');
  });
