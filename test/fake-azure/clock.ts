/**
 * The workspace's notion of time for job lifecycles (start and end times, `runMinutes`), so a test or a benchmark
 * can play an hour-long job in seconds. Tokens, assertions and SAS expiry are not affected: the product checks
 * those against its own (real) clock, so the fake must too.
 */
export class SimulatedClock {
  private readonly realStart = Date.now();
  private readonly simulatedStart: number;
  private advancedMs = 0;

  constructor(
    private readonly options: {
      /** Simulated milliseconds per real millisecond; 0 (the default) stands still until `advance` is called. */
      rate?: number;
      /** Simulated time at construction; default now. */
      start?: Date;
    } = {},
  ) {
    this.simulatedStart = options.start?.getTime() ?? this.realStart;
  }

  now(): Date {
    const rate = this.options.rate ?? 0;
    return new Date(this.simulatedStart + (Date.now() - this.realStart) * rate + this.advancedMs);
  }

  /** Moves simulated time forward, e.g. by what an injected `sleep` was asked to wait. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`SimulatedClock.advance: ${ms} is not a duration`);
    this.advancedMs += ms;
  }
}
