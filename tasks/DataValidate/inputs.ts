import { getBoolean, getChoice, getExistingFile, getString } from '../../src/agent/inputs';
import { UserError } from '../../src/errors';

/** Every input of task.json that is not about the workspace, read once into plain values. Names match task.json. */
export interface DataValidateInputs {
  mode: 'validate' | 'infer';
  dataPath?: string;
  dataAsset?: string;
  format: 'auto' | 'csv' | 'tsv' | 'parquet' | 'jsonl';
  /** Worker threads; undefined: auto (the engine's default). */
  threads?: number;
  schema?: string;
  schemaOutput?: string;
  referenceData?: string;
  referenceProfile?: string;
  driftThresholds: Record<string, number>;
  profileOutput?: string;
  csvDelimiter: string;
  csvHeader: boolean;
  encoding: 'utf8' | 'latin1' | 'utf16le';
  failOn: 'error' | 'warning' | 'never';
  reportDirectory?: string;
  publishTestResults: boolean;
}

export const workspaceInputNames = { connection: 'azureSubscription', resourceGroup: 'resourceGroup', workspaceName: 'workspaceName' } as const;

export function readInputs(): DataValidateInputs {
  const mode = getChoice('mode', ['validate', 'infer'] as const, 'validate');
  const dataPath = getString('dataPath');
  const dataAsset = getString('dataAsset');
  if (!dataPath && !dataAsset) throw new UserError("Input 'dataPath' is required: the file, folder or glob of the data to check (or set 'dataAsset' to an Azure ML data asset).", { input: 'dataPath' });
  if (dataPath && dataAsset) throw new UserError("Inputs 'dataPath' and 'dataAsset' both name data: set only one of them.", { input: 'dataAsset' });
  const referenceData = getString('referenceData');
  const referenceProfile = getExistingFile('referenceProfile', { required: false });
  if (referenceData && referenceProfile) throw new UserError("Inputs 'referenceData' and 'referenceProfile' both name a reference: set only one of them.", { input: 'referenceProfile' });
  const inputs: DataValidateInputs = {
    mode,
    dataPath,
    dataAsset,
    format: getChoice('format', ['auto', 'csv', 'tsv', 'parquet', 'jsonl'] as const, 'auto'),
    threads: parseThreads(getString('threads')),
    schema: mode === 'validate' ? getExistingFile('schema', { required: true, hint: 'the YAML schema to validate against (or set mode to infer to write one from the data).' }) : undefined,
    schemaOutput: mode === 'infer' ? getString('schemaOutput', { required: true, hint: 'the file infer mode writes the inferred schema to.' }) : undefined,
    referenceData,
    referenceProfile,
    driftThresholds: parseDriftThresholds(getString('driftThresholds')),
    profileOutput: getString('profileOutput'),
    csvDelimiter: parseDelimiter(getString('csvDelimiter') ?? ','),
    csvHeader: getBoolean('csvHeader', true),
    encoding: getChoice('encoding', ['utf8', 'latin1', 'utf16le'] as const, 'utf8'),
    failOn: getChoice('failOn', ['error', 'warning', 'never'] as const, 'error'),
    reportDirectory: getString('reportDirectory'),
    publishTestResults: getBoolean('publishTestResults', true),
  };
  return inputs;
}

/** `numerical=0.15, categorical=0.2, income=0.3` (commas or new lines). */
export function parseDriftThresholds(text: string | undefined): Record<string, number> {
  const result: Record<string, number> = {};
  if (!text) return result;
  for (const part of text.split(/[,\n;]/).map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*(\S+)$/.exec(part);
    const value = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(value) || value < 0) {
      throw new UserError(`Input 'driftThresholds': '${part}' is not a threshold. Write name=value pairs such as 'numerical=0.15, categorical=0.2, income=0.3'.`, { input: 'driftThresholds' });
    }
    result[m[1]] = value;
  }
  return result;
}

/** `auto` (or nothing) or a whole number of threads from 1 to 64. */
export function parseThreads(text: string | undefined): number | undefined {
  if (!text || text.trim().toLowerCase() === 'auto') return undefined;
  const value = Number(text.trim());
  if (!Number.isInteger(value) || value < 1 || value > 64) {
    throw new UserError(`Input 'threads' must be auto or a whole number of threads from 1 to 64, not '${text}'.`, { input: 'threads' });
  }
  return value;
}

function parseDelimiter(raw: string): string {
  const value = raw === '\\t' || raw.toLowerCase() === 'tab' ? '\t' : raw;
  if (value.length !== 1 || value === '"' || value === '\n' || value === '\r') {
    throw new UserError(`Input 'csvDelimiter' must be a single character other than a quote or a line break (use \\t for a tab), not '${raw}'.`, { input: 'csvDelimiter' });
  }
  return value;
}
