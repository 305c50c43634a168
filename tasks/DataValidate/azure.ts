/**
 * What DataValidate needs from the Azure SDK, for data in an Azure ML workspace only: bundled on its own into
 * dist/azure.js and loaded when a data asset is named, so that validating local files never loads the SDK (it
 * would cost the task about 23 MB of memory and part of its start-up). No task library here: the task's inputs
 * and secrets are handled by index.ts, whose copy of the task library holds them.
 */
export { connectWorkspace } from '../../src/workspace/connect';
export { dataAssetSources } from '../../src/data/asset';
