import * as assert from 'assert';
import { AgentLogRenderer, parseLoggingCommand, resultLine } from '../../../src/cli/agent-log';

describe('aml-mlops: rendering what a task writes for the agent', () => {
  const renderAll = (lines: string[], options = {}) => {
    const r = new AgentLogRenderer(options);
    return { printed: lines.flatMap((l) => r.render(l)), outcome: r.outcome };
  };

  it('parses a logging command, unescaping its properties and message', () => {
    assert.deepStrictEqual(parseLoggingCommand('##vso[task.setvariable variable=a%3Bb;isOutput=true]x%0Ay%AZP25'), {
      command: 'task.setvariable',
      props: { variable: 'a;b', isOutput: 'true' },
      message: 'x\ny%',
    });
    assert.strictEqual(parseLoggingCommand('plain line'), undefined);
  });

  it('hides debug lines unless asked, and shows issues as ERROR and WARNING lines', () => {
    const lines = ['##vso[task.debug]details', '##vso[task.issue type=error;]it broke', '##vso[task.logissue type=warning]careful', 'plain'];
    assert.deepStrictEqual(renderAll(lines).printed, ['ERROR: it broke', 'WARNING: careful', 'plain']);
    assert.deepStrictEqual(renderAll(lines, { debug: true }).printed[0], 'DEBUG: details');
    const { outcome } = renderAll(lines);
    assert.deepStrictEqual([outcome.errors, outcome.warnings], [['it broke'], ['careful']]);
  });

  it('shows output variables, masking secret ones, and keeps their values', () => {
    const { printed, outcome } = renderAll([
      '##vso[task.setvariable variable=jobName;isOutput=true;issecret=false;]job_1',
      '##vso[task.setvariable variable=key;isOutput=true;issecret=true;]s3cr3t-value',
      'the key is s3cr3t-value',
    ]);
    assert.deepStrictEqual(printed, ['output jobName = job_1', 'output key = ***', 'the key is ***']);
    assert.deepStrictEqual(outcome.outputs, { jobName: 'job_1', key: 's3cr3t-value' });
    assert.deepStrictEqual(outcome.secretOutputs, ['key']);
  });

  it('masks setsecret values, and each line of a multi-line secret, in everything printed afterwards', () => {
    const { printed } = renderAll([
      'before: hunter2-token',
      '##vso[task.setsecret]hunter2-token',
      'after: hunter2-token',
      '##vso[task.setsecret]line-one-secret%0Aline-two-secret',
      '##vso[task.issue type=error]failed with line-two-secret',
    ]);
    assert.deepStrictEqual(printed, ['before: hunter2-token', 'after: ***', 'ERROR: failed with ***']);
  });

  it('masks secrets known before the task starts, such as the connection profile secret', () => {
    assert.deepStrictEqual(renderAll(['secret: abc-123-xyz'], { secrets: ['abc-123-xyz'] }).printed, ['secret: ***']);
  });

  it('notes summaries, artifacts and the result without printing the raw commands', () => {
    const { printed, outcome } = renderAll([
      '##vso[task.uploadsummary]/tmp/summary.md',
      '##vso[artifact.upload containerfolder=reports;artifactname=reports]/tmp/reports',
      '##vso[task.complete result=SucceededWithIssues;]gate warned',
    ]);
    assert.deepStrictEqual(printed, ['artifact reports: /tmp/reports (a pipeline run would publish it)']);
    assert.deepStrictEqual(outcome.summaries, ['/tmp/summary.md']);
    assert.deepStrictEqual(resultLine(outcome, 0), { line: 'Result: SucceededWithIssues: gate warned', ok: true });
  });

  it('counts a task that exits non-zero without a result as failed', () => {
    assert.deepStrictEqual(resultLine(renderAll([]).outcome, 3), { line: 'Result: Failed (exit code 3)', ok: false });
    assert.strictEqual(resultLine({ ...renderAll([]).outcome, result: 'Failed' }, 0).ok, false);
  });
});
