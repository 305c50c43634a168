import * as assert from 'assert';
import { isUserError, UserError } from '../../src/errors';

describe('user errors', () => {
  it('are recognised whichever bundle made them, and other errors are not', () => {
    assert.strictEqual(isUserError(new UserError('bad input')), true);
    // A UserError made by another bundle's copy of the class: not an instance of this one, but marked.
    class OtherUserError extends Error {
      constructor(message: string) {
        super(message);
        (this as unknown as Record<symbol, boolean>)[Symbol.for('aml-mlops.UserError')] = true;
      }
    }
    const foreign = new OtherUserError('bad input');
    assert.ok(!(foreign instanceof UserError));
    assert.strictEqual(isUserError(foreign), true);
    for (const other of [new Error('bug'), new TypeError('bug'), null, undefined, 'text', { message: 'x' }]) assert.strictEqual(isUserError(other), false);
  });
});
