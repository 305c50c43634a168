// `npm start`: the example pipeline (examples/azure-pipelines.yml) run on this machine with the aml-mlops CLI,
// against the local fake Azure of the tests (simulated Entra ID, Azure Resource Manager, Azure ML and storage):
// no Azure account, no internet. Summaries and reports land in .aml-mlops/demo/.
//   node scripts/demo.mjs [--out <folder>] [--var <name>=<value> ...]
// --var overrides a pipeline variable as in run-pipeline, e.g. --var trainingData=<a csv> to see bad data stopped.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fakePath = path.join(root, 'build', 'test', 'fake-azure', 'index.js');
const cliPath = path.join(root, 'build', 'src', 'cli', 'run-pipeline.js');
for (const f of [fakePath, cliPath]) {
  if (!fs.existsSync(f)) {
    console.error(`${f} does not exist: run "npm run build" first.`);
    process.exit(1);
  }
}
const { startFakeAzure } = require(fakePath);
const { readConnectionProfile } = require(path.join(root, 'build', 'src', 'cli', 'connection.js'));
const { runPipeline } = require(cliPath);
const { azuriteServiceClient } = require(path.join(root, 'build', 'test', 'fake-azure', 'storage.js'));

/**
 * The simulated jobs run no code, so nothing writes the model a real training run leaves in its `model` output.
 * This writes a small MLflow model there for every job that completes, as examples/train/src/train.py would.
 */
function writeModelsOfCompletedJobs(fake) {
  const done = new Set();
  const container = azuriteServiceClient(fake.storage).getContainerClient(fake.workspace.identity.defaultContainer);
  const files = (job) => ({
    MLmodel: `artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    sklearn_version: 1.5.1\nrun_id: ${job}\n`,
    'model.pkl': 'simulated model weights\n',
    'conda.yaml': 'dependencies:\n  - python=3.11\n  - pip:\n    - mlflow\n    - scikit-learn==1.5.1\n',
  });
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      for (const job of fake.workspace.jobs()) {
        if (done.has(job.name) || job.status !== 'Completed') continue;
        done.add(job.name);
        for (const [name, text] of Object.entries(files(job.name))) {
          await container.getBlockBlobClient(`azureml/${job.name}/model/${name}`).upload(text, Buffer.byteLength(text));
        }
      }
    } finally {
      busy = false;
    }
  }, 100);
  return () => clearInterval(timer);
}

function parseArgs(argv) {
  const args = { out: path.join(root, '.aml-mlops', 'demo'), vars: {} };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i];
    if (flag === '--out') args.out = path.resolve(value());
    else if (flag === '--var') {
      const v = value() ?? '';
      const eq = v.indexOf('=');
      if (eq <= 0) usage(`--var takes <name>=<value>, not '${v}'`);
      args.vars[v.slice(0, eq)] = v.slice(eq + 1);
    } else usage(`unknown argument '${argv[i]}'`);
  }
  return args;
}
function usage(message) {
  console.error(`${message}\nUsage: node scripts/demo.mjs [--out <folder>] [--var <name>=<value> ...]`);
  process.exit(1);
}

const args = parseArgs(process.argv.slice(2));
const out = args.out;
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

console.log('Starting a SIMULATED Azure (the local fake of the tests): nothing here reaches Azure.');
const fake = await startFakeAzure({ workspaces: [{ workspaceName: 'mlw-prod', resourceGroup: 'rg-mlops-prod' }] });
let code = 1;
let stopWriting = () => {};
try {
  await Promise.all(Object.values(fake.workspaces).map((w) => w.ready()));
  // The simulated training reports a good r2, so the model passes the registration gate and goes on to production.
  for (const w of Object.values(fake.workspaces)) w.scriptJobs({ metrics: { r2: 0.52, rmse: 53.1 } });
  stopWriting = writeModelsOfCompletedJobs(fake);

  const profileFile = path.join(out, 'connection.json');
  const id = fake.identities.secret;
  fs.writeFileSync(profileFile, JSON.stringify({
    scheme: 'ServicePrincipal', tenantId: fake.tenantId, clientId: id.clientId, clientSecret: id.clientSecret, subscriptionId: fake.subscriptionId,
    resourceManagerUrl: fake.url, authorityHost: fake.url, resourceManagerAudience: fake.armAudience,
  }, null, 2), { mode: 0o600 });
  // The tasks run in child processes: they trust the fake's CA and resolve its *.localhost names through these.
  process.env.NODE_EXTRA_CA_CERTS = fake.caCertPath;
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require ${fake.dnsPreloadPath}`.trim();

  const vars = {
    workspaceName: fake.workspaceName,
    resourceGroup: fake.resourceGroup,
    prodWorkspaceName: 'mlw-prod',
    prodResourceGroup: 'rg-mlops-prod',
    'Build.SourceBranch': 'refs/heads/main',
    'Build.SourceBranchName': 'main',
    // The pipeline lets each traffic step soak 5 minutes before its health check; the demo does not wait.
    rolloutStepWaitMinutes: '0',
    ...args.vars,
  };
  console.log(`Workspaces (simulated): development ${fake.resourceGroup}/${fake.workspaceName}, production rg-mlops-prod/mlw-prod; connection profile ${profileFile}`);
  console.log(`aml-mlops run-pipeline examples/azure-pipelines.yml --connection ${path.relative(root, profileFile)} ${Object.entries(vars).map(([k, v]) => `--var ${k}=${v}`).join(' ')}\n`);
  const r = await runPipeline({
    file: path.join(root, 'examples', 'azure-pipelines.yml'),
    connection: readConnectionProfile(profileFile),
    vars,
    out,
    workdir: root,
  });
  code = r.ok ? 0 : 1;
  console.log(`\nThat ran against SIMULATED Azure ML workspaces. Summaries and reports: ${out}`);
} finally {
  stopWriting();
  await fake.stop();
}
process.exit(code);
