import type { WorkspaceClient } from '../workspace/client';

interface MlflowRun {
  run?: { data?: { metrics?: Array<{ key: string; value: number; step?: number; timestamp?: number }> } };
}

/**
 * The final value of every metric a run logged, through the workspace's MLflow API (the MLflow run id is the
 * job or child run name). A run without metrics, or one MLflow does not know, gives an empty object.
 */
export async function readMetrics(client: WorkspaceClient, runId: string, signal?: AbortSignal): Promise<Record<string, number>> {
  const { subscriptionId, resourceGroup, workspaceName } = client.workspace;
  const r = await client.dataPlane<MlflowRun>(
    `/mlflow/v1.0/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspaceName}/api/2.0/mlflow/runs/get?run_id=${encodeURIComponent(runId)}`,
    { operation: `read the metrics of '${runId}'`, allowNotFound: true, signal },
  );
  return finalValues(r?.body?.run?.data?.metrics ?? []);
}

/** MLflow's `runs/get` already gives the latest value per key; keep the one with the highest step if a key repeats. */
export function finalValues(metrics: Array<{ key: string; value: number; step?: number; timestamp?: number }>): Record<string, number> {
  const best = new Map<string, { value: number; step: number; timestamp: number }>();
  for (const m of metrics) {
    if (typeof m?.key !== 'string' || typeof m.value !== 'number') continue;
    const step = m.step ?? 0;
    const timestamp = m.timestamp ?? 0;
    const seen = best.get(m.key);
    if (!seen || step > seen.step || (step === seen.step && timestamp >= seen.timestamp)) best.set(m.key, { value: m.value, step, timestamp });
  }
  return Object.fromEntries([...best.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.value]));
}

export type Goal = 'maximize' | 'minimize';

/** The best of some runs by one metric; runs without the metric never win. */
export function bestRun<T extends { metrics: Record<string, number> }>(runs: T[], metric: string, goal: Goal): T | undefined {
  let best: T | undefined;
  for (const r of runs) {
    const v = r.metrics[metric];
    if (typeof v !== 'number' || Number.isNaN(v)) continue;
    if (!best || (goal === 'maximize' ? v > best.metrics[metric] : v < best.metrics[metric])) best = r;
  }
  return best;
}

/** A metric value for a table, without trailing zeros. */
export function formatMetric(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) return v.toExponential(4);
  // Four decimals, or four significant digits for values below 1.
  return String(Number(v.toFixed(abs >= 1 || abs === 0 ? 4 : Math.max(4, 3 - Math.floor(Math.log10(abs))))));
}
