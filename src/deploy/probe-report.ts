import { Summary } from '../summary';
import { formatPercent, type HealthResult } from './health';
import type { SmokeResult } from './smoke';

/**
 * The smoke test as a section of the run summary: one row per request file, then the start of the answer
 * of each file that failed. Added to `summary` (a new one by default) under a level-4 heading.
 */
export function smokeSummary(result: SmokeResult, summary: Summary = new Summary()): Summary {
  const passed = result.results.filter((r) => r.passed).length;
  summary.heading(`Smoke test of deployment ${result.deployment}: ${result.passed ? 'passed' : 'failed'}`, 4);
  summary.paragraph(`${passed} of ${result.results.length} request(s) passed.`);
  summary.table(
    ['Request', 'Status', 'Latency', 'Result'],
    result.results.map((r) => [r.file, r.status === 0 ? 'no answer' : r.status, `${r.latencyMs} ms`, r.passed ? 'passed' : r.failures.join('\n')]),
  );
  for (const r of result.results) {
    if (!r.passed && r.bodyExcerpt) summary.paragraph(`Answer to ${r.file}:`).code(r.bodyExcerpt);
  }
  return summary;
}

/**
 * A health check as a section of the run summary; `label` says when it ran ("at 10 % traffic").
 * Added to `summary` (a new one by default) under a level-4 heading.
 */
export function healthSummary(result: HealthResult, summary: Summary = new Summary(), label?: string): Summary {
  summary.heading(`Health of deployment ${result.deployment}${label ? ` ${label}` : ''}: ${result.passed ? 'passed' : 'failed'}`, 4);
  summary.facts([
    ['Requests', String(result.requests)],
    ['Failed', `${result.errors} (${formatPercent(result.errorRate)}; at most ${formatPercent(result.maxErrorRate)} allowed)`],
    ['Latency p50', `${result.p50Ms} ms`],
    ['Latency p95', `${result.p95Ms} ms${result.maxLatencyMs !== undefined ? ` (at most ${result.maxLatencyMs} ms allowed)` : ''}`],
    ['Latency max', `${result.maxMs} ms`],
    ['Why it failed', result.reasons.length ? result.reasons.join('\n') : undefined],
  ]);
  if (result.errorKinds.length) {
    summary.table(['Status', 'Error', 'Count'], result.errorKinds.map((k) => [k.status === 0 ? 'no answer' : k.status, k.message, k.count]));
  }
  return summary;
}
