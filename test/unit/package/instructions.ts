// A small Dockerfile reader for structural checks: instructions with their line, comments dropped, continuations joined.

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export function parseInstructions(dockerfile: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = dockerfile.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = lines[i].trim();
    if (!text || text.startsWith('#')) continue;
    while (text.endsWith('\\') && i + 1 < lines.length) text = `${text.slice(0, -1).trimEnd()} ${lines[++i].trim()}`;
    const match = /^(\S+)\s*(.*)$/.exec(text)!;
    out.push({ keyword: match[1].toUpperCase(), args: match[2], line: start + 1 });
  }
  return out;
}

/** `ENV A="b"` as [name, value], unquoting Docker's double-quoted form. */
export function envOf(instruction: Instruction): [string, string] {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(instruction.args);
  if (!match) throw new Error(`line ${instruction.line}: ENV is not in NAME=value form: ${instruction.args}`);
  const raw = match[2];
  const value = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  return [match[1], value];
}

/** COPY's flags, sources and destination. */
export function copyOf(instruction: Instruction): { flags: string[]; sources: string[]; dest: string } {
  const words = instruction.args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  return { flags, sources: paths.slice(0, -1), dest: paths[paths.length - 1] };
}
