import { PROVIDER, mlflowTrackingUri, stableGuid, workspaceArmId, type WorkspaceScope } from './scope';
import type { WorkspaceStore } from './store';

export interface StorageInfo {
  accountName: string;
  accountKey: string;
  endpointSuffix: string;
  serviceUrl: string;
  ca?: string;
}

/** Ids derived from the workspace, stable across runs. */
export interface WorkspaceIdentity {
  workspaceId: string;
  defaultContainer: string;
  artifactContainer: string;
  storageAccountName: string;
  storageAccountId: string;
  /** The workspace's container registry (where model packages push their images): name, ARM id and login server. */
  containerRegistryName: string;
  containerRegistryId: string;
  containerRegistryLoginServer: string;
}

export function workspaceIdentity(scope: WorkspaceScope, storage: StorageInfo | undefined): WorkspaceIdentity {
  const workspaceId = stableGuid(`${scope.subscriptionId}/${scope.resourceGroup}/${scope.workspaceName}`.toLowerCase());
  const storageAccountName = storage?.accountName ?? 'devstoreaccount1';
  // Azure ML names the registry it creates with the workspace after the workspace (alphanumerics only); the
  // login server is <name>.azurecr.io in the public cloud. Nothing is served there: clients only read the names.
  const containerRegistryName = `cr${workspaceId.replace(/-/g, '').slice(0, 16)}`;
  return {
    workspaceId,
    defaultContainer: `azureml-blobstore-${workspaceId}`,
    artifactContainer: 'azureml',
    storageAccountName,
    storageAccountId: `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${storageAccountName}`,
    containerRegistryName,
    containerRegistryId: `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/Microsoft.ContainerRegistry/registries/${containerRegistryName}`,
    containerRegistryLoginServer: `${containerRegistryName}.azurecr.io`,
  };
}

export const SEED_TIME = new Date('2024-05-01T08:00:00.000Z');
export const SEEDED_ENVIRONMENT = { name: 'sklearn-env', versions: ['1', '2'] };
export const SEEDED_DATA = { name: 'diabetes-data', version: '1', path: 'data/diabetes.csv' };
/** The attached Kubernetes compute (an AKS cluster with the Azure ML extension) that Kubernetes online endpoints run on. */
export const SEEDED_KUBERNETES = { name: 'k8s-compute', namespace: 'azureml', defaultInstanceType: 'defaultinstancetype' };

const CONDA_FILE = [
  'name: sklearn-env',
  'channels:',
  '  - conda-forge',
  'dependencies:',
  '  - python=3.10',
  '  - pip',
  '  - pip:',
  '      - scikit-learn==1.5.1',
  '      - pandas==2.2.2',
  '      - mlflow==2.14.1',
  '      - azureml-mlflow==1.57.0',
  '',
].join('\n');

export function seedWorkspace(store: WorkspaceStore, id: WorkspaceIdentity, storage: StorageInfo | undefined): void {
  const s = store.scope;
  for (const [name, vmSize, max] of [['cpu-cluster', 'Standard_DS3_v2', 4], ['gpu-cluster', 'Standard_NC6s_v3', 2]] as const) {
    store.computes.set(name, {
      name,
      extra: { location: s.location, identity: { type: 'SystemAssigned', principalId: stableGuid(`mi/${name}`), tenantId: s.tenantId } },
      properties: {
        computeType: 'AmlCompute',
        computeLocation: s.location,
        provisioningState: 'Succeeded',
        description: null,
        createdOn: SEED_TIME.toISOString(),
        modifiedOn: SEED_TIME.toISOString(),
        resourceId: null,
        provisioningErrors: null,
        isAttachedCompute: false,
        disableLocalAuth: true,
        properties: {
          vmSize,
          vmPriority: 'Dedicated',
          osType: 'Linux',
          scaleSettings: { maxNodeCount: max, minNodeCount: 0, nodeIdleTimeBeforeScaleDown: 'PT120S' },
          remoteLoginPortPublicAccess: 'NotSpecified',
          allocationState: 'Steady',
          allocationStateTransitionTime: SEED_TIME.toISOString(),
          errors: null,
          currentNodeCount: 0,
          targetNodeCount: 0,
          nodeStateCounts: { idleNodeCount: 0, runningNodeCount: 0, preparingNodeCount: 0, unusableNodeCount: 0, leavingNodeCount: 0, preemptedNodeCount: 0 },
          enableNodePublicIp: true,
        },
      },
    });
  }

  // An attached Kubernetes compute as Azure ML returns it (Compute + KubernetesSchema of the REST spec): attached, not
  // provisioned by Azure ML, so no identity, no scale settings; instance types are the cluster's InstanceType resources.
  store.computes.set(SEEDED_KUBERNETES.name, {
    name: SEEDED_KUBERNETES.name,
    extra: { location: s.location },
    properties: {
      computeType: 'Kubernetes',
      computeLocation: s.location,
      provisioningState: 'Succeeded',
      description: 'AKS cluster attached with the Azure Machine Learning extension',
      createdOn: SEED_TIME.toISOString(),
      modifiedOn: SEED_TIME.toISOString(),
      resourceId: `/subscriptions/${s.subscriptionId}/resourceGroups/${s.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/aks-${s.workspaceName}`,
      provisioningErrors: null,
      isAttachedCompute: true,
      disableLocalAuth: true,
      properties: {
        relayConnectionString: null,
        serviceBusConnectionString: null,
        extensionPrincipalId: null,
        extensionInstanceReleaseTrain: 'stable',
        vcName: null,
        namespace: SEEDED_KUBERNETES.namespace,
        defaultInstanceType: SEEDED_KUBERNETES.defaultInstanceType,
        instanceTypes: {
          [SEEDED_KUBERNETES.defaultInstanceType]: {
            nodeSelector: null,
            resources: { requests: { cpu: '100m', memory: '2Gi' }, limits: { cpu: '2', memory: '2Gi' } },
          },
        },
      },
    },
  });

  const endpoint = storage?.endpointSuffix ?? 'core.windows.net';
  const blobStore = (container: string, isDefault: boolean) => ({
    description: null,
    tags: {},
    properties: {},
    isDefault,
    credentials: { credentialsType: 'AccountKey' },
    datastoreType: 'AzureBlob',
    accountName: id.storageAccountName,
    containerName: container,
    endpoint,
    protocol: 'https',
    serviceDataAccessAuthIdentity: 'WorkspaceSystemAssignedIdentity',
    subscriptionId: s.subscriptionId,
    resourceGroup: s.resourceGroup,
  });
  store.datastores.set('workspaceblobstore', { name: 'workspaceblobstore', properties: blobStore(id.defaultContainer, true) });
  store.datastores.set('workspaceartifactstore', { name: 'workspaceartifactstore', properties: blobStore(id.artifactContainer, false) });

  for (const version of SEEDED_ENVIRONMENT.versions) {
    store.putVersion('environments', SEEDED_ENVIRONMENT.name, version, {
      properties: {
        description: `scikit-learn training environment, version ${version}`,
        tags: {},
        properties: {},
        isAnonymous: false,
        isArchived: false,
        image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest',
        condaFile: CONDA_FILE,
        osType: 'Linux',
        autoRebuild: 'Disabled',
      },
    }, undefined, new Date(SEED_TIME.getTime() + Number(version) * 1000));
  }

  store.putVersion('data', SEEDED_DATA.name, SEEDED_DATA.version, {
    properties: {
      description: 'Diabetes regression data set (sample)',
      tags: {},
      properties: {},
      isAnonymous: false,
      isArchived: false,
      dataType: 'uri_file',
      dataUri: `azureml://datastores/workspaceblobstore/paths/${SEEDED_DATA.path}`,
    },
  }, undefined, SEED_TIME);
}

/** The workspace as ARM returns it (2024-04-01 shape, which 2022-10-01 readers accept too). */
export function workspaceView(scope: WorkspaceScope, id: WorkspaceIdentity): any {
  const rg = `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers`;
  return {
    id: workspaceArmId(scope),
    name: scope.workspaceName,
    type: `${PROVIDER}/workspaces`,
    location: scope.location,
    kind: 'Default',
    tags: {},
    identity: { type: 'SystemAssigned', principalId: stableGuid(`ws-mi/${id.workspaceId}`), tenantId: scope.tenantId },
    sku: { name: 'Basic', tier: 'Basic' },
    systemData: {
      createdAt: SEED_TIME.toISOString(),
      createdBy: 'admin@contoso.example',
      createdByType: 'User',
      lastModifiedAt: SEED_TIME.toISOString(),
      lastModifiedBy: 'admin@contoso.example',
      lastModifiedByType: 'User',
    },
    properties: {
      friendlyName: scope.workspaceName,
      description: 'Workspace served by the local fake Azure',
      storageAccount: id.storageAccountId,
      keyVault: `${rg}/Microsoft.KeyVault/vaults/kv-${scope.workspaceName}`,
      applicationInsights: `${rg}/Microsoft.insights/components/appi-${scope.workspaceName}`,
      containerRegistry: id.containerRegistryId,
      discoveryUrl: `${scope.baseUrl}/discovery`,
      mlFlowTrackingUri: mlflowTrackingUri(scope),
      workspaceId: id.workspaceId,
      provisioningState: 'Succeeded',
      hbiWorkspace: false,
      publicNetworkAccess: 'Enabled',
      v1LegacyMode: false,
      storageHnsEnabled: false,
      privateLinkCount: 0,
      allowPublicAccessWhenBehindVnet: false,
      tenantId: scope.tenantId,
      enableDataIsolation: false,
      managedNetwork: { isolationMode: 'Disabled' },
    },
  };
}

/** A small, deterministic sample of the scikit-learn diabetes data (same columns), for the seeded data asset. */
export function diabetesCsv(): string {
  const header = 'age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,target';
  const rows: string[] = [];
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const v = () => (rand() * 0.2 - 0.1).toFixed(6);
  for (let i = 0; i < 40; i++) {
    rows.push([v(), rand() < 0.5 ? '-0.044642' : '0.050680', v(), v(), v(), v(), v(), v(), v(), v(), String(25 + Math.floor(rand() * 320))].join(','));
  }
  return [header, ...rows, ''].join('\n');
}
