/** A log file read from a byte offset: 206 = bytes from the offset, 200 = the whole file, 416 = nothing past it. */
export type ReadLogFrom = (url: string, offset: number) => Promise<{ status: number; text: string } | undefined>;

// The Azure ML CLI's choice of log to stream (azure-ai-ml JobLogPattern): the common-runtime driver log
// (`user_logs/std_log.txt`, or rank 0's `std_log_process_0.txt`), else the legacy log of the job type.
const COMMON_RUNTIME_STREAM_LOG = /^user_logs\/std_log[\D]*[0]*(?:_ps)?\.txt$/;
const LEGACY_LOGS: Record<string, RegExp> = {
  command: /^azureml-logs\/[\d]{2}.+\.txt$/,
  pipeline: /^logs\/azureml\/executionlogs\.txt$/,
  sweep: /^azureml-logs\/hyperdrive\.txt$/,
};

/** The names of the log files worth streaming, in the order to print them. */
export function selectLogs(logFiles: Record<string, string> | undefined, jobType: string | undefined): string[] {
  const names = Object.keys(logFiles ?? {});
  let chosen = names.filter((n) => COMMON_RUNTIME_STREAM_LOG.test(n));
  if (chosen.length === 0) {
    const legacy = LEGACY_LOGS[(jobType ?? 'command').toLowerCase()];
    chosen = legacy ? names.filter((n) => legacy.test(n)) : [];
  }
  return chosen.sort();
}

export interface LogStreamOptions {
  /** Prints one line (without its newline). */
  print: (line: string) => void;
  read: ReadLogFrom;
  /** Put before every printed line, e.g. `[prep] `. */
  prefix?: string;
  /** How many of the last lines to remember for error reports. */
  tailLines?: number;
}

/**
 * One growing log file printed line by line, each line once. The offset only ever moves past complete lines,
 * so a line still being written is fetched again next time instead of being printed in two pieces, and a
 * multi-byte character can never be cut by a range boundary.
 */
export class LogStream {
  private offset = 0;
  private readonly tail: string[] = [];
  private printed = 0;

  constructor(private readonly o: LogStreamOptions) {}

  /** Prints the lines added since the last call; `final` also prints a last line that has no newline. */
  async poll(url: string, final = false): Promise<number> {
    const r = await this.o.read(url, this.offset);
    if (!r || r.status === 416) return 0;
    let chunk = r.text;
    if (r.status !== 206 && this.offset > 0) {
      // The server sent the whole file: skip what was printed already.
      const bytes = Buffer.from(chunk, 'utf8');
      if (bytes.length <= this.offset) return 0;
      chunk = bytes.subarray(this.offset).toString('utf8');
    }
    const end = final ? chunk.length : chunk.lastIndexOf('\n') + 1;
    if (end <= 0) return 0;
    const complete = chunk.slice(0, end);
    this.offset += Buffer.byteLength(complete, 'utf8');
    const lines = complete.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    for (const raw of lines) this.emit(raw.replace(/\r$/, ''));
    return lines.length;
  }

  /** The last lines printed (at most `tailLines`). */
  lastLines(): string[] {
    return [...this.tail];
  }

  get linesPrinted(): number {
    return this.printed;
  }

  private emit(line: string): void {
    this.o.print(`${this.o.prefix ?? ''}${inertLine(line)}`);
    this.printed += 1;
    this.tail.push(line);
    const keep = this.o.tailLines ?? 50;
    if (this.tail.length > keep) this.tail.splice(0, this.tail.length - keep);
  }
}

/**
 * A line of a job's log made inert for the pipeline log. The agent treats `##vso[...]` anywhere in a line and
 * `##[...]` at its start as logging commands; a training script must not be able to set pipeline variables,
 * upload files or fail the step by printing one. A zero-width space after the first `#` keeps the line readable.
 */
export function inertLine(line: string): string {
  return line.includes('##') ? line.replace(/##(?=vso\[|\[)/gi, '#\u200b#') : line;
}

/** The last `n` lines of a whole log text. */
export function lastLines(text: string, n: number): string[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-n);
}

/** Registers a SAS URL as a secret: the whole URL and its signature, as sent and decoded. */
export function maskSasUrl(url: string, onSecret: (value: string) => void): void {
  onSecret(url);
  const sig = /[?&]sig=([^&#]+)/.exec(url)?.[1];
  if (!sig) return;
  onSecret(sig);
  try {
    const decoded = decodeURIComponent(sig);
    if (decoded !== sig) onSecret(decoded);
  } catch {
    // Not URI-encoded: registered as it is.
  }
}
