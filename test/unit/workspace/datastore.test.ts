import * as assert from 'assert';
import { RestError } from '@azure/core-rest-pipeline';
import { UserError } from '../../../src/errors';
import { explainBlobError, type Datastore } from '../../../src/workspace/datastore';

const store = (credentialsType?: string): Datastore => ({
  name: 'lake',
  properties: { datastoreType: 'AzureBlob', accountName: 'acct', containerName: 'data', ...(credentialsType && { credentials: { credentialsType } }) },
});

describe('explainBlobError', () => {
  it("names the role to grant when an identity-based datastore's blobs are refused", () => {
    const e = explainBlobError(new RestError('This request is not authorized to perform this operation using this permission.\nRequestId:1', { statusCode: 403, code: 'AuthorizationPermissionMismatch' }), store('None'), 'the blob \'x.csv\'');
    assert.ok(e instanceof UserError);
    assert.strictEqual(
      e.message,
      "Azure Storage refused to let the pipeline read the blob 'x.csv' of datastore 'lake' (storage account 'acct', container 'data') " +
        '(AuthorizationPermissionMismatch: This request is not authorized to perform this operation using this permission.). ' +
        "The datastore keeps no credentials, so the pipeline's own identity reads it: give the service connection's identity the 'Storage Blob Data Reader' role on the storage account.",
    );
  });

  it('points at the stored credentials or network rules for a datastore with a key, and says a missing blob is gone', () => {
    const refused = explainBlobError(new RestError('Server failed to authenticate the request.', { statusCode: 403, code: 'AuthenticationFailed' }), store('AccountKey'), 'the blob \'x.csv\'');
    assert.match((refused as Error).message, /Its stored credentials may be out of date .* network rules/);
    const gone = explainBlobError(new RestError('The specified blob does not exist.', { statusCode: 404, code: 'BlobNotFound' }), store('AccountKey'), 'the blob \'x.csv\'');
    assert.ok(gone instanceof UserError);
    assert.match(gone.message, /^The blob 'x\.csv' of datastore 'lake' .* does not exist \(BlobNotFound: The specified blob does not exist\.\): the data may have been moved or deleted\.$/);
  });

  it('leaves other failures as they are', () => {
    const busy = new RestError('Server busy', { statusCode: 503 });
    assert.strictEqual(explainBlobError(busy, store(), 'the blob'), busy);
    const reset = new Error('socket hang up');
    assert.strictEqual(explainBlobError(reset, store(), 'the blob'), reset);
  });
});
