import * as assert from 'assert';
import { CliError, connectionInputs, readTaskManifest, resolveInputs } from '../../../src/cli/task-manifest';
import { connectionEnv, readConnectionProfile } from '../../../src/cli/connection';
import { main, parseArgs } from '../../../src/cli/main';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

describe('aml-mlops: task inputs and connection profiles', () => {
  it('applies task.json defaults first, then the given inputs', () => {
    const inputs = resolveInputs(readTaskManifest('DataValidate'), { dataPath: 'a.csv', CSVDELIMITER: ';' });
    assert.strictEqual(inputs.mode, 'validate');
    assert.strictEqual(inputs.dataPath, 'a.csv');
    assert.strictEqual(inputs.csvDelimiter, ';', 'input names match case-insensitively');
  });

  it('refuses an unknown input and suggests the closest one from task.json', () => {
    assert.throws(() => resolveInputs(readTaskManifest('AmlTrain@1'), { jobSpek: 'job.yml' }), (e: Error) => e instanceof CliError && /no input 'jobSpek'\. Did you mean 'jobSpec'\?/.test(e.message));
  });

  it('refuses an unknown task with a suggestion', () => {
    assert.throws(() => readTaskManifest('AmlTrian'), /Unknown task 'AmlTrian'\. Did you mean 'AmlTrain'\?/);
  });

  it('knows which inputs are Azure service connections, and that a server task has no bundle', () => {
    assert.deepStrictEqual(connectionInputs(readTaskManifest('AmlRegisterModel')), ['azureSubscription', 'targetAzureSubscription']);
    assert.strictEqual(readTaskManifest('AmlJobWait').entry, undefined);
  });

  it('turns a connection profile into the service connection environment of the agent', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-profile-'));
    const file = path.join(dir, 'p.json');
    fs.writeFileSync(file, JSON.stringify({ scheme: 'ServicePrincipal', tenantId: 't', clientId: 'c', clientSecret: 's', subscriptionId: 'sub' }));
    const env = connectionEnv('aml-dev', readConnectionProfile(file));
    assert.strictEqual(env['ENDPOINT_URL_aml-dev'], 'https://management.azure.com/');
    assert.deepStrictEqual(JSON.parse(env['ENDPOINT_AUTH_aml-dev']), { scheme: 'ServicePrincipal', parameters: { serviceprincipalid: 'c', tenantid: 't', serviceprincipalkey: 's', authenticationType: 'spnKey' } });
    assert.strictEqual(env['ENDPOINT_AUTH_PARAMETER_aml-dev_SERVICEPRINCIPALKEY'], 's');
    assert.strictEqual(env['ENDPOINT_DATA_aml-dev_SUBSCRIPTIONID'], 'sub');
    fs.writeFileSync(file, JSON.stringify({ tenantId: 't', clientId: 'c' }));
    assert.throws(() => readConnectionProfile(file), /lacks subscriptionId, clientSecret or certificatePath/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('parses --name value, --name=value and flags', () => {
    const p = parseArgs(['AmlTrain', '--jobSpec', 'job.yml', '--tags=a=1', '--debug']);
    assert.deepStrictEqual(p.positional, ['AmlTrain']);
    assert.deepStrictEqual(p.options, { jobSpec: ['job.yml'], tags: ['a=1'] });
    assert.ok(p.flags.has('debug'));
  });

  it('prints the error and exits 1 for an unknown input, without running anything', async () => {
    const printed: string[] = [];
    assert.strictEqual(await main(['run', 'DataValidate', '--dataPth', 'x.csv'], (l) => printed.push(l)), 1);
    assert.match(printed.join('\n'), /Did you mean 'dataPath'\?/);
  });
});
