import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../../../src/errors';
import { buildOnlineDeploymentBody, millisecondsToIsoDuration } from '../../../src/deploy/rest-body';
import {
  applyDeploymentOverrides,
  loadBatchDeploymentSpec,
  loadBatchEndpointSpec,
  loadOnlineDeploymentSpec,
  loadOnlineEndpointSpec,
} from '../../../src/deploy/spec';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-spec-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function yamlFile(text: string, name = 'deployment.yml'): string {
  const folder = path.join(dir, String(counter++));
  fs.mkdirSync(folder);
  const file = path.join(folder, name);
  fs.writeFileSync(file, text);
  return file;
}

/** Asserts a UserError naming the file and line, whose message matches. */
function throwsAt(load: () => unknown, file: string, line: number, message: RegExp): void {
  assert.throws(load, (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
    assert.strictEqual(e.file, file);
    assert.strictEqual(e.line, line, e.message);
    assert.ok(e.message.startsWith(`${file}:${line}: `), e.message);
    assert.match(e.message, message);
    return true;
  });
}

const MANAGED = `name: blue
endpoint_name: my-endpoint
model: azureml:sklearn-regression:1
environment: azureml:sklearn-serving:3
instance_type: Standard_DS3_v2
instance_count: 1
`;

describe('online endpoint YAML', () => {
  it('reads key auth by default and the traffic split', () => {
    const { spec, lines } = loadOnlineEndpointSpec(yamlFile('name: my-endpoint\ntraffic:\n  blue: 70\n  green: 30\n', 'endpoint.yml'));
    assert.deepStrictEqual(spec, { name: 'my-endpoint', authMode: 'Key', traffic: { blue: 70, green: 30 } });
    assert.strictEqual(lines.traffic, 2);
  });

  it('fails on an unknown field and suggests the right one', () => {
    const file = yamlFile('name: my-endpoint\nauth_mod: key\n', 'endpoint.yml');
    throwsAt(() => loadOnlineEndpointSpec(file), file, 2, /unknown field "auth_mod" in the endpoint\. Did you mean "auth_mode"\?/);
  });

  it('fails on an auth_mode that does not exist and suggests the closest', () => {
    const file = yamlFile('name: my-endpoint\nauth_mode: keys\n', 'endpoint.yml');
    throwsAt(() => loadOnlineEndpointSpec(file), file, 2, /auth_mode: keys is not one of key, aml_token, aad_token\. Did you mean key\?/);
  });

  it('fails when the traffic does not add up to 100', () => {
    const file = yamlFile('name: my-endpoint\ntraffic:\n  blue: 60\n  green: 30\n', 'endpoint.yml');
    throwsAt(() => loadOnlineEndpointSpec(file), file, 3, /traffic adds up to 90 percent; it must add up to 100/);
  });

  it('fails when mirrored traffic is over 50 percent', () => {
    const file = yamlFile('name: my-endpoint\ntraffic:\n  blue: 100\nmirror_traffic:\n  green: 60\n', 'endpoint.yml');
    throwsAt(() => loadOnlineEndpointSpec(file), file, 5, /mirror_traffic\.green must be at most 50 percent, got 60/);
  });

  it('fails when traffic is mirrored to more than one deployment', () => {
    const file = yamlFile('name: my-endpoint\nmirror_traffic:\n  green: 10\n  red: 10\n', 'endpoint.yml');
    throwsAt(() => loadOnlineEndpointSpec(file), file, 3, /mirrored to one deployment only/);
  });

  it('fails when a deployment gets live and mirrored traffic', () => {
    const file = yamlFile('name: my-endpoint\ntraffic:\n  blue: 100\nmirror_traffic:\n  blue: 10\n', 'endpoint.yml');
    throwsAt(() => loadOnlineEndpointSpec(file), file, 1, /mirror_traffic\.blue: a deployment cannot get both live and mirrored traffic/);
  });

  it('fails on a traffic percentage that is not a whole number', () => {
    const file = yamlFile('name: my-endpoint\ntraffic:\n  blue: half\n', 'endpoint.yml');
    throwsAt(() => loadOnlineEndpointSpec(file), file, 3, /traffic\.blue must be a whole number \(a percentage\), got "half"/);
  });

  it('rejects fields from az ml online-endpoint show output', () => {
    const file = yamlFile('name: my-endpoint\nscoring_uri: https://my-endpoint.eastus.inference.ml.azure.com/score\n', 'endpoint.yml');
    throwsAt(() => loadOnlineEndpointSpec(file), file, 2, /scoring_uri is set by Azure ML and shows up in az ml \.\.\. show output; it cannot be submitted\. Remove it\./);
    const located = yamlFile('name: my-endpoint\nlocation: westeurope\n', 'endpoint.yml');
    throwsAt(() => loadOnlineEndpointSpec(located), located, 2, /location comes from the workspace/);
  });

  it('fails on an endpoint name Azure ML refuses', () => {
    const file = yamlFile('name: 1st_endpoint\n', 'endpoint.yml');
    throwsAt(() => loadOnlineEndpointSpec(file), file, 1, /name "1st_endpoint" is not a valid endpoint name/);
  });

  it('needs the identities of a user-assigned identity', () => {
    const file = yamlFile('name: my-endpoint\nidentity:\n  type: user_assigned\n', 'endpoint.yml');
    throwsAt(() => loadOnlineEndpointSpec(file), file, 3, /needs user_assigned_identities/);
  });

  it('does not mirror traffic on a Kubernetes endpoint', () => {
    const file = yamlFile('name: k8s-endpoint\ncompute: azureml:k8s\nmirror_traffic:\n  green: 10\n', 'endpoint.yml');
    throwsAt(() => loadOnlineEndpointSpec(file), file, 1, /mirror_traffic is not supported on Kubernetes online endpoints/);
  });

  it('names a file that does not exist', () => {
    assert.throws(() => loadOnlineEndpointSpec(path.join(dir, 'missing.yml')), /The endpoint file .*missing\.yml does not exist/);
  });
});

describe('online deployment YAML', () => {
  it('fails on an unknown field and suggests the right one', () => {
    const file = yamlFile(`${MANAGED}instance_typ: Standard_F4s_v2\n`);
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 7, /unknown field "instance_typ" in the deployment\. Did you mean "instance_type"\?/);
  });

  it('fails when instance_count is not a positive whole number', () => {
    const zero = yamlFile(MANAGED.replace('instance_count: 1', 'instance_count: 0'));
    throwsAt(() => loadOnlineDeploymentSpec(zero), zero, 6, /instance_count must be at least 1, got 0/);
    const text = yamlFile(MANAGED.replace('instance_count: 1', 'instance_count: two'));
    throwsAt(() => loadOnlineDeploymentSpec(text), text, 6, /instance_count must be a whole number, got "two"/);
  });

  it('fails when a probe period is not a number of seconds', () => {
    const file = yamlFile(`${MANAGED}liveness_probe:\n  initial_delay: 10\n  period: 10s\n`);
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 9, /liveness_probe\.period must be a whole number of seconds, got "10s"/);
  });

  it('fails on a misspelt probe field', () => {
    const file = yamlFile(`${MANAGED}readiness_probe:\n  failure_treshold: 3\n`);
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 8, /unknown field "failure_treshold" in readiness_probe\. Did you mean "failure_threshold"\?/);
  });

  it('fails on a model reference without a version', () => {
    const file = yamlFile(MANAGED.replace('azureml:sklearn-regression:1', 'azureml:sklearn-regression'));
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 3, /model: azureml:sklearn-regression has no version\. Use azureml:sklearn-regression:<version> or azureml:sklearn-regression@latest\./);
  });

  it('fails on a model reference without the azureml: prefix', () => {
    const file = yamlFile(MANAGED.replace('azureml:sklearn-regression:1', 'sklearn-regression:1'));
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 3, /needs the azureml: prefix to name a registered model: model: azureml:sklearn-regression:1/);
  });

  it('fails on a model label other than latest', () => {
    const file = yamlFile(MANAGED.replace('azureml:sklearn-regression:1', 'azureml:sklearn-regression@prod'));
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 3, /uses the label "prod"; only @latest is supported/);
  });

  it('explains that an inline local model must be registered first', () => {
    const file = yamlFile(MANAGED.replace('model: azureml:sklearn-regression:1', 'model:\n  path: ./model'));
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 4, /an inline model with a local path is not supported.*az ml model create, or the AmlRegisterModel task/);
  });

  it('fails on a scale type that does not exist', () => {
    const file = yamlFile(`${MANAGED}scale_settings:\n  type: target_utilisation\n`);
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 8, /scale_settings\.type: target_utilisation is not one of default, target_utilization\. Did you mean target_utilization\?/);
  });

  it('keeps target-utilization scaling to Kubernetes deployments', () => {
    const file = yamlFile(`${MANAGED}scale_settings:\n  type: target_utilization\n  max_instances: 3\n`);
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 7, /target_utilization is for Kubernetes deployments; a managed deployment only takes type: default/);
  });

  it('refuses autoscale fields on default scaling', () => {
    const file = yamlFile(`${MANAGED}scale_settings:\n  type: default\n  max_instances: 3\n`);
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 9, /unknown field "max_instances" in scale_settings\. .*Supported: type\./);
  });

  it('fails on request settings written in seconds', () => {
    const file = yamlFile(`${MANAGED}request_settings:\n  request_timeout: 5\n`);
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 8, /request_settings\.request_timeout is written in milliseconds: use request_timeout_ms\./);
  });

  it('rejects batch deployment fields with the reason', () => {
    const file = yamlFile(`${MANAGED}mini_batch_size: 10\n`);
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 7, /mini_batch_size belongs to batch deployments, not online deployments/);
  });

  it('rejects Kubernetes resources on a managed deployment', () => {
    const file = yamlFile(`${MANAGED}resources:\n  requests:\n    cpu: "1"\n`);
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 7, /resources sets CPU and memory requests of Kubernetes deployments.*add type: kubernetes/);
  });

  it('rejects the provisioning state from az ml online-deployment show output', () => {
    const file = yamlFile(`${MANAGED}provisioning_state: Succeeded\n`);
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 7, /provisioning_state is set by Azure ML/);
  });

  it('needs an instance type for a managed deployment', () => {
    const file = yamlFile(MANAGED.replace('instance_type: Standard_DS3_v2\n', ''));
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 1, /instance_type is missing: a managed deployment needs a VM size/);
  });

  it('finds the scoring script relative to the code folder', () => {
    const file = yamlFile(`${MANAGED}code_configuration:\n  code: .\n  scoring_script: score.py\n`);
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 9, /code_configuration\.scoring_script: score\.py is not in .*The script path is relative to code\./);
  });

  it('fails on an app_insights_enabled that is not a boolean', () => {
    const file = yamlFile(`${MANAGED}app_insights_enabled: sometimes\n`);
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 7, /app_insights_enabled must be true or false, got "sometimes"/);
  });

  it('fails on a data collector sampling rate over 1', () => {
    const file = yamlFile(`${MANAGED}data_collector:\n  collections:\n    model_inputs:\n      enabled: 'True'\n      sampling_rate: 5\n`);
    throwsAt(() => loadOnlineDeploymentSpec(file), file, 11, /data_collector\.collections\.model_inputs\.sampling_rate must be between 0 and 1, got 5/);
  });
});

describe('batch YAML', () => {
  const BATCH = 'name: mnist-dpl\nendpoint_name: mnist-batch\nmodel: azureml:mnist:1\ncompute: azureml:batch-cluster\n';

  it('says pipeline component deployments are not supported yet', () => {
    const file = yamlFile(`type: pipeline\n${BATCH}`);
    throwsAt(() => loadBatchDeploymentSpec(file), file, 1, /type: pipeline \(a pipeline component batch deployment\) is not supported yet/);
  });

  it('fails on an output action that does not exist', () => {
    const file = yamlFile(`${BATCH}output_action: append_rows\n`);
    throwsAt(() => loadBatchDeploymentSpec(file), file, 5, /output_action: append_rows is not one of summary_only, append_row\. Did you mean append_row\?/);
  });

  it('needs a compute cluster', () => {
    const file = yamlFile(BATCH.replace('compute: azureml:batch-cluster\n', ''));
    throwsAt(() => loadBatchDeploymentSpec(file), file, 1, /compute is missing\. Add compute: azureml:<compute cluster>\./);
  });

  it('moves instance_count under resources', () => {
    const file = yamlFile(`${BATCH}instance_count: 2\n`);
    throwsAt(() => loadBatchDeploymentSpec(file), file, 5, /instance_count belongs under resources/);
  });

  it('only takes aad_token on a batch endpoint', () => {
    const file = yamlFile('name: mnist-batch\nauth_mode: key\n', 'endpoint.yml');
    throwsAt(() => loadBatchEndpointSpec(file), file, 2, /batch endpoints only support aad_token/);
  });
});

describe('deployment overrides', () => {
  const modelId =
    '/subscriptions/b7e2d4a9-61c3-4f58-8e0a-92c5d17b3e64/resourceGroups/rg-mlops/providers/Microsoft.MachineLearningServices/workspaces/mlw-demo/models/credit/versions/4';

  it('deploys the model AmlRegisterModel registered, with the instance type and count asked for', () => {
    const { spec } = loadOnlineDeploymentSpec(yamlFile(MANAGED));
    const changed = applyDeploymentOverrides(spec, { model: modelId, instanceCount: 3, instanceType: 'Standard_F8s_v2', name: 'green' });
    assert.deepStrictEqual(changed.model, { kind: 'armId', id: modelId });
    const body = buildOnlineDeploymentBody(changed, { modelId, environmentId: 'env-id' }, { location: 'eastus' });
    assert.deepStrictEqual(body.sku, { name: 'Default', capacity: 3 });
    assert.strictEqual(body.properties.instanceType, 'Standard_F8s_v2');
    assert.strictEqual(body.properties.model, modelId);
    assert.strictEqual(changed.name, 'green');
    assert.deepStrictEqual(spec.model, { kind: 'asset', name: 'sklearn-regression', version: '1' }, 'the loaded spec is left as it was');
  });

  it('takes azureml:<name>@latest as a model override', () => {
    const { spec } = loadOnlineDeploymentSpec(yamlFile(MANAGED));
    assert.deepStrictEqual(applyDeploymentOverrides(spec, { model: 'azureml:credit@latest' }).model, { kind: 'asset', name: 'credit', latest: true });
  });

  it('names the input when an override is malformed', () => {
    const { spec } = loadOnlineDeploymentSpec(yamlFile(MANAGED));
    assert.throws(() => applyDeploymentOverrides(spec, { model: 'credit' }), (e: UserError) => e.input === 'model' && /'credit' is not a model reference/.test(e.message));
    assert.throws(() => applyDeploymentOverrides(spec, { instanceCount: 0 }), (e: UserError) => e.input === 'instanceCount');
    assert.throws(() => applyDeploymentOverrides(spec, { name: 'Blue_1' }), (e: UserError) => e.input === 'deploymentName');
  });
});

describe('durations in deployment bodies', () => {
  it('writes milliseconds as the CLI does', () => {
    assert.strictEqual(millisecondsToIsoDuration(5000), 'PT5S');
    assert.strictEqual(millisecondsToIsoDuration(90000), 'PT1M30S');
    assert.strictEqual(millisecondsToIsoDuration(1500), 'PT1.5S');
    assert.strictEqual(millisecondsToIsoDuration(61250), 'PT1M1.25S');
    assert.strictEqual(millisecondsToIsoDuration(500), 'PT0.5S');
  });
});
