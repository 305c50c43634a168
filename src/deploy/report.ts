import { link, Summary } from '../summary';
import type { BatchDeployResult } from './batch';
import type { HealthResult } from './health';
import { healthSummary, smokeSummary } from './probe-report';
import type { SmokeResult } from './smoke';
import { shortAsset, type OnlineRolloutResult } from './online';
import { formatTraffic } from './traffic';

/** The run summary of an online rollout: endpoint, deployments and models, traffic before and after, checks, and any rollback. */
export function rolloutSummary(r: OnlineRolloutResult, workspaceName: string): Summary {
  const s = new Summary().heading(`Azure ML online endpoint ${r.endpointName}`);
  const outcome =
    r.status === 'unchanged'
      ? `unchanged: '${r.deploymentName}' already ran this definition with its traffic`
      : r.status === 'deployed'
        ? `deployed '${r.deploymentName}'`
        : `rolled back (${r.failure?.stage}): ${r.failure?.message}`;
  s.facts([
    ['Outcome', outcome],
    ['Workspace', workspaceName],
    ['Scoring URI', r.scoringUri],
    ['Auth mode', r.authMode],
    ['Endpoint', r.endpointCreated ? (r.failure?.rollback.endpointDeleted ? 'created, then deleted by the rollback' : 'created by this run') : 'existing'],
    ['Deployment', `${r.deploymentName} (${r.deploymentAction})`],
    ['Model', shortAsset(r.modelId)],
    ['Traffic before', formatTraffic(r.trafficBefore)],
    ['Traffic after', formatTraffic(r.trafficAfter)],
    ['Mirror before', Object.keys(r.mirrorBefore).length ? formatTraffic(r.mirrorBefore) : undefined],
    ['Mirror after', Object.keys(r.mirrorAfter).length ? formatTraffic(r.mirrorAfter) : undefined],
    ['Mirror phase', r.mirror ? `${r.mirror.percent}% for ${r.mirror.minutes} min` : undefined],
    ['Smoke test', r.smoke ? `${r.smoke.passed ? 'passed' : 'failed'}: ${r.smoke.line}` : undefined],
    ['Deleted', r.deleted.length ? r.deleted.join(', ') : undefined],
  ]);
  if (r.steps.length > 0) {
    s.heading('Traffic steps', 4).table(
      ['Step', 'Traffic', 'Health check'],
      r.steps.map((step) => [`${step.percent}%`, formatTraffic(step.traffic), step.health ? `${step.health.passed ? 'passed' : 'failed'}: ${step.health.line}` : 'not run']),
    );
  }
  if (r.deployments.length > 0) {
    s.heading('Deployments', 4).table(
      ['Deployment', 'Model', 'Traffic', 'Mirror', 'State'],
      r.deployments.map((d) => [d.name, d.model ?? '', `${d.traffic}%`, d.mirror ? `${d.mirror}%` : '', d.state ?? '']),
    );
  }
  const smoke = r.smoke?.detail as SmokeResult | undefined;
  if (smoke?.results) smokeSummary(smoke, s);
  for (const step of r.steps) {
    const health = step.health?.detail as HealthResult | undefined;
    if (health?.deployment) healthSummary(health, s, `at ${step.percent}% traffic`);
  }
  if (r.failure) {
    const rb = r.failure.rollback;
    s.heading('Rollback', 4).facts([
      ['Traffic restored', rb.trafficRestored ? `yes: ${formatTraffic(r.trafficAfter)}` : 'NO: check the endpoint'],
      ['Failed deployment', rb.endpointDeleted ? 'deleted with the endpoint this run created' : rb.deploymentDeleted ? 'deleted' : 'kept'],
      ['Problems', rb.problems.length ? rb.problems.join('; ') : undefined],
    ]);
    if (r.failure.logs.length > 0) s.heading(`Container logs of ${r.deploymentName}`, 4).code(r.failure.logs.join('\n'));
  }
  return s;
}

/** The run summary of a batch deployment and, when it was invoked, its scoring job. */
export function batchSummary(
  d: BatchDeployResult,
  job: { jobName: string; status: string; studioUrl?: string; outputUri?: string } | undefined,
  workspaceName: string,
): Summary {
  const s = new Summary().heading(`Azure ML batch endpoint ${d.endpointName}`);
  s.facts([
    ['Workspace', workspaceName],
    ['Endpoint', d.endpointCreated ? 'created by this run' : 'existing'],
    ['Invocation URI', d.scoringUri],
    ['Deployment', `${d.deploymentName} (${d.deploymentAction})`],
    ['Model', shortAsset(d.modelId)],
    ['Pipeline component', shortAsset(d.componentId)],
    ['Default deployment', d.defaultDeployment],
  ]);
  if (job) {
    s.heading('Scoring job', 4).facts([
      ['Job', job.studioUrl ? link(job.jobName, job.studioUrl) : job.jobName],
      ['Status', job.status],
      ['Output', job.outputUri],
    ]);
  }
  return s;
}
