import assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { readJson, repoRoot } from '../repo/repo-files';
import { taskInputs } from './macros';

// examples/long-training.yml and the reference page's snippet: submit on an agent, wait on the server, report on
// an agent. A wrong job, step or output name in a dependencies expression only shows when the pipeline runs.

interface Step {
  task?: string;
  name?: string;
  inputs?: Record<string, string | boolean>;
}
interface Job {
  job: string;
  dependsOn?: string | string[];
  pool?: unknown;
  condition?: string;
  variables?: Record<string, string>;
  steps: Step[];
}

function checkPipeline(jobs: Job[], where: string): void {
  const tasksOf = (j: Job, task: string) => j.steps.filter((s) => s.task === task);
  const trainInputs = readJson('tasks', 'AmlTrain', 'task.json').inputs;
  const waitInputs = readJson('tasks', 'AmlJobWait', 'task.json').inputs;
  const plain = (inputs: Step['inputs']) => Object.fromEntries(Object.entries(inputs ?? {}).map(([k, v]) => [k, String(v)]));

  const submit = jobs.find((j) => tasksOf(j, 'AmlTrain@1').some((s) => String(s.inputs?.waitForCompletion) === 'false'));
  assert.ok(submit, `${where}: no agent job submits with AmlTrain and waitForCompletion: false`);
  assert.notStrictEqual(submit.pool, 'server', `${where}: AmlTrain needs an agent`);
  const submitStep = tasksOf(submit, 'AmlTrain@1')[0];
  assert.ok(submitStep.name, `${where}: the submit step needs a name for its output variables`);
  assert.ok(readJson('tasks', 'AmlTrain', 'task.json').outputVariables.some((o: { name: string }) => o.name === 'jobName'));
  const jobNameRef = `$[ dependencies.${submit.job}.outputs['${submitStep.name}.jobName'] ]`;

  const wait = jobs.find((j) => tasksOf(j, 'AmlJobWait@1').length > 0);
  assert.ok(wait, `${where}: no AmlJobWait job`);
  assert.strictEqual(wait.pool, 'server', `${where}: AmlJobWait runs in an agentless job`);
  assert.deepStrictEqual(wait.steps.filter((s) => s.task !== 'AmlJobWait@1'), [], `${where}: an agentless job runs server tasks only`);
  assert.ok([wait.dependsOn].flat().includes(submit.job), `${where}: the wait job must depend on the submit job to read its output`);
  const waitStep = tasksOf(wait, 'AmlJobWait@1')[0];
  const waitValues = taskInputs(waitInputs, plain(waitStep.inputs));
  assert.strictEqual(waitValues.jobName, '$(jobName)');
  assert.strictEqual(wait.variables?.jobName, jobNameRef, `${where}: the wait job's jobName`);

  const report = jobs.find((j) => tasksOf(j, 'AmlTrain@1').some((s) => s.inputs?.mode === 'report'));
  assert.ok(report, `${where}: no agent job reports with AmlTrain mode: report`);
  assert.notStrictEqual(report.pool, 'server');
  const deps = [report.dependsOn].flat();
  assert.ok(deps.includes(wait.job) && deps.includes(submit.job), `${where}: the report job depends on the wait job, and on the submit job for its output`);
  assert.match(report.condition ?? '', /dependencies\.Wait\.result, 'Succeeded', 'Failed'/, `${where}: report also after a failed job`);
  const reportValues = taskInputs(trainInputs, plain(tasksOf(report, 'AmlTrain@1')[0].inputs));
  assert.strictEqual(reportValues.jobName, '$(jobName)');
  assert.strictEqual(report.variables?.jobName, jobNameRef, `${where}: the report job's jobName`);

  for (const j of jobs) {
    for (const s of tasksOf(j, 'AmlJobWait@1')) taskInputs(waitInputs, plain(s.inputs));
    for (const s of tasksOf(j, 'AmlTrain@1')) {
      const values = taskInputs(trainInputs, plain(s.inputs));
      if (values.mode !== 'report') assert.ok(fs.existsSync(path.join(repoRoot, values.jobSpec)) || where.endsWith('.md'), `${where}: ${values.jobSpec} does not exist`);
    }
  }
}

describe('Submit, wait agentless, report', () => {
  it('examples/long-training.yml wires the three jobs together', () => {
    const pipeline = parse(fs.readFileSync(path.join(repoRoot, 'examples', 'long-training.yml'), 'utf8'));
    checkPipeline(pipeline.jobs, 'examples/long-training.yml');
  });

  it('docs/tasks/AmlJobWait.md shows the same, in YAML that parses', () => {
    const text = fs.readFileSync(path.join(repoRoot, 'docs', 'tasks', 'AmlJobWait.md'), 'utf8');
    const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]));
    const pipeline = blocks.find((b) => Array.isArray(b?.jobs));
    assert.ok(pipeline, 'no pipeline snippet');
    checkPipeline(pipeline.jobs, 'docs/tasks/AmlJobWait.md');
  });

  it('docs/tasks/AmlJobWait.md shows the body the task sends', () => {
    const text = fs.readFileSync(path.join(repoRoot, 'docs', 'tasks', 'AmlJobWait.md'), 'utf8');
    const shown = [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1].replace(/^ {3}/gm, '')));
    const sent = JSON.parse(readJson('tasks', 'AmlJobWait', 'task.json').execution.HttpRequest.Execute.Body);
    assert.deepStrictEqual(shown, [sent]);
  });
});
