/**
 * The DataValidate report as JUnit XML for PublishTestResults: one testsuite per run, one testcase per check and
 * per drift result, named by its id, classname "DataValidate.<source>".
 *
 * A failed check of severity error is a <failure>. A failed check of severity warning is a <skipped> testcase
 * whose message starts with "Warning:": Azure DevOps shows it (as not executed, with the message) without
 * failing the test run, which a <failure type="warning"> would. Passing checks are plain testcases.
 */
import type { CheckResult, DriftResult, ValidationReport } from '../types';

interface Case {
  name: string;
  outcome: 'passed' | 'failed' | 'warning';
  message: string;
  details: string;
}

export function renderJUnit(report: ValidationReport): string {
  const cases: Case[] = [...report.checks.map(checkCase), ...(report.drift?.results ?? []).map(driftCase)];
  const failures = cases.filter((c) => c.outcome === 'failed').length;
  const skipped = cases.filter((c) => c.outcome === 'warning').length;
  const seconds = (report.durationMs / 1000).toFixed(3);
  const classname = `DataValidate.${report.source}`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="DataValidate" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds}">`,
    `  <testsuite name="${attr(`DataValidate ${report.source}`)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds}">`,
    '    <properties>',
    `      <property name="rows" value="${report.rowCount}"/>`,
    `      <property name="format" value="${attr(report.format)}"/>`,
    ...(report.schemaFile ? [`      <property name="schema" value="${attr(report.schemaFile)}"/>`] : []),
    ...(report.drift ? [`      <property name="driftReference" value="${attr(report.drift.reference)}"/>`] : []),
    '    </properties>',
  ];
  for (const c of cases) {
    const open = `    <testcase name="${attr(c.name)}" classname="${attr(classname)}" time="0"`;
    if (c.outcome === 'passed') {
      lines.push(`${open}/>`);
    } else if (c.outcome === 'failed') {
      lines.push(`${open}>`, `      <failure message="${attr(c.message)}" type="error">${text(c.details)}</failure>`, '    </testcase>');
    } else {
      lines.push(`${open}>`, `      <skipped message="${attr(`Warning: ${c.message}`)}"/>`, `      <system-out>${text(c.details)}</system-out>`, '    </testcase>');
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

function checkCase(check: CheckResult): Case {
  const outcome = check.success ? 'passed' : check.severity === 'error' ? 'failed' : 'warning';
  const message = `expected ${check.expectation}${check.observed ? `; observed ${check.observed}` : ''}`;
  const rows = check.examples.map((e) => {
    const where = e.file !== undefined ? `${e.file}${e.line !== undefined ? ` line ${e.line}` : ''}` : e.line !== undefined ? `line ${e.line}` : '';
    return `row ${e.row}${where ? ` (${where})` : ''}: ${e.value}`;
  });
  const counts = check.unexpectedCount !== undefined ? [`${check.unexpectedCount} unexpected of ${check.elementCount ?? '?'}`] : [];
  return { name: check.id, outcome, message, details: [message, ...counts, ...(rows.length ? ['First rows:', ...rows] : [])].join('\n') };
}

function driftCase(result: DriftResult): Case {
  const outcome = !result.drifted ? 'passed' : result.severity === 'error' ? 'failed' : 'warning';
  const message = `${result.metric} ${result.value} ${result.drifted ? '>=' : '<'} threshold ${result.threshold}`;
  return { name: `drift.${result.column}`, outcome, message, details: [message, ...(result.binning ? [`Binning: ${result.binning}`] : [])].join('\n') };
}

/** Characters XML 1.0 cannot hold at all (most C0 controls, lone surrogates, U+FFFE/F) are written as \uXXXX. */
function clean(value: string): string {
  return value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function text(value: string): string {
  return clean(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
