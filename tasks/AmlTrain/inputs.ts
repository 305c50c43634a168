import { getBoolean, getExistingFile, getInteger, getString } from '../../src/agent/inputs';

/** Every input of task.json, read once into plain values. Names match task.json exactly. */
export interface AmlTrainInputs {
  azureSubscription: string;
  resourceGroup: string;
  workspaceName: string;
  jobSpec: string;
  experimentName?: string;
  displayName?: string;
  waitForCompletion: boolean;
  timeoutMinutes: number;
  cancelJobOnAbort: boolean;
}

/** Input names whose values are read by openWorkspace rather than here. */
export const workspaceInputNames = { connection: 'azureSubscription', resourceGroup: 'resourceGroup', workspaceName: 'workspaceName' } as const;

export function readInputs(): Omit<AmlTrainInputs, 'azureSubscription' | 'resourceGroup' | 'workspaceName'> {
  return {
    jobSpec: getExistingFile('jobSpec', { required: true, hint: 'the path to an Azure ML job YAML (the file you pass to `az ml job create -f`).' })!,
    experimentName: getString('experimentName'),
    displayName: getString('displayName'),
    waitForCompletion: getBoolean('waitForCompletion', true),
    timeoutMinutes: getInteger('timeoutMinutes', { defaultValue: 0, min: 0, max: 60 * 24 * 30 }),
    cancelJobOnAbort: getBoolean('cancelJobOnAbort', true),
  };
}
