import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../errors';
import type { WorkspaceClient } from '../workspace/client';

export interface RegisteredEnvironment {
  id: string;
  name: string;
  version: string;
  image: string;
  /** The conda file's text, when the environment has one. */
  condaFile?: string;
}

interface EnvironmentVersionResource {
  id: string;
  name: string;
  properties: { image?: string; condaFile?: string; build?: { contextUri?: string } };
}

/** A registered environment version (the latest when no version is given), which must be built from an image. */
export async function readEnvironment(client: WorkspaceClient, name: string, version: string | undefined, signal?: AbortSignal): Promise<RegisteredEnvironment> {
  const where = `workspace '${client.workspace.workspaceName}'`;
  if (version === undefined) {
    const container = await client.get<{ properties?: { latestVersion?: string } }>(`environments/${encodeURIComponent(name)}`, { operation: `read the environment '${name}'`, allowNotFound: true, signal });
    version = container?.properties?.latestVersion;
    if (!version) throw new UserError(`Input 'environment': the environment '${name}' does not exist in ${where}.`, { input: 'environment' });
  }
  const found = await client.get<EnvironmentVersionResource>(`environments/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`, {
    operation: `read the environment '${name}:${version}'`,
    allowNotFound: true,
    signal,
  });
  if (!found) throw new UserError(`Input 'environment': the environment '${name}:${version}' does not exist in ${where}. Check the name and version.`, { input: 'environment' });
  if (!found.properties.image) {
    throw new UserError(
      `Input 'environment': '${name}:${version}' is built from a Docker build context, not an image, so its packages cannot be reproduced here. Give baseImage with condaFile or pipRequirements instead.`,
      { input: 'environment' },
    );
  }
  return { id: found.id, name, version, image: found.properties.image, condaFile: found.properties.condaFile || undefined };
}

/** Writes an environment's conda file text into `dir` for the build context; its path, or undefined. */
export function writeCondaFile(env: RegisteredEnvironment, dir: string): string | undefined {
  if (!env.condaFile) return undefined;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${env.name}-${env.version}-conda.yml`);
  fs.writeFileSync(file, env.condaFile.endsWith('\n') ? env.condaFile : `${env.condaFile}\n`, 'utf8');
  return file;
}
