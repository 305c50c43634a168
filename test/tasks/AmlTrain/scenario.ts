import * as path from 'path';
import { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';
import { setMockEndpoint } from '../l0';

/**
 * One L0 scenario, run by MockTestRunner in a child process: the scenario's settings arrive as JSON in
 * L0_SCENARIO, so each test states them where it asserts on them.
 */
interface Scenario {
  inputs: Record<string, string>;
  endpoint?: { scheme: string; params: Record<string, string> };
  /** Replace the core submit with a canned result (or failure) so the entry point is tested alone. */
  submitResult?: Record<string, unknown>;
  submitError?: { userError: boolean; message: string; file?: string; line?: number };
  /** Report mode: the job attachToJob finds (it then submits nothing). */
  attachResult?: Record<string, unknown>;
  /** What the report after waiting adds to the job's state (metrics, outputs, log tail...). */
  report?: Record<string, unknown>;
}

const scenario = JSON.parse(process.env.L0_SCENARIO ?? '{}') as Scenario;
const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
const taskPath = path.join(repoRoot, 'build', 'tasks', 'AmlTrain', 'index.js');
const tmr = new TaskMockRunner(taskPath);

for (const [k, v] of Object.entries(scenario.inputs)) tmr.setInput(k, v);
if (scenario.endpoint) setMockEndpoint(scenario.inputs.azureSubscription, scenario.endpoint);

if (scenario.submitResult || scenario.submitError || scenario.attachResult) {
  // The report is built from canned reads; rendering it (summary, outputs, failure message) stays real.
  const real = require(path.join(repoRoot, 'build', 'src', 'jobs', 'report.js'));
  tmr.registerMock('../../src/jobs/report', {
    ...real,
    buildJobReport: async (state: { jobName: string; status: string; studioUrl: string; error?: string }) => ({
      jobName: state.jobName,
      status: state.status,
      studioUrl: state.studioUrl,
      error: state.error,
      metrics: {},
      children: [],
      outputs: {},
      ...scenario.report,
    }),
    attachToJob: async (o: { jobName: string }) => {
      if (!scenario.attachResult) throw new Error('attachToJob was called in submit mode');
      return { ...scenario.attachResult, jobName: o.jobName };
    },
  });
  const { UserError } = require(path.join(repoRoot, 'build', 'src', 'errors.js'));
  tmr.registerMock('../../src/jobs/train', {
    submitJob: async (o: { onSubmitted?: (j: { jobName: string; studioUrl: string }) => void }) => {
      if (!scenario.submitResult && !scenario.submitError) throw new Error('submitJob was called in report mode');
      if (scenario.submitError) {
        const e = scenario.submitError;
        throw e.userError ? new UserError(e.message, { file: e.file, line: e.line }) : new Error(e.message);
      }
      const r = scenario.submitResult as { jobName: string; studioUrl: string };
      o.onSubmitted?.({ jobName: r.jobName, studioUrl: r.studioUrl });
      return r;
    },
  });
}

tmr.run();
