import * as fs from 'fs';
import { UserError } from '../errors';
import type { Log } from '../log';
import { checkExpectations, type Expectation } from './expectations';
import { score, type ScoreOptions, type ScoringTarget } from './scoring';

export { parseExpectations, type Expectation } from './expectations';

export interface RequestFile {
  /** As the user named it, for messages and the summary. */
  file: string;
  body: Buffer;
}

export interface SmokeTestOptions extends ScoreOptions {
  expectations: Expectation[];
  log?: Log;
}

export interface SmokeFileResult {
  file: string;
  /** HTTP status, 0 when no answer came. */
  status: number;
  latencyMs: number;
  passed: boolean;
  /** Why it did not pass: 'HTTP 500, not 200', '$.predictions[0] >= 100: was 42'. */
  failures: string[];
  /** The first BODY_EXCERPT_CHARS characters of the answer. */
  bodyExcerpt: string;
  answeredBy?: string;
}

export interface SmokeResult {
  deployment: string;
  passed: boolean;
  results: SmokeFileResult[];
}

export const BODY_EXCERPT_CHARS = 500;

/**
 * Every request file, read up front so a wrong path fails before the deployment is touched.
 * A file that is missing, a folder or empty is a UserError naming the input.
 */
export function readRequestFiles(inputName: string, files: string[]): RequestFile[] {
  return files.map((file) => {
    let body: Buffer;
    try {
      body = fs.readFileSync(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EISDIR') throw new UserError(`Input '${inputName}': '${file}' is a folder, not a request file.`, { input: inputName });
      if (code === 'ENOENT') {
        throw new UserError(`Input '${inputName}': the request file '${file}' does not exist. Check the path; relative paths start at ${process.cwd()}.`, { input: inputName });
      }
      throw new UserError(`Input '${inputName}': the request file '${file}' cannot be read (${(e as Error).message}).`, { input: inputName });
    }
    if (body.length === 0 || body.toString('utf8').trim() === '') {
      throw new UserError(`Input '${inputName}': the request file '${file}' is empty. Put the body of one scoring request in it, as the deployment's scoring script expects it.`, {
        input: inputName,
      });
    }
    return { file, body };
  });
}

/**
 * Sends each request file once, in order, to the deployment. A file passes when the answer is HTTP 200 from
 * that deployment and every expectation holds for its body; the test passes when every file does.
 */
export async function runSmokeTest(target: ScoringTarget, requests: RequestFile[], options: SmokeTestOptions): Promise<SmokeResult> {
  if (requests.length === 0) throw new Error('A smoke test needs at least one request file.');
  const { expectations, log, ...scoreOptions } = options;
  const results: SmokeFileResult[] = [];
  for (const request of requests) {
    const response = await score(target, request.body, scoreOptions);
    const failures: string[] = [];
    if (response.error) failures.push(`no answer: ${response.error}`);
    else if (response.status !== 200) failures.push(`HTTP ${response.status}, not 200`);
    else {
      if (response.answeredBy && response.answeredBy !== target.deployment) failures.push(`answered by deployment '${response.answeredBy}', not '${target.deployment}'`);
      failures.push(...checkExpectations(expectations, response.body));
    }
    const result: SmokeFileResult = {
      file: request.file,
      status: response.status,
      latencyMs: Math.round(response.latencyMs),
      passed: failures.length === 0,
      failures,
      bodyExcerpt: response.body.slice(0, BODY_EXCERPT_CHARS),
      answeredBy: response.answeredBy,
    };
    log?.info(describeSmokeFile(result));
    results.push(result);
  }
  return { deployment: target.deployment, passed: results.every((r) => r.passed), results };
}

/** One log line for one request file. */
export function describeSmokeFile(r: SmokeFileResult): string {
  const answer = r.status === 0 ? 'no answer' : `HTTP ${r.status}`;
  const verdict = r.passed ? 'passed' : `failed: ${r.failures.join('; ')}`;
  return `Smoke request ${r.file}: ${answer} in ${r.latencyMs} ms, ${verdict}`;
}

/** One log line for the whole smoke test. */
export function describeSmokeTest(result: SmokeResult): string {
  const passed = result.results.filter((r) => r.passed).length;
  return `Smoke test of deployment '${result.deployment}': ${passed} of ${result.results.length} request(s) passed${result.passed ? '.' : ', so the test failed.'}`;
}
