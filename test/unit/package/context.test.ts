import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MODEL_FOLDER, writeBuildContext, type BuildContextOptions } from '../../../src/package/context';
import { UserError } from '../../../src/errors';
import { copyOf, envOf, parseInstructions, type Instruction } from './instructions';
import { loadLinter } from './lint';

const repo = path.resolve(__dirname, '..', '..', '..', '..');
const sample = path.join(repo, 'examples', 'package');
const fixtures = path.join(repo, 'test', 'unit', 'package', 'fixtures');
const IMAGE = 'mcr.microsoft.com/azureml/minimal-py311-inference:20250601.v1';

describe('package build context', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pkgctx-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** A context folder with the sample model downloaded into it, as the caller leaves it. */
  function contextWithModel(name = 'ctx'): string {
    const dir = path.join(tmp, name);
    fs.cpSync(path.join(sample, 'model'), path.join(dir, MODEL_FOLDER), { recursive: true });
    return dir;
  }

  function options(dir: string, overrides: Partial<BuildContextOptions> = {}): BuildContextOptions {
    return {
      dir,
      model: { name: 'diabetes-linear', version: '3', type: 'custom_model' },
      code: { dir: path.join(sample, 'score'), scoringScript: 'score.py' },
      environment: { image: IMAGE, pipRequirements: path.join(sample, 'requirements.txt') },
      ...overrides,
    };
  }

  async function written(o: BuildContextOptions) {
    const result = await writeBuildContext(o);
    const dockerfile = fs.readFileSync(result.dockerfile, 'utf8');
    return { result, dockerfile, instructions: parseInstructions(dockerfile) };
  }

  function only(instructions: Instruction[], keyword: string): Instruction[] {
    return instructions.filter((i) => i.keyword === keyword);
  }

  function envMap(instructions: Instruction[]): Map<string, string> {
    return new Map(only(instructions, 'ENV').map(envOf));
  }

  async function rejects(o: BuildContextOptions, input: string, message: RegExp): Promise<void> {
    await assert.rejects(writeBuildContext(o), (e: unknown) => {
      assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
      assert.strictEqual(e.input, input);
      assert.match(e.message, message);
      return true;
    });
  }

  it('writes the Dockerfile, .dockerignore, README, environment file and code, and lists the model files', async () => {
    const { result } = await written(options(contextWithModel()));
    assert.deepStrictEqual(
      result.files.map((f) => f.path),
      ['.dockerignore', 'Dockerfile', 'README.md', 'code/score.py', 'environment/requirements.txt'],
    );
    for (const f of result.files) assert.strictEqual(f.bytes, fs.statSync(path.join(tmp, 'ctx', f.path)).size, f.path);
    assert.deepStrictEqual(result.modelFiles, [{ path: 'nested/weights.json', bytes: fs.statSync(path.join(sample, 'model', 'nested', 'weights.json')).size }]);
    assert.strictEqual(result.modelDir, '/var/azureml-app/azureml-models/diabetes-linear/3');
    assert.strictEqual(result.baseImage, IMAGE);
    assert.strictEqual(result.port, 5001);
    assert.deepStrictEqual(result.warnings, []);
  });

  describe('Dockerfile structure', () => {
    it('starts FROM the pinned base image', async () => {
      const { instructions } = await written(options(contextWithModel()));
      assert.strictEqual(instructions[0].keyword, 'FROM');
      assert.strictEqual(instructions[0].args, IMAGE);
      assert.strictEqual(only(instructions, 'FROM').length, 1);
    });

    it('runs the server as a numeric non-root user set before CMD', async () => {
      const { instructions } = await written(options(contextWithModel()));
      const cmd = instructions.findIndex((i) => i.keyword === 'CMD');
      const users = instructions.slice(0, cmd).filter((i) => i.keyword === 'USER');
      const last = users[users.length - 1];
      assert.ok(last, 'no USER before CMD');
      assert.match(last.args, /^[1-9]\d*(:\d+)?$/);
      assert.strictEqual(instructions.slice(cmd).filter((i) => i.keyword === 'USER').length, 0);
    });

    it('sets AZUREML_MODEL_DIR to where the model is copied, root-owned, and the code owned by the server user', async () => {
      const { instructions } = await written(options(contextWithModel()));
      const copies = only(instructions, 'COPY').map(copyOf);
      const model = copies.find((c) => c.sources[0] === `${MODEL_FOLDER}/`);
      assert.ok(model, 'the model folder is not copied');
      assert.deepStrictEqual(model.flags, [], 'the model must stay root-owned so the server cannot change it');
      assert.strictEqual(envMap(instructions).get('AZUREML_MODEL_DIR'), model.dest.replace(/\/$/, ''));
      const uid = only(instructions, 'USER').pop()!.args;
      const code = copies.find((c) => c.sources[0] === 'code/');
      assert.ok(code);
      assert.deepStrictEqual(code.flags, [`--chown=${uid}`]);
    });

    it('copies only sources that exist in the context', async () => {
      const { instructions } = await written(options(contextWithModel()));
      for (const copy of only(instructions, 'COPY').map(copyOf)) {
        for (const source of copy.sources) assert.ok(fs.existsSync(path.join(tmp, 'ctx', source)), `COPY source ${source} is not in the context`);
      }
    });

    it('exposes the server port and runs azmlinfsrv with the entry script in exec form', async () => {
      const { result, instructions } = await written(options(contextWithModel()));
      assert.deepStrictEqual(only(instructions, 'EXPOSE').map((i) => i.args), [String(result.port)]);
      const cmd = only(instructions, 'CMD');
      assert.strictEqual(cmd.length, 1);
      const args = JSON.parse(cmd[0].args) as string[];
      assert.deepStrictEqual(args, ['azmlinfsrv', '--entry_script', '/var/azureml-app/code/score.py', '--port', String(result.port)]);
      const env = envMap(instructions);
      assert.strictEqual(env.get('AZUREML_ENTRY_SCRIPT'), args[2]);
      const codeDest = copyOf(only(instructions, 'COPY').find((i) => i.args.includes('code/'))!).dest;
      assert.ok(fs.existsSync(path.join(tmp, 'ctx', 'code', path.posix.relative(codeDest, args[2]))), 'the entry script is not where CMD looks');
    });

    it('probes the liveness route in a HEALTHCHECK in exec form', async () => {
      const { result, instructions } = await written(options(contextWithModel()));
      const health = only(instructions, 'HEALTHCHECK');
      assert.strictEqual(health.length, 1);
      const exec = JSON.parse(health[0].args.slice(health[0].args.indexOf('CMD ') + 4)) as string[];
      assert.strictEqual(exec[0], 'python3');
      assert.ok(exec.join(' ').includes(`http://127.0.0.1:${result.port}/'`));
    });

    it('keeps secrets out and bakes the other variables in, sorted and quoted', async () => {
      const { instructions } = await written(options(contextWithModel(), { environmentVariables: { WORKER_COUNT: '2', GREETING: 'say "hi" to $USER' } }));
      const names = only(instructions, 'ENV').map((i) => envOf(i)[0]);
      assert.ok(names.indexOf('GREETING') < names.indexOf('WORKER_COUNT'));
      assert.strictEqual(envMap(instructions).get('GREETING'), 'say "hi" to $USER');
      for (const i of instructions.filter((x) => x.keyword === 'ENV' || x.keyword === 'ARG')) {
        assert.doesNotMatch(i.args, /SECRET|PASSWORD|TOKEN|API_?KEY|AccountKey=|sig=/i, `line ${i.line}`);
      }
      await rejects(options(contextWithModel('other'), { environmentVariables: { STORAGE_ACCOUNT_KEY: 'abc' } }), 'environmentVariables', /secret.*docker run -e/s);
      await rejects(options(contextWithModel('third'), { environmentVariables: { DB: 'Server=x;AccountKey=abc' } }), 'environmentVariables', /secret/);
      await rejects(options(contextWithModel('fourth'), { environmentVariables: { AZUREML_MODEL_DIR: '/x' } }), 'environmentVariables', /set by the image/);
    });

    it('writes byte-identical files with LF line endings for the same inputs', async () => {
      const first = contextWithModel('first');
      const second = contextWithModel('second');
      await writeBuildContext(options(first));
      await writeBuildContext(options(second));
      await writeBuildContext(options(second));
      const list = (dir: string): string[] =>
        (fs.readdirSync(dir, { recursive: true }) as string[]).filter((p) => fs.statSync(path.join(dir, p)).isFile()).sort();
      assert.deepStrictEqual(list(first), list(second));
      for (const file of list(first)) {
        assert.ok(fs.readFileSync(path.join(first, file)).equals(fs.readFileSync(path.join(second, file))), `${file} differs`);
        assert.strictEqual((fs.statSync(path.join(first, file)).mode & 0o777).toString(8), (fs.statSync(path.join(second, file)).mode & 0o777).toString(8));
      }
      for (const file of ['Dockerfile', '.dockerignore', 'README.md']) assert.ok(!fs.readFileSync(path.join(first, file), 'utf8').includes('\r'), file);
    });

    it('lints clean with dockerfile-utils', async function () {
      const linter = loadLinter();
      if ('unavailable' in linter) this.skip();
      const { dockerfile } = await written(options(contextWithModel(), { environment: { image: IMAGE, condaFile: path.join(fixtures, 'conda.yml') } }));
      assert.deepStrictEqual(linter.lint(dockerfile), []);
      const plain = await written(options(contextWithModel('plain'), { environment: { image: 'python:3.11-slim' } }));
      assert.deepStrictEqual(linter.lint(plain.dockerfile), []);
    });
  });

  describe('environment', () => {
    it('installs pip requirements into the image and keeps the version of the server they pin', async () => {
      const { dockerfile } = await written(options(contextWithModel()));
      assert.match(dockerfile, /^RUN python3 -m pip install --no-cache-dir -r \/var\/azureml-app\/environment\/requirements.txt$/m);
      assert.doesNotMatch(dockerfile, /pip show/);
    });

    it('installs the pinned inference server only where the image lacks it when the environment does not list it', async () => {
      const { dockerfile } = await written(options(contextWithModel(), { environment: { image: 'python:3.11-slim' } }));
      assert.match(dockerfile, /^ARG INFERENCE_SERVER_VERSION=\d+\.\d+\.\d+$/m);
      assert.match(dockerfile, /^RUN python3 -m pip show azureml-inference-server-http > \/dev\/null 2>&1 \|\| python3 -m pip install --no-cache-dir "azureml-inference-server-http==\$\{INFERENCE_SERVER_VERSION\}"$/m);
      assert.ok(!fs.existsSync(path.join(tmp, 'ctx', 'environment')));
    });

    it('creates a conda environment from the conda file, puts it first on PATH and adds the server to it', async () => {
      const { result, dockerfile, instructions } = await written(options(contextWithModel(), { environment: { image: IMAGE, condaFile: path.join(fixtures, 'conda.yml'), name: 'sample-env:4' } }));
      assert.ok(result.files.some((f) => f.path === 'environment/conda.yml'));
      assert.ok(fs.readFileSync(path.join(tmp, 'ctx', 'environment', 'conda.yml')).equals(fs.readFileSync(path.join(fixtures, 'conda.yml'))));
      assert.match(dockerfile, /^RUN conda env create -p \/opt\/azureml-env -f \/var\/azureml-app\/environment\/conda.yml && conda clean -afy$/m);
      assert.strictEqual(envMap(instructions).get('PATH'), '/opt/azureml-env/bin:$PATH');
      assert.match(dockerfile, /^RUN python3 -m pip install --no-cache-dir "azureml-inference-server-http==\$\{INFERENCE_SERVER_VERSION\}"$/m);
      assert.match(fs.readFileSync(path.join(tmp, 'ctx', 'README.md'), 'utf8'), /Azure ML environment sample-env:4, packages from `environment\/conda.yml`/);
      assert.deepStrictEqual(result.warnings, ["The conda file (environment/conda.yml) leaves 'numpy' unpinned; pin versions so rebuilding the context installs the same packages."]);
    });

    it('keeps an unpinned or latest base image but warns in the Dockerfile and the result', async () => {
      for (const image of ['python', 'mcr.microsoft.com/azureml/minimal-py311-inference:latest', 'localhost:5000/team/scorer']) {
        const { result, dockerfile, instructions } = await written(options(contextWithModel(`ctx-${folderNameFor(image)}`), { environment: { image } }));
        assert.strictEqual(instructions[0].args, image);
        assert.strictEqual(result.warnings.length, 1);
        assert.match(result.warnings[0], /^The base image .*pin a tag or a digest/);
        assert.match(dockerfile, /^# WARNING: .*\nFROM /m);
      }
      const digest = await written(options(contextWithModel('digest'), { environment: { image: 'python@sha256:' + 'a'.repeat(64) } }));
      assert.deepStrictEqual(digest.result.warnings, []);
    });
  });

  describe('code', () => {
    it('copies the code folder with its subfolders, without caches, and drops code left from an earlier run', async () => {
      const code = path.join(tmp, 'src');
      fs.mkdirSync(path.join(code, 'helpers', '__pycache__'), { recursive: true });
      fs.writeFileSync(path.join(code, 'score.py'), 'def init():\n    pass\n');
      fs.writeFileSync(path.join(code, 'helpers', 'features.py'), 'X = 1\n');
      fs.writeFileSync(path.join(code, 'helpers', '__pycache__', 'features.cpython-311.pyc'), 'x');
      fs.writeFileSync(path.join(code, 'old.py'), 'gone = True\n');
      const dir = contextWithModel();
      await writeBuildContext(options(dir, { code: { dir: code, scoringScript: 'score.py' } }));
      fs.rmSync(path.join(code, 'old.py'));
      const { result } = await written(options(dir, { code: { dir: code, scoringScript: 'score.py' } }));
      assert.deepStrictEqual(
        result.files.filter((f) => f.path.startsWith('code/')).map((f) => f.path),
        ['code/helpers/features.py', 'code/score.py'],
      );
      assert.ok(!fs.existsSync(path.join(dir, 'code', 'old.py')));
    });

    it('leaves the context out when it lies inside the code folder', async () => {
      const code = path.join(tmp, 'project');
      fs.mkdirSync(code);
      fs.writeFileSync(path.join(code, 'score.py'), 'def init():\n    pass\n');
      const dir = path.join(code, 'package');
      fs.cpSync(path.join(sample, 'model'), path.join(dir, MODEL_FOLDER), { recursive: true });
      const { result } = await written(options(dir, { code: { dir: code, scoringScript: 'score.py' } }));
      assert.deepStrictEqual(result.files.filter((f) => f.path.startsWith('code/')).map((f) => f.path), ['code/score.py']);
    });

    it('makes the model files readable but not writable by anyone but their owner', async () => {
      const dir = contextWithModel();
      fs.chmodSync(path.join(dir, MODEL_FOLDER, 'nested', 'weights.json'), 0o666);
      await writeBuildContext(options(dir));
      assert.strictEqual((fs.statSync(path.join(dir, MODEL_FOLDER, 'nested', 'weights.json')).mode & 0o777).toString(8), '644');
    });
  });

  describe('user errors', () => {
    it('names codeDirectory when the code folder is missing', async () => {
      await rejects(options(contextWithModel(), { code: { dir: path.join(tmp, 'nope'), scoringScript: 'score.py' } }), 'codeDirectory', /does not exist.*codeDirectory/);
    });

    it('names scoringScript when the entry script is missing or outside the code folder', async () => {
      const dir = contextWithModel();
      await rejects(options(dir, { code: { dir: path.join(sample, 'score'), scoringScript: 'missing.py' } }), 'scoringScript', /not found/);
      await rejects(options(dir, { code: { dir: path.join(sample, 'score'), scoringScript: '../requirements.txt' } }), 'scoringScript', /outside the code folder/);
      await rejects(options(dir, { code: { dir: path.join(sample, 'score'), scoringScript: path.join(sample, 'sample-request.json') } }), 'scoringScript', /outside/);
    });

    it('names condaFile when both a conda file and pip requirements are given, and the missing file otherwise', async () => {
      const dir = contextWithModel();
      const both = { image: IMAGE, condaFile: path.join(fixtures, 'conda.yml'), pipRequirements: path.join(sample, 'requirements.txt') };
      await rejects(options(dir, { environment: both }), 'condaFile', /not both/);
      await rejects(options(dir, { environment: { image: IMAGE, condaFile: path.join(tmp, 'conda.yml') } }), 'condaFile', /not found/);
      await rejects(options(dir, { environment: { image: IMAGE, pipRequirements: path.join(tmp, 'req.txt') } }), 'pipRequirements', /not found/);
    });

    it('names codeDirectory when the code folder is inside the context, which is rewritten', async () => {
      const dir = contextWithModel();
      fs.mkdirSync(path.join(dir, 'code'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'code', 'score.py'), '');
      await rejects(options(dir, { code: { dir: path.join(dir, 'code'), scoringScript: 'score.py' } }), 'codeDirectory', /inside the build context/);
    });

    it('names model when the model name or version would not make a path', async () => {
      await rejects(options(contextWithModel(), { model: { name: '../etc', version: '1' } }), 'model', /not a valid Azure ML model name/);
      await rejects(options(contextWithModel('v'), { model: { name: 'm', version: '1 2' } }), 'model', /not a valid Azure ML model version/);
    });

    it('names model when the model folder is missing or empty', async () => {
      await rejects(options(path.join(tmp, 'empty')), 'model', /missing/);
      fs.mkdirSync(path.join(tmp, 'empty', MODEL_FOLDER, 'nested'), { recursive: true });
      await rejects(options(path.join(tmp, 'empty')), 'model', /empty/);
    });
  });

  it('writes a README that tells the receiving team how to build, run and call the image', async () => {
    const { result } = await written(options(contextWithModel()));
    const readme = fs.readFileSync(path.join(tmp, 'ctx', 'README.md'), 'utf8');
    for (const expected of [
      'diabetes-linear',
      'version **3**',
      '`nested/weights.json`',
      IMAGE,
      'docker build -t diabetes-linear:3 .',
      'docker run --rm -p 5001:5001 diabetes-linear:3',
      'curl http://localhost:5001/',
      'http://localhost:5001/score',
      'WORKER_COUNT',
      'no Azure subscription',
      result.modelDir,
    ]) {
      assert.ok(readme.includes(expected), `README lacks ${expected}`);
    }
  });

  it('serves the sample request from the written context the way the inference server calls the script', async () => {
    const dir = contextWithModel();
    const { instructions } = await written(options(dir));
    const env = envMap(instructions);
    // Map the image's paths back onto the context: the model COPY destination is the context's model folder.
    const modelCopy = only(instructions, 'COPY').map(copyOf).find((c) => c.sources[0] === `${MODEL_FOLDER}/`)!;
    const codeCopy = only(instructions, 'COPY').map(copyOf).find((c) => c.sources[0] === 'code/')!;
    assert.strictEqual(env.get('AZUREML_MODEL_DIR'), modelCopy.dest.replace(/\/$/, ''));
    const entryScript = path.join(dir, 'code', path.posix.relative(codeCopy.dest, env.get('AZUREML_ENTRY_SCRIPT')!));
    const python = spawnSync('python3', [path.join(fixtures, 'serve.py'), entryScript, path.join(sample, 'sample-request.json')], {
      env: { PATH: process.env.PATH, AZUREML_MODEL_DIR: path.join(dir, MODEL_FOLDER) },
      encoding: 'utf8',
    });
    if (python.error) assert.fail(`python3 is needed to run the scoring script (apt-get install python3): ${python.error.message}`);
    assert.strictEqual(python.status, 0, python.stderr);
    assert.deepStrictEqual(JSON.parse(python.stdout), { predictions: [-20, -15.75] });
  });
});

function folderNameFor(image: string): string {
  return image.replace(/[^a-z0-9]/gi, '_');
}
