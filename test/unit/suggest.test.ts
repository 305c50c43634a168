import * as assert from 'assert';
import { suggest } from '../../src/suggest';

describe('suggest', () => {
  it('names the candidate a typo was meant to be', () => {
    assert.strictEqual(suggest('comand', ['command', 'code', 'compute']), 'command');
  });

  it('matches names that differ only in case, dashes or underscores', () => {
    assert.strictEqual(suggest('displayName', ['display_name', 'description']), 'display_name');
  });

  it('suggests nothing when no candidate is close', () => {
    assert.strictEqual(suggest('banana', ['command', 'code']), undefined);
  });
});
