// Runs promoteModel in its own process, as a task would: the fake's CA comes from NODE_EXTRA_CA_CERTS and
// `*.localhost` storage hosts from the DNS preload, which an in-process client cannot get.
// Input: JSON in env PROMOTE_INPUT. Output: one JSON line on stdout.
import { createCredential } from '../../../src/auth/credential';
import type { AzureConnection, Cloud } from '../../../src/auth/connection';
import { isUserError } from '../../../src/errors';
import { promoteModel, parseModelReference, type PromotionTarget } from '../../../src/models/promote';
import { WorkspaceClient } from '../../../src/workspace/client';
import { RegistryClient } from '../../../src/workspace/registry';

export interface Side {
  resourceGroup: string;
  name: string;
  identity: { clientId: string; clientSecret?: string; certificatePem?: string };
}

export interface DriverInput {
  url: string;
  armAudience: string;
  tenantId: string;
  subscriptionId: string;
  model: string;
  source: Side;
  target: Side & { kind: 'workspace' | 'registry' };
  stage?: string;
  serverSideCopyMaxBytes?: number;
}

export interface DriverOutput {
  result?: unknown;
  error?: { name: string; message: string; input?: string };
  secrets: string[];
  log: string[];
}

async function main(): Promise<DriverOutput> {
  const input = JSON.parse(process.env.PROMOTE_INPUT!) as DriverInput;
  const secrets: string[] = [];
  const log: string[] = [];
  const onSecret = (s: string) => void secrets.push(s);
  const cloud: Cloud = { authorityHost: input.url, resourceManagerUrl: input.url, resourceManagerAudience: input.armAudience };
  const credentialFor = (side: Side) => {
    const base = { cloud, description: `service connection for ${side.name}`, tenantId: input.tenantId, clientId: side.identity.clientId };
    const conn: AzureConnection = side.identity.certificatePem
      ? { ...base, scheme: 'ServicePrincipalCertificate', certificatePem: side.identity.certificatePem }
      : { ...base, scheme: 'ServicePrincipalSecret', clientSecret: side.identity.clientSecret! };
    return createCredential(conn, { onSecret });
  };
  const sink = { info: (m: string) => void log.push(m), warning: (m: string) => void log.push(`warning: ${m}`), debug: () => undefined };
  const common = (side: Side) => ({ credential: credentialFor(side), cloud, identity: `service connection for ${side.name}`, log: sink, retry: { maxRetries: 0 } });
  const sourceCommon = common(input.source);
  const source = {
    client: new WorkspaceClient({ ...sourceCommon, workspace: { subscriptionId: input.subscriptionId, resourceGroup: input.source.resourceGroup, workspaceName: input.source.name } }),
    credential: sourceCommon.credential,
  };
  const t = input.target;
  const targetCommon = common(t);
  const target: PromotionTarget = t.kind === 'workspace'
    ? { kind: 'workspace', credential: targetCommon.credential, client: new WorkspaceClient({ ...targetCommon, workspace: { subscriptionId: input.subscriptionId, resourceGroup: t.resourceGroup, workspaceName: t.name } }) }
    : { kind: 'registry', client: new RegistryClient({ ...targetCommon, registry: { subscriptionId: input.subscriptionId, resourceGroup: t.resourceGroup, registryName: t.name } }) };
  try {
    const result = await promoteModel({
      source,
      target,
      model: parseModelReference(input.model),
      build: { buildId: '4711', buildNumber: '20261129.3', definitionName: 'promote-model', sourceVersion: 'c0ffee1' },
      stage: input.stage,
      log: sink,
      onSecret,
      sleep: async () => undefined,
      serverSideCopyMaxBytes: input.serverSideCopyMaxBytes,
    });
    return { result, secrets, log };
  } catch (e) {
    const err = e as Error & { input?: string };
    return { error: { name: isUserError(e) ? 'UserError' : err.name, message: isUserError(e) ? err.message : String(err.stack ?? err), input: err.input }, secrets, log };
  }
}

if (require.main === module) {
  main().then((out) => process.stdout.write(`${JSON.stringify(out)}\n`), (e) => {
    process.stdout.write(`${JSON.stringify({ error: { name: 'Crash', message: String(e?.stack ?? e) }, secrets: [], log: [] })}\n`);
  });
}
