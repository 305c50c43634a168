import { UserError } from '../errors';
import { formatMetric, type Goal } from '../jobs/metrics';
import { suggest } from '../suggest';

export type Operator = '>=' | '>' | '<=' | '<' | '==' | '!=';

/** One line of `metricConditions`: `accuracy >= 0.9`. */
export interface MetricCondition {
  metric: string;
  operator: Operator;
  threshold: number;
  /** 1-based line in the input, for messages. */
  line: number;
  text: string;
}

const CONDITION = /^([^\s<>=!]+)\s*(>=|<=|==|!=|>|<)\s*(\S+)$/;

/**
 * `metric operator number` lines of a multi-line input; blank lines and `#` comments are skipped.
 * A line that is not a condition is one error naming the input and the line.
 */
export function parseConditions(input: string, text: string | undefined): MetricCondition[] {
  const conditions: MetricCondition[] = [];
  for (const [i, raw] of (text ?? '').split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = CONDITION.exec(line);
    const threshold = m ? Number(m[3]) : NaN;
    if (!m || !Number.isFinite(threshold) || m[3].trim() === '') {
      throw new UserError(
        `Input '${input}', line ${i + 1}: '${line}' is not a metric condition. Write one '<metric> <operator> <number>' per line, for example 'accuracy >= 0.9'; operators: >= > <= < == !=.`,
        { input },
      );
    }
    conditions.push({ metric: m[1], operator: m[2] as Operator, threshold, line: i + 1, text: line });
  }
  return conditions;
}

export function holds(value: number, operator: Operator, threshold: number): boolean {
  switch (operator) {
    case '>=': return value >= threshold;
    case '>': return value > threshold;
    case '<=': return value <= threshold;
    case '<': return value < threshold;
    case '==': return value === threshold;
    case '!=': return value !== threshold;
  }
}

/** How the candidate compares with the current model of the same name. */
export interface ChampionComparison {
  metric: string;
  goal: Goal;
  margin: number;
  /** The champion, `name:version`, or undefined when there is none (the comparison then passes). */
  champion?: string;
  /** The champion's value; undefined when it has none. */
  championValue?: number;
  /** Where the champion's value came from, for the log. */
  championValueSource?: string;
}

export interface GateRow {
  metric: string;
  candidate?: number;
  /** The condition (`>= 0.9`) or the champion (`champion churn:3 = 0.91, maximize, margin 0.01`). */
  against: string;
  pass: boolean;
}

export interface GateResult {
  pass: boolean;
  rows: GateRow[];
  /** Why the gate said no, one line per failed check. */
  reasons: string[];
  /** What the log should say besides (no champion...). */
  notes: string[];
}

/**
 * Checks every condition and the champion comparison against the candidate's metrics. A condition or champion
 * metric the candidate never logged is a UserError listing the metrics it did log, so a typo is not a silent "no".
 */
export function evaluateGate(metrics: Record<string, number>, conditions: MetricCondition[], champion: ChampionComparison | undefined, metricsSource: string): GateResult {
  const rows: GateRow[] = [];
  const reasons: string[] = [];
  const notes: string[] = [];
  for (const c of conditions) {
    const value = candidateValue(metrics, c.metric, `Input 'metricConditions', line ${c.line}`, 'metricConditions', metricsSource);
    const pass = holds(value, c.operator, c.threshold);
    rows.push({ metric: c.metric, candidate: value, against: `${c.operator} ${formatMetric(c.threshold)}`, pass });
    if (!pass) reasons.push(`${c.metric} = ${formatMetric(value)} does not meet '${c.text}'.`);
  }
  if (champion) {
    const value = candidateValue(metrics, champion.metric, `Input 'championMetric'`, 'championMetric', metricsSource);
    if (!champion.champion) {
      notes.push(`No champion to compare with: the candidate passes the champion check (${champion.metric} = ${formatMetric(value)}).`);
      rows.push({ metric: champion.metric, candidate: value, against: 'no champion', pass: true });
    } else if (champion.championValue === undefined) {
      const why = `the champion ${champion.champion} has no value for '${champion.metric}' (no property metrics.${champion.metric} and no such metric on its job), so the candidate cannot be compared with it. Add the property metrics.${champion.metric} to ${champion.champion}, or choose another championMetric.`;
      reasons.push(why.charAt(0).toUpperCase() + why.slice(1));
      rows.push({ metric: champion.metric, candidate: value, against: `champion ${champion.champion}: no value`, pass: false });
    } else {
      const improvement = champion.goal === 'maximize' ? value - champion.championValue : champion.championValue - value;
      const pass = improvement > 0 && improvement >= champion.margin;
      const margin = champion.margin ? `, by at least ${formatMetric(champion.margin)}` : '';
      const against = `champion ${champion.champion} = ${formatMetric(champion.championValue)} (${champion.goal}${margin})`;
      rows.push({ metric: champion.metric, candidate: value, against, pass });
      if (!pass) {
        const better = champion.goal === 'maximize' ? 'higher' : 'lower';
        reasons.push(
          `${champion.metric} = ${formatMetric(value)} does not beat the champion ${champion.champion} (${formatMetric(champion.championValue)}): it must be ${better}${margin}.`,
        );
      }
    }
  }
  return { pass: reasons.length === 0, rows, reasons, notes };
}

function candidateValue(metrics: Record<string, number>, metric: string, where: string, input: string, metricsSource: string): number {
  const value = metrics[metric];
  if (typeof value === 'number' && !Number.isNaN(value)) return value;
  const names = Object.keys(metrics);
  if (names.length === 0) {
    throw new UserError(`${where}: there is no metric '${metric}': ${metricsSource} has no metrics at all.`, { input });
  }
  const guess = suggest(metric, names);
  throw new UserError(
    `${where}: there is no metric '${metric}' in ${metricsSource}.${guess ? ` Did you mean '${guess}'?` : ''} Metrics: ${names.join(', ')}.`,
    { input },
  );
}

/** The `metrics` input: a JSON object of numbers, such as AmlTrain's `metrics` output. */
export function parseMetricsJson(input: string, text: string | undefined): Record<string, number> | undefined {
  if (!text?.trim()) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UserError(`Input '${input}' is not JSON: give an object of numbers such as {"accuracy": 0.93}, for example $(train.metrics) from AmlTrain.`, { input });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UserError(`Input '${input}' must be a JSON object of numbers such as {"accuracy": 0.93}.`, { input });
  }
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(parsed)) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw new UserError(`Input '${input}': the metric '${k}' is ${JSON.stringify(v)}, not a number.`, { input });
    metrics[k] = n;
  }
  return metrics;
}
