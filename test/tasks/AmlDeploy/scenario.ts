import * as path from 'path';
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';
import { setMockEndpoint } from '../l0';

/**
 * One L0 scenario, run by MockTestRunner in a child process: the scenario's settings arrive as JSON in
 * L0_SCENARIO. The core rollout and batch deployment are replaced by canned results; everything else is real.
 */
interface Scenario {
  inputs: Record<string, string>;
  endpoint?: { scheme: string; params: Record<string, string> };
  /** What rolloutOnline returns; absent: it must not be called. */
  rollout?: Record<string, unknown>;
  /** What deployBatch returns; absent: it must not be called. */
  batch?: Record<string, unknown>;
}

const scenario = JSON.parse(process.env.L0_SCENARIO ?? '{}') as Scenario;
const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
const taskPath = path.join(repoRoot, 'build', 'tasks', 'AmlDeploy', 'index.js');
const tmr = new TaskMockRunner(taskPath);

for (const [k, v] of Object.entries(scenario.inputs)) tmr.setInput(k, v);
if (scenario.endpoint) setMockEndpoint(scenario.inputs.azureSubscription, scenario.endpoint);

const online = require(path.join(repoRoot, 'build', 'src', 'deploy', 'online.js'));
tmr.registerMock('../../src/deploy/online', {
  ...online,
  rolloutOnline: async (o: Record<string, any>) => {
    if (!scenario.rollout) throw new Error('rolloutOnline was called');
    // What the entry point passed to the core, for the test to check.
    const { client: _c, credential: _k, log: _l, onSecret: _s, signal: _g, build: _b, probes, endpoint, deployment, ...options } = o;
    const described = { ...options, probes: Object.keys(probes).sort(), endpoint: endpoint.spec.name, deployment: deployment.spec };
    console.log(`L0_OPTIONS ${JSON.stringify(described)}`);
    return scenario.rollout;
  },
});

const batch = require(path.join(repoRoot, 'build', 'src', 'deploy', 'batch.js'));
tmr.registerMock('../../src/deploy/batch', {
  ...batch,
  deployBatch: async (o: Record<string, any>) => {
    if (!scenario.batch) throw new Error('deployBatch was called');
    console.log(`L0_OPTIONS ${JSON.stringify({ setDefault: o.setDefault, timeoutMs: o.timeoutMs, deployment: o.deployment.spec })}`);
    return scenario.batch;
  },
  invokeBatch: async () => {
    throw new Error('invokeBatch was called');
  },
});

tmr.run();
