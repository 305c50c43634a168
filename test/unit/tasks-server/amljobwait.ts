// What Azure DevOps makes of AmlJobWait's HttpRequest templates for one step: the requests it would send.
import { readJson } from '../repo/repo-files';
import { renderMacros, taskInputs, type ServerTaskRun } from './macros';

export interface RenderedRequest {
  endpointId: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The body text as sent ('' for none). */
  body: string;
  waitForCompletion?: string;
}

/** Expands one of the task's HttpRequest sections; fails on a macro nothing defines. */
export function renderRequest(section: 'Execute' | 'Cancel', yamlInputs: Record<string, string>, context: Omit<ServerTaskRun, 'inputs'>): RenderedRequest {
  const task = readJson('tasks', 'AmlJobWait', 'task.json');
  const run: ServerTaskRun = { ...context, inputs: taskInputs(task.inputs, yamlInputs) };
  const tpl = task.execution.HttpRequest[section];
  const expand = (s: string | undefined) => {
    const r = renderMacros(s ?? '', run);
    if (r.unresolved.length) throw new Error(`${section}: nothing defines ${r.unresolved.map((n) => `$(${n})`).join(', ')}`);
    return r.text;
  };
  const headers = expand(tpl.Headers);
  return {
    endpointId: expand(tpl.EndpointId),
    method: expand(tpl.Method),
    url: expand(tpl.EndpointUrl),
    headers: headers ? JSON.parse(headers) : {},
    body: expand(tpl.Body),
    waitForCompletion: tpl.WaitForCompletion === undefined ? undefined : expand(tpl.WaitForCompletion),
  };
}

export const SAMPLE = {
  connectionId: '5d7c6a39-0f5e-4a8b-9c41-2e7f3b8d1a60',
  subscriptionId: 'a4f8d1c2-6b3e-4f7a-9d05-1c2b3a4d5e6f',
  collectionUri: 'https://dev.azure.com/contoso/',
  projectId: '3c9a1f6e-4b2d-47e8-9a05-c8d7e6f1b2a3',
  planId: 'a1d4e7b2-9c3f-4e58-b6a0-2d8f1c7e9b34',
  jobId: '6e2b9d4f-1a7c-5e30-8f4b-c2a9d1e7f053',
  timelineId: 'a1d4e7b2-9c3f-4e58-b6a0-2d8f1c7e9b34',
  taskInstanceId: '0f3c1a2b-7d4e-4c59-8a6b-9e1d2c3b4a5f',
  accessToken: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJidWlsZCJ9.c2lnbmF0dXJl',
};

export function serverJobContext(o: { endpointUrl: string; subscriptionId: string; connectionId: string; collectionUri: string; projectId: string; planId: string; jobId: string; timelineId: string; taskInstanceId: string; accessToken: string }): Omit<ServerTaskRun, 'inputs'> {
  return {
    endpoint: { id: o.connectionId, url: o.endpointUrl, data: { subscriptionId: o.subscriptionId, environment: 'AzureCloud', scopeLevel: 'Subscription' } },
    variables: {
      'System.CollectionUri': o.collectionUri,
      'System.TeamProjectId': o.projectId,
      'System.HostType': 'build',
      'System.PlanId': o.planId,
      'System.JobId': o.jobId,
      'System.TimelineId': o.timelineId,
      'System.TaskInstanceId': o.taskInstanceId,
      'System.AccessToken': o.accessToken,
    },
  };
}
