import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../../../src/errors';
import { buildBatchDeploymentBody, buildOnlineDeploymentBody, deploymentReferencesToResolve, millisecondsToIsoDuration } from '../../../src/deploy/rest-body';
import {
  applyDeploymentOverrides,
  loadBatchDeploymentSpec,
  loadBatchEndpointSpec,
  loadOnlineDeploymentSpec,
  loadOnlineEndpointSpec,
  type PipelineBatchDeploymentSpec,
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

  const PIPELINE = 'name: hello-batch-dpl\nendpoint_name: hello-pipeline-batch\ntype: pipeline\ncomponent: azureml:hello_batch@latest\nsettings:\n  default_compute: batch-cluster\n';

  it('reads a pipeline component deployment', () => {
    const file = yamlFile(
      `${PIPELINE}  continue_on_step_failure: false\n  default_datastore: azureml:workspaceblobstore\n  force_rerun: true\ndescription: Scores with a pipeline.\ntags:\n  team: ml\n`,
    );
    const { spec, lines } = loadBatchDeploymentSpec(file);
    assert.deepStrictEqual(spec, {
      type: 'pipeline',
      name: 'hello-batch-dpl',
      endpointName: 'hello-pipeline-batch',
      component: { kind: 'asset', name: 'hello_batch', latest: true },
      settings: { defaultCompute: { name: 'batch-cluster' }, continueOnStepFailure: false, defaultDatastore: 'workspaceblobstore', forceRerun: true },
      description: 'Scores with a pipeline.',
      tags: { team: 'ml' },
    });
    assert.strictEqual(lines.component, 4);
    assert.strictEqual(lines['settings.default_compute'], 6);
    assert.strictEqual(lines['settings.default_datastore'], 8);
  });

  it('takes a component version, its ARM id or a registry reference, and a compute ARM id', () => {
    const ws = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';
    const read = (component: string, compute = 'batch-cluster') =>
      loadBatchDeploymentSpec(yamlFile(PIPELINE.replace('azureml:hello_batch@latest', component).replace('batch-cluster', compute))).spec as PipelineBatchDeploymentSpec;
    assert.deepStrictEqual(read('azureml:hello_batch:2').component, { kind: 'asset', name: 'hello_batch', version: '2' });
    assert.deepStrictEqual(read(`azureml:${ws}/components/hello_batch/versions/2`).component, { kind: 'armId', id: `${ws}/components/hello_batch/versions/2` });
    assert.deepStrictEqual(read(`${ws}/components/hello_batch/versions/2`).component, { kind: 'armId', id: `${ws}/components/hello_batch/versions/2` });
    const registry = 'azureml://registries/shared/components/hello_batch/versions/2';
    assert.deepStrictEqual(read(registry).component, { kind: 'armId', id: registry });
    assert.deepStrictEqual(read('azureml:hello_batch:2', `azureml:${ws}/computes/gpu`).settings.defaultCompute, { armId: `${ws}/computes/gpu` });
  });

  it('refuses the fields of model deployments in a pipeline component deployment, each with its reason', () => {
    const cases: Array<[string, RegExp]> = [
      ['model: azureml:mnist:1', /model belongs to model batch deployments \(type: model\); the steps of a pipeline component name their own models/],
      ['code_configuration:\n  code: src\n  scoring_script: score.py', /code_configuration belongs to model batch deployments \(type: model\); the steps of a pipeline component bring their own code/],
      ['environment: azureml:sklearn:1', /environment belongs to model batch deployments \(type: model\); the steps of a pipeline component name their own environments/],
      ['environment_variables:\n  A: b', /environment_variables belongs to model batch deployments/],
      ['properties:\n  a: b', /properties belongs to model batch deployments \(type: model\); az ml does not send it/],
      ['compute: azureml:batch-cluster', /compute belongs to model batch deployments \(type: model\)\. .*write settings: \{default_compute: azureml:<compute cluster>\}/],
      ['resources:\n  instance_count: 2', /resources belongs to model batch deployments \(type: model\); the steps of a pipeline component set their own resources/],
      ['instance_count: 2', /instance_count belongs to online deployments, not pipeline component batch deployments/],
      ['instance_type: Standard_DS3_v2', /instance_type belongs to online deployments/],
      ['mini_batch_size: 10', /mini_batch_size belongs to model batch deployments \(type: model\); a pipeline component deployment runs what its component defines\. Remove it\./],
      ['max_concurrency_per_instance: 2', /max_concurrency_per_instance belongs to model batch deployments/],
      ['output_action: append_row', /output_action belongs to model batch deployments/],
      ['output_file_name: out.csv', /output_file_name belongs to model batch deployments/],
      ['retry_settings:\n  max_retries: 3', /retry_settings belongs to model batch deployments/],
      ['logging_level: info', /logging_level belongs to model batch deployments/],
      ['error_threshold: -1', /error_threshold belongs to model batch deployments/],
      ['job_definition: azureml:some-job', /job_definition deploys a pipeline job, which is not supported: register the pipeline as a component/],
      ['scale_settings:\n  type: default', /scale_settings belongs to online deployments/],
      ['provisioning_state: Succeeded', /provisioning_state is set by Azure ML/],
    ];
    for (const [field, message] of cases) {
      const file = yamlFile(`${PIPELINE}${field}\n`);
      throwsAt(() => loadBatchDeploymentSpec(file), file, 7, message);
    }
  });

  it('asks to register a local or inline pipeline component first', () => {
    const local = yamlFile(PIPELINE.replace('azureml:hello_batch@latest', './hello/hello.yml'));
    throwsAt(() => loadBatchDeploymentSpec(local), local, 4, /component: \.\/hello\/hello\.yml is a local component file .*register it first with az ml component create -f <file> and use component: azureml:<name>:<version>/);
    const bare = yamlFile(PIPELINE.replace('azureml:hello_batch@latest', 'hello.yml'));
    throwsAt(() => loadBatchDeploymentSpec(bare), bare, 4, /is a local component file/);
    const inline = yamlFile(PIPELINE.replace('azureml:hello_batch@latest', '\n  type: pipeline\n  jobs: {}'));
    throwsAt(() => loadBatchDeploymentSpec(inline), inline, 5, /component: an inline component is not supported\. AmlDeploy deploys registered pipeline components only/);
  });

  it('says how to write a component reference', () => {
    const noPrefix = yamlFile(PIPELINE.replace('azureml:hello_batch@latest', 'hello_batch:1'));
    throwsAt(() => loadBatchDeploymentSpec(noPrefix), noPrefix, 4, /component: hello_batch:1 needs the azureml: prefix to name a registered component: component: azureml:hello_batch:1/);
    const noVersion = yamlFile(PIPELINE.replace('azureml:hello_batch@latest', 'azureml:hello_batch'));
    throwsAt(() => loadBatchDeploymentSpec(noVersion), noVersion, 4, /component: azureml:hello_batch has no version\. Use azureml:hello_batch:<version> or azureml:hello_batch@latest/);
    const armId = yamlFile(PIPELINE.replace('azureml:hello_batch@latest', '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/models/m/versions/1'));
    throwsAt(() => loadBatchDeploymentSpec(armId), armId, 4, /is not the ARM id of a component version/);
  });

  it('needs a component and a default compute cluster', () => {
    const noComponent = yamlFile(PIPELINE.replace('component: azureml:hello_batch@latest\n', ''));
    throwsAt(() => loadBatchDeploymentSpec(noComponent), noComponent, 1, /component is missing\. Add component: azureml:<name>:<version>, a registered pipeline component\./);
    const noSettings = yamlFile(PIPELINE.replace('settings:\n  default_compute: batch-cluster\n', ''));
    throwsAt(() => loadBatchDeploymentSpec(noSettings), noSettings, 1, /settings is missing\. Add settings: \{default_compute: azureml:<compute cluster>\}/);
    const noCompute = yamlFile(PIPELINE.replace('default_compute: batch-cluster', 'force_rerun: true'));
    throwsAt(() => loadBatchDeploymentSpec(noCompute), noCompute, 5, /settings\.default_compute is missing: a pipeline component deployment runs on a compute cluster/);
    const serverless = yamlFile(PIPELINE.replace('batch-cluster', 'serverless'));
    throwsAt(() => loadBatchDeploymentSpec(serverless), serverless, 6, /settings\.default_compute: a batch deployment runs on a compute cluster; serverless compute is not supported/);
  });

  it('checks the settings of a pipeline component deployment', () => {
    const typo = yamlFile(`${PIPELINE}  force_rerum: true\n`);
    throwsAt(() => loadBatchDeploymentSpec(typo), typo, 7, /unknown field "force_rerum" in settings\. Did you mean "force_rerun"\?/);
    const text = yamlFile(`${PIPELINE}  continue_on_step_failure: "no"\n`);
    throwsAt(() => loadBatchDeploymentSpec(text), text, 7, /settings\.continue_on_step_failure must be true or false, got "no"/);
    const env = yamlFile(`${PIPELINE}  default_environment: azureml:sklearn:1\n`);
    throwsAt(() => loadBatchDeploymentSpec(env), env, 7, /settings\.default_environment is a pipeline job setting/);
  });

  it('sends a pipeline component deployment as the REST spec defines it', () => {
    const { spec } = loadBatchDeploymentSpec(yamlFile(`${PIPELINE}  continue_on_step_failure: false\ndescription: d\n`));
    const body = buildBatchDeploymentBody(spec, { componentId: 'component-id', defaultComputeId: 'compute-id' }, { location: 'eastus' });
    assert.deepStrictEqual(body, {
      location: 'eastus',
      properties: {
        compute: 'compute-id',
        deploymentConfiguration: {
          deploymentConfigurationType: 'PipelineComponent',
          componentId: { referenceType: 'Id', assetId: 'component-id' },
          settings: { default_compute: 'compute-id', continue_on_step_failure: 'False' },
        },
        description: 'd',
      },
    });
    assert.deepStrictEqual(deploymentReferencesToResolve(spec), { component: { kind: 'asset', name: 'hello_batch', latest: true }, defaultCompute: { name: 'batch-cluster' } });
  });

  it('says which fields belong to pipeline component deployments in a model deployment', () => {
    const component = yamlFile(`${BATCH}component: azureml:hello_batch:1\n`);
    throwsAt(() => loadBatchDeploymentSpec(component), component, 5, /component belongs to pipeline component batch deployments: add type: pipeline/);
    const type = yamlFile(`type: pipelines\n${BATCH}`);
    throwsAt(() => loadBatchDeploymentSpec(type), type, 1, /type: pipelines is not one of model, pipeline\. Did you mean pipeline\?/);
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

  it('takes only a deployment name for a pipeline component deployment', () => {
    const { spec } = loadBatchDeploymentSpec(yamlFile('name: hello-dpl\nendpoint_name: hello-batch\ntype: pipeline\ncomponent: azureml:hello:1\nsettings:\n  default_compute: cpu\n'));
    assert.strictEqual(applyDeploymentOverrides(spec, { name: 'hello-dpl-2', model: ' ', instanceType: '' }).name, 'hello-dpl-2');
    assert.throws(() => applyDeploymentOverrides(spec, { model: modelId }), (e: UserError) => e.input === 'model' && /pipeline component \(type: pipeline\), which has no model/.test(e.message));
    assert.throws(() => applyDeploymentOverrides(spec, { instanceCount: 2 }), (e: UserError) => e.input === 'instanceCount');
    assert.throws(() => applyDeploymentOverrides(spec, { instanceType: 'Standard_F8s_v2' }), (e: UserError) => e.input === 'instanceType');
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
