import * as assert from 'assert';
import * as sinon from 'sinon';
import { UserError } from '../../../src/errors';
import { requestOidcToken } from '../../../src/auth/oidc';
import { LocalHttps, localCertificate, type Answer } from './local-https';

const serviceConnectionId = '5f3c7a2e-0000-4000-8000-00000000abcd';
const OIDC_PATH = '/org/proj/_apis/distributedtask/hubs/build/plans/p1/jobs/j1/oidctoken';

describe('requestOidcToken', function () {
  this.timeout(20_000);
  let server: LocalHttps;
  before(async () => {
    server = new LocalHttps(await localCertificate());
    await server.start();
  });
  after(async () => server.stop());
  beforeEach(() => {
    server.seen.length = 0;
  });

  function answer(...answers: Answer[]) {
    let n = 0;
    server.route = () => answers[Math.min(n++, answers.length - 1)];
  }

  const ask = (id = serviceConnectionId) => requestOidcToken({ oidcRequestUri: `${server.baseUrl}${OIDC_PATH}`, serviceConnectionId: id, systemAccessToken: 'job-token' });

  it('asks Azure DevOps with a POST for the service connection, the job token as bearer and sign-in redirects suppressed', async () => {
    answer({ status: 200, body: { oidcToken: 'eyJ.oidc.token' } });
    await ask();
    assert.strictEqual(server.seen.length, 1);
    const [req] = server.seen;
    assert.strictEqual(req.method, 'POST');
    assert.strictEqual(req.path, `${OIDC_PATH}?api-version=7.1&serviceConnectionId=${serviceConnectionId}`);
    assert.strictEqual(req.headers['authorization'], 'Bearer job-token');
    assert.strictEqual(req.headers['x-tfs-fedauthredirect'], 'Suppress');
    assert.strictEqual(req.headers['content-type'], 'application/json');
    assert.deepStrictEqual(JSON.parse(req.body), {});
  });

  it('returns the oidcToken of the answer', async () => {
    answer({ status: 200, body: { oidcToken: 'eyJ.oidc.token' } });
    assert.strictEqual(await ask(), 'eyJ.oidc.token');
  });

  it('encodes the service connection id in the query', async () => {
    answer({ status: 200, body: { oidcToken: 't' } });
    await ask('prod aml&x=1');
    assert.ok(server.seen[0].path.endsWith('?api-version=7.1&serviceConnectionId=prod%20aml%26x%3D1'), server.seen[0].path);
  });

  it('fails with a UserError naming the service connection when Azure DevOps answers 401, without retrying', async () => {
    answer({ status: 401, body: { message: 'TF400813: The user is not authorized.' } });
    await assert.rejects(ask(), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, new RegExp(`did not issue an OIDC token for service connection ${serviceConnectionId} \\(HTTP 401\\)`));
      assert.match(e.message, /workload identity federation/);
      return true;
    });
    assert.strictEqual(server.seen.length, 1);
  });

  it('fails with a UserError naming the service connection when the answer has no oidcToken', async () => {
    answer({ status: 200, body: { oidcToken: null } });
    await assert.rejects(ask(), (e: unknown) => e instanceof UserError && e.message.includes(`service connection ${serviceConnectionId} (HTTP 200)`));
  });

  it('fails with a UserError when the answer is not JSON, such as a sign-in page', async () => {
    answer({ status: 200, body: '<html>Sign in</html>' });
    await assert.rejects(ask(), (e: unknown) => e instanceof UserError && e.message.includes(serviceConnectionId));
  });

  describe('on a fake clock', () => {
    let clock: sinon.SinonFakeTimers;
    beforeEach(() => {
      clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    });
    afterEach(() => clock.restore());

    it('retries when Azure DevOps is briefly unavailable', async () => {
      answer({ status: 503, body: { message: 'busy' } }, { status: 200, body: { oidcToken: 'after-retry' } });
      const token = ask();
      while (server.seen.length < 2) {
        await clock.tickAsync(1000);
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.strictEqual(await token, 'after-retry');
    });
  });
});
