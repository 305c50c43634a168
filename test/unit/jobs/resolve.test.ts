import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { hashCodeFolder } from '../../../src/jobs/code-hash';
import { ANONYMOUS_ENVIRONMENT_NAME, anonymousEnvironmentVersion, resolveReferences } from '../../../src/jobs/resolve';
import type { WorkspaceClient } from '../../../src/workspace/client';

const WORKSPACE = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';

/** A workspace that holds the code versions given (by their name), and records every call; it refuses writes. */
function workspace(codeVersions: Record<string, { id: string; hash: string }> = {}) {
  const calls: string[] = [];
  const client = {
    workspaceId: WORKSPACE,
    workspace: { workspaceName: 'ws' },
    armId: (collection: string, name: string, version?: string) => `${WORKSPACE}/${collection}/${name}${version !== undefined ? `/versions/${version}` : ''}`,
    get: async (p: string) => {
      calls.push(`GET ${p}`);
      const code = /^codes\/([^/]+)\/versions$/.exec(p);
      if (code) {
        const found = codeVersions[code[1]];
        return found ? { value: [{ id: found.id, properties: { properties: { hash_sha256: found.hash } } }] } : undefined;
      }
      return undefined;
    },
    put: async (p: string) => {
      calls.push(`PUT ${p}`);
      throw new Error(`unexpected PUT ${p}`);
    },
  };
  return { client: client as unknown as WorkspaceClient, calls };
}

describe('resolveReferences without creating anything', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resolve-plan-'));
    fs.writeFileSync(path.join(dir, 'score.py'), 'def run(data):\n    return data\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const options = (client: WorkspaceClient) => ({
    client,
    credential: { getToken: async () => null },
    log: { info() {}, warning() {}, debug() {} },
    onSecret() {},
    specFile: 'deployment.yml',
    create: false,
  });

  it('gives new local code and an inline environment the ids they would be registered under, and sends no write', async () => {
    const { client, calls } = workspace();
    const { hash } = await hashCodeFolder(dir);
    const env = { kind: 'inline' as const, image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04', condaFile: 'dependencies: [python=3.10]' };
    const r = await resolveReferences({ inputs: {}, code: { kind: 'local', dir }, environment: env }, options(client));
    assert.strictEqual(r.codeId, `${WORKSPACE}/codes/code-${hash.slice(0, 40)}/versions/1`);
    assert.strictEqual(r.environmentId, `${WORKSPACE}/environments/${ANONYMOUS_ENVIRONMENT_NAME}/versions/${anonymousEnvironmentVersion(env)}`);
    assert.strictEqual(r.uploadedBytes, undefined);
    assert.deepStrictEqual(calls, [`GET codes/code-${hash.slice(0, 40)}/versions`]);
  });

  it('gives local code uploaded before the id of its code version', async () => {
    const { hash } = await hashCodeFolder(dir);
    const name = `code-${hash.slice(0, 40)}`;
    const { client, calls } = workspace({ [name]: { id: `${WORKSPACE}/codes/${name}/versions/3`, hash } });
    const r = await resolveReferences({ inputs: {}, code: { kind: 'local', dir } }, options(client));
    assert.strictEqual(r.codeId, `${WORKSPACE}/codes/${name}/versions/3`);
    assert.ok(calls.every((c) => c.startsWith('GET ')), calls.join('\n'));
  });
});
