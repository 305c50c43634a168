import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../../../src/errors';
import { findWorkspaceConfig, readWorkspaceConfig } from '../../../src/workspace/config';

describe('workspace config.json', () => {
  let root: string;
  beforeEach(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ws-config-')));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  function write(relative: string, content: string): string {
    const file = path.join(root, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    return file;
  }

  describe('findWorkspaceConfig', () => {
    it('finds config.json in the folder itself', () => {
      const file = write('project/config.json', '{}');
      assert.strictEqual(findWorkspaceConfig(path.join(root, 'project')), file);
    });

    it('finds .azureml/config.json in a parent folder', () => {
      const file = write('.azureml/config.json', '{}');
      fs.mkdirSync(path.join(root, 'project', 'src', 'deep'), { recursive: true });
      assert.strictEqual(findWorkspaceConfig(path.join(root, 'project', 'src', 'deep')), file);
    });

    it('prefers the nearest folder that has one', () => {
      write('.azureml/config.json', '{}');
      const near = write('project/.azureml/config.json', '{}');
      fs.mkdirSync(path.join(root, 'project', 'src'), { recursive: true });
      assert.strictEqual(findWorkspaceConfig(path.join(root, 'project', 'src')), near);
    });

    it('prefers config.json over .azureml/config.json in the same folder', () => {
      const plain = write('config.json', '{}');
      write('.azureml/config.json', '{}');
      assert.strictEqual(findWorkspaceConfig(root), plain);
    });

    it('accepts a relative start folder', () => {
      const file = write('project/config.json', '{}');
      const cwd = process.cwd();
      process.chdir(root);
      try {
        assert.strictEqual(findWorkspaceConfig('project'), file);
      } finally {
        process.chdir(cwd);
      }
    });

    it('returns undefined when no folder up to the root has one', function () {
      const ancestorsHaveOne = (() => {
        for (let dir = root; ; dir = path.dirname(dir)) {
          if (fs.existsSync(path.join(dir, 'config.json')) || fs.existsSync(path.join(dir, '.azureml', 'config.json'))) return true;
          if (path.dirname(dir) === dir) return false;
        }
      })();
      if (ancestorsHaveOne) this.skip();
      fs.mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
      assert.strictEqual(findWorkspaceConfig(path.join(root, 'a', 'b')), undefined);
    });
  });

  describe('readWorkspaceConfig', () => {
    it('reads the keys of the config.json the portal downloads', () => {
      const file = write(
        'config.json',
        JSON.stringify({ subscription_id: 'sub-1', resource_group: 'rg-ml', workspace_name: 'mlw', tenant_id: 'tenant-1' }),
      );
      assert.deepStrictEqual(readWorkspaceConfig(file), { subscriptionId: 'sub-1', resourceGroup: 'rg-ml', workspaceName: 'mlw', tenantId: 'tenant-1' });
    });

    it('reads the older capitalised keys too', () => {
      const file = write('config.json', JSON.stringify({ Subscription: 'sub-1', ResourceGroup: 'rg-ml', WorkspaceName: 'mlw' }));
      assert.deepStrictEqual(readWorkspaceConfig(file), { subscriptionId: 'sub-1', resourceGroup: 'rg-ml', workspaceName: 'mlw', tenantId: undefined });
    });

    it('leaves out keys that are missing, empty or not strings', () => {
      const file = write('config.json', JSON.stringify({ subscription_id: '', resource_group: 42, workspace_name: 'mlw' }));
      assert.deepStrictEqual(readWorkspaceConfig(file), { subscriptionId: undefined, resourceGroup: undefined, workspaceName: 'mlw', tenantId: undefined });
    });

    it('reads a JSON null as a config without keys', () => {
      const file = write('config.json', 'null');
      assert.deepStrictEqual(readWorkspaceConfig(file), { subscriptionId: undefined, resourceGroup: undefined, workspaceName: undefined, tenantId: undefined });
    });

    it('reports a file that is not valid JSON as a UserError naming the file', () => {
      const file = write('.azureml/config.json', '{ "subscription_id": ');
      assert.throws(
        () => readWorkspaceConfig(file),
        (e: unknown) => {
          assert.ok(e instanceof UserError);
          assert.strictEqual(e.file, file);
          assert.ok(e.message.startsWith(`The workspace config '${file}' is not valid JSON`), e.message);
          assert.match(e.message, /Download it again from the workspace page in the Azure portal\./);
          return true;
        },
      );
    });
  });
});
