/** Markdown for the run summary tab. Tasks add sections; escaping lives here, once. */
export class Summary {
  private readonly parts: string[] = [];

  heading(text: string, level: 2 | 3 | 4 = 3): this {
    this.parts.push(`${'#'.repeat(level)} ${escapeText(text)}`);
    return this;
  }

  paragraph(text: string): this {
    this.parts.push(escapeText(text));
    return this;
  }

  /** A two-column table of facts; values may be links made with `link()`. */
  facts(rows: Array<[string, string | Link | undefined]>): this {
    const present = rows.filter(([, v]) => v !== undefined && v !== '');
    if (present.length === 0) return this;
    return this.table(['', ''], present.map(([k, v]) => [k, v as string | Link]));
  }

  table(header: string[], rows: Array<Array<string | number | Link>>): this {
    const cell = (c: string | number | Link) => (typeof c === 'object' ? `[${escapeCell(c.text)}](${escapeUrl(c.url)})` : escapeCell(String(c)));
    const lines = [`| ${header.map(escapeCell).join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
    for (const row of rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
    this.parts.push(lines.join('\n'));
    return this;
  }

  code(text: string): this {
    this.parts.push('```\n' + text.replace(/```/g, '`\u200b``') + '\n```');
    return this;
  }

  isEmpty(): boolean {
    return this.parts.length === 0;
  }

  toMarkdown(): string {
    return this.parts.join('\n\n') + '\n';
  }
}

export interface Link {
  text: string;
  url: string;
}

export function link(text: string, url: string): Link {
  return { text, url };
}

function escapeText(text: string): string {
  return text.replace(/([\\`*_[\]<>])/g, '\\$1');
}

function escapeCell(text: string): string {
  return escapeText(text).replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** Characters that would end a markdown link or a table cell early. */
function escapeUrl(url: string): string {
  return url.replace(/[ ()|<>]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}
