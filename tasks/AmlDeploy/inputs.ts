import { getBoolean, getChoice, getExistingFile, getInteger, getString } from '../../src/agent/inputs';
import { UserError } from '../../src/errors';
import type { DeploymentOverrides } from '../../src/deploy/spec';
import { parseTrafficSteps } from '../../src/deploy/traffic';

/** Every input of task.json except the workspace and connection ones, read once into plain values. Names match task.json exactly. */
export type AmlDeployInputs = OnlineInputs | BatchInputs;

interface CommonInputs {
  endpointSpec: string;
  deploymentSpec: string;
  overrides: DeploymentOverrides;
  timeoutMinutes: number;
}

export interface OnlineInputs extends CommonInputs {
  endpointType: 'online';
  trafficSteps: number[];
  mirrorPercent: number;
  mirrorMinutes: number;
  stepWaitMinutes: number;
  /** The sample request files as given (relative paths start at the working directory), in order. */
  smokeRequests: string[];
  /** The expectation lines, parsed by the smoke test. */
  smokeExpect?: string;
  healthRequests: number;
  /** Percent of failed requests a health check tolerates. */
  healthMaxErrorRate: number;
  healthMaxLatencyMs?: number;
  keepFailedDeployment: boolean;
  keepDeployments: number;
}

export interface BatchInputs extends CommonInputs {
  endpointType: 'batch';
  setDefault: boolean;
  invokeInput?: string;
  invokeInputName: string;
  invokeInputType: 'uri_folder' | 'uri_file';
  invokeOutputUri?: string;
  waitForCompletion: boolean;
  streamLogs: boolean;
}

/** Input names whose values are read by openWorkspace rather than here. */
export const workspaceInputNames = { connection: 'azureSubscription', resourceGroup: 'resourceGroup', workspaceName: 'workspaceName' } as const;

export function readInputs(): AmlDeployInputs {
  const endpointType = getChoice('endpointType', ['online', 'batch'] as const, 'online');
  const common: CommonInputs = {
    endpointSpec: getExistingFile('endpointSpec', { required: true, hint: `the path to the endpoint YAML (the file you pass to az ml ${endpointType}-endpoint create -f).` })!,
    deploymentSpec: getExistingFile('deploymentSpec', { required: true, hint: `the path to the deployment YAML (the file you pass to az ml ${endpointType}-deployment create -f).` })!,
    overrides: {
      name: getString('deploymentName'),
      model: getString('model'),
      instanceType: getString('instanceType'),
      instanceCount: getString('instanceCount') === undefined ? undefined : getInteger('instanceCount', { defaultValue: 1, min: 1, max: 1000 }),
    },
    timeoutMinutes: getInteger('timeoutMinutes', { defaultValue: 60, min: 1, max: 60 * 24 }),
  };
  if (endpointType === 'batch') {
    const invokeInput = getString('invokeInput');
    return {
      ...common,
      endpointType,
      setDefault: getBoolean('setDefault', true),
      invokeInput,
      invokeInputName: getString('invokeInputName') ?? 'input',
      invokeInputType: getChoice('invokeInputType', ['uri_folder', 'uri_file'] as const, 'uri_folder'),
      invokeOutputUri: getString('invokeOutputUri'),
      waitForCompletion: getBoolean('waitForCompletion', true),
      streamLogs: getBoolean('streamLogs', true),
    };
  }
  const mirrorPercent = getInteger('mirrorPercent', { defaultValue: 0, min: 0, max: 50 });
  const healthMaxErrorRate = Number(getString('healthMaxErrorRate') ?? '1');
  if (!Number.isFinite(healthMaxErrorRate) || healthMaxErrorRate < 0 || healthMaxErrorRate > 100) {
    throw new UserError(`Input 'healthMaxErrorRate' must be a percentage from 0 to 100, not '${getString('healthMaxErrorRate')}'.`, { input: 'healthMaxErrorRate' });
  }
  const smokeRequests = (getString('smokeRequests') ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  return {
    ...common,
    endpointType,
    trafficSteps: parseTrafficSteps('trafficSteps', getString('trafficSteps')),
    mirrorPercent,
    mirrorMinutes: getInteger('mirrorMinutes', { defaultValue: 10, min: 0, max: 24 * 60 }),
    stepWaitMinutes: getInteger('stepWaitMinutes', { defaultValue: 0, min: 0, max: 24 * 60 }),
    smokeRequests,
    smokeExpect: getString('smokeExpect'),
    healthRequests: getInteger('healthRequests', { defaultValue: 20, min: 0, max: 10_000 }),
    healthMaxErrorRate,
    healthMaxLatencyMs: getString('healthMaxLatencyMs') === undefined ? undefined : getInteger('healthMaxLatencyMs', { defaultValue: 0, min: 1, max: 600_000 }),
    keepFailedDeployment: getBoolean('keepFailedDeployment', false),
    keepDeployments: getInteger('keepDeployments', { defaultValue: 0, min: 0, max: 100 }),
  };
}
