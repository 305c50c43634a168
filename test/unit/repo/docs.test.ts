import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { readJson, repoRoot, taskFolders } from './repo-files';

/**
 * The rule a task's reference page (docs/tasks/<Task>.md) follows, so that it cannot drift from its task.json:
 *
 * - "## Inputs": every table in that section whose first header cell is "Input" lists inputs, one per row, the
 *   name alone as a code span in the first cell. Together the rows name exactly the task.json inputs (none missing,
 *   none extra, none twice, any order, over one table or several).
 * - The second cell is the default. A cell that is exactly one code span is a literal and must equal task.json's
 *   `defaultValue`. An empty cell means no default. Any other text is prose describing a computed default ("the
 *   model name"); it must contain a space (so a bare `60` without backticks is not mistaken for prose) and is
 *   allowed only when task.json has no `defaultValue`. An input with a `defaultValue` must show it as a literal.
 * - An input with aliases mentions each alias as a code span in its row.
 * - "## Output variables": the tables in that section whose first header cell is "Variable" list exactly the
 *   task.json outputVariables. A name holding a `<placeholder>` (`output_<name>`) documents a family of variables
 *   named at run time and is not matched against task.json. A task without output variables still has the section,
 *   saying so, with no table rows.
 */

export interface TaskManifest {
  inputs: Array<{ name: string; defaultValue?: string; aliases?: string[] }>;
  outputVariables?: Array<{ name: string }>;
}

/** The lines of a level-2 section, up to the next level-2 heading; undefined when there is no such heading. */
function section(markdown: string, heading: string): string[] | undefined {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  if (start < 0) return undefined;
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => /^## /.test(l));
  return end < 0 ? rest : rest.slice(0, end);
}

/** Splits a table row into trimmed cells, keeping `|` inside code spans and escaped `\|`. */
function cells(row: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inCode = false;
  const body = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\' && body[i + 1] === '|') { cur += '|'; i++; continue; }
    if (c === '`') inCode = !inCode;
    if (c === '|' && !inCode) { out.push(cur.trim()); cur = ''; continue; }
    cur += c;
  }
  out.push(cur.trim());
  return out;
}

/** Body rows (header and separator dropped) of every table in these lines whose first header cell is `header`. */
function tableRows(lines: string[], header: string): string[][] {
  const rows: string[][] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim().startsWith('|')) continue;
    const isOurs = cells(lines[i])[0] === header && /^\|?\s*:?-{3,}/.test(lines[i + 1]?.trim() ?? '');
    let j = i + 1;
    while (j < lines.length && lines[j].trim().startsWith('|')) j++;
    if (isOurs) rows.push(...lines.slice(i + 2, j).map(cells));
    i = j - 1;
  }
  return rows;
}

const codeSpan = /^`([^`]*)`$/;

/** Every way the page disagrees with its task.json, as readable sentences; empty when it follows the rule. */
export function docDrift(markdown: string, manifest: TaskManifest): string[] {
  const problems: string[] = [];

  const inputs = section(markdown, 'Inputs');
  if (!inputs) problems.push('no "## Inputs" section');
  else {
    const rows = tableRows(inputs, 'Input');
    if (rows.length === 0 && manifest.inputs.length > 0) problems.push('no "| Input | Default | ... |" table under "## Inputs"');
    const seen = new Map<string, string[]>();
    for (const row of rows) {
      const name = codeSpan.exec(row[0])?.[1];
      if (!name || !/^[A-Za-z0-9_]+$/.test(name)) { problems.push(`an input row's first cell is not one input name in backticks: "${row[0]}"`); continue; }
      if (seen.has(name)) problems.push(`input \`${name}\` has two rows`);
      seen.set(name, row);
    }
    const declared = new Map(manifest.inputs.map((i) => [i.name, i]));
    for (const name of declared.keys()) if (!seen.has(name)) problems.push(`input \`${name}\` is in task.json but has no row`);
    for (const name of seen.keys()) if (!declared.has(name)) problems.push(`input \`${name}\` has a row but is not in task.json`);
    for (const [name, row] of seen) {
      const input = declared.get(name);
      if (!input) continue;
      const cell = row[1] ?? '';
      const expected = input.defaultValue ?? '';
      const literal = codeSpan.exec(cell)?.[1];
      if (expected !== '') {
        if (literal !== expected) problems.push(`input \`${name}\`: the Default cell is "${cell}", task.json's defaultValue is \`${expected}\``);
      } else if (literal !== undefined) {
        problems.push(`input \`${name}\`: the Default cell shows the literal "${cell}" but task.json has no defaultValue (describe a computed default in words)`);
      } else if (cell !== '' && !/\s/.test(cell)) {
        problems.push(`input \`${name}\`: the Default cell "${cell}" is neither empty, a code span, nor prose`);
      }
      for (const alias of input.aliases ?? []) {
        if (!row.join(' | ').includes(`\`${alias}\``)) problems.push(`input \`${name}\`: its alias \`${alias}\` is not mentioned in its row`);
      }
    }
  }

  const outputs = section(markdown, 'Output variables');
  const declaredOutputs = new Set((manifest.outputVariables ?? []).map((o) => o.name));
  if (!outputs) problems.push('no "## Output variables" section');
  else {
    const documented = new Set<string>();
    for (const row of tableRows(outputs, 'Variable')) {
      const name = codeSpan.exec(row[0])?.[1];
      if (!name) { problems.push(`an output row's first cell is not one variable name in backticks: "${row[0]}"`); continue; }
      if (/<[^>]+>/.test(name)) continue; // a family named at run time, such as output_<name>
      if (documented.has(name)) problems.push(`output variable \`${name}\` has two rows`);
      documented.add(name);
    }
    for (const name of declaredOutputs) if (!documented.has(name)) problems.push(`output variable \`${name}\` is in task.json but has no row`);
    for (const name of documented) if (!declaredOutputs.has(name)) problems.push(`output variable \`${name}\` has a row but is not in task.json`);
  }
  return problems;
}

describe('task reference pages', () => {
  for (const task of taskFolders().filter((t) => t.shipped)) {
    it(`docs/tasks/${task.name}.md matches tasks/${task.name}/task.json (inputs, defaults, aliases, output variables)`, () => {
      const doc = path.join(repoRoot, 'docs', 'tasks', `${task.name}.md`);
      assert.ok(fs.existsSync(doc), `docs/tasks/${task.name}.md is missing`);
      const problems = docDrift(fs.readFileSync(doc, 'utf8'), readJson<TaskManifest>('tasks', task.name, 'task.json'));
      assert.deepStrictEqual(problems, [], `docs/tasks/${task.name}.md drifted from its task.json:\n- ${problems.join('\n- ')}`);
    });
  }
});

describe('the reference page rule', () => {
  const manifest: TaskManifest = {
    inputs: [
      { name: 'azureSubscription', aliases: ['azureServiceConnection'] },
      { name: 'mode', defaultValue: 'submit' },
      { name: 'outputDirectory' },
    ],
    outputVariables: [{ name: 'jobName' }],
  };
  const page = (inputRows: string, outputSection = '| Variable | Value |\n| --- | --- |\n| `jobName` | The job. |\n| `output_<name>` | One per output. |') =>
    `# T\n\n## Inputs\n\n| Input | Default | Description |\n| --- | --- | --- |\n${inputRows}\n\n### Other\n\n| Line | Holds |\n| --- | --- |\n| \`x\` | y |\n\n## Output variables\n\n${outputSection}\n`;
  const good = [
    '| `azureSubscription` | | A connection (alias: `azureServiceConnection`). |',
    '| `mode` | `submit` | `submit` or `report`, a \\| b. |',
    '| `outputDirectory` | a folder named after the model | Where. |',
  ].join('\n');

  it('accepts a page that follows it, with rows in any order and other tables ignored', () => {
    assert.deepStrictEqual(docDrift(page(good), manifest), []);
    assert.deepStrictEqual(docDrift(page(good.split('\n').reverse().join('\n')), manifest), []);
  });

  it('accepts inputs split over several tables of the Inputs section', () => {
    const [a, b, c] = good.split('\n');
    const split = `${a}\n${b}\n\n### More\n\n| Input | Default | Description |\n| --- | --- | --- |\n${c}`;
    assert.deepStrictEqual(docDrift(page(split), manifest), []);
  });

  it('finds a missing, an extra and a duplicated input', () => {
    const rows = good.split('\n');
    assert.deepStrictEqual(docDrift(page(rows.slice(0, 2).join('\n')), manifest), ['input `outputDirectory` is in task.json but has no row']);
    assert.deepStrictEqual(docDrift(page(`${good}\n| \`extra\` | | No. |`), manifest), ['input `extra` has a row but is not in task.json']);
    assert.deepStrictEqual(docDrift(page(`${good}\n${rows[1]}`), manifest), ['input `mode` has two rows']);
  });

  it('finds a default that differs, a literal default task.json lacks, and a bare word', () => {
    assert.deepStrictEqual(docDrift(page(good.replace('| `submit` |', '| `report` |')), manifest), ['input `mode`: the Default cell is "`report`", task.json\'s defaultValue is `submit`']);
    assert.deepStrictEqual(docDrift(page(good.replace('| `submit` |', '| |')), manifest), ['input `mode`: the Default cell is "", task.json\'s defaultValue is `submit`']);
    assert.match(docDrift(page(good.replace('a folder named after the model', '`out`')), manifest)[0], /shows the literal "`out`" but task.json has no defaultValue/);
    assert.match(docDrift(page(good.replace('a folder named after the model', 'out')), manifest)[0], /neither empty, a code span, nor prose/);
  });

  it('finds a row naming several inputs and an alias that is not mentioned', () => {
    assert.match(docDrift(page(`${good}\n| \`a\`, \`b\` | | Two. |`), manifest)[0], /not one input name in backticks/);
    assert.deepStrictEqual(docDrift(page(good.replace('(alias: `azureServiceConnection`)', '')), manifest), ['input `azureSubscription`: its alias `azureServiceConnection` is not mentioned in its row']);
  });

  it('finds missing or extra output variables and a missing section', () => {
    assert.deepStrictEqual(docDrift(page(good, '| Variable | Value |\n| --- | --- |\n| `jobStatus` | x |'), manifest), [
      'output variable `jobName` is in task.json but has no row',
      'output variable `jobStatus` has a row but is not in task.json',
    ]);
    assert.deepStrictEqual(docDrift(page(good, 'None.'), { ...manifest, outputVariables: [] }), []);
    assert.deepStrictEqual(docDrift(page(good).replace('## Output variables', '## Outputs'), manifest), ['no "## Output variables" section']);
    assert.deepStrictEqual(docDrift(page(good).replace('## Inputs', '## Parameters'), manifest), ['no "## Inputs" section']);
  });
});
