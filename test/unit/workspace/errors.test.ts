import * as assert from 'assert';
import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import { UserError } from '../../../src/errors';
import { armErrorOf, explainAzureError, type FailureContext } from '../../../src/workspace/errors';

const ctx: FailureContext = { operation: "read the workspace 'mlw' in resource group 'rg'", identity: 'service connection prod-aml' };

function armFailure(statusCode: number, body: string | undefined, message = `HTTP ${statusCode}`, code?: string): RestError {
  const request = createPipelineRequest({ url: 'https://management.azure.com/subscriptions/s', method: 'GET' });
  return new RestError(message, { statusCode, code, request, response: { request, status: statusCode, headers: createHttpHeaders(), bodyAsText: body } });
}

const armBody = (code: string, message: string) => JSON.stringify({ error: { code, message } });

function explained(e: unknown): UserError {
  const result = explainAzureError(e, ctx);
  assert.ok(result instanceof UserError, `expected a UserError, got ${String(result)}`);
  return result;
}

describe('explainAzureError', () => {
  it('explains a 401 as a rejected sign-in of the identity, with the ARM code and message', () => {
    const e = explained(armFailure(401, armBody('InvalidAuthenticationToken', 'The access token is invalid.')));
    assert.strictEqual(
      e.message,
      "Azure rejected the sign-in of the service connection prod-aml while trying to read the workspace 'mlw' in resource group 'rg': InvalidAuthenticationToken: The access token is invalid.",
    );
  });

  it('explains a 403 as a missing permission and names the roles to grant', () => {
    const e = explained(armFailure(403, armBody('AuthorizationFailed', "The client 'abc' does not have authorization.")));
    assert.match(e.message, /^The service connection prod-aml is not allowed to read the workspace 'mlw' in resource group 'rg' \(AuthorizationFailed: The client 'abc' does not have authorization\.\)\./);
    assert.match(e.message, /'AzureML Data Scientist' role \(or Contributor\) on the workspace, and 'Reader' on its resource group/);
  });

  for (const [status, code, message] of [
    [404, 'ResourceNotFound', "The Resource 'Microsoft.MachineLearningServices/workspaces/mlw' was not found."],
    [400, 'BadRequest', 'The request body is invalid.'],
    [409, 'Conflict', 'The job already exists.'],
  ] as const) {
    it(`explains a ${status} as something Azure Machine Learning could not do, with the ARM code and message`, () => {
      const e = explained(armFailure(status, armBody(code, message)));
      assert.strictEqual(e.message, `Azure Machine Learning could not read the workspace 'mlw' in resource group 'rg': ${code}: ${message}`);
    });
  }

  for (const status of [500, 503]) {
    it(`explains a ${status} as a service failure after retries, with the status and a suggestion to try later`, () => {
      const e = explained(armFailure(status, armBody('InternalServerError', 'Something went wrong.')));
      assert.strictEqual(
        e.message,
        `Azure Machine Learning failed to read the workspace 'mlw' in resource group 'rg' (HTTP ${status}, after retries): InternalServerError: Something went wrong. Try again later.`,
      );
    });
  }

  it('falls back to the first line of the error message when the body is not an ARM error', () => {
    const e = explained(armFailure(404, '<html>Not Found</html>', 'Not Found\n  at somewhere', 'NotFound'));
    assert.strictEqual(e.message, "Azure Machine Learning could not read the workspace 'mlw' in resource group 'rg': NotFound: Not Found");
  });

  for (const name of ['AuthenticationError', 'CredentialUnavailableError', 'AggregateAuthenticationError', 'AuthenticationRequiredError']) {
    it(`explains an ${name} as a failed sign-in with the identity and the first line of the message`, () => {
      const failure = Object.assign(new Error('AADSTS7000215: Invalid client secret provided.\nTrace ID: 123'), { name });
      const e = explained(failure);
      assert.match(e.message, /^Could not sign in to Azure with the service connection prod-aml: AADSTS7000215: Invalid client secret provided\. Check that the credential/);
      assert.doesNotMatch(e.message, /Trace ID/);
    });
  }

  it('returns a UserError unchanged', () => {
    const e = new UserError('Input x is required.', { input: 'x' });
    assert.strictEqual(explainAzureError(e, ctx), e);
  });

  it('returns other errors unchanged', () => {
    const bug = new TypeError('Cannot read properties of undefined');
    assert.strictEqual(explainAzureError(bug, ctx), bug);
    const socket = new RestError('socket hang up', { code: 'ECONNRESET' });
    assert.strictEqual(explainAzureError(socket, ctx), socket);
    assert.strictEqual(explainAzureError(undefined, ctx), undefined);
  });
});

describe('armErrorOf', () => {
  it('reads the code and message of an ARM error body', () => {
    assert.deepStrictEqual(armErrorOf(armFailure(400, armBody('UserError', 'Compute cpu not found.'))), { code: 'UserError', message: 'Compute cpu not found.' });
  });

  it('uses the error code and first non-empty line of the message when the body is not JSON', () => {
    assert.deepStrictEqual(armErrorOf(armFailure(502, 'Bad Gateway', '\n  Bad Gateway  \nmore', 'GatewayError')), { code: 'GatewayError', message: 'Bad Gateway' });
  });

  it('uses the error message when the JSON body has no error message', () => {
    assert.deepStrictEqual(armErrorOf(armFailure(500, JSON.stringify({ error: { code: 'X' } }), 'HTTP 500')), { code: undefined, message: 'HTTP 500' });
  });

  it('uses the error message when there is no response', () => {
    assert.deepStrictEqual(armErrorOf({ message: 'connect ECONNREFUSED', code: 'ECONNREFUSED' }), { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
  });
});
