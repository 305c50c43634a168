import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';

/**
 * Runs one L0 scenario: `scenarioScript` (a compiled scenario.js next to the test) under MockTestRunner with the
 * scenario as JSON in L0_SCENARIO and a fresh agent temp folder. Fails unless the task really ran.
 */
export async function runL0Scenario(scenarioScript: string, taskJson: string, scenario: object): Promise<MockTestRunner> {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'l0-'));
  process.env.L0_SCENARIO = JSON.stringify(scenario);
  process.env.AGENT_TEMPDIRECTORY = temp;
  try {
    const tr = new MockTestRunner(scenarioScript, taskJson);
    // Run with this Node: without it the mock runner downloads one.
    tr.nodePath = process.execPath;
    await tr.runAsync();
    // A runner that could not start still reports success; make sure the task really ran.
    assert.ok(tr.stdout.includes('##vso[task.complete') || tr.stdout.includes('##vso[task.setvariable'), `the task did not run:\n${tr.stdout}\n${tr.stderr}`);
    return tr;
  } finally {
    delete process.env.L0_SCENARIO;
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

/** Inside a scenario script: the environment an agent gives a task for the AzureRM service connection `id`. */
export function setMockEndpoint(id: string, endpoint: { scheme: string; params: Record<string, string> }, subscriptionId = '00000000-1111-2222-3333-444444444444'): void {
  process.env[`ENDPOINT_URL_${id}`] = 'https://management.azure.com/';
  process.env[`ENDPOINT_AUTH_${id}`] = JSON.stringify({ scheme: endpoint.scheme, parameters: endpoint.params });
  process.env[`ENDPOINT_AUTH_SCHEME_${id}`] = endpoint.scheme;
  for (const [k, v] of Object.entries(endpoint.params)) process.env[`ENDPOINT_AUTH_PARAMETER_${id}_${k.toUpperCase()}`] = v;
  process.env[`ENDPOINT_DATA_${id}_SUBSCRIPTIONID`] = subscriptionId;
}

/** A service principal connection with a secret, as the L0 scenarios give it to a task. */
export const SPN_ENDPOINT = { scheme: 'ServicePrincipal', params: { serviceprincipalid: 'app-1', serviceprincipalkey: 'l0-secret-value-123', tenantid: 'tenant-1', authenticationType: 'spnKey' } };

/** What the entry point passed to its (mocked) core: the JSON the scenario printed on a line `L0_OPTIONS ...`. */
export function optionsOf(tr: MockTestRunner): any {
  const line = tr.stdout.split(/\r?\n/).find((l) => l.startsWith('L0_OPTIONS '));
  assert.ok(line, `the core was not called:\n${tr.stdout}`);
  return JSON.parse(line.slice('L0_OPTIONS '.length));
}

/** The logging command that sets an output variable. */
export const outputCommand = (name: string, value: string) => `##vso[task.setvariable variable=${name};isOutput=true;issecret=false;]${value}`;
