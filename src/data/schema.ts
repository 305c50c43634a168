/**
 * The DataValidate schema file: YAML with Frictionless Table Schema's vocabulary (name, type, format, min/max,
 * pattern, allowed, unique, primaryKey, missingValues), severities in the manner of Great Expectations, and a
 * drift block with Azure ML model monitoring's metric names and defaults. Every problem names the file and line.
 */
import * as fs from 'fs';
import { isMap, isScalar, isSeq, LineCounter, Node, parseDocument, Scalar, stringify } from 'yaml';
import { UserError } from '../errors';
import { suggest } from '../suggest';
import { DateFormatParser, formatInstant, parseAge, parseIsoDateTime } from './durations';
import { parseBooleanText } from './checks';
import { columnKind } from './types';
import type {
  CategoricalDriftMetric,
  ColumnCheckKind,
  ColumnRule,
  ColumnType,
  DataSchema,
  DriftMetric,
  NumericDriftMetric,
  Severity,
  StatisticKind,
} from './types';

export const COLUMN_TYPES: readonly ColumnType[] = ['integer', 'number', 'string', 'boolean', 'datetime', 'category'];
export const STATISTIC_KINDS: readonly StatisticKind[] = ['mean', 'median', 'stdev', 'distinct'];
export const COLUMN_CHECK_KINDS: readonly ColumnCheckKind[] = [
  'type', 'nullable', 'maxNullFraction', 'min', 'max', 'allowed', 'pattern', 'unique', 'minLength', 'maxLength', ...STATISTIC_KINDS,
];
export const NUMERIC_DRIFT_METRICS: readonly NumericDriftMetric[] = ['normalized_wasserstein', 'ks', 'psi', 'jensen_shannon'];
export const CATEGORICAL_DRIFT_METRICS: readonly CategoricalDriftMetric[] = ['jensen_shannon', 'psi', 'chi_squared', 'infinity_norm'];

/** Azure ML model monitoring's data drift defaults (azure-ai-ml thresholds.py): both 0.1. */
export const DEFAULT_DRIFT: DataSchema['drift'] = {
  numerical: { metric: 'normalized_wasserstein', threshold: 0.1 },
  categorical: { metric: 'jensen_shannon', threshold: 0.1 },
  // A distribution shift is a reason to look, not proof that the data is wrong, so it warns unless told otherwise.
  severity: 'warning',
};

/** Thresholds a metric gets when the schema names the metric but not the threshold. */
const DEFAULT_THRESHOLDS: Partial<Record<DriftMetric, number>> = { normalized_wasserstein: 0.1, jensen_shannon: 0.1, psi: 0.2 };


const TOP_KEYS = ['version', 'description', 'missingValues', 'dataset', 'columns', 'drift'];
const DATASET_KEYS = ['rowCount', 'columns', 'primaryKey', 'freshness', 'severity'];
const COLUMN_KEYS = [
  'name', 'description', 'type', 'format', 'nullable', 'maxNullFraction', 'min', 'max', 'allowed', 'pattern', 'unique',
  'minLength', 'maxLength', 'mostly', 'mean', 'median', 'stdev', 'distinct', 'severity', 'drift',
];
const SEVERITIES: readonly Severity[] = ['error', 'warning'];
const COLUMNS_MODES = ['exact', 'subset', 'superset'] as const;

/** Reads and checks a schema file. Every problem is a UserError naming the file and line. */
export function loadSchema(file: string): DataSchema {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`The schema file ${file} does not exist.`, { file });
    throw new UserError(`Cannot read the schema file ${file}: ${(e as Error).message}`, { file });
  }
  return parseSchema(text, file);
}

/** Checks schema text; `file` is only used in messages. */
export function parseSchema(text: string, file: string): DataSchema {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const reader = new SchemaReader(file, lineCounter);
  const firstError = doc.errors[0];
  if (firstError) {
    const line = lineCounter.linePos(firstError.pos[0]).line;
    if (firstError.code === 'MULTIPLE_DOCS') throw reader.error('the schema file holds more than one YAML document (---); keep one schema per file.', line);
    throw reader.error(`the schema file is not valid YAML: ${firstError.message.split('\n')[0]}`, line);
  }
  return reader.readSchema(doc.contents);
}

interface Entry {
  key: string;
  keyNode: Node;
  value: Node | null;
}

/** Walks the YAML nodes rather than plain objects, so that every problem can name its line. */
class SchemaReader {
  constructor(
    private readonly file: string,
    private readonly lineCounter: LineCounter,
  ) {}

  error(message: string, line: number | undefined): UserError {
    return new UserError(`${line === undefined ? this.file : `${this.file}:${line}`}: ${message}`, { file: this.file, line });
  }

  fail(message: string, node: Node | null | undefined, fallback?: Node | null): never {
    throw this.error(message, this.lineOf(node) ?? this.lineOf(fallback));
  }

  lineOf(node: Node | null | undefined): number | undefined {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : this.lineCounter.linePos(offset).line;
  }

  readSchema(root: Node | null): DataSchema {
    if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
      throw this.error('the schema file is empty; it needs at least version: 1 and columns.', 1);
    }
    const entries = this.entries(root, 'the schema', TOP_KEYS);
    const get = (key: string) => entries.find((e) => e.key === key);

    const version = get('version');
    if (!version) this.fail('the schema has no version; add version: 1 as its first line.', root);
    if (!isScalar(version.value) || version.value.value !== 1) this.fail('version must be 1, the only schema version there is.', version.value, version.keyNode);

    const missing = get('missingValues');
    const missingValues = missing ? this.stringList(missing.value, 'missingValues', missing.keyNode, { allowEmpty: true }) : [''];

    const columnsEntry = get('columns');
    if (!columnsEntry) this.fail('the schema has no columns; list each column with at least its name and type.', root);
    const columns = this.columns(columnsEntry.value, columnsEntry.keyNode);

    const datasetEntry = get('dataset');
    const dataset = this.dataset(datasetEntry?.value ?? null, datasetEntry?.keyNode, columns);

    const driftEntry = get('drift');
    const drift = driftEntry ? this.drift(driftEntry.value, driftEntry.keyNode) : structuredClone(DEFAULT_DRIFT);
    for (const column of columns) this.checkColumnDriftKind(column, columnsEntry.value);

    return { file: this.file, columns, dataset, drift, missingValues };
  }

  // ---- columns ----

  private columns(node: Node | null, keyNode: Node): ColumnRule[] {
    if (!isSeq(node) || node.items.length === 0) {
      this.fail('columns must be a list of columns, each with at least a name and a type ("- name: id", "  type: integer").', node, keyNode);
    }
    const rules: ColumnRule[] = [];
    const seen = new Map<string, number | undefined>();
    for (const item of node.items as Node[]) {
      const rule = this.column(item);
      if (seen.has(rule.name)) {
        this.fail(`column "${rule.name}" is declared twice (first on line ${seen.get(rule.name)}); each column may be declared once.`, item);
      }
      seen.set(rule.name, rule.line);
      rules.push(rule);
    }
    return rules;
  }

  private column(node: Node): ColumnRule {
    const entries = this.entries(node, 'a column', COLUMN_KEYS);
    const get = (key: string) => entries.find((e) => e.key === key);
    const nameEntry = get('name');
    if (!nameEntry) this.fail('this column has no name.', node);
    const name = this.string(nameEntry.value, 'name', nameEntry.keyNode);
    const where = `column "${name}"`;
    const typeEntry = get('type');
    if (!typeEntry) this.fail(`${where} has no type (one of ${COLUMN_TYPES.join(', ')}).`, node);
    const type = this.choice(typeEntry.value, `${where}: type`, typeEntry.keyNode, COLUMN_TYPES);

    const rule: ColumnRule = { name, type, nullable: true, severity: severities('error'), line: this.lineOf(node) };
    let dateParser: DateFormatParser | undefined;
    const formatEntry = get('format');
    if (formatEntry) {
      if (type !== 'datetime') this.fail(`${where}: format applies to datetime columns only (this one is ${type}).`, formatEntry.keyNode);
      rule.format = this.string(formatEntry.value, `${where}: format`, formatEntry.keyNode);
      try {
        dateParser = new DateFormatParser(rule.format);
      } catch (e) {
        this.fail(`${where}: format "${rule.format}": ${(e as Error).message}.`, formatEntry.value);
      }
    }

    for (const { key, keyNode, value } of entries) {
      const field = `${where}: ${key}`;
      switch (key) {
        case 'nullable':
          rule.nullable = this.boolean(value, field, keyNode);
          break;
        case 'unique':
          rule.unique = this.boolean(value, field, keyNode);
          break;
        case 'maxNullFraction': {
          const fraction = this.number(value, field, keyNode);
          if (fraction < 0 || fraction > 1) this.fail(`${field} must be a fraction between 0 and 1, got ${fraction}.`, value);
          rule.maxNullFraction = fraction;
          break;
        }
        case 'mean':
        case 'median':
        case 'stdev':
        case 'distinct': {
          if (key !== 'distinct' && type !== 'integer' && type !== 'number') this.fail(`${field} applies to integer and number columns only (this one is ${type}).`, keyNode);
          (rule.statistics ??= {})[key] = this.range(value, field, keyNode, `${key}: { min: 1, max: 10 }`, key === 'distinct' || key === 'stdev');
          break;
        }
        case 'mostly': {
          const share = this.number(value, field, keyNode);
          if (!(share > 0 && share <= 1)) this.fail(`${field} must be a fraction above 0 and at most 1 (0.99: up to 1 % of the values may fail each value check), got ${share}.`, value);
          rule.mostly = share;
          break;
        }
        case 'min':
        case 'max':
          rule[key] = this.bound(value, field, keyNode, type, dateParser);
          break;
        case 'minLength':
        case 'maxLength': {
          if (type !== 'string' && type !== 'category') this.fail(`${field} applies to string and category columns only (this one is ${type}).`, keyNode);
          const length = this.number(value, field, keyNode);
          if (!Number.isInteger(length) || length < 0) this.fail(`${field} must be a whole number of characters, 0 or more.`, value);
          rule[key] = length;
          break;
        }
        case 'allowed':
          rule.allowed = this.allowed(value, field, keyNode, type, dateParser);
          break;
        case 'pattern': {
          const pattern = this.string(value, field, keyNode, { allowEmpty: true });
          try {
            new RegExp(pattern);
          } catch (e) {
            this.fail(`${field} is not a valid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}.`, value);
          }
          rule.pattern = pattern;
          break;
        }
        case 'severity':
          rule.severity = this.columnSeverity(value, field, keyNode);
          break;
        case 'drift':
          rule.drift = this.columnDrift(value, field, keyNode);
          break;
        default:
          break;
      }
    }
    if (rule.min !== undefined && rule.max !== undefined && rule.min > rule.max) {
      this.fail(`${where}: min (${this.showBound(rule.min, type)}) is greater than max (${this.showBound(rule.max, type)}).`, get('min')?.value);
    }
    if (rule.minLength !== undefined && rule.maxLength !== undefined && rule.minLength > rule.maxLength) {
      this.fail(`${where}: minLength (${rule.minLength}) is greater than maxLength (${rule.maxLength}).`, get('minLength')?.value);
    }
    return rule;
  }

  private showBound(value: number, type: ColumnType): string {
    return type === 'datetime' ? formatInstant(value) : String(value);
  }

  private bound(node: Node | null, field: string, keyNode: Node, type: ColumnType, dateParser?: DateFormatParser): number {
    if (type === 'integer' || type === 'number') return this.number(node, field, keyNode);
    if (type === 'datetime') {
      const text = isScalar(node) ? String(node.source ?? node.value ?? '') : '';
      const ms = parseIsoDateTime(text);
      const parsed = ms === ms ? ms : dateParser ? dateParser.parse(text) : NaN;
      if (parsed !== parsed) {
        this.fail(`${field} must be an ISO 8601 date or date-time (2020-01-01, 2020-01-01T00:00:00Z)${dateParser ? ' or match the column format' : ''}, got "${text}".`, node, keyNode);
      }
      return parsed;
    }
    const hint = type === 'string' || type === 'category' ? ' For lengths, use minLength and maxLength.' : '';
    return this.fail(`${field} applies to integer, number and datetime columns only (this one is ${type}).${hint}`, keyNode);
  }

  private allowed(node: Node | null, field: string, keyNode: Node, type: ColumnType, dateParser?: DateFormatParser): string[] {
    if (!isSeq(node) || node.items.length === 0) this.fail(`${field} must be a non-empty list of values.`, node, keyNode);
    const values: string[] = [];
    for (const item of node.items as Node[]) {
      if (!isScalar(item) || item.value === null || typeof item.value === 'object') this.fail(`${field}: each allowed value must be a single value.`, item);
      // As written in the file, so that 1.0 stays "1.0" for a string column.
      const text = typeof item.value === 'string' ? item.value : String(item.source ?? item.value);
      if ((type === 'integer' || type === 'number') && !(typeof item.value === 'number' && (type === 'number' || Number.isInteger(item.value)))) {
        this.fail(`${field}: "${text}" is not ${type === 'integer' ? 'an integer' : 'a number'}, as the column's type needs.`, item);
      }
      if (type === 'boolean' && parseBooleanText(text) === undefined) this.fail(`${field}: "${text}" is not a boolean.`, item);
      if (type === 'datetime') {
        const ms = parseIsoDateTime(text);
        if (ms !== ms && !(dateParser && dateParser.parse(text) === dateParser.parse(text))) this.fail(`${field}: "${text}" is not a date-time.`, item);
      }
      values.push(text);
    }
    return values;
  }

  private columnSeverity(node: Node | null, field: string, keyNode: Node): Record<ColumnCheckKind, Severity> {
    if (isScalar(node)) return severities(this.choice(node, field, keyNode, SEVERITIES));
    const entries = this.entries(node, field, ['default', ...COLUMN_CHECK_KINDS]);
    const byCheck = entries.find((e) => e.key === 'default');
    const result = severities(byCheck ? this.choice(byCheck.value, `${field}.default`, byCheck.keyNode, SEVERITIES) : 'error');
    for (const { key, keyNode: k, value } of entries) {
      if (key !== 'default') result[key as ColumnCheckKind] = this.choice(value, `${field}.${key}`, k, SEVERITIES);
    }
    return result;
  }

  private columnDrift(node: Node | null, field: string, keyNode: Node): ColumnRule['drift'] {
    if (isScalar(node) && node.value === 'skip') return 'skip';
    if (isScalar(node)) this.fail(`${field} must be skip or { metric, threshold }.`, node, keyNode);
    return this.metricAndThreshold(node, field, keyNode, [...new Set<DriftMetric>([...NUMERIC_DRIFT_METRICS, ...CATEGORICAL_DRIFT_METRICS])]);
  }

  private checkColumnDriftKind(rule: ColumnRule, fallback: Node | null): void {
    if (rule.drift === undefined || rule.drift === 'skip') return;
    const kind = columnKind(rule.type);
    const allowed: readonly DriftMetric[] = kind === 'numeric' ? NUMERIC_DRIFT_METRICS : CATEGORICAL_DRIFT_METRICS;
    if (!allowed.includes(rule.drift.metric)) {
      throw this.error(
        `column "${rule.name}": drift metric ${rule.drift.metric} does not apply to a ${rule.type} column (${kind} metrics: ${allowed.join(', ')}).`,
        rule.line ?? this.lineOf(fallback),
      );
    }
  }

  private metricAndThreshold<M extends DriftMetric>(node: Node | null, field: string, keyNode: Node, metrics: readonly M[]): { metric: M; threshold: number } {
    const entries = this.entries(node, field, ['metric', 'threshold']);
    const metricEntry = entries.find((e) => e.key === 'metric');
    const thresholdEntry = entries.find((e) => e.key === 'threshold');
    if (!metricEntry) this.fail(`${field} needs a metric (one of ${metrics.join(', ')}).`, node, keyNode);
    const metric = this.choice(metricEntry.value, `${field}.metric`, metricEntry.keyNode, metrics);
    let threshold = DEFAULT_THRESHOLDS[metric];
    if (thresholdEntry) {
      const given = this.number(thresholdEntry.value, `${field}.threshold`, thresholdEntry.keyNode);
      if (given < 0) this.fail(`${field}.threshold must be 0 or more.`, thresholdEntry.value);
      threshold = given;
    }
    if (threshold === undefined) return this.fail(`${field} needs a threshold for ${metric} (it has no default).`, node, keyNode);
    return { metric, threshold };
  }

  // ---- dataset ----

  private dataset(node: Node | null, keyNode: Node | undefined, columns: ColumnRule[]): DataSchema['dataset'] {
    const result: DataSchema['dataset'] = { columns: { mode: 'exact', severity: 'error' } };
    if (node === null || keyNode === undefined) return result;
    const entries = this.entries(node, 'dataset', DATASET_KEYS);
    const severityEntry = entries.find((e) => e.key === 'severity');
    const severity: Severity = severityEntry ? this.choice(severityEntry.value, 'dataset.severity', severityEntry.keyNode, SEVERITIES) : 'error';
    result.columns.severity = severity;
    const declared = columns.map((c) => c.name);

    for (const { key, keyNode: k, value } of entries) {
      const field = `dataset.${key}`;
      switch (key) {
        case 'rowCount': {
          const rule = this.entries(value, field, ['min', 'max', 'severity']);
          const rowCount: NonNullable<DataSchema['dataset']['rowCount']> = { severity };
          for (const part of rule) {
            if (part.key === 'severity') rowCount.severity = this.choice(part.value, `${field}.severity`, part.keyNode, SEVERITIES);
            else {
              const count = this.number(part.value, `${field}.${part.key}`, part.keyNode);
              if (!Number.isInteger(count) || count < 0) this.fail(`${field}.${part.key} must be a whole number of rows, 0 or more.`, part.value);
              rowCount[part.key as 'min' | 'max'] = count;
            }
          }
          if (rowCount.min === undefined && rowCount.max === undefined) this.fail(`${field} needs min, max or both.`, value, k);
          if (rowCount.min !== undefined && rowCount.max !== undefined && rowCount.min > rowCount.max) {
            this.fail(`${field}: min (${rowCount.min}) is greater than max (${rowCount.max}).`, value, k);
          }
          result.rowCount = rowCount;
          break;
        }
        case 'columns': {
          if (isScalar(value)) result.columns = { mode: this.choice(value, field, k, COLUMNS_MODES), severity };
          else {
            const parts = this.entries(value, field, ['mode', 'severity']);
            const mode = parts.find((p) => p.key === 'mode');
            const own = parts.find((p) => p.key === 'severity');
            result.columns = {
              mode: mode ? this.choice(mode.value, `${field}.mode`, mode.keyNode, COLUMNS_MODES) : 'exact',
              severity: own ? this.choice(own.value, `${field}.severity`, own.keyNode, SEVERITIES) : severity,
            };
          }
          break;
        }
        case 'primaryKey': {
          let keyColumns: string[];
          let keySeverity = severity;
          if (isMap(value)) {
            const parts = this.entries(value, field, ['columns', 'severity']);
            const cols = parts.find((p) => p.key === 'columns');
            if (!cols) this.fail(`${field} needs columns.`, value, k);
            keyColumns = this.nameList(cols.value, `${field}.columns`, cols.keyNode);
            const own = parts.find((p) => p.key === 'severity');
            if (own) keySeverity = this.choice(own.value, `${field}.severity`, own.keyNode, SEVERITIES);
          } else keyColumns = this.nameList(value, field, k);
          for (const name of keyColumns) this.declaredColumn(name, declared, field, (value ?? k) as Node);
          if (new Set(keyColumns).size !== keyColumns.length) this.fail(`${field} names a column twice.`, value, k);
          result.primaryKey = { columns: keyColumns, severity: keySeverity };
          break;
        }
        case 'freshness': {
          const parts = this.entries(value, field, ['column', 'maxAge', 'severity']);
          const column = parts.find((p) => p.key === 'column');
          const maxAge = parts.find((p) => p.key === 'maxAge');
          const own = parts.find((p) => p.key === 'severity');
          if (!column || !maxAge) this.fail(`${field} needs column and maxAge (for example { column: event_time, maxAge: 7d }).`, value, k);
          const name = this.string(column.value, `${field}.column`, column.keyNode);
          this.declaredColumn(name, declared, `${field}.column`, (column.value ?? column.keyNode) as Node);
          const rule = columns.find((c) => c.name === name);
          if (rule?.type !== 'datetime') this.fail(`${field}.column: "${name}" must be a datetime column (it is ${rule?.type}).`, column.value);
          const ageText = isScalar(maxAge.value) ? String(maxAge.value.value ?? '') : '';
          const maxAgeMs = parseAge(ageText);
          if (maxAgeMs === undefined || maxAgeMs <= 0) {
            this.fail(`${field}.maxAge "${ageText}" is not an age: use 30m, 12h, 7d, 2w or ISO 8601 such as P7D or PT12H.`, maxAge.value, maxAge.keyNode);
          }
          result.freshness = {
            column: name,
            maxAge: ageText,
            maxAgeMs,
            severity: own ? this.choice(own.value, `${field}.severity`, own.keyNode, SEVERITIES) : severity,
          };
          break;
        }
        default:
          break;
      }
    }
    return result;
  }

  private declaredColumn(name: string, declared: string[], field: string, node: Node): void {
    if (declared.includes(name)) return;
    const close = closeName(name, declared);
    this.fail(`${field} names column "${name}", which the schema does not declare.${close ? ` Did you mean "${close}"?` : ''}`, node);
  }

  // ---- drift ----

  private drift(node: Node | null, keyNode: Node): DataSchema['drift'] {
    const result = structuredClone(DEFAULT_DRIFT);
    for (const { key, keyNode: k, value } of this.entries(node, 'drift', ['numerical', 'categorical', 'rowCountRatio', 'severity'], keyNode)) {
      if (key === 'numerical') result.numerical = this.metricAndThreshold(value, 'drift.numerical', k, NUMERIC_DRIFT_METRICS);
      else if (key === 'categorical') result.categorical = this.metricAndThreshold(value, 'drift.categorical', k, CATEGORICAL_DRIFT_METRICS);
      else if (key === 'rowCountRatio') result.rowCountRatio = this.range(value, 'drift.rowCountRatio', k, 'rowCountRatio: { min: 0.8, max: 1.25 }', true);
      else result.severity = this.choice(value, 'drift.severity', k, SEVERITIES);
    }
    return result;
  }

  // ---- plain values ----

  /** { min, max }, one of them at least, min not above max; example: how one is written, for the message. */
  private range(node: Node | null, field: string, keyNode: Node, example: string, nonNegative: boolean): { min?: number; max?: number } {
    const range: { min?: number; max?: number } = {};
    for (const part of this.entries(node, field, ['min', 'max'], keyNode)) {
      const bound = this.number(part.value, `${field}.${part.key}`, part.keyNode);
      if (nonNegative && bound < 0) this.fail(`${field}.${part.key} must be 0 or more.`, part.value);
      range[part.key as 'min' | 'max'] = bound;
    }
    if (range.min === undefined && range.max === undefined) this.fail(`${field} needs a min, a max or both (as in ${example}).`, node, keyNode);
    if (range.min !== undefined && range.max !== undefined && range.min > range.max) this.fail(`${field}: min (${range.min}) is greater than max (${range.max}).`, node);
    return range;
  }

  private entries(node: Node | null, where: string, allowed: readonly string[], fallback?: Node): Entry[] {
    if (!isMap(node)) this.fail(`${where} must be a mapping of keys (${allowed.join(', ')}).`, node, fallback);
    const entries: Entry[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const key = isScalar(keyNode) ? String(keyNode.value) : '';
      if (!allowed.includes(key)) {
        const close = closeName(key, allowed);
        this.fail(`unknown key "${key}" in ${where}.${close ? ` Did you mean "${close}"?` : ''} Known keys: ${allowed.join(', ')}.`, keyNode);
      }
      entries.push({ key, keyNode, value: (pair.value as Node | null) ?? null });
    }
    return entries;
  }

  private string(node: Node | null, field: string, keyNode: Node, options: { allowEmpty?: boolean } = {}): string {
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') this.fail(`${field} must be text.`, node, keyNode);
    const text = typeof node.value === 'string' ? node.value : String(node.source ?? node.value);
    if (!options.allowEmpty && text === '') this.fail(`${field} must not be empty.`, node, keyNode);
    return text;
  }

  private stringList(node: Node | null, field: string, keyNode: Node, options: { allowEmpty?: boolean } = {}): string[] {
    if (!isSeq(node)) this.fail(`${field} must be a list.`, node, keyNode);
    return (node.items as Node[]).map((item) => this.string(item, field, keyNode, options));
  }

  private nameList(node: Node | null, field: string, keyNode: Node): string[] {
    if (isScalar(node)) return [this.string(node, field, keyNode)];
    const names = this.stringList(node, field, keyNode);
    if (names.length === 0) this.fail(`${field} must name at least one column.`, node, keyNode);
    return names;
  }

  private number(node: Node | null, field: string, keyNode: Node): number {
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isFinite(node.value)) {
      this.fail(`${field} must be a number${isScalar(node) && node.value !== null ? `, got "${String(node.source ?? node.value)}"` : ''}.`, node, keyNode);
    }
    return node.value;
  }

  private boolean(node: Node | null, field: string, keyNode: Node): boolean {
    if (!isScalar(node) || typeof node.value !== 'boolean') this.fail(`${field} must be true or false.`, node, keyNode);
    return node.value;
  }

  private choice<T extends string>(node: Node | null, field: string, keyNode: Node, allowed: readonly T[]): T {
    const value = isScalar(node) ? String((node as Scalar).value ?? '') : '';
    if (!allowed.includes(value as T)) {
      const close = closeName(value, allowed);
      this.fail(`${field}: "${value}" is not one of ${allowed.join(', ')}.${close ? ` Did you mean "${close}"?` : ''}`, node, keyNode);
    }
    return value as T;
  }
}

/** A likely intended name: a near-miss spelling, or a known name that contains what was written (wasserstein). */
function closeName(name: string, candidates: readonly string[]): string | undefined {
  return suggest(name, candidates) ?? (name.length >= 3 ? candidates.find((c) => c.includes(name.toLowerCase())) : undefined);
}

/** Every check kind of a column at one severity. */
export function severities(severity: Severity): Record<ColumnCheckKind, Severity> {
  const result = {} as Record<ColumnCheckKind, Severity>;
  for (const kind of COLUMN_CHECK_KINDS) result[kind] = severity;
  return result;
}

// ---------------------------------------------------------------- writing

/** A comment to write above a schema (inferSchema sets one asking for a review). */
export const schemaHeaderComments = new WeakMap<DataSchema, string>();

/** The schema as YAML that loadSchema reads back to the same schema; defaults are left out. */
export function schemaToYaml(schema: DataSchema, headerComment: string | undefined = schemaHeaderComments.get(schema)): string {
  const out: Record<string, unknown> = { version: 1 };
  if (!(schema.missingValues.length === 1 && schema.missingValues[0] === '')) out.missingValues = schema.missingValues;
  const dataset: Record<string, unknown> = {};
  const datasetSeverity = schema.dataset.columns.severity;
  if (schema.dataset.rowCount) {
    const { min, max, severity } = schema.dataset.rowCount;
    dataset.rowCount = { ...(min !== undefined && { min }), ...(max !== undefined && { max }), ...(severity !== datasetSeverity && { severity }) };
  }
  dataset.columns = schema.dataset.columns.mode;
  if (schema.dataset.primaryKey) {
    const { columns, severity } = schema.dataset.primaryKey;
    dataset.primaryKey = severity === datasetSeverity ? columns : { columns, severity };
  }
  if (schema.dataset.freshness) {
    const { column, maxAge, severity } = schema.dataset.freshness;
    dataset.freshness = { column, maxAge, ...(severity !== datasetSeverity && { severity }) };
  }
  if (datasetSeverity !== 'error') dataset.severity = datasetSeverity;
  out.dataset = dataset;
  out.columns = schema.columns.map((rule) => columnToPlain(rule));
  const drift: Record<string, unknown> = {};
  if (JSON.stringify(schema.drift.numerical) !== JSON.stringify(DEFAULT_DRIFT.numerical)) drift.numerical = schema.drift.numerical;
  if (JSON.stringify(schema.drift.categorical) !== JSON.stringify(DEFAULT_DRIFT.categorical)) drift.categorical = schema.drift.categorical;
  if (schema.drift.rowCountRatio) drift.rowCountRatio = { ...schema.drift.rowCountRatio };
  if (schema.drift.severity !== DEFAULT_DRIFT.severity) drift.severity = schema.drift.severity;
  if (Object.keys(drift).length > 0) out.drift = drift;
  const body = stringify(out, { lineWidth: 0, flowCollectionPadding: false });
  const comment = headerComment ? headerComment.split('\n').map((line) => (line ? `# ${line}` : '#')).join('\n') + '\n' : '';
  return comment + body;
}

function columnToPlain(rule: ColumnRule): Record<string, unknown> {
  const plain: Record<string, unknown> = { name: rule.name, type: rule.type };
  if (rule.format !== undefined) plain.format = rule.format;
  if (!rule.nullable) plain.nullable = false;
  if (rule.maxNullFraction !== undefined) plain.maxNullFraction = rule.maxNullFraction;
  if (rule.unique) plain.unique = true;
  for (const key of ['min', 'max'] as const) {
    const bound = rule[key];
    if (bound !== undefined) plain[key] = rule.type === 'datetime' ? formatInstant(bound) : bound;
  }
  if (rule.minLength !== undefined) plain.minLength = rule.minLength;
  if (rule.maxLength !== undefined) plain.maxLength = rule.maxLength;
  if (rule.allowed) plain.allowed = rule.type === 'integer' || rule.type === 'number' ? rule.allowed.map(Number) : rule.allowed;
  if (rule.pattern !== undefined) plain.pattern = rule.pattern;
  if (rule.mostly !== undefined) plain.mostly = rule.mostly;
  for (const kind of STATISTIC_KINDS) if (rule.statistics?.[kind]) plain[kind] = { ...rule.statistics[kind] };
  const kinds = COLUMN_CHECK_KINDS.map((kind) => rule.severity[kind]);
  if (kinds.some((s) => s !== 'error')) {
    const base: Severity = kinds.filter((s) => s === 'warning').length > kinds.length / 2 ? 'warning' : 'error';
    if (kinds.every((s) => s === base)) plain.severity = base;
    else {
      const perCheck: Record<string, Severity> = { default: base };
      for (const kind of COLUMN_CHECK_KINDS) if (rule.severity[kind] !== base) perCheck[kind] = rule.severity[kind];
      plain.severity = perCheck;
    }
  }
  if (rule.drift !== undefined) plain.drift = rule.drift;
  return plain;
}
