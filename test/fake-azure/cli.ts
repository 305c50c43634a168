import { startFakeAzure, type FakeAzure, type FakeAzureOptions } from './index';

const USAGE = `Usage: npm run fake-azure -- [options]

Starts the local fake Azure (Entra ID, Azure DevOps OIDC, IMDS, ARM, Azure ML data plane, Azurite) until Ctrl+C.

Options:
  --port <n>          HTTPS port (default: a free one)
  --imds-port <n>     IMDS port (default: a free one)
  --record <file>     append every request as JSON lines to <file> (default: env FAKE_AZURE_RECORD)
  --no-blob           do not start Azurite
  --show-secrets      also print client secrets, the certificate and the system access token
                      (a development convenience for a local run; they change at every start)
  --help              this text
`;

export interface CliArgs {
  options: FakeAzureOptions;
  showSecrets: boolean;
  help: boolean;
}

export function parseArgs(argv: readonly string[]): CliArgs {
  const options: FakeAzureOptions = {};
  let showSecrets = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    const port = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${arg} needs a port number`);
      return n;
    };
    switch (arg) {
      case '--port': options.port = port(); break;
      case '--imds-port': options.imdsPort = port(); break;
      case '--record': options.recordFile = value(); break;
      case '--no-blob': options.blob = false; break;
      case '--show-secrets': showSecrets = true; break;
      case '--help': case '-h': help = true; break;
      default: throw new Error(`Unknown option ${arg}\n\n${USAGE}`);
    }
  }
  return { options, showSecrets, help };
}

/** What a person needs to point a task run at the fake. Secrets only when asked for. */
export function describe(fake: FakeAzure, opts: { showSecrets: boolean; recordFile?: string }): string {
  const id = fake.identities;
  const lines = [
    `Fake Azure is running at ${fake.url}`,
    '',
    'Environment for a task run:',
    `  NODE_EXTRA_CA_CERTS=${fake.caCertPath}`,
    `  NODE_OPTIONS=--require ${fake.dnsPreloadPath}`,
    `  AZURE_POD_IDENTITY_AUTHORITY_HOST=${fake.imdsUrl}`,
    '',
    'Service connection data:',
    `  authority (activeDirectoryAuthority)  ${fake.url}/`,
    `  resource manager URL                  ${fake.url}/`,
    `  resource id (audience)                ${fake.armAudience}`,
    `  tenant                                ${fake.tenantId}`,
    `  subscription                          ${fake.subscriptionId}`,
    `  resource group / workspace / region   ${fake.resourceGroup} / ${fake.workspaceName} / ${fake.location}`,
    '',
    'Identities (client ids):',
    `  service principal, secret        ${id.secret.clientId}`,
    `  service principal, certificate   ${id.certificate.clientId}`,
    `  workload identity federation     ${id.federated.clientId}`,
    `    service connection             ${id.federated.serviceConnectionId} (${id.federated.serviceConnectionName})`,
    `    System.OidcRequestUri          ${id.federated.oidcRequestUri}`,
    `    System.CollectionUri           ${id.federated.collectionUri}`,
    `    System.TeamProjectId           ${id.federated.teamProjectId}`,
    `  managed identity                 ${id.managed.clientId}`,
    `  no role on the subscription      ${id.noAccess.clientId}`,
  ];
  if (opts.showSecrets) {
    lines.push(
      '',
      'Secrets (shown because of --show-secrets; for local development only):',
      `  secret SPN client secret     ${id.secret.clientSecret}`,
      `  no-access SPN client secret  ${id.noAccess.clientSecret}`,
      `  System.AccessToken           ${id.federated.systemAccessToken}`,
      '  certificate SPN PEM (certificate and private key):',
      id.certificate.pem.trimEnd(),
    );
  } else {
    lines.push('', 'Secrets are not shown; start with --show-secrets to print them (development convenience).');
  }
  lines.push('', opts.recordFile ? `Recording requests to ${opts.recordFile}` : 'Not recording to a file (use --record <file> or FAKE_AZURE_RECORD).');
  lines.push('Press Ctrl+C to stop.');
  return lines.join('\n');
}

/** Runs until SIGINT or SIGTERM, then stops the fake (and Azurite) and resolves. */
export async function main(argv: readonly string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const fake = await startFakeAzure(args.options);
  const recordFile = args.options.recordFile ?? (process.env.FAKE_AZURE_RECORD || undefined);
  console.log(describe(fake, { showSecrets: args.showSecrets, recordFile }));
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      console.log(`\n${signal}: stopping the fake Azure...`);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await fake.stop();
  console.log('Stopped.');
  return 0;
}
