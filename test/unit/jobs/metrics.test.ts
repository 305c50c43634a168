import * as assert from 'assert';
import { bestRun, finalValues, formatMetric, readMetrics } from '../../../src/jobs/metrics';
import { buildJobReport, jobFailureMessage, jobOutputs, jobOutputVariables, jobSummary, type JobReport } from '../../../src/jobs/report';
import type { JobState } from '../../../src/jobs/wait';
import type { WorkspaceClient } from '../../../src/workspace/client';

/** A client that answers data-plane GETs from a table of path patterns; every path asked is recorded. */
function dataPlaneClient(routes: Array<[RegExp, unknown]>) {
  const asked: string[] = [];
  const client = {
    workspace: { subscriptionId: 's', resourceGroup: 'rg', workspaceName: 'ws' },
    async dataPlane(p: string) {
      asked.push(p);
      const hit = routes.find(([re]) => re.test(p));
      return hit ? { status: 200, body: hit[1] } : undefined;
    },
    async fetchText() {
      return undefined;
    },
  };
  return { client: client as unknown as WorkspaceClient, asked };
}

describe('metrics', () => {
  it('keeps the final value of every metric, by step', () => {
    assert.deepStrictEqual(
      finalValues([
        { key: 'loss', value: 0.9, step: 0 },
        { key: 'loss', value: 0.2, step: 2 },
        { key: 'loss', value: 0.5, step: 1 },
        { key: 'acc', value: 0.81 },
      ]),
      { acc: 0.81, loss: 0.2 },
    );
    assert.deepStrictEqual(finalValues([]), {});
  });

  it('reads them from the MLflow runs/get of the run', async () => {
    const { client, asked } = dataPlaneClient([[/runs\/get\?run_id=job_1$/, { run: { data: { metrics: [{ key: 'r2', value: 0.8, step: 0, timestamp: 1 }] } } }]]);
    assert.deepStrictEqual(await readMetrics(client, 'job_1'), { r2: 0.8 });
    assert.deepStrictEqual(asked, ['/mlflow/v1.0/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/api/2.0/mlflow/runs/get?run_id=job_1']);
    assert.deepStrictEqual(await readMetrics(client, 'unknown'), {});
  });

  it('finds the best run by goal, ignoring runs without the metric', () => {
    const runs: Array<{ id: string; metrics: Record<string, number> }> = [{ id: 'a', metrics: { auc: 0.7 } }, { id: 'b', metrics: { auc: 0.9 } }, { id: 'c', metrics: {} }, { id: 'd', metrics: { auc: 0.6 } }];
    assert.strictEqual(bestRun(runs, 'auc', 'maximize')?.id, 'b');
    assert.strictEqual(bestRun(runs, 'auc', 'minimize')?.id, 'd');
    assert.strictEqual(bestRun(runs, 'loss', 'minimize'), undefined);
  });

  it('formats values for a table', () => {
    assert.strictEqual(formatMetric(3), '3');
    assert.strictEqual(formatMetric(0.812345678), '0.8123');
    assert.strictEqual(formatMetric(0.00123456), '0.001235');
    assert.strictEqual(formatMetric(1234.56789), '1234.5679');
    assert.strictEqual(formatMetric(1e-7), '1.0000e-7');
  });
});

describe('job report', () => {
  const base: JobReport = {
    jobName: 'job_1',
    displayName: 'train',
    status: 'Completed',
    studioUrl: 'https://ml.azure.com/runs/job_1',
    experimentName: 'exp',
    jobType: 'command',
    compute: 'cpu-cluster',
    durationSeconds: 125,
    metrics: { r2: 0.81, rmse: 53.9 },
    children: [],
    outputs: { default: 'azureml://datastores/workspaceartifactstore/paths/ExperimentRun/dcid.job_1/' },
  };

  it('renders facts, metrics and outputs in the summary', () => {
    const md = jobSummary(base, 'mlw').toMarkdown();
    assert.match(md, /\| Job \| \[train\]\(https:\/\/ml\.azure\.com\/runs\/job\\?_1\) \|/);
    assert.match(md, /\| Status \| Completed \|/);
    assert.match(md, /\| Duration \| 2m 5s \|/);
    assert.match(md, /\| Compute \| cpu-cluster \|/);
    assert.match(md, /#### Metrics\n\n\| Metric \| Value \|\n\| --- \| --- \|\n\| r2 \| 0\.81 \|\n\| rmse \| 53\.9 \|/);
    assert.match(md, /\| default \| azureml:\/\/datastores\/workspaceartifactstore\/paths\/ExperimentRun\/dcid\.job\\_1\/ \|/);
    assert.doesNotMatch(md, /Steps|Trials|Last lines/);
  });

  it('lists steps with their status and metrics, and a failure with its log tail', () => {
    const report: JobReport = {
      ...base,
      status: 'Failed',
      jobType: 'pipeline',
      childKind: 'step',
      metrics: {},
      error: 'Pipeline has failed child jobs.',
      children: [
        { runId: '1', name: 'prep', status: 'Completed', metrics: { rows: 442 } },
        { runId: '2', name: 'train', status: 'Failed', metrics: {} },
      ],
      logTail: { source: "step 'train'", lines: ['Traceback', 'ValueError: bad'] },
    };
    const md = jobSummary(report, 'mlw').toMarkdown();
    assert.match(md, /\| Step \| Status \| rows \|\n\| --- \| --- \| --- \|\n\| prep \| Completed \| 442 \|\n\| train \| Failed \|  \|/);
    assert.match(md, /#### Last lines of the log of step 'train'\n\n```\nTraceback\nValueError: bad\n```/);
    assert.match(jobFailureMessage(report), /^Job 'job_1' ended with status Failed: Pipeline has failed child jobs\. See https:\/\/ml\.azure\.com\/runs\/job_1\nLast 2 lines of the log of step 'train':\nTraceback\nValueError: bad$/);
    assert.deepStrictEqual(JSON.parse(jobOutputVariables(report).metrics), { 'prep.rows': 442 });
  });

  it('sets one output variable per output with a URI', () => {
    const outputs = jobOutputs({ properties: { outputs: { default: { uri: 'azureml://a' }, model: { uri: null, jobOutputType: 'mlflow_model' }, none: null } } });
    assert.deepStrictEqual(outputs, { default: 'azureml://a' });
    const vars = jobOutputVariables({ ...base, outputs });
    assert.deepStrictEqual(Object.keys(vars).sort(), ['jobName', 'jobStatus', 'metrics', 'output_default', 'studioUrl']);
    assert.deepStrictEqual(JSON.parse(vars.metrics), { r2: 0.81, rmse: 53.9 });
  });

  it('names the best trial of a sweep from the job properties, with its objective value', async () => {
    const trial = (i: number, auc: number) => [new RegExp(`run_id=sw_${i}$`), { run: { data: { metrics: [{ key: 'auc', value: auc }] } } }] as [RegExp, unknown];
    const { client } = dataPlaneClient([
      [/runs\/sw\/details$/, { runId: 'sw', status: 'Completed', startTimeUtc: '2026-01-01T00:00:00Z', endTimeUtc: '2026-01-01T00:10:00Z' }],
      [/runs\/sw\/children/, { value: [0, 1, 2].map((i) => ({ runId: `sw_${i}`, displayName: `sw_${i}`, status: 'Completed' })) }],
      trial(0, 0.7),
      trial(1, 0.91),
      trial(2, 0.88),
      [/run_id=sw$/, { run: { data: { metrics: [] } } }],
    ]);
    const state: JobState = {
      jobName: 'sw',
      status: 'Completed',
      studioUrl: 'https://studio/sw',
      experimentName: 'e',
      timedOut: false,
      canceledByTask: false,
      resource: { properties: { jobType: 'Sweep', objective: { primaryMetric: 'auc', goal: 'Maximize' }, properties: { best_child_run_id: 'sw_1', score: '0.91' } } },
    };
    const report = await buildJobReport(state, { client, log: { info() {}, warning() {}, debug() {} }, onSecret() {} });
    assert.deepStrictEqual(report.bestTrial, { runId: 'sw_1', name: 'sw_1', value: 0.91 });
    assert.strictEqual(report.durationSeconds, 600);
    assert.strictEqual(report.children.length, 3);
    const md = jobSummary(report, 'mlw').toMarkdown();
    assert.match(md, /\| Best trial \| sw\\_1 \(auc = 0\.91, maximize\) \|/);
    assert.match(md, /\| sw\\_1 \(best\) \| Completed \| 0\.91 \|/);
  });

  it('picks the best trial by the objective when the service has not named one', async () => {
    const { client } = dataPlaneClient([
      [/runs\/sw\/children/, { value: [{ runId: 'sw_0', status: 'Completed' }, { runId: 'sw_1', status: 'Completed' }] }],
      [/run_id=sw_0$/, { run: { data: { metrics: [{ key: 'loss', value: 0.3 }] } } }],
      [/run_id=sw_1$/, { run: { data: { metrics: [{ key: 'loss', value: 0.2 }] } } }],
    ]);
    const state: JobState = {
      jobName: 'sw',
      status: 'Completed',
      studioUrl: 'https://studio/sw',
      experimentName: 'e',
      timedOut: false,
      canceledByTask: false,
      resource: { properties: { jobType: 'Sweep', objective: { primaryMetric: 'loss', goal: 'Minimize' } } },
    };
    const report = await buildJobReport(state, { client, log: { info() {}, warning() {}, debug() {} }, onSecret() {} });
    assert.deepStrictEqual(report.bestTrial, { runId: 'sw_1', name: 'sw_1', value: 0.2 });
  });
});
