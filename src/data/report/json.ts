/**
 * The DataValidate report as JSON, for other tools. The shape is stable (keys in a fixed order; new keys are
 * only ever added):
 *
 *   { format: 'datavalidate-report', version: 1, passed, errors, warnings,
 *     statistics: { evaluated, successful, unsuccessful },
 *     source, dataFormat, rowCount, bytes, durationMs, schemaFile?,
 *     checks: [{ id, kind, column?, severity, success, expectation, observed?, elementCount?, unexpectedCount?,
 *                unexpectedPercent?, examples: [{ row, line?, file?, value }] }],
 *     drift?: { reference, detected, driftedShare, binning, results: [{ column, metric, value, threshold, drifted,
 *               severity, pValue?, binning? }] },
 *     columns: [ColumnProfile] }   (each with the column's type, as in the schema or as its values parsed)
 *
 * Check ids are 'dataset.<rule>', 'column.<name>.<rule>' and 'drift.<name>'; rows and lines are 1-based, rows
 * count data rows through all files of the dataset, lines count within a file, which examples name when the
 * dataset has several. Like Great Expectations'
 * validation result, every check is listed, passing ones included.
 */
import type { CheckResult, ValidationReport } from '../types';

export function renderJson(report: ValidationReport): string {
  const passedChecks = report.checks.filter((c) => c.success).length;
  const document = {
    format: 'datavalidate-report',
    version: 1,
    passed: report.passed,
    errors: report.errors,
    warnings: report.warnings,
    statistics: { evaluated: report.checks.length, successful: passedChecks, unsuccessful: report.checks.length - passedChecks },
    source: report.source,
    dataFormat: report.format,
    rowCount: report.rowCount,
    bytes: report.bytes,
    durationMs: report.durationMs,
    schemaFile: report.schemaFile,
    checks: report.checks.map(checkJson),
    drift: report.drift && {
      reference: report.drift.reference,
      detected: report.drift.detected,
      driftedShare: report.drift.driftedShare,
      binning: report.drift.binning,
      results: report.drift.results.map((r) => ({
        column: r.column,
        metric: r.metric,
        value: finite(r.value),
        threshold: r.threshold,
        drifted: r.drifted,
        severity: r.severity,
        pValue: r.pValue === undefined ? undefined : finite(r.pValue),
        binning: r.binning,
      })),
    },
    columns: report.columns,
  };
  return JSON.stringify(document, null, 2) + '\n';
}

function checkJson(c: CheckResult) {
  return {
    id: c.id,
    kind: c.kind,
    column: c.column,
    severity: c.severity,
    success: c.success,
    expectation: c.expectation,
    observed: c.observed,
    elementCount: c.elementCount,
    unexpectedCount: c.unexpectedCount,
    unexpectedPercent: c.elementCount && c.unexpectedCount !== undefined ? (c.unexpectedCount / c.elementCount) * 100 : undefined,
    examples: c.examples.map((e) => ({ row: e.row, line: e.line, file: e.file, value: e.value })),
  };
}

/** JSON has no NaN or Infinity; they become null rather than breaking the file. */
function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
