/**
 * The DataValidate report as markdown for the run summary: the verdict, every check with its status, the
 * first failing rows of each failed check, the column profiles and the drift table with its binning rule.
 * Escaping of data values (pipes, line breaks, markdown characters) is the Summary builder's.
 */
import { Summary } from '../../summary';
import { formatInstant } from '../durations';
import { VALUE_CHECK_KINDS, type CheckResult, type ColumnProfile, type ValidationReport } from '../types';

const PASSED = '✅';
const FAILED = '❌';
const WARNED = '⚠️';

export function statusIcon(check: Pick<CheckResult, 'success' | 'severity'>): string {
  return check.success ? PASSED : check.severity === 'error' ? FAILED : WARNED;
}

export function renderMarkdown(report: ValidationReport): string {
  const summary = new Summary();
  summary.heading(`DataValidate: ${report.passed ? `${PASSED} passed` : `${FAILED} failed`}`, 2);
  summary.paragraph(
    `${report.source} (${report.format}): ${report.rowCount} rows, ${(report.bytes / 1e6).toFixed(1)} MB, checked in ` +
      `${(report.durationMs / 1000).toFixed(1)} s${report.schemaFile ? ` against ${report.schemaFile}` : ''}. ` +
      `${report.checks.length} checks: ${report.errors} failed with severity error, ${report.warnings} with severity warning.`,
  );

  summary.heading('Checks');
  summary.table(
    ['', 'Check', 'Expectation', 'Observed', 'Unexpected'],
    report.checks.map((c) => [statusIcon(c), c.id, c.expectation, c.observed ?? '', unexpected(c)]),
  );
  summary.paragraph(`${PASSED} passed, ${FAILED} failed (severity error), ${WARNED} failed (severity warning).`);

  // Value checks that passed with some values failing (a column's mostly) list them too.
  const failed = report.checks.filter((c) => (!c.success || ((VALUE_CHECK_KINDS as ReadonlySet<string>).has(c.kind) && (c.unexpectedCount ?? 0) > 0)) && c.examples.length > 0);
  if (failed.length > 0) {
    summary.heading('First failing rows');
    for (const check of failed) {
      summary.heading(`${statusIcon(check)} ${check.id}`, 4);
      const withLines = check.examples.some((e) => e.line !== undefined);
      const withFiles = check.examples.some((e) => e.file !== undefined);
      summary.table(
        ['Row', ...(withFiles ? ['File'] : []), ...(withLines ? ['Line'] : []), 'Value'],
        check.examples.slice(0, 10).map((e) => [e.row || '', ...(withFiles ? [e.file ?? ''] : []), ...(withLines ? [e.line ?? ''] : []), e.value]),
      );
    }
  }

  if (report.columns.length > 0) {
    summary.heading('Columns');
    summary.table(
      ['Column', 'Type', 'Count', 'Nulls', 'Min', 'Max', 'Mean', 'Distinct (est.)', 'Top values'],
      report.columns.map((p) => {
        // A datetime's numbers are epoch milliseconds: shown as instants.
        const value = p.type === 'datetime' ? (x: number | undefined) => (x === undefined ? '' : formatInstant(Math.round(x))) : num;
        return [p.name, p.type ?? p.kind, p.count, p.nulls, value(p.min), value(p.max), value(p.mean), p.distinct, topValues(p)];
      }),
    );
  }

  if (report.drift) {
    const drift = report.drift;
    summary.heading(`Drift against ${drift.reference}`);
    if (drift.results.length > 0) {
      summary.table(
        ['', 'Column', 'Metric', 'Value', 'Threshold', 'Drifted'],
        drift.results.map((r) => [
          r.drifted ? (r.severity === 'error' ? FAILED : WARNED) : PASSED,
          r.column,
          r.metric,
          num(r.value) + (r.pValue !== undefined && r.metric !== 'chi_squared' ? ` (p ${num(r.pValue)})` : ''),
          num(r.threshold),
          r.drifted ? 'yes' : 'no',
        ]),
      );
    }
    summary.paragraph(
      `${drift.results.filter((r) => r.drifted).length} of ${drift.results.length} columns drifted ` +
        `(${(drift.driftedShare * 100).toFixed(0)}%)${drift.detected ? ': drift detected.' : '.'}`,
    );
    summary.paragraph(`Binning: ${drift.binning}`);
  }
  return summary.toMarkdown();
}

function unexpected(check: CheckResult): string {
  if (check.unexpectedCount === undefined) return '';
  if (!check.elementCount) return String(check.unexpectedCount);
  const percent = (check.unexpectedCount / check.elementCount) * 100;
  return `${check.unexpectedCount} of ${check.elementCount} (${percent === 0 ? '0' : percent < 0.01 ? '<0.01' : percent.toFixed(2)}%)`;
}

function num(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return '';
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 1e6 || Math.abs(x) < 1e-3 ? x.toPrecision(4) : String(Number(x.toPrecision(4)));
}

function topValues(profile: ColumnProfile): string {
  if (profile.kind !== 'categorical') return '';
  return profile.topValues
    .slice(0, 5)
    .map((t) => `${t.value.length > 30 ? `${t.value.slice(0, 29)}…` : t.value} (${t.count})`)
    .join(', ');
}
