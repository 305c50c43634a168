import * as path from 'path';
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';

/** One L0 scenario of the DataValidate entry point; its inputs arrive as JSON in L0_SCENARIO. */
const inputs = JSON.parse(process.env.L0_SCENARIO ?? '{}') as Record<string, string>;
const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
const tmr = new TaskMockRunner(path.join(repoRoot, 'build', 'tasks', 'DataValidate', 'index.js'));
for (const [k, v] of Object.entries(inputs)) tmr.setInput(k, v);
tmr.run();
