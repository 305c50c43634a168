/**
 * A problem the user can fix: bad input, a missing file, a reference to something that does not exist.
 * Its message is shown as is, without a stack trace. Anything else that is thrown is a bug.
 */
/** Marks user errors across bundles: a task's code may come in more than one bundle, each with its own class. */
const USER_ERROR = Symbol.for('aml-mlops.UserError');

export class UserError extends Error {
  /** The task input the problem is about, when there is one. */
  readonly input?: string;
  /** A file (and line) the problem is about, when there is one. */
  readonly file?: string;
  readonly line?: number;

  constructor(message: string, where: { input?: string; file?: string; line?: number } = {}) {
    super(message);
    this.name = 'UserError';
    this.input = where.input;
    this.file = where.file;
    this.line = where.line;
    (this as unknown as Record<symbol, boolean>)[USER_ERROR] = true;
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError || (typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[USER_ERROR] === true);
}
