import { armError, type FakeResponse } from './http';
import { newGuid } from './jwt';
import { seededRandom } from '../support/random';

export type FaultKind = '429' | '500' | '503' | 'reset';
export const FAULT_KINDS: readonly FaultKind[] = ['429', '500', '503', 'reset'];

export interface FaultSettings {
  /** Share of eligible requests that fail, 0..1. */
  rate: number;
  kinds?: FaultKind[];
  /** Same seed and same request sequence, same faults. */
  seed?: number;
  /** Also fail Entra, Azure DevOps and IMDS requests (by default only ARM and data plane). */
  includeIdentity?: boolean;
}

/** Used when no seed is given, so an unseeded run is still reproducible. */
const DEFAULT_SEED = 0x5eed;

/** Decides which requests fail, and counts what it injected. */
export class FaultInjector {
  private settings: Required<FaultSettings> | undefined;
  private random: () => number = seededRandom(DEFAULT_SEED);
  private readonly counts: Record<FaultKind, number> = { '429': 0, '500': 0, '503': 0, reset: 0 };

  set(settings: FaultSettings | undefined): void {
    if (!settings) {
      this.settings = undefined;
      return;
    }
    const kinds = settings.kinds ?? [...FAULT_KINDS];
    if (!(settings.rate >= 0 && settings.rate <= 1)) throw new RangeError(`Fault rate must be between 0 and 1, got ${settings.rate}`);
    if (kinds.length === 0 || kinds.some((k) => !FAULT_KINDS.includes(k))) {
      throw new RangeError(`Fault kinds must be a non-empty subset of ${FAULT_KINDS.join(', ')}`);
    }
    const seed = settings.seed ?? DEFAULT_SEED;
    this.settings = { rate: settings.rate, kinds, seed, includeIdentity: settings.includeIdentity ?? false };
    this.random = seededRandom(seed);
  }

  /** The fault to inject for this request, if any. Identity requests are eligible only when asked for. */
  decide(isIdentityRequest: boolean): FaultKind | undefined {
    const s = this.settings;
    if (!s || (isIdentityRequest && !s.includeIdentity)) return undefined;
    if (this.random() >= s.rate) return undefined;
    const kind = s.kinds[Math.floor(this.random() * s.kinds.length)];
    this.counts[kind] += 1;
    return kind;
  }

  get injected(): number {
    return FAULT_KINDS.reduce((n, k) => n + this.counts[k], 0);
  }

  get byKind(): Readonly<Record<FaultKind, number>> {
    return { ...this.counts };
  }
}

/** The answer for an injected fault; a reset has none (the socket is dropped). */
export function faultResponse(kind: Exclude<FaultKind, 'reset'>): FakeResponse {
  // Retry-After: 0 keeps clients' retries fast without product-side test switches.
  const headers = { 'Retry-After': '0' };
  switch (kind) {
    case '429':
      return armError(429, 'TooManyRequests', 'The request is being throttled as the limit has been reached for this operation type. Please retry after the time in the Retry-After header.', headers);
    case '500':
      return armError(500, 'InternalServerError', `Encountered internal server error. Diagnostic information: timestamp '${new Date().toISOString()}', tracking id '${newGuid()}'.`, headers);
    case '503':
      return armError(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Please retry the request.', headers);
  }
}
