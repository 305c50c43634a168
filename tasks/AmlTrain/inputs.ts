import { getBoolean, getChoice, getExistingFile, getInteger, getString, parseKeyValueLines } from '../../src/agent/inputs';

/** Every input of task.json, read once into plain values. Names match task.json exactly. */
export interface AmlTrainInputs {
  azureSubscription: string;
  resourceGroup: string;
  workspaceName: string;
  mode: 'submit' | 'report';
  /** Set in submit mode. */
  jobSpec?: string;
  /** Set in report mode. */
  jobName?: string;
  experimentName?: string;
  displayName?: string;
  compute?: string;
  /** `inputs` override lines, in order. */
  inputs: Array<{ name: string; value: string }>;
  tags: Record<string, string>;
  waitForCompletion: boolean;
  timeoutMinutes: number;
  cancelJobOnAbort: boolean;
  streamLogs: boolean;
}

/** Input names whose values are read by openWorkspace rather than here. */
export const workspaceInputNames = { connection: 'azureSubscription', resourceGroup: 'resourceGroup', workspaceName: 'workspaceName' } as const;

export function readInputs(): Omit<AmlTrainInputs, 'azureSubscription' | 'resourceGroup' | 'workspaceName'> {
  const mode = getChoice('mode', ['submit', 'report'] as const, 'submit');
  const submit = mode === 'submit';
  return {
    mode,
    jobSpec: submit ? getExistingFile('jobSpec', { required: true, hint: 'the path to an Azure ML job YAML (the file you pass to `az ml job create -f`).' }) : undefined,
    jobName: submit ? undefined : getString('jobName', { required: true, hint: 'the name of the Azure ML job to report on, for example $(submit.jobName).' }),
    experimentName: getString('experimentName'),
    displayName: getString('displayName'),
    compute: getString('compute'),
    inputs: parseKeyValueLines('inputs', getString('inputs')),
    tags: Object.fromEntries(parseKeyValueLines('tags', getString('tags')).map((e) => [e.name, e.value])),
    waitForCompletion: getBoolean('waitForCompletion', true),
    timeoutMinutes: getInteger('timeoutMinutes', { defaultValue: 0, min: 0, max: 60 * 24 * 30 }),
    cancelJobOnAbort: getBoolean('cancelJobOnAbort', true),
    streamLogs: getBoolean('streamLogs', true),
  };
}
