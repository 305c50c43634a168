import { armError, type FakeResponse, type Principal } from '../http';
import type { ValidationIssue } from '../schema';

export function ok(body: unknown, status = 200, headers?: Record<string, string>): FakeResponse {
  return { status, headers, body };
}

/** A 400 the way Azure ML reports a user mistake. */
export function userError(message: string, status = 400): FakeResponse {
  return armError(status, 'UserError', message);
}

export function notFound(message: string): FakeResponse {
  return armError(404, 'ResourceNotFound', message);
}

/** One 400 for every problem in a body, each named by its JSON path (also in `details[].target`). */
export function invalidBody(issues: ValidationIssue[], what: string): FakeResponse {
  const lines = issues.map((i) => `${i.path}: ${i.message}`);
  return {
    status: 400,
    body: {
      error: {
        code: 'UserError',
        message: `The request body for ${what} is invalid: ${lines.join('; ')}`,
        details: issues.map((i) => ({ code: 'BadRequest', target: i.path, message: `${i.path}: ${i.message}` })),
      },
    },
  };
}

export function systemData(principal: Principal | undefined, at: Date, previous?: SystemData): SystemData {
  const who = principal?.appId ?? 'fake-azure-seed';
  const when = at.toISOString();
  return {
    createdAt: previous?.createdAt ?? when,
    createdBy: previous?.createdBy ?? who,
    createdByType: previous?.createdByType ?? 'Application',
    lastModifiedAt: when,
    lastModifiedBy: who,
    lastModifiedByType: 'Application',
  };
}

export interface SystemData {
  createdAt: string;
  createdBy: string;
  createdByType: string;
  lastModifiedAt: string;
  lastModifiedBy: string;
  lastModifiedByType: string;
}
