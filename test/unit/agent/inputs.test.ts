import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as sinon from 'sinon';
import * as tl from 'azure-pipelines-task-lib/task';
import { UserError } from '../../../src/errors';
import { getBoolean, getChoice, getExistingFile, getInteger, getRequiredString, getString, parseKeyValueLines } from '../../../src/agent/inputs';

/** Asserts `fn` throws a UserError about `input` whose message is exactly `message`. */
function throwsUserError(fn: () => unknown, input: string, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.strictEqual(e.input, input);
    if (typeof message === 'string') assert.strictEqual(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('task inputs', () => {
  const sandbox = sinon.createSandbox();
  let inputs: Record<string, string>;
  let variables: Record<string, string>;
  beforeEach(() => {
    inputs = {};
    variables = {};
    sandbox.stub(tl, 'getInput').callsFake((name: string) => inputs[name]);
    sandbox.stub(tl, 'getVariable').callsFake((name: string) => variables[name]);
  });
  afterEach(() => sandbox.restore());

  describe('getString', () => {
    it('returns the value without surrounding spaces', () => {
      inputs.experimentName = '  nightly  ';
      assert.strictEqual(getString('experimentName'), 'nightly');
    });

    it('returns undefined for an optional input that is missing, empty or blank', () => {
      assert.strictEqual(getString('experimentName'), undefined);
      inputs.experimentName = '';
      assert.strictEqual(getString('experimentName'), undefined);
      inputs.experimentName = '   ';
      assert.strictEqual(getString('experimentName'), undefined);
    });

    it('fails with a UserError naming a required input that is blank', () => {
      inputs.resourceGroup = '  ';
      throwsUserError(() => getString('resourceGroup', { required: true }), 'resourceGroup', "Input 'resourceGroup' is required.");
    });

    it('adds the hint to the message for a required input that is missing', () => {
      throwsUserError(
        () => getRequiredString('resourceGroup', 'the resource group of the Azure ML workspace.'),
        'resourceGroup',
        "Input 'resourceGroup' is required: the resource group of the Azure ML workspace.",
      );
    });
  });

  describe('getBoolean', () => {
    it('reads true and false in any case, with spaces around', () => {
      inputs.a = 'TRUE';
      inputs.b = ' False ';
      assert.strictEqual(getBoolean('a', false), true);
      assert.strictEqual(getBoolean('b', true), false);
    });

    it('uses the default when the input is empty', () => {
      assert.strictEqual(getBoolean('waitForCompletion', true), true);
      inputs.waitForCompletion = '';
      assert.strictEqual(getBoolean('waitForCompletion', false), false);
    });

    it('fails with a UserError for anything else', () => {
      inputs.waitForCompletion = 'yes';
      throwsUserError(() => getBoolean('waitForCompletion', true), 'waitForCompletion', "Input 'waitForCompletion' must be true or false, not 'yes'.");
    });
  });

  describe('getInteger', () => {
    it('reads a whole number', () => {
      inputs.timeoutMinutes = ' 90 ';
      assert.strictEqual(getInteger('timeoutMinutes', { defaultValue: 0, min: 0 }), 90);
    });

    it('uses the default when the input is empty', () => {
      assert.strictEqual(getInteger('timeoutMinutes', { defaultValue: 15 }), 15);
    });

    it('fails with a UserError for a number that is not whole', () => {
      inputs.timeoutMinutes = '1.5';
      throwsUserError(() => getInteger('timeoutMinutes', { defaultValue: 0 }), 'timeoutMinutes', "Input 'timeoutMinutes' must be a whole number, not '1.5'.");
    });

    it('fails with a UserError for text', () => {
      inputs.timeoutMinutes = 'ten';
      throwsUserError(() => getInteger('timeoutMinutes', { defaultValue: 0 }), 'timeoutMinutes', "Input 'timeoutMinutes' must be a whole number, not 'ten'.");
    });

    it('names both bounds for a number outside the range', () => {
      inputs.timeoutMinutes = '43201';
      throwsUserError(
        () => getInteger('timeoutMinutes', { defaultValue: 0, min: 0, max: 43200 }),
        'timeoutMinutes',
        "Input 'timeoutMinutes' must be a whole number between 0 and 43200, not '43201'.",
      );
    });

    it('names the lower bound for a number below it', () => {
      inputs.timeoutMinutes = '-1';
      throwsUserError(() => getInteger('timeoutMinutes', { defaultValue: 0, min: 0 }), 'timeoutMinutes', "Input 'timeoutMinutes' must be a whole number of at least 0, not '-1'.");
    });

    it('names the upper bound for a number above it', () => {
      inputs.retries = '11';
      throwsUserError(() => getInteger('retries', { defaultValue: 3, max: 10 }), 'retries', "Input 'retries' must be a whole number of at most 10, not '11'.");
    });

    it('accepts the bounds themselves', () => {
      inputs.a = '0';
      inputs.b = '43200';
      assert.strictEqual(getInteger('a', { defaultValue: 5, min: 0, max: 43200 }), 0);
      assert.strictEqual(getInteger('b', { defaultValue: 5, min: 0, max: 43200 }), 43200);
    });
  });

  describe('getChoice', () => {
    const modes = ['Command', 'Sweep', 'Pipeline'] as const;

    it('matches a choice in any case and returns its spelling', () => {
      inputs.mode = 'sweep';
      assert.strictEqual(getChoice('mode', modes, 'Command'), 'Sweep');
    });

    it('uses the default when the input is empty', () => {
      assert.strictEqual(getChoice('mode', modes, 'Pipeline'), 'Pipeline');
    });

    it('fails with a UserError that lists the choices', () => {
      inputs.mode = 'Spark';
      throwsUserError(() => getChoice('mode', modes, 'Command'), 'mode', "Input 'mode' must be one of Command, Sweep, Pipeline, not 'Spark'.");
    });
  });

  describe('getExistingFile', () => {
    let repo: string;
    beforeEach(() => {
      repo = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'inputs-')));
      fs.mkdirSync(path.join(repo, 'jobs'));
      fs.writeFileSync(path.join(repo, 'jobs', 'train.yml'), 'command: python train.py\n');
      variables['System.DefaultWorkingDirectory'] = repo;
    });
    afterEach(() => fs.rmSync(repo, { recursive: true, force: true }));

    const hint = 'the path to an Azure ML job YAML.';

    it('returns the absolute path of an existing file', () => {
      inputs.jobSpec = path.join(repo, 'jobs', 'train.yml');
      assert.strictEqual(getExistingFile('jobSpec', { required: true, hint }), path.join(repo, 'jobs', 'train.yml'));
    });

    it('resolves a relative path from the current folder', () => {
      inputs.jobSpec = 'jobs/train.yml';
      const cwd = process.cwd();
      process.chdir(repo);
      try {
        assert.strictEqual(getExistingFile('jobSpec', { required: true, hint }), path.join(repo, 'jobs', 'train.yml'));
      } finally {
        process.chdir(cwd);
      }
    });

    it('fails with a UserError naming the input and the path when the file does not exist', () => {
      inputs.jobSpec = 'jobs/missing.yml';
      throwsUserError(
        () => getExistingFile('jobSpec', { required: true, hint }),
        'jobSpec',
        `Input 'jobSpec': the file 'jobs/missing.yml' does not exist. Check the path; relative paths start at ${process.cwd()}.`,
      );
    });

    it('fails with a UserError when the path is a folder', () => {
      inputs.jobSpec = path.join(repo, 'jobs');
      throwsUserError(() => getExistingFile('jobSpec', { required: true, hint }), 'jobSpec', `Input 'jobSpec': '${path.join(repo, 'jobs')}' is a folder, not a file.`);
    });

    it('reports a required input left empty, which the agent passes as the repository root, as required', () => {
      inputs.jobSpec = repo;
      throwsUserError(() => getExistingFile('jobSpec', { required: true, hint }), 'jobSpec', `Input 'jobSpec' is required: ${hint}`);
    });

    it('treats an optional input left empty, which the agent passes as the repository root, as not given', () => {
      inputs.conda = `${repo}${path.sep}`;
      assert.strictEqual(getExistingFile('conda', { required: false }), undefined);
    });

    it('returns undefined for an optional input that is empty', () => {
      assert.strictEqual(getExistingFile('conda', { required: false }), undefined);
    });

    it('fails with a UserError naming the input for a required input that is empty', () => {
      throwsUserError(() => getExistingFile('jobSpec', { required: true, hint }), 'jobSpec', `Input 'jobSpec' is required: ${hint}`);
    });
  });

  describe('parseKeyValueLines', () => {
    it('reads name=value lines in order, skipping blanks and comments, keeping = inside values', () => {
      assert.deepStrictEqual(parseKeyValueLines('inputs', 'lr=0.01\r\n\n# a comment\n  data = azureml:x:1 \nq=a=b'), [
        { name: 'lr', value: '0.01' },
        { name: 'data', value: 'azureml:x:1' },
        { name: 'q', value: 'a=b' },
      ]);
      assert.deepStrictEqual(parseKeyValueLines('inputs', undefined), []);
    });

    it('rejects a line without a name and a name set twice', () => {
      throwsUserError(() => parseKeyValueLines('tags', 'a=1\nnovalue'), 'tags', "Input 'tags', line 2: 'novalue' is not name=value. Write one name=value per line.");
      throwsUserError(() => parseKeyValueLines('tags', '=1'), 'tags', /line 1: '=1' is not name=value/);
      throwsUserError(() => parseKeyValueLines('inputs', 'a=1\na=2'), 'inputs', "Input 'inputs' sets 'a' twice (line 2). Keep one line per name.");
    });
  });
});
