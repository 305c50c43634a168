/**
 * Renders what a task writes for the agent (`##vso[...]` logging commands among plain lines) as a developer reads
 * it in a terminal, and keeps what the agent would keep: output variables, the result, summaries and secrets to mask.
 */
export interface LoggingCommand {
  command: string;
  props: Record<string, string>;
  message: string;
}

const COMMAND = /^##vso\[([\w.]+)([^\]]*)\](.*)$/;

/** One `##vso[...]` line parsed, or undefined for a plain line. */
export function parseLoggingCommand(line: string): LoggingCommand | undefined {
  const m = COMMAND.exec(line.trimStart());
  if (!m) return undefined;
  const [, command, rawProps, rawMessage] = m;
  const props: Record<string, string> = {};
  for (const p of rawProps.trim().split(';').filter(Boolean)) {
    const i = p.indexOf('=');
    if (i < 0) props[p] = '';
    else props[p.slice(0, i)] = unescapeProperty(p.slice(i + 1));
  }
  return { command: command.toLowerCase(), props, message: unescapeMessage(rawMessage) };
}

function unescapeMessage(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%AZP25/g, '%');
}

function unescapeProperty(s: string): string {
  return unescapeMessage(s).replace(/%5D/g, ']').replace(/%3B/g, ';');
}

export interface RenderOptions {
  /** Show `task.debug` lines. */
  debug?: boolean;
  /** Secrets known before the task starts (e.g. the connection profile's client secret). */
  secrets?: string[];
}

export interface TaskOutcome {
  /** Output variables (isOutput=true) and plain variables the task set, by name. */
  outputs: Record<string, string>;
  /** Names of variables set as secrets. */
  secretOutputs: string[];
  /** Succeeded, SucceededWithIssues, Failed, ... as task.complete said; undefined when it never said. */
  result?: string;
  resultMessage?: string;
  errors: string[];
  warnings: string[];
  /** Markdown files the task uploaded as build summary. */
  summaries: string[];
  artifacts: Array<{ name: string; path: string }>;
}

export const MASK = '***';

/** Turns the task's output, line by line, into readable lines, masking every secret it has seen so far. */
export class AgentLogRenderer {
  readonly outcome: TaskOutcome = { outputs: {}, secretOutputs: [], errors: [], warnings: [], summaries: [], artifacts: [] };
  private readonly secrets = new Set<string>();

  constructor(private readonly options: RenderOptions = {}) {
    for (const s of options.secrets ?? []) this.addSecret(s);
  }

  addSecret(value: string): void {
    // The agent masks each line of a multi-line secret too (a PEM, for instance).
    for (const v of [value, ...value.split(/\r?\n/)]) if (v.trim().length > 0) this.secrets.add(v);
  }

  mask(text: string): string {
    let out = text;
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(MASK);
    return out;
  }

  /** The lines to print for one line of task output (none for commands the agent consumes silently). */
  render(line: string): string[] {
    const cmd = parseLoggingCommand(line);
    if (!cmd) return [this.mask(line)];
    const { command, props, message } = cmd;
    switch (command) {
      case 'task.setsecret':
        this.addSecret(message);
        return [];
      case 'task.debug':
        return this.options.debug ? this.mask(message).split('\n').map((l) => `DEBUG: ${l}`) : [];
      case 'task.issue':
      case 'task.logissue': {
        const error = (props.type ?? '').toLowerCase() === 'error';
        (error ? this.outcome.errors : this.outcome.warnings).push(message);
        const where = props.sourcepath ? ` (${props.sourcepath}${props.linenumber ? `:${props.linenumber}` : ''})` : '';
        return [`${error ? 'ERROR' : 'WARNING'}: ${this.mask(message)}${where}`];
      }
      case 'task.setvariable': {
        const name = props.variable ?? '';
        const secret = (props.issecret ?? '').toLowerCase() === 'true';
        if (secret) {
          this.addSecret(message);
          this.outcome.secretOutputs.push(name);
        }
        this.outcome.outputs[name] = message;
        const kind = (props.isoutput ?? props.isOutput ?? '').toLowerCase() === 'true' ? 'output' : 'variable';
        return [`${kind} ${name} = ${secret ? MASK : this.mask(message)}`];
      }
      case 'task.complete':
        this.outcome.result = props.result ?? 'Succeeded';
        this.outcome.resultMessage = message;
        return [];
      case 'task.uploadsummary':
        this.outcome.summaries.push(message);
        return [];
      case 'artifact.upload': {
        const name = props.artifactname ?? props.containerfolder ?? 'drop';
        this.outcome.artifacts.push({ name, path: message });
        return [`artifact ${name}: ${message} (a pipeline run would publish it)`];
      }
      case 'results.publish':
        return [`test results (${props.type ?? 'unknown format'}): ${props.resultFiles ?? props.resultfiles ?? message} (a pipeline run would publish them)`];
      case 'task.addattachment':
        return [`attachment ${props.name ?? ''}: ${message}`];
      case 'task.setprogress':
      case 'task.prependpath':
        return [];
      default:
        return this.options.debug ? [`DEBUG: ${this.mask(line)}`] : [];
    }
  }
}

/** The task's final result as a line, and whether it counts as a success (exit code 0). */
export function resultLine(outcome: TaskOutcome, exitCode: number | null): { line: string; ok: boolean } {
  const result = outcome.result ?? (exitCode === 0 ? 'Succeeded' : 'Failed');
  const ok = result === 'Succeeded' || result === 'SucceededWithIssues';
  const why = outcome.resultMessage ? `: ${outcome.resultMessage}` : outcome.result === undefined && exitCode !== 0 ? ` (exit code ${exitCode})` : '';
  return { line: `Result: ${result}${why}`, ok };
}
