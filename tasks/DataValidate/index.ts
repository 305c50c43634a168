import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tempDirectory } from '../../src/agent/pipeline';
import { maskSecret } from '../../src/agent/secrets';
import { runTask, type TaskContext } from '../../src/agent/task';
import { resolveWorkspace } from '../../src/agent/workspace-ref';
import { plural, profileData, validateData, type ValidateOptions } from '../../src/data/engine';
import { inferSchema } from '../../src/data/infer';
import { parseProfile, serializeProfile } from '../../src/data/profile';
import { renderJson } from '../../src/data/report/json';
import { renderJUnit } from '../../src/data/report/junit';
import { renderMarkdown } from '../../src/data/report/markdown';
import { loadSchema, schemaToYaml } from '../../src/data/schema';
import type { AssetData } from '../../src/data/asset';
import type { TableRead } from '../../src/data/mltable';
import { displayName, isAzureMlReference, localSources } from '../../src/data/sources';
import { UserError } from '../../src/errors';
import { suggest } from '../../src/suggest';
import { Summary } from '../../src/summary';
import { readInputs, workspaceInputNames, type DataValidateInputs } from './inputs';

void runTask(main);

async function main(ctx: TaskContext): Promise<void> {
  const inputs = readInputs();
  const baseDir = process.cwd();
  let workspace: ReturnType<typeof import('./azure').connectWorkspace> | undefined;
  const dataOf = async (value: string, inputName: string): Promise<AssetData> => {
    if (!isAzureMlReference(value)) return { sources: localSources(value, baseDir, inputName) };
    // The Azure SDK comes in a bundle of its own (azure.ts), loaded for data in a workspace only.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { connectWorkspace, dataAssetSources } = require(path.join(__dirname, 'azure.js')) as typeof import('./azure');
    if (!workspace) {
      const { connection, workspace: ref } = resolveWorkspace(workspaceInputNames, ctx.log);
      const inputNames = { workspaceName: workspaceInputNames.workspaceName, resourceGroup: workspaceInputNames.resourceGroup };
      workspace = connectWorkspace(connection, ref, { inputNames, log: ctx.log, onSecret: maskSecret });
    }
    return dataAssetSources(value, { client: workspace.client, credential: workspace.credential, onSecret: maskSecret, log: ctx.log, inputName });
  };

  const data = await dataOf(inputs.dataAsset ?? inputs.dataPath!, inputs.dataAsset ? 'dataAsset' : 'dataPath');
  const common = {
    sources: data.sources,
    format: formatOf(inputs, data.read),
    reader: readerOf(inputs, data.read),
    workers: threadsFor(inputs, ctx.log),
    // The worker threads run a bundle of their own (worker.ts): only the data engine, not the task library or the Azure SDK.
    workerScript: path.join(__dirname, 'worker.js'),
    // Uniqueness spills to the agent's temporary folder, which the agent cleans after the job.
    spillDir: tempDirectory(),
    log: ctx.log,
    signal: ctx.signal,
  };
  const reportDir = path.resolve(inputs.reportDirectory ?? path.join(tempDirectory(), 'DataValidate'));
  fs.mkdirSync(reportDir, { recursive: true });

  if (inputs.mode === 'infer') {
    const profile = await profileData(common);
    const schema = inferSchema(profile);
    const file = path.resolve(inputs.schemaOutput!);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const yaml = schemaToYaml(schema);
    fs.writeFileSync(file, yaml, 'utf8');
    saveProfile(inputs, profile, ctx);
    ctx.log.info(`Inferred a schema for ${plural(profile.columns.length, 'column')} from ${plural(profile.rowCount, 'row')}: ${file}. Review it, then commit it and validate against it.`);
    ctx.publishSummary(new Summary().heading('DataValidate: inferred schema').paragraph(`${profile.rowCount} rows, ${profile.columns.length} columns, written to ${file}.`).code(yaml), 'DataValidate');
    ctx.setOutput('validationPassed', 'true');
    ctx.setOutput('driftDetected', 'false');
    return;
  }

  const schema = loadSchema(inputs.schema!);
  // Reports name the files as the pipeline does, relative to the working directory (inputs arrive resolved).
  schema.file = displayName(inputs.schema!, baseDir);
  const names = ['numerical', 'categorical', ...schema.columns.map((c) => c.name)];
  const unknown = Object.keys(inputs.driftThresholds).filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    const hint = unknown.length === 1 ? suggest(unknown[0], names) : undefined;
    throw new UserError(
      `Input 'driftThresholds': ${unknown.map((name) => `'${name}'`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} neither numerical, categorical nor a column of ` +
        `${schema.file}.${hint ? ` Did you mean '${hint}'?` : ' Name the column as the schema does.'}`,
      { input: 'driftThresholds' },
    );
  }
  let reference: ValidateOptions['reference'];
  if (inputs.referenceProfile) {
    const file = inputs.referenceProfile;
    reference = { kind: 'profile', profile: parseProfile(fs.readFileSync(file, 'utf8'), file), file: displayName(file, baseDir) };
  } else if (inputs.referenceData) {
    const ref = await dataOf(inputs.referenceData, 'referenceData');
    reference = { kind: 'data', sources: ref.sources, format: formatOf(inputs, ref.read), reader: readerOf(inputs, ref.read) };
  }

  const { report, profile } = await validateData({ ...common, schema, reference, driftThresholds: inputs.driftThresholds, keepsProfile: inputs.profileOutput !== undefined });
  saveProfile(inputs, profile, ctx);

  const jsonPath = path.join(reportDir, 'datavalidate-report.json');
  const junitPath = path.join(reportDir, 'datavalidate-junit.xml');
  const markdownPath = path.join(reportDir, 'datavalidate-report.md');
  fs.writeFileSync(jsonPath, renderJson(report), 'utf8');
  fs.writeFileSync(junitPath, renderJUnit(report), 'utf8');
  const markdown = renderMarkdown(report);
  fs.writeFileSync(markdownPath, markdown, 'utf8');

  logResults(report, ctx);
  ctx.publishSummary({ toMarkdown: () => markdown }, 'DataValidate');
  if (inputs.publishTestResults) ctx.publishTestResults(junitPath, `DataValidate ${report.source}`);
  ctx.uploadArtifact(reportDir, 'DataValidate');

  const failing = inputs.failOn === 'never' ? 0 : inputs.failOn === 'warning' ? report.errors + report.warnings : report.errors;
  ctx.setOutput('validationPassed', String(failing === 0));
  ctx.setOutput('driftDetected', String(report.drift?.detected ?? false));
  ctx.setOutput('reportPath', jsonPath);
  ctx.setOutput('junitPath', junitPath);
  if (failing > 0) {
    const failed = report.checks.filter((c) => !c.success && (inputs.failOn === 'warning' || c.severity === 'error'));
    const names = failed.slice(0, 5).map((c) => c.id).join(', ') + (failed.length > 5 ? `, and ${failed.length - 5} more` : '');
    throw new UserError(`Data validation failed: ${failing} check(s) failed (${names}). See the DataValidate report in the run summary or ${markdownPath}.`);
  }
}

/** The worker threads asked for, at most one per core of the agent (more would only take turns). */
function threadsFor(inputs: DataValidateInputs, log: TaskContext['log']): number | undefined {
  const cores = os.availableParallelism();
  if (inputs.threads === undefined || inputs.threads <= cores) return inputs.threads;
  log.info(`Input 'threads' asks for ${inputs.threads} threads; the agent has ${cores} cores, so ${cores} check the data.`);
  return cores;
}

/** The format to read with: the input's, or when it is auto, what an MLTable's read transformation says. */
function formatOf(inputs: DataValidateInputs, read: TableRead | undefined): ValidateOptions['format'] {
  return inputs.format === 'auto' && read ? read.format : inputs.format;
}

/** The CSV settings to read with: an MLTable's, where the inputs are left at their defaults. */
function readerOf(inputs: DataValidateInputs, read: TableRead | undefined): ValidateOptions['reader'] {
  return {
    delimiter: inputs.csvDelimiter === ',' && read?.delimiter !== undefined ? read.delimiter : inputs.csvDelimiter,
    header: inputs.csvHeader && read?.header !== undefined ? read.header : inputs.csvHeader,
    encoding: inputs.encoding === 'utf8' && read?.encoding !== undefined ? read.encoding : inputs.encoding,
  };
}

function saveProfile(inputs: DataValidateInputs, profile: Parameters<typeof serializeProfile>[0], ctx: TaskContext): void {
  if (!inputs.profileOutput) return;
  const file = path.resolve(inputs.profileOutput);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, serializeProfile(profile), 'utf8');
  ctx.log.info(`Saved the data profile to ${file} (use it as referenceProfile in a later run).`);
}

/** Where an example row is, after its row number: its file when the dataset has several, and its line. */
function placeOf(e: { file?: string; line?: number }): string {
  const place = [e.file, e.line ? `line ${e.line}` : undefined].filter((p) => p !== undefined);
  return place.length > 0 ? ` (${place.join(', ')})` : '';
}

/** The log tells the same story as the summary, for pipelines where summaries are blocked. */
function logResults(report: Awaited<ReturnType<typeof validateData>>['report'], ctx: TaskContext): void {
  ctx.log.info(`Checked ${plural(report.rowCount, 'row')} of ${report.source} (${report.format}) in ${(report.durationMs / 1000).toFixed(1)} s: ${plural(report.checks.length, 'check')}, ${report.errors} failed with severity error, ${report.warnings} with severity warning.`);
  for (const check of report.checks.filter((c) => !c.success)) {
    const rows = check.examples.map((e) => `row ${e.row}${placeOf(e)}: ${e.value}`).join('; ');
    const text = `${check.id}: expected ${check.expectation}${check.observed ? `, observed ${check.observed}` : ''}${rows ? ` — ${rows}` : ''}`;
    // Failed error checks are summed up in the one error that fails the step; warnings show as warnings.
    if (check.severity === 'error') ctx.log.info(`FAILED ${text}`);
    else ctx.log.warning(text);
  }
  if (report.drift) {
    ctx.log.info(`Drift against ${report.drift.reference}: ${report.drift.results.filter((r) => r.drifted).length} of ${report.drift.results.length} columns drifted${report.drift.detected ? ' (dataset drift detected)' : ''}.`);
  }
}
