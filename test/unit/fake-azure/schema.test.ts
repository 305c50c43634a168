import assert from 'assert';
import schemaFile from '../../fake-azure/schemas/2024-04-01.json';
import previewFile from '../../fake-azure/schemas/2024-04-01-preview.json';
import { validatorFor, type ValidationIssue } from '../../fake-azure/schema';
import commandJob from './fixtures/command-job.json';

const validator = validatorFor('2024-04-01')!;

function job(): any {
  return structuredClone(commandJob);
}

function issuesOf(body: unknown, definition = 'JobBaseResource'): ValidationIssue[] {
  return validator.validate(definition, body);
}

function assertIssue(issues: ValidationIssue[], path: string, message: RegExp): void {
  const hit = issues.find((i) => i.path === path);
  assert.ok(hit, `expected an issue at ${path}, got ${JSON.stringify(issues)}`);
  assert.match(hit.message, message);
}

describe('request schema validation (api-version 2024-04-01)', () => {
  it('carries the attribution of the Azure REST API specs it was generated from', () => {
    assert.strictEqual(schemaFile.source.repository, 'https://github.com/Azure/azure-rest-api-specs');
    assert.match(schemaFile.source.commit, /^[0-9a-f]{40}$/);
    assert.strictEqual(schemaFile.source.license, 'MIT');
    assert.match(schemaFile.$comment.join(' '), /Copyright \(c\) Microsoft Corporation/);
  });

  it('has no validator for api-versions it has no schemas for', () => {
    assert.strictEqual(validatorFor('2022-10-01'), undefined);
  });

  it('accepts a complete command job modeled on the spec example', () => {
    assert.deepStrictEqual(issuesOf(job()), []);
  });

  it('rejects a property the contract does not know, naming its path', () => {
    const body = job();
    body.properties.inputs.training_data.path = './data';
    body.properties.retries = 3;
    const issues = issuesOf(body);
    assertIssue(issues, 'properties.inputs.training_data.path', /not a known property of UriFileJobInput/);
    assertIssue(issues, 'properties.retries', /not a known property of CommandJob/);
  });

  it('rejects a body without a required property', () => {
    const body = job();
    delete body.properties.command;
    assertIssue(issuesOf(body), 'properties.command', /is required/);
  });

  it('rejects a value outside a closed enum', () => {
    const body = job();
    body.properties.inputs.training_data.mode = 'ro_mount';
    assertIssue(issuesOf(body), 'properties.inputs.training_data.mode', /"ro_mount" is not one of .*"ReadOnlyMount"/);
  });

  it('rejects an asset input without uri, as the 2.1.1 SDK serializer sends it', () => {
    const body = job();
    body.properties.inputs.training_data = { jobInputType: 'uri_folder' };
    assertIssue(issuesOf(body), 'properties.inputs.training_data.uri', /is required/);
  });

  it('rejects a value of the wrong JSON type', () => {
    const body = job();
    body.properties.resources.instanceCount = '1';
    body.properties.environmentVariables.DEBUG = 1;
    const issues = issuesOf(body);
    assertIssue(issues, 'properties.resources.instanceCount', /must be a whole number, got string "1"/);
    assertIssue(issues, 'properties.environmentVariables.DEBUG', /must be a string/);
  });

  it('rejects an unknown jobType discriminator', () => {
    const body = job();
    body.properties.jobType = 'Train';
    assertIssue(issuesOf(body), 'properties.jobType', /"Train" is not a valid JobBase type; expected one of .*Command/);
  });

  it('checks the members of the concrete type chosen by each discriminator', () => {
    const body = job();
    body.properties.distribution = { distributionType: 'Mpi', workerCount: 2 };
    body.properties.identity = { identityType: 'Managed', clientId: 'not-a-guid' };
    const issues = issuesOf(body);
    assertIssue(issues, 'properties.distribution.workerCount', /not a known property of Mpi/);
    assertIssue(issues, 'properties.identity.clientId', /is not a GUID/);
  });

  it('rejects a sub-object whose discriminator does not fit the property it fills', () => {
    const body = job();
    body.properties.limits = { jobLimitsType: 'Sweep', timeout: 'PT1H' };
    assertIssue(issuesOf(body), 'properties.limits.jobLimitsType', /must be "Command" here/);
  });

  it('rejects a timeout that is not an ISO 8601 duration', () => {
    const body = job();
    body.properties.limits.timeout = '3600';
    assertIssue(issuesOf(body), 'properties.limits.timeout', /not an ISO 8601 duration/);
    body.properties.limits.timeout = 'P1DT2H30M15.5S';
    assert.deepStrictEqual(issuesOf(body), []);
  });

  it('allows null only where the spec says x-nullable', () => {
    const body = job();
    body.properties.codeId = null;
    assert.deepStrictEqual(issuesOf(body), []);
    body.properties.command = null;
    assertIssue(issuesOf(body), 'properties.command', /must not be null/);
  });

  it('ignores read-only members a client echoes back, and drops them when normalizing', () => {
    const body = job();
    body.id = '/subscriptions/x/jobs/y';
    body.properties.status = 'Running';
    assert.deepStrictEqual(issuesOf(body), []);
    const normalized = validator.normalize('JobBaseResource', body);
    assert.strictEqual(normalized.id, undefined);
    assert.strictEqual(normalized.properties.status, undefined);
  });

  it('fills in the defaults Azure ML echoes back', () => {
    const body = job();
    delete body.properties.experimentName;
    delete body.properties.inputs.training_data.mode;
    const normalized = validator.normalize('JobBaseResource', body);
    assert.strictEqual(normalized.properties.experimentName, 'Default');
    assert.strictEqual(normalized.properties.inputs.training_data.mode, 'ReadOnlyMount');
    assert.strictEqual(normalized.properties.isArchived, false);
    assert.strictEqual(body.properties.experimentName, undefined, 'the input is not modified');
  });

  it('accepts a sweep job and checks its search space is an object', () => {
    const body = {
      properties: {
        jobType: 'Sweep',
        computeId: job().properties.computeId,
        objective: { goal: 'Maximize', primaryMetric: 'r2' },
        samplingAlgorithm: { samplingAlgorithmType: 'Random' },
        searchSpace: { alpha: ['uniform', [0.01, 1]] },
        limits: { jobLimitsType: 'Sweep', maxTotalTrials: 4, maxConcurrentTrials: 2, trialTimeout: 'PT10M' },
        earlyTermination: { policyType: 'Bandit', slackFactor: 0.1, evaluationInterval: 1 },
        trial: { command: 'python train.py --alpha ${{search_space.alpha}}', environmentId: job().properties.environmentId },
      },
    };
    assert.deepStrictEqual(issuesOf(body), []);
    (body.properties as any).searchSpace = 'alpha';
    assertIssue(issuesOf(body), 'properties.searchSpace', /must be a JSON object/);
  });

  it('validates asset bodies too', () => {
    assert.deepStrictEqual(issuesOf({ properties: { codeUri: 'https://a.blob.core.windows.net/c/p', isAnonymous: true, properties: { hash_sha256: 'ab' } } }, 'CodeVersionResource'), []);
    assertIssue(issuesOf({ properties: { codeUri: 'x', hash: 'ab' } }, 'CodeVersionResource'), 'properties.hash', /not a known property of CodeVersion/);
    assertIssue(issuesOf({ properties: { dataType: 'csv', dataUri: 'x' } }, 'DataVersionBaseResource'), 'properties.dataType', /not a valid DataVersionBase type/);
    assertIssue(issuesOf({}, 'ModelVersionResource'), 'properties', /is required/);
  });

  it('reports the properties that cannot change on an existing resource', () => {
    const before = validator.normalize('JobBaseResource', job());
    const after = job();
    after.properties.tags = { build: '2' };
    after.properties.command = 'python other.py';
    after.properties.displayName = 'renamed';
    const changed = validator.immutableDifferences('JobBaseResource', before, validator.normalize('JobBaseResource', after));
    assert.deepStrictEqual(changed.sort(), ['properties.command', 'properties.displayName']);
  });
});

describe('model package schema (api-version 2024-04-01-preview)', () => {
  const preview = validatorFor('2024-04-01-preview')!;
  const packageBody = (): any => ({
    targetEnvironmentId: 'azureml://locations/eastus/workspaces/00000000-0000-0000-0000-000000000000/environments/diabetes-image/versions/1',
    inferencingServer: { serverType: 'AzureMLOnline', codeConfiguration: { codeId: 'azureml://subscriptions/s/codes/c/versions/1', scoringScript: 'score.py' } },
    baseEnvironmentSource: { baseEnvironmentSourceType: 'EnvironmentAsset', resourceId: 'azureml://registries/azureml/environments/sklearn/versions/1' },
    modelConfiguration: { mode: 'Copy', mountPath: '/var/azureml-app/model' },
    inputs: [{ inputType: 'UriFolder', path: { inputPathType: 'Url', url: 'azureml://datastores/workspaceblobstore/paths/extra/' } }],
    environmentVariables: { WORKERS: '2' },
    tags: { stage: 'prod' },
  });

  it('carries the attribution of the spec file it was transcribed from', () => {
    assert.strictEqual(previewFile.source.repository, 'https://github.com/Azure/azure-rest-api-specs');
    assert.match(previewFile.source.commit, /^[0-9a-f]{40}$/);
    assert.strictEqual(previewFile.source.license, 'MIT');
    assert.match(previewFile.source.paths[0], /preview\/2024-04-01-preview\/mfe\.json$/);
    assert.match(previewFile.$comment.join(' '), /Copyright \(c\) Microsoft Corporation/);
    assert.match(previewFile.$comment.join(' '), /by hand/);
  });

  it('has a validator of its own that knows only the package operation', () => {
    assert.ok(preview);
    assert.notStrictEqual(preview, validator);
    assert.ok(preview.has('PackageRequest') && preview.has('PackageResponse'));
    assert.ok(!preview.has('JobBaseResource'));
    assert.ok(!validator.has('PackageRequest'));
  });

  it('accepts a complete package request and fills the spec defaults', () => {
    assert.deepStrictEqual(preview.validate('PackageRequest', packageBody()), []);
    const body = packageBody();
    body.modelConfiguration = {};
    delete body.inputs[0].mode;
    const normalized = preview.normalize('PackageRequest', body);
    assert.strictEqual(normalized.modelConfiguration.mode, 'Download');
    assert.strictEqual(normalized.inputs[0].mode, 'Copy');
  });

  it('requires the target environment and the inferencing server', () => {
    const issues = preview.validate('PackageRequest', { tags: {} });
    assert.ok(issues.some((i) => i.path === 'targetEnvironmentId' && /is required/.test(i.message)), JSON.stringify(issues));
    assert.ok(issues.some((i) => i.path === 'inferencingServer' && /is required/.test(i.message)), JSON.stringify(issues));
  });

  it('picks the concrete types by their discriminators and keeps them closed', () => {
    const body = packageBody();
    body.inferencingServer = { serverType: 'Triton', codeConfiguration: { scoringScript: 'score.py' } };
    body.inputs[0].path = { inputPathType: 'PathVersion', resourceName: 'd', resourceVersion: '1', url: 'x' };
    body.baseEnvironmentSource = { baseEnvironmentSourceType: 'Image', resourceId: 'x' };
    const issues = preview.validate('PackageRequest', body);
    assertIssue(issues, 'inferencingServer.codeConfiguration', /not a known property of TritonInferencingServer/);
    assertIssue(issues, 'inputs[0].path.url', /not a known property of PackageInputPathVersion/);
    assertIssue(issues, 'baseEnvironmentSource.baseEnvironmentSourceType', /not a valid BaseEnvironmentSource type/);
    const custom = packageBody();
    custom.inferencingServer = { serverType: 'Custom', inferenceConfiguration: { scoringRoute: { path: '/score', port: 'eighty' } } };
    assertIssue(preview.validate('PackageRequest', custom), 'inferencingServer.inferenceConfiguration.scoringRoute.port', /must be a whole number/);
  });

  it('rejects values outside the closed enums', () => {
    const body = packageBody();
    body.modelConfiguration.mode = 'ReadOnlyMount';
    body.inputs[0].inputType = 'uri_folder';
    const issues = preview.validate('PackageRequest', body);
    assertIssue(issues, 'modelConfiguration.mode', /"ReadOnlyMount" is not one of "Copy", "Download"/);
    assertIssue(issues, 'inputs[0].inputType', /"uri_folder" is not one of "UriFile", "UriFolder"/);
  });
});
