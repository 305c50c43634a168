import * as assert from 'assert';
import { buildImage, checkDocker, digestOf, dockerCommands, type DockerRunner } from '../../../src/package/docker';
import { silentLog } from '../../../src/log';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** A docker CLI stand-in: records every call and answers like an engine that works. */
function recorder(answers: Partial<Record<string, { code: number; stdout?: string; stderr?: string } | Error>> = {}) {
  const calls: Array<{ args: string[]; stdin?: string; cwd?: string }> = [];
  const run: DockerRunner = async (args, o) => {
    calls.push({ args, stdin: o.stdin, cwd: o.cwd });
    const answer = answers[args[0]];
    if (answer instanceof Error) throw answer;
    if (answer) return { code: answer.code, stdout: answer.stdout ?? '', stderr: answer.stderr ?? '' };
    if (args[0] === 'version') return { code: 0, stdout: '28.2.2\n', stderr: '' };
    if (args[0] === 'push') return { code: 0, stdout: `${args[1].split(':').pop()}: digest: ${DIGEST} size: 2204\n`, stderr: '' };
    return { code: 0, stdout: '', stderr: '' };
  };
  return { run, calls };
}

const registry = { server: 'contoso.azurecr.io', username: 'pusher', password: 'registry-password-123' };
const base = { contextDir: '/tmp/ctx', repository: 'contoso.azurecr.io/models/credit', tags: ['3', 'latest'], labels: { 'org.opencontainers.image.version': '3', 'org.opencontainers.image.title': 'credit' }, log: silentLog };

describe('docker build and push', () => {
  it('builds the command lines: login with the password on stdin, one build with every tag and label, a push per tag, logout', () => {
    assert.deepStrictEqual(dockerCommands({ ...base, registry, push: true }), [
      ['login', 'contoso.azurecr.io', '--username', 'pusher', '--password-stdin'],
      ['build', '--tag', 'contoso.azurecr.io/models/credit:3', '--tag', 'contoso.azurecr.io/models/credit:latest', '--label', 'org.opencontainers.image.title=credit', '--label', 'org.opencontainers.image.version=3', '/tmp/ctx'],
      ['push', 'contoso.azurecr.io/models/credit:3'],
      ['push', 'contoso.azurecr.io/models/credit:latest'],
      ['logout', 'contoso.azurecr.io'],
    ]);
    assert.deepStrictEqual(dockerCommands({ ...base, push: false }).map((c) => c[0]), ['build']);
  });

  it('runs them, never puts the password in an argument, and returns the pushed digest', async () => {
    const docker = recorder();
    const r = await buildImage({ ...base, registry, push: true, run: docker.run });
    assert.deepStrictEqual(docker.calls.map((c) => c.args[0]), ['login', 'build', 'push', 'push', 'logout']);
    assert.strictEqual(docker.calls[0].stdin, 'registry-password-123');
    assert.ok(docker.calls.every((c) => !c.args.join(' ').includes('registry-password-123')));
    assert.strictEqual(r.imageName, 'contoso.azurecr.io/models/credit:3');
    assert.strictEqual(r.imageDigest, `contoso.azurecr.io/models/credit@${DIGEST}`);
  });

  it('fails with one clear message when Docker is not installed, before anything else', async () => {
    const docker = recorder({ version: Object.assign(new Error('spawn docker ENOENT'), { code: 'ENOENT' }) });
    await assert.rejects(checkDocker(docker.run), (e: Error & { input?: string }) => /Docker is not installed on this agent/.test(e.message) && e.input === 'mode');
    assert.deepStrictEqual(docker.calls.map((c) => c.args[0]), ['version']);
    await checkDocker(recorder().run);
  });

  it('fails clearly when the Docker engine does not answer', async () => {
    const docker = recorder({ version: { code: 1, stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' } });
    await assert.rejects(checkDocker(docker.run), /engine does not answer \(Cannot connect to the Docker daemon/);
  });

  it('logs out even when a push fails, and names the failing command', async () => {
    const docker = recorder({ push: { code: 1, stderr: 'denied: requested access to the resource is denied' } });
    await assert.rejects(buildImage({ ...base, registry, push: true, run: docker.run }), /docker push failed \(exit code 1\): denied/);
    assert.deepStrictEqual(docker.calls.map((c) => c.args[0]), ['login', 'build', 'push', 'logout']);
  });

  it('points at the registry connection when the login fails', async () => {
    const docker = recorder({ login: { code: 1, stderr: 'unauthorized: authentication required' } });
    await assert.rejects(buildImage({ ...base, registry, push: true, run: docker.run }), /docker login failed.*Check the Docker registry service connection/);
    assert.ok(!docker.calls.some((c) => c.args[0] === 'build' || c.args[0] === 'logout'));
  });

  it('reads the digest docker push prints', () => {
    assert.strictEqual(digestOf(`3: digest: ${DIGEST} size: 2204`, 'r/x'), `r/x@${DIGEST}`);
    assert.strictEqual(digestOf('nothing here', 'r/x'), undefined);
  });
});
