/**
 * The MLTable file of an Azure ML `mltable` data asset: which files it reads (its `paths`) and how (its read_*
 * transformation). DataValidate checks those files as they are; the table's other transformations (take,
 * keep_columns, filter, ...) are named so the task can say they are not applied.
 */
import { parse } from 'yaml';
import { UserError } from '../errors';

export interface MlTablePath {
  kind: 'file' | 'folder' | 'pattern';
  /** As written: relative to the MLTable file's folder, or an azureml://datastores/... URI. */
  value: string;
}

/** How the files are read, from the MLTable's read transformation. */
export interface TableRead {
  format: 'csv' | 'parquet' | 'jsonl';
  delimiter?: string;
  header?: boolean;
  encoding?: 'utf8' | 'latin1' | 'utf16le';
}

export interface MlTableSpec {
  paths: MlTablePath[];
  /** Absent when the MLTable has no read transformation: each file's format is then told by its name. */
  read?: TableRead;
  /** The transformations not applied, by name, in order. */
  ignored: string[];
}

const ENCODINGS: Record<string, TableRead['encoding']> = { utf8: 'utf8', ascii: 'utf8', iso88591: 'latin1', latin1: 'latin1', utf16: 'utf16le' };

/** The MLTable file's text, parsed; label names it in messages ("the MLTable of azureml:sales:3"). */
export function parseMlTable(text: string, label: string): MlTableSpec {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new UserError(`${label} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new UserError(`${label} is not an MLTable: it holds no mapping of keys.`);
  const table = doc as Record<string, unknown>;
  const rawPaths = table.paths;
  if (!Array.isArray(rawPaths) || rawPaths.length === 0) throw new UserError(`${label} has no paths: list the files it reads as 'paths: [{file: ./data.csv}]' (or folder, or pattern).`);
  const paths = rawPaths.map((entry, i): MlTablePath => {
    const keys = entry !== null && typeof entry === 'object' ? Object.keys(entry as object) : [];
    const kind = keys.find((k): k is MlTablePath['kind'] => k === 'file' || k === 'folder' || k === 'pattern');
    const value = kind ? (entry as Record<string, unknown>)[kind] : undefined;
    if (!kind || typeof value !== 'string' || value.trim() === '') {
      throw new UserError(`${label}: paths entry ${i + 1} is not a file, folder or pattern with a path (as in '- file: ./data.csv').`);
    }
    return { kind, value: value.trim() };
  });

  let read: TableRead | undefined;
  const ignored: string[] = [];
  const rawSteps = table.transformations ?? [];
  if (!Array.isArray(rawSteps)) throw new UserError(`${label}: transformations is not a list.`);
  for (const step of rawSteps) {
    const name = typeof step === 'string' ? step : step !== null && typeof step === 'object' && !Array.isArray(step) ? Object.keys(step)[0] : undefined;
    if (name === undefined) throw new UserError(`${label}: a transformation is neither a name nor a mapping of one name to its settings.`);
    const settings = (typeof step === 'object' && step !== null ? (step as Record<string, unknown>)[name] : undefined) ?? {};
    if (typeof settings !== 'object' || Array.isArray(settings)) {
      if (name.startsWith('read_')) throw new UserError(`${label}: the settings of ${name} are not a mapping.`);
      ignored.push(name);
      continue;
    }
    const s = settings as Record<string, unknown>;
    switch (name) {
      case 'read_delimited':
        read = { format: 'csv', delimiter: delimiterOf(s.delimiter, label), header: headerOf(s.header, label), encoding: encodingOf(s.encoding, label) };
        break;
      case 'read_parquet':
        read = { format: 'parquet' };
        break;
      case 'read_json_lines':
        read = { format: 'jsonl', encoding: encodingOf(s.encoding, label) };
        break;
      case 'read_delta_lake':
        throw new UserError(`${label} reads a Delta Lake table, which DataValidate does not read. Validate the table's Parquet files with a uri_folder asset or dataPath.`);
      default:
        ignored.push(name);
    }
  }
  return { paths, read, ignored };
}

function delimiterOf(value: unknown, label: string): string {
  if (value === undefined || value === null) return ',';
  const text = String(value);
  if (text.length !== 1 || text === '"' || text === '\n' || text === '\r') {
    throw new UserError(`${label}: read_delimited's delimiter '${text}' is not one character other than a quote or a line break; DataValidate reads one-character delimiters.`);
  }
  return text;
}

function headerOf(value: unknown, label: string): boolean {
  switch (value ?? 'all_files_same_headers') {
    case 'all_files_same_headers':
    case 'all_files_different_headers':
      return true;
    case 'no_header':
      return false;
    case 'from_first_file':
      throw new UserError(
        `${label}: read_delimited's header is from_first_file (only the first file has a header), which DataValidate does not read: ` +
          'give every file its header (all_files_same_headers), or none (no_header).',
      );
    default:
      throw new UserError(`${label}: read_delimited's header '${String(value)}' is none of all_files_same_headers, all_files_different_headers, from_first_file and no_header.`);
  }
}

function encodingOf(value: unknown, label: string): TableRead['encoding'] {
  if (value === undefined || value === null) return 'utf8';
  const encoding = ENCODINGS[String(value).toLowerCase().replace(/[-_]/g, '')];
  if (!encoding) throw new UserError(`${label}: the encoding '${String(value)}' is not one DataValidate reads (utf8, ascii, iso88591 or latin1, utf16).`);
  return encoding;
}
