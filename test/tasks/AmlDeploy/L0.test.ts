import * as assert from 'assert';
import * as path from 'path';
import type { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';
import { runL0Scenario, SPN_ENDPOINT, optionsOf, outputCommand } from '../l0';

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
const taskJson = path.join(repoRoot, 'tasks', 'AmlDeploy', 'task.json');
const examples = path.join(repoRoot, 'examples', 'deploy');

const spn = SPN_ENDPOINT;
const base = {
  azureSubscription: 'conn-1',
  resourceGroup: 'rg',
  workspaceName: 'ws',
  endpointSpec: path.join(examples, 'endpoint.yml'),
  deploymentSpec: path.join(examples, 'deployment.yml'),
};
const deployed = {
  endpointName: 'diabetes-endpoint',
  deploymentName: 'green',
  authMode: 'Key',
  scoringUri: 'https://diabetes-endpoint.westeurope.inference.ml.azure.com/score',
  status: 'deployed',
  endpointCreated: false,
  deploymentAction: 'created',
  trafficBefore: { blue: 100 },
  mirrorBefore: {},
  trafficAfter: { green: 100 },
  mirrorAfter: {},
  steps: [{ percent: 100, traffic: { green: 100 } }],
  deployments: [],
  deleted: [],
};

function runScenario(scenario: object): Promise<MockTestRunner> {
  return runL0Scenario(path.join(__dirname, 'scenario.js'), taskJson, scenario);
}

const output = outputCommand;

describe('AmlDeploy entry point (L0, mock runner)', function () {
  this.timeout(30_000);

  it('passes the rollout inputs to the core as typed options and sets the outputs', async () => {
    const tr = await runScenario({
      inputs: {
        ...base,
        deploymentName: 'green',
        model: 'azureml:diabetes-model:2',
        instanceCount: '2',
        trafficSteps: '10, 50, 100',
        mirrorPercent: '20',
        mirrorMinutes: '5',
        stepWaitMinutes: '3',
        smokeRequests: path.join(examples, 'sample-request.json'),
        smokeExpect: '$.predictions',
        keepDeployments: '2',
        timeoutMinutes: '30',
      },
      endpoint: spn,
      rollout: deployed,
    });
    assert.ok(tr.succeeded, tr.stdout);
    const o = optionsOf(tr);
    assert.deepStrictEqual(o.trafficSteps, [10, 50, 100]);
    assert.deepStrictEqual(o.mirror, { percent: 20, minutes: 5 });
    assert.strictEqual(o.stepWaitMinutes, 3);
    assert.deepStrictEqual(o.probes, ['health', 'smoke']);
    assert.strictEqual(o.keepDeployments, 2);
    assert.strictEqual(o.keepFailedDeployment, false);
    assert.strictEqual(o.timeoutMs, 30 * 60_000);
    assert.strictEqual(o.endpoint, 'diabetes-endpoint');
    assert.strictEqual(o.deployment.name, 'green');
    assert.strictEqual(o.deployment.instanceCount, 2);
    assert.deepStrictEqual(o.deployment.model, { kind: 'asset', name: 'diabetes-model', version: '2' });
    for (const [name, value] of [['endpointName', 'diabetes-endpoint'], ['deploymentName', 'green'], ['scoringUri', deployed.scoringUri], ['traffic', '{"green":100}']]) {
      assert.ok(tr.stdout.includes(output(name, value)), `${name} not set:\n${tr.stdout}`);
    }
    assert.ok(tr.stdout.includes('##vso[task.uploadsummary]'), 'no run summary');
  });

  it('runs no probes without request files, and says so', async () => {
    const tr = await runScenario({ inputs: base, endpoint: spn, rollout: deployed });
    assert.ok(tr.succeeded, tr.stdout);
    assert.deepStrictEqual(optionsOf(tr).probes, []);
    assert.ok(tr.warningIssues.some((w) => /No smokeRequests/.test(w)), tr.stdout);
  });

  it('fails with the reason after a rollback, and still sets the traffic and the summary', async () => {
    const rolledBack = {
      ...deployed,
      status: 'rolled-back',
      trafficAfter: { blue: 100 },
      failure: { stage: 'health', message: "The health check of 'green' at 10% traffic failed: 6 of 20 failed", logs: [], rollback: { trafficRestored: true, problems: [], deploymentDeleted: true, endpointDeleted: false } },
    };
    const tr = await runScenario({ inputs: { ...base, smokeRequests: path.join(examples, 'sample-request.json') }, endpoint: spn, rollout: rolledBack });
    assert.ok(tr.failed, tr.stdout);
    assert.strictEqual(tr.errorIssues.length, 1);
    assert.match(tr.errorIssues[0], /health check of 'green' at 10% traffic failed.*The traffic is back to what it was\.$/);
    assert.ok(tr.stdout.includes(output('traffic', '{"blue":100}')), tr.stdout);
    assert.ok(tr.stdout.includes('##vso[task.uploadsummary]'), 'no run summary');
  });

  for (const [inputs, message] of [
    [{ trafficSteps: '10,abc' }, /Input 'trafficSteps': 'abc' is not a traffic percentage/],
    [{ smokeExpect: '$.predictions' }, /'smokeExpect' is set but 'smokeRequests' names no request file/],
    [{ healthMaxErrorRate: '150' }, /'healthMaxErrorRate' must be a percentage from 0 to 100/],
    [{ instanceCount: '0' }, /'instanceCount' must be a whole number between 1 and 1000/],
    [{ endpointType: 'batch', invokeInput: 'C:\\data\\scores.csv', endpointSpec: path.join(examples, 'batch-endpoint.yml'), deploymentSpec: path.join(examples, 'batch-deployment.yml') }, /invokeInput.*not something a batch endpoint can read/],
  ] as Array<[Record<string, string>, RegExp]>) {
    it(`refuses ${JSON.stringify(inputs)} before calling Azure`, async () => {
      const tr = await runScenario({ inputs: { ...base, ...inputs }, endpoint: spn });
      assert.ok(tr.failed, tr.stdout);
      assert.strictEqual(tr.errorIssues.length, 1, tr.stdout);
      assert.match(tr.errorIssues[0], message);
      assert.ok(!tr.stdout.includes('L0_OPTIONS'), 'the core was called');
    });
  }

  it('deploys a batch endpoint without invoking it when no input is given', async () => {
    const tr = await runScenario({
      inputs: { ...base, endpointType: 'batch', endpointSpec: path.join(examples, 'batch-endpoint.yml'), deploymentSpec: path.join(examples, 'batch-deployment.yml'), setDefault: 'false' },
      endpoint: spn,
      batch: { endpointName: 'diabetes-batch', deploymentName: 'nightly', scoringUri: 'https://diabetes-batch.westeurope.inference.ml.azure.com/jobs', endpointCreated: true, deploymentAction: 'created' },
    });
    assert.ok(tr.succeeded, tr.stdout);
    const o = optionsOf(tr);
    assert.strictEqual(o.setDefault, false);
    assert.strictEqual(o.deployment.name, 'nightly');
    assert.ok(tr.stdout.includes(output('endpointName', 'diabetes-batch')));
    assert.ok(!tr.stdout.includes('variable=jobName'), 'a job name was set without an invocation');
  });
});
