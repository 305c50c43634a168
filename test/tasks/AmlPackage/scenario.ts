import * as path from 'path';
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';
import { setMockEndpoint } from '../l0';

/**
 * One L0 scenario, run by MockTestRunner in a child process: the scenario's settings arrive as JSON in
 * L0_SCENARIO. The packaging core is replaced by a canned result; reading inputs and connections stays real.
 */
interface Scenario {
  inputs: Record<string, string>;
  endpoint?: { scheme: string; params: Record<string, string> };
  /** A Docker registry connection: id, scheme and parameters. */
  registry?: { id: string; scheme: string; params: Record<string, string>; data?: Record<string, string> };
  /** What packageModel returns; absent: it must not be called. */
  result?: Record<string, any>;
}

const scenario = JSON.parse(process.env.L0_SCENARIO ?? '{}') as Scenario;
const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
const tmr = new TaskMockRunner(path.join(repoRoot, 'build', 'tasks', 'AmlPackage', 'index.js'));

for (const [k, v] of Object.entries(scenario.inputs)) tmr.setInput(k, v);
if (scenario.endpoint) setMockEndpoint(scenario.inputs.azureSubscription, scenario.endpoint);
if (scenario.registry) {
  const { id, scheme, params, data } = scenario.registry;
  process.env[`ENDPOINT_URL_${id}`] = params.registry ?? '';
  process.env[`ENDPOINT_AUTH_${id}`] = JSON.stringify({ scheme, parameters: params });
  process.env[`ENDPOINT_AUTH_SCHEME_${id}`] = scheme;
  for (const [k, v] of Object.entries(data ?? {})) process.env[`ENDPOINT_DATA_${id}_${k.toUpperCase()}`] = v;
}

const real = require(path.join(repoRoot, 'build', 'src', 'package', 'package.js'));
tmr.registerMock('../../src/package/package', {
  ...real,
  packageModel: async (o: Record<string, any>) => {
    if (!scenario.result) throw new Error('packageModel was called');
    // What the entry point passed to the core, for the test to check; the registry password only as a length.
    const { client: _c, credential: _k, log: _l, onSecret: _s, signal: _g, build: _b, outputDirectory, image, ...options } = o;
    const described = {
      ...options,
      outputDirectory: outputDirectory({ name: 'm', version: '7' }),
      image: image && { ...image, registry: image.registry && { ...image.registry, password: `<${image.registry.password.length} chars>` } },
    };
    console.log(`L0_OPTIONS ${JSON.stringify(described)}`);
    return scenario.result;
  },
});

tmr.run();
