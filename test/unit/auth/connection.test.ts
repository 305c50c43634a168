import * as assert from 'assert';
import { isKnownAuthority, publicCloud, scopeFor, trimTrailingSlash } from '../../../src/auth/connection';

describe('isKnownAuthority', () => {
  for (const host of [
    'https://login.microsoftonline.com',
    'https://login.windows.net',
    'https://login.microsoft.com',
    'https://sts.windows.net',
    'https://login.chinacloudapi.cn',
    'https://login.microsoftonline.us',
    'https://login.microsoftonline.de',
  ]) {
    it(`knows the public authority ${host}`, () => {
      assert.strictEqual(isKnownAuthority(host), true);
    });
  }

  it('knows a public authority written with a trailing slash, a path or capitals', () => {
    assert.strictEqual(isKnownAuthority('https://login.microsoftonline.com/'), true);
    assert.strictEqual(isKnownAuthority('https://login.microsoftonline.com/tenant-id'), true);
    assert.strictEqual(isKnownAuthority('https://LOGIN.MicrosoftOnline.com'), true);
  });

  for (const host of ['https://adfs.azurestack.local/adfs', 'https://127.0.0.1:8443', 'https://login.localhost', 'https://login.microsoftonline.com.contoso.example']) {
    it(`does not know ${host}, so instance discovery is skipped for it`, () => {
      assert.strictEqual(isKnownAuthority(host), false);
    });
  }

  it('does not know something that is not a URL', () => {
    assert.strictEqual(isKnownAuthority('login.microsoftonline.com'), false);
    assert.strictEqual(isKnownAuthority(''), false);
  });
});

describe('scopeFor', () => {
  it('adds /.default to the resource', () => {
    assert.strictEqual(scopeFor('https://management.azure.com'), 'https://management.azure.com/.default');
  });

  it('strips trailing slashes from the resource first', () => {
    assert.strictEqual(scopeFor('https://management.core.windows.net/'), 'https://management.core.windows.net/.default');
    assert.strictEqual(scopeFor('https://management.azure.com//'), 'https://management.azure.com/.default');
  });
});

describe('trimTrailingSlash', () => {
  it('removes every trailing slash and nothing else', () => {
    assert.strictEqual(trimTrailingSlash('https://management.azure.com///'), 'https://management.azure.com');
    assert.strictEqual(trimTrailingSlash('https://host/path'), 'https://host/path');
  });
});

describe('publicCloud', () => {
  it('signs in at login.microsoftonline.com for management.azure.com', () => {
    assert.deepStrictEqual(publicCloud, {
      authorityHost: 'https://login.microsoftonline.com',
      resourceManagerUrl: 'https://management.azure.com',
      resourceManagerAudience: 'https://management.azure.com',
    });
  });
});
