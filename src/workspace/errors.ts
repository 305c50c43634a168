import { isRestError } from '@azure/core-rest-pipeline';
import { UserError } from '../errors';

/** Context for turning an Azure failure into a message a pipeline author can act on. */
export interface FailureContext {
  /** What was being done, e.g. "read the workspace 'mlw' in resource group 'rg'". */
  operation: string;
  /** Who signed in, e.g. "service connection 1234" or "your Azure login". */
  identity: string;
}

const AUTH_ERROR_NAMES = new Set(['AuthenticationError', 'CredentialUnavailableError', 'AggregateAuthenticationError', 'AuthenticationRequiredError']);

/**
 * Azure answers that a user can fix (bad credentials, missing role, missing resource, rejected body) become
 * UserErrors with a hint; anything else is returned unchanged.
 */
export function explainAzureError(e: unknown, ctx: FailureContext): unknown {
  if (e instanceof UserError) return e;
  const err = e as Error & { statusCode?: number; code?: string };
  if (err && AUTH_ERROR_NAMES.has(err.name)) {
    return new UserError(
      `Could not sign in to Azure with the ${ctx.identity}: ${firstLine(err.message)} ` +
        'Check that the credential (secret, certificate or federated credential) is valid and not expired, and that the tenant and client ids are right.',
    );
  }
  if (!isRestError(e) || e.statusCode === undefined) return e;
  const { code, message } = armErrorOf(e);
  const detail = code ? `${code}: ${message}` : message;
  switch (e.statusCode) {
    case 401:
      return new UserError(`Azure rejected the sign-in of the ${ctx.identity} while trying to ${ctx.operation}: ${detail}`);
    case 403:
      return new UserError(
        `The ${ctx.identity} is not allowed to ${ctx.operation} (${detail}). ` +
          "Give its identity the 'AzureML Data Scientist' role (or Contributor) on the workspace, and 'Reader' on its resource group.",
      );
    default:
      if (e.statusCode >= 400 && e.statusCode < 500) {
        return new UserError(`Azure Machine Learning could not ${ctx.operation}: ${detail}`);
      }
      return new UserError(`Azure Machine Learning failed to ${ctx.operation} (HTTP ${e.statusCode}, after retries): ${detail} Try again later.`);
  }
}

/** The `{error: {code, message}}` of an ARM error response, or the HTTP status text. */
export function armErrorOf(e: { message: string; code?: string; response?: { bodyAsText?: string | null } }): { code?: string; message: string } {
  const text = e.response?.bodyAsText;
  if (text) {
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (body.error?.message) return { code: body.error.code, message: body.error.message };
    } catch {
      // not JSON: fall through
    }
  }
  return { code: e.code, message: firstLine(e.message) };
}

function firstLine(text: string): string {
  const line = (text ?? '').split(/\r?\n/).find((l) => l.trim()) ?? '';
  return line.trim();
}
