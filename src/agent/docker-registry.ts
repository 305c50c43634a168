import * as tl from 'azure-pipelines-task-lib/task';
import { UserError } from '../errors';
import type { RegistryLogin } from '../package/docker';
import { maskSecret } from './secrets';

/**
 * The login of a Docker registry service connection named by a `connectedService:dockerregistry` input: user name
 * and password (or token) of a generic registry, or the service principal of an Azure Container Registry connection.
 * The password is registered as a secret at once. Undefined when the input is empty.
 */
export function readDockerRegistry(input: string): RegistryLogin | undefined {
  const id = tl.getInput(input, false)?.trim();
  if (!id) return undefined;
  // getEndpointAuthorization, not getEndpointAuthorizationParameter: the latter writes each value to the debug log.
  const auth = tl.getEndpointAuthorization(id, true);
  if (!auth) throw new UserError(`Input '${input}': the service connection '${id}' was not found. Check that the pipeline may use it.`, { input });
  const parameters = Object.fromEntries(Object.entries(auth.parameters ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const param = (name: string) => parameters[name.toLowerCase()]?.trim() || undefined;
  const scheme = auth.scheme ?? '';
  const acr = (tl.getEndpointDataParameter(id, 'registrytype', true) ?? '').toUpperCase() === 'ACR';
  if (acr) {
    if (scheme.toLowerCase() !== 'serviceprincipal') {
      throw new UserError(
        `Input '${input}': the Azure Container Registry connection uses ${scheme || 'an unknown scheme'}; this task logs in with a user name and password. Use a Docker Registry connection of type "Others" with the registry's admin user or a token, or an Azure Container Registry connection with a service principal.`,
        { input },
      );
    }
    const password = param('serviceprincipalkey');
    maskSecret(password);
    const server = param('loginServer');
    const username = param('serviceprincipalid');
    if (!server || !username || !password) throw new UserError(`Input '${input}': the Azure Container Registry connection has no login server or service principal.`, { input });
    return { server: server.toLowerCase(), username, password };
  }
  const password = param('password');
  maskSecret(password);
  const username = param('username');
  const registry = param('registry') ?? tl.getEndpointUrl(id, true);
  if (!registry || !username || !password) throw new UserError(`Input '${input}': the Docker registry connection needs a registry, a user name and a password or token.`, { input });
  return { server: registryHost(registry), username, password };
}

/** `https://index.docker.io/v1/` -> `index.docker.io`; a host is kept as it is. */
export function registryHost(registry: string): string {
  const text = registry.trim();
  try {
    return /^[a-z]+:\/\//i.test(text) ? new URL(text).host : text.replace(/\/+$/, '');
  } catch {
    return text;
  }
}
