import * as assert from 'assert';
import { link, Summary } from '../../src/summary';

describe('Summary', () => {
  it('is empty until a section is added', () => {
    const summary = new Summary();
    assert.strictEqual(summary.isEmpty(), true);
    summary.paragraph('x');
    assert.strictEqual(summary.isEmpty(), false);
  });

  it('renders sections separated by blank lines and ends with a newline', () => {
    const md = new Summary().heading('Azure ML job job_1').paragraph('Submitted.').toMarkdown();
    assert.strictEqual(md, '### Azure ML job job\\_1\n\nSubmitted.\n');
  });

  it('renders headings at level 3 by default and at the level asked for', () => {
    assert.strictEqual(new Summary().heading('Run').toMarkdown(), '### Run\n');
    assert.strictEqual(new Summary().heading('Run', 2).toMarkdown(), '## Run\n');
    assert.strictEqual(new Summary().heading('Run', 4).toMarkdown(), '#### Run\n');
  });

  it('escapes markdown characters in text so names show as written', () => {
    const md = new Summary().paragraph('train_model *v2* uses `env` [beta] <gpu> C:\\data').toMarkdown();
    assert.strictEqual(md, 'train\\_model \\*v2\\* uses \\`env\\` \\[beta\\] \\<gpu\\> C:\\\\data\n');
  });

  it('renders a table with a header, a separator and one line per row', () => {
    const md = new Summary()
      .table(['Metric', 'Value'], [
        ['accuracy', 0.93],
        ['loss', 0.12],
      ])
      .toMarkdown();
    assert.strictEqual(md, '| Metric | Value |\n| --- | --- |\n| accuracy | 0.93 |\n| loss | 0.12 |\n');
  });

  it('escapes pipes in table cells so they do not split the cell', () => {
    const md = new Summary().table(['a|b'], [['x | y']]).toMarkdown();
    assert.strictEqual(md, '| a\\|b |\n| --- |\n| x \\| y |\n');
  });

  it('turns newlines in table cells into line breaks, so a row stays on one line', () => {
    const md = new Summary().table(['Error'], [['first line\nsecond line\r\nthird']]).toMarkdown();
    assert.strictEqual(md, '| Error |\n| --- |\n| first line<br>second line<br>third |\n');
  });

  it('escapes markdown characters in table cells, leaving the line breaks it adds intact', () => {
    const md = new Summary().table(['Name'], [['<b>*x*</b>\n_y_']]).toMarkdown();
    assert.strictEqual(md, '| Name |\n| --- |\n| \\<b\\>\\*x\\*\\</b\\><br>\\_y\\_ |\n');
  });

  it('renders links in table cells with escaped text and the URL as given', () => {
    const md = new Summary().table(['Job'], [[link('job_1 [retry] | 2', 'https://ml.azure.com/runs/job_1?wsid=/subscriptions/s')]]).toMarkdown();
    assert.strictEqual(md, '| Job |\n| --- |\n| [job\\_1 \\[retry\\] \\| 2](https://ml.azure.com/runs/job_1?wsid=/subscriptions/s) |\n');
  });

  it('renders facts as a two-column table without header names', () => {
    const md = new Summary()
      .facts([
        ['Status', 'Completed'],
        ['Job', link('job_1', 'https://ml.azure.com/runs/job_1')],
      ])
      .toMarkdown();
    assert.strictEqual(md, '|  |  |\n| --- | --- |\n| Status | Completed |\n| Job | [job\\_1](https://ml.azure.com/runs/job_1) |\n');
  });

  it('leaves out facts whose value is missing or empty', () => {
    const md = new Summary()
      .facts([
        ['Status', 'Failed'],
        ['Compute', undefined],
        ['Experiment', ''],
        ['Error', 'Out of memory'],
      ])
      .toMarkdown();
    assert.strictEqual(md, '|  |  |\n| --- | --- |\n| Status | Failed |\n| Error | Out of memory |\n');
  });

  it('adds nothing when every fact is missing', () => {
    const summary = new Summary().facts([
      ['Compute', undefined],
      ['Experiment', ''],
    ]);
    assert.strictEqual(summary.isEmpty(), true);
  });

  it('renders code in a fence that text with triple backticks cannot close', () => {
    const md = new Summary().code('print("hi")\n```\n# not markdown').toMarkdown();
    assert.strictEqual(md, '```\nprint("hi")\n`\u200b``\n# not markdown\n```\n');
    assert.strictEqual(md.match(/^```$/gm)?.length, 2);
  });

  it('leaves text inside a code block unescaped', () => {
    assert.strictEqual(new Summary().code('a_b *c* | d').toMarkdown(), '```\na_b *c* | d\n```\n');
  });
});
