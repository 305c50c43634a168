/**
 * A first schema from a profile, as TFDV's infer_schema and pandera's infer_schema do: types from what every
 * value parsed as, nullability from the nulls seen, bounds from the observed range (rounded outward), allowed
 * values for columns with few distinct values, uniqueness where no value repeated. It describes the data it
 * was inferred from, flaws included, so it is written with a comment asking for a review.
 */
import { UserError } from '../errors';
import { evidenceByProfile, repeatedNames, showRepeatedNames, type ColumnEvidence } from './checks';
import { parseBooleanText } from './checks';
import { DEFAULT_DRIFT, schemaHeaderComments, severities } from './schema';
import type { ColumnProfile, ColumnRule, ColumnType, DataSchema, DatasetProfile, Severity } from './types';

/** At most this many distinct values, and at most this share of the values, make a column a category. */
export const CATEGORY_MAX_DISTINCT = 50;
export const CATEGORY_MAX_SHARE = 0.05;

const MS_PER_DAY = 86_400_000;

/**
 * Infers a schema from a profile. `evidence` (what each column's values parsed as) comes with a profile made by
 * profileData; without it, numeric columns become number and the others category or string.
 */
export function inferSchema(profile: DatasetProfile, evidence: Record<string, ColumnEvidence> | undefined = evidenceByProfile.get(profile)): DataSchema {
  if (profile.columns.length === 0) {
    throw new UserError(`${profile.source} has no columns: there is nothing to infer a schema from. Check that dataPath names the data, and its format.`);
  }
  const repeated = repeatedNames(profile.columns.map((c) => c.name));
  if (repeated.length > 0) {
    throw new UserError(
      `${profile.source} has more than one column of the same name: ${showRepeatedNames(repeated)}. A schema declares each column once; ` +
        'give the columns distinct names in the data, then infer again.',
    );
  }
  const columns = profile.columns.map((column) => inferColumn(column, evidence?.[column.name]));
  const schema: DataSchema = {
    columns,
    dataset: { ...(profile.rowCount > 0 && { rowCount: { min: 1, severity: 'error' as Severity } }), columns: { mode: 'exact', severity: 'error' } },
    drift: structuredClone(DEFAULT_DRIFT),
    missingValues: [''],
  };
  schemaHeaderComments.set(
    schema,
    `Inferred by DataValidate from ${profile.source} (${profile.rowCount} rows) on ${profile.createdAt}.\n` +
      'It describes that data, flaws included: review every rule (types, bounds, allowed values, nullability) before relying on it.\n' +
      'Drift is skipped for datetimes and ids (unique integers, or unique values of a category too large to list), whose later values always differ from these.',
  );
  return schema;
}

function inferColumn(profile: ColumnProfile, evidence: ColumnEvidence | undefined): ColumnRule {
  const type = inferType(profile, evidence);
  const rule: ColumnRule = { name: profile.name, type, nullable: profile.nulls > 0 || profile.count === 0, severity: allErrors() };
  if (profile.count === 0) return rule;
  if ((type === 'integer' || type === 'number') && profile.min !== undefined && profile.max !== undefined) {
    rule.min = roundOutward(profile.min, 'down', type === 'integer');
    rule.max = roundOutward(profile.max, 'up', type === 'integer');
  }
  // Later data is newer, so a datetime gets a lower bound only: the start of the first day seen.
  if (type === 'datetime' && profile.min !== undefined) rule.min = Math.floor(profile.min / MS_PER_DAY) * MS_PER_DAY;
  if (type === 'category' && profile.categories && isCategory(profile)) {
    rule.allowed = Object.entries(profile.categories)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([value]) => value);
  }
  const duplicates = evidence?.evidence.duplicates;
  // A category with too many values to list them, none repeated, is ids (long ones, kept as their digits).
  const ids = type === 'integer' || (type === 'category' && rule.allowed === undefined);
  if (duplicates === 0 && profile.count > 1 && (ids || type === 'string' || type === 'number')) rule.unique = true;
  // Later data has later times and new ids: compared with this data, they would always drift.
  if (type === 'datetime' || (ids && rule.unique)) rule.drift = 'skip';
  return rule;
}

function inferType(profile: ColumnProfile, evidence: ColumnEvidence | undefined): ColumnType {
  let type: ColumnType = evidence?.type ?? (profile.kind === 'numeric' ? 'number' : 'string');
  if (!evidence && profile.kind === 'categorical' && profile.categories && !profile.otherCount) {
    const values = Object.keys(profile.categories);
    if (values.length > 0 && values.every((v) => parseBooleanText(v) !== undefined && v !== '0' && v !== '1')) type = 'boolean';
  }
  // A category also takes values written as JSON numbers or booleans, which a string column refuses.
  if (type === 'string' && (isCategory(profile) || (evidence?.evidence.scalars ?? 0) > 0)) type = 'category';
  return type;
}

function isCategory(profile: ColumnProfile): boolean {
  if (profile.kind !== 'categorical' || !profile.categories || profile.otherCount) return false;
  const distinct = Object.keys(profile.categories).length;
  return distinct <= CATEGORY_MAX_DISTINCT && distinct <= Math.max(1, CATEGORY_MAX_SHARE * profile.count);
}

/** A bound rounded outward to two significant digits (1682.13 -> 1600, 927974.52 -> 930000, 17 -> 17). */
export function roundOutward(x: number, direction: 'down' | 'up', integer: boolean): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const magnitude = Math.floor(Math.log10(Math.abs(x)));
  const step = 10 ** Math.max(magnitude - 1, integer ? 0 : -6);
  const rounded = direction === 'down' ? Math.floor(x / step) * step : Math.ceil(x / step) * step;
  // Avoid 0.30000000000000004-style noise in the written schema.
  const clean = Number(rounded.toPrecision(12));
  return integer ? Math.round(clean) : clean;
}

function allErrors(): ColumnRule['severity'] {
  return severities('error');
}
