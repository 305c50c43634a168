import * as path from 'path';
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';
import { setMockEndpoint } from '../l0';

/**
 * One L0 scenario, run by MockTestRunner in a child process: the scenario's settings arrive as JSON in
 * L0_SCENARIO. The core registration is replaced by a canned result; rendering the outcome stays real.
 */
interface Scenario {
  inputs: Record<string, string>;
  endpoint?: { scheme: string; params: Record<string, string> };
  /** The service connection named by targetAzureSubscription. */
  targetEndpoint?: { scheme: string; params: Record<string, string>; subscriptionId: string };
  /** What registerModel returns; absent: it must not be called. */
  result?: Record<string, unknown>;
  /** What promoteModel returns; absent: it must not be called. */
  promotion?: Record<string, unknown>;
}

const scenario = JSON.parse(process.env.L0_SCENARIO ?? '{}') as Scenario;
const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
const taskPath = path.join(repoRoot, 'build', 'tasks', 'AmlRegisterModel', 'index.js');
const tmr = new TaskMockRunner(taskPath);

for (const [k, v] of Object.entries(scenario.inputs)) tmr.setInput(k, v);

if (scenario.endpoint) setMockEndpoint(scenario.inputs.azureSubscription, scenario.endpoint);
if (scenario.targetEndpoint) setMockEndpoint(scenario.inputs.targetAzureSubscription, scenario.targetEndpoint, scenario.targetEndpoint.subscriptionId);

const real = require(path.join(repoRoot, 'build', 'src', 'models', 'register.js'));
tmr.registerMock('../../src/models/register', {
  ...real,
  registerModel: async (o: Record<string, unknown>) => {
    if (!scenario.result) throw new Error('registerModel was called');
    // What the entry point passed to the core, for the test to check.
    const { client: _c, credential: _k, log: _l, onSecret: _s, signal: _g, ...options } = o;
    console.log(`L0_OPTIONS ${JSON.stringify(options)}`);
    return scenario.result;
  },
});

const realPromote = require(path.join(repoRoot, 'build', 'src', 'models', 'promote.js'));
tmr.registerMock('../../src/models/promote', {
  ...realPromote,
  promoteModel: async (o: Record<string, any>) => {
    if (!scenario.promotion) throw new Error('promoteModel was called');
    // Where each side points and how it signs in, plus the plain options.
    const side = (c: any) => (c.registry ? { registry: c.registry, identity: c.arm.identity } : { workspace: c.workspace, identity: c.identity });
    const { source, target, log: _l, onSecret: _s, signal, ...options } = o;
    const described = { ...options, source: side(source.client), target: { kind: target.kind, ...side(target.client) }, sourceCredential: Boolean(source.credential), targetCredential: target.kind === 'registry' || Boolean(target.credential), signal: signal instanceof AbortSignal };
    console.log(`L0_OPTIONS ${JSON.stringify(described)}`);
    return scenario.promotion;
  },
});

tmr.run();
