import * as fs from 'fs';
import * as path from 'path';
import * as tl from 'azure-pipelines-task-lib/task';
import { isUserError } from '../errors';
import type { Log } from '../log';
import { tempDirectory } from './pipeline';

export interface TaskContext {
  log: Log;
  /** Aborted when the agent cancels the step (SIGINT/SIGTERM), so waiting work can stop and clean up. */
  signal: AbortSignal;
  setOutput(name: string, value: string): void;
  /** Any markdown source: a Summary built by the task, or a report rendered elsewhere. */
  publishSummary(summary: { toMarkdown(): string }, title: string): void;
  /** Publishes a JUnit file to the run's Tests tab. */
  publishTestResults(junitFile: string, runTitle: string): void;
  /** Uploads a folder as a pipeline artifact. */
  uploadArtifact(folder: string, artifactName: string): void;
  /** Ends the step as SucceededWithIssues with this message, if the body returns normally. */
  succeedWithIssues(message: string): void;
}

export const agentLog: Log = {
  info: (m) => console.log(m),
  warning: (m) => tl.warning(m),
  debug: (m) => tl.debug(m),
};

/**
 * Runs a task body with the pipeline conventions every task shares: user errors become one error issue and
 * a failed result without a stack trace; anything else is reported as an unexpected error with its stack in
 * the debug log; cancellation by the agent aborts the signal.
 */
export async function runTask(body: (ctx: TaskContext) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) return;
    console.log(`Received ${sig}: stopping.`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let issues: string | undefined;
  const ctx: TaskContext = {
    log: agentLog,
    signal: controller.signal,
    setOutput: (name, value) => tl.setVariable(name, value, false, true),
    publishSummary: (summary, title) => {
      try {
        const file = path.join(tempDirectory(), `${title.replace(/[^A-Za-z0-9_-]+/g, '-')}-${process.pid}.md`);
        fs.writeFileSync(file, summary.toMarkdown(), 'utf8');
        tl.uploadSummary(file);
      } catch (e) {
        // The summary is a bonus (restricted pipelines block it); never fail the task for it.
        tl.debug(`Could not write the run summary: ${String(e)}`);
      }
    },
    publishTestResults: (junitFile, runTitle) =>
      tl.command('results.publish', { type: 'JUnit', mergeResults: 'false', runTitle, publishRunAttachments: 'true', resultFiles: junitFile, testRunSystem: 'VSTSTask' }, ''),
    uploadArtifact: (folder, artifactName) => tl.uploadArtifact(artifactName, folder, artifactName),
    succeedWithIssues: (message) => {
      issues = message;
    },
  };

  try {
    await body(ctx);
    if (controller.signal.aborted) tl.setResult(tl.TaskResult.Cancelled, 'The step was canceled.');
    else if (issues !== undefined) tl.setResult(tl.TaskResult.SucceededWithIssues, issues);
    else tl.setResult(tl.TaskResult.Succeeded, '');
  } catch (e) {
    if (controller.signal.aborted && (e as Error)?.name === 'AbortError') {
      tl.setResult(tl.TaskResult.Cancelled, 'The step was canceled.');
    } else if (isUserError(e)) {
      if (e.file) {
        // logIssue carries the file and line so the error links to the source; task.complete then adds no second issue.
        tl.logIssue(tl.IssueType.Error, e.message, e.file, e.line);
        tl.command('task.complete', { result: 'Failed' }, e.message);
      } else {
        tl.setResult(tl.TaskResult.Failed, e.message);
      }
    } else {
      const err = e as Error;
      tl.debug(err?.stack ?? String(e));
      tl.setResult(tl.TaskResult.Failed, `Unexpected error: ${err?.message ?? String(e)}. Run with system.debug=true for details, and report it if it persists.`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
