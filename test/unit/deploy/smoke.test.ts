import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../../../src/errors';
import { checkExpectations, valueAt } from '../../../src/deploy/expectations';
import { smokeSummary } from '../../../src/deploy/probe-report';
import { describeSmokeTest, parseExpectations, readRequestFiles, runSmokeTest } from '../../../src/deploy/smoke';
import { DEPLOYMENT, startScoringServer, TOKEN, type ScoringServer } from './scoring-server';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smoke-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function requestFile(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** Asserts a UserError about `input` (and, when given, the line) whose message matches. */
function userError(input: string, message: RegExp, line?: number) {
  return (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
    assert.strictEqual(e.input, input);
    if (line !== undefined) assert.strictEqual(e.line, line);
    assert.match(e.message, message);
    return true;
  };
}

/** The failures of one expectation line against a JSON body. */
function failuresOf(line: string, body: unknown): string[] {
  return checkExpectations(parseExpectations('smokeExpectations', line), typeof body === 'string' ? body : JSON.stringify(body));
}

describe('parseExpectations', () => {
  it('skips blank lines and # comments and keeps the line numbers', () => {
    const parsed = parseExpectations('smokeExpectations', '# shape\n\n$.predictions\n  /ok/i  \n');
    assert.deepStrictEqual(parsed.map((e) => [e.kind, e.line, e.text]), [['exists', 3, '$.predictions'], ['body', 4, '/ok/i']]);
  });

  it('reads each comparison operator with its JSON value', () => {
    for (const op of ['==', '!=', '>', '>=', '<', '<=']) {
      const [e] = parseExpectations('smokeExpectations', `$.score ${op} 0.5`);
      assert.ok(e.kind === 'compare');
      assert.strictEqual(e.operator, op);
      assert.strictEqual(e.value, 0.5);
    }
  });

  it('reads strings, booleans and null after == and !=, with or without spaces', () => {
    const values = parseExpectations('smokeExpectations', '$.label == "cat"\n$.ok==true\n$.error != null').map((e) => (e.kind === 'compare' ? e.value : 'not a comparison'));
    assert.deepStrictEqual(values, ['cat', true, null]);
  });

  it('reads the path steps: names, quoted names, indexes from the start and from the end', () => {
    const [e] = parseExpectations('smokeExpectations', `$.outputs['first name']["x.y"][0][-1].length`);
    assert.ok(e.kind === 'exists');
    assert.deepStrictEqual(e.path, [
      { kind: 'name', name: 'outputs' },
      { kind: 'name', name: 'first name' },
      { kind: 'name', name: 'x.y' },
      { kind: 'index', index: 0 },
      { kind: 'index', index: -1 },
      { kind: 'name', name: 'length' },
    ]);
  });

  it('reads ~= with a bare pattern and with a /pattern/flags literal', () => {
    const [bare, literal] = parseExpectations('smokeExpectations', '$.label ~= ^cat\n$.label ~= /^CAT/i');
    assert.ok(bare.kind === 'matches' && literal.kind === 'matches');
    assert.strictEqual(bare.pattern.source, '^cat');
    assert.strictEqual(literal.pattern.flags, 'i');
  });

  const invalid: Array<[string, RegExp]> = [
    ['predictions', /must start with '\$' \(a JSON path\) or '\/'/],
    ['$.', /a name must follow '\.'/],
    ['$[x]', /must hold a whole number or a quoted name/],
    ['$.a b', /'b' after the path is not an operator/],
    ['$.a >=', /a value must follow '>='/],
    ['$.label == cat', /'cat' is not a JSON value \(write strings in double quotes\)/],
    ['$.a == [1]', /must be a number, a string in double quotes, true, false or null/],
    ['$.a > true', /'>' compares numbers or strings, not true/],
    ['$.a ~= (', /'\(' is not a valid regular expression/],
    ['/unclosed', /a body pattern is written \/regex\/flags/],
    ['/a/q', /'\/a\/q' is not a valid regular expression \(Invalid flags/],
    ['/a/gg', /'\/a\/gg' is not a valid regular expression/],
  ];
  for (const [line, reason] of invalid) {
    it(`rejects '${line}' naming the input and the line, with the reason and how to write one`, () => {
      assert.throws(() => parseExpectations('smokeExpectations', `$.ok\n\n${line}`), (e: unknown) => {
        userError('smokeExpectations', reason, 3)(e);
        const message = (e as Error).message;
        assert.ok(message.startsWith(`Input 'smokeExpectations', line 3: '${line}' is not an expectation: `), message);
        assert.match(message, /Write one expectation per line: '\$\.path' \(the value exists\)/);
        return true;
      });
    });
  }
});

describe('checkExpectations', () => {
  const body = { predictions: [42, 7], label: 'cat-siamese', score: 0.93, ok: true, error: null, meta: { 'model name': 'm', count: 3 } };

  it('passes an existing path and fails a missing one, including null values as existing', () => {
    assert.deepStrictEqual(failuresOf('$.predictions', body), []);
    assert.deepStrictEqual(failuresOf('$.error', body), []);
    assert.deepStrictEqual(failuresOf('$.missing', body), ['$.missing: not found']);
    assert.deepStrictEqual(failuresOf('$.predictions[2]', body), ['$.predictions[2]: not found']);
  });

  const cases: Array<[string, boolean]> = [
    ['$.predictions[0] == 42', true],
    ['$.predictions[0] == 41', false],
    ['$.predictions[0] != 41', true],
    ['$.predictions[0] != 42', false],
    ['$.predictions[0] > 41', true],
    ['$.predictions[0] > 42', false],
    ['$.predictions[0] >= 42', true],
    ['$.predictions[0] >= 43', false],
    ['$.predictions[0] < 43', true],
    ['$.predictions[0] < 42', false],
    ['$.predictions[0] <= 42', true],
    ['$.predictions[0] <= 41', false],
    ['$.predictions[-1] == 7', true],
    ['$.predictions.length == 2', true],
    ['$.label.length == 11', true],
    ['$.label == "cat-siamese"', true],
    ['$.label > "cat"', true],
    ['$.ok == true', true],
    ['$.error == null', true],
    ["$.meta['model name'] == \"m\"", true],
    ['$.meta.count == 3', true],
    ['$.label ~= ^cat', true],
    ['$.label ~= ^dog', false],
    ['$.label ~= /^CAT/i', true],
    ['$.score ~= ^0\\.9', true],
    ['/"label":\\s*"cat/', true],
    ['/LABEL/', false],
    ['/LABEL/i', true],
  ];
  for (const [line, holds] of cases) {
    it(`${holds ? 'holds' : 'does not hold'}: ${line}`, () => {
      const failures = failuresOf(line, body);
      assert.deepStrictEqual(failures.length === 0, holds, failures.join('; '));
    });
  }

  it('says what the value was when a comparison fails', () => {
    assert.deepStrictEqual(failuresOf('$.predictions[0] >= 100', body), ['$.predictions[0] >= 100: was 42']);
    assert.deepStrictEqual(failuresOf('$.label == "dog"', body), ['$.label == "dog": was "cat-siamese"']);
    assert.deepStrictEqual(failuresOf('/dog/', body), ['/dog/: the body does not match']);
  });

  it('does not order values of different types: the string "50" is not > 10', () => {
    assert.deepStrictEqual(failuresOf('$.v > 10', { v: '50' }), ['$.v > 10: was "50"']);
  });

  it('fails path expectations on a body that is not JSON, while body patterns still apply', () => {
    assert.deepStrictEqual(failuresOf('$.x\n/hello/', 'hello world'), ['$.x: the response is not JSON']);
  });

  it('finds the root, and length only on arrays and strings', () => {
    assert.deepStrictEqual(valueAt([1, 2], []), [1, 2]);
    assert.strictEqual(valueAt({ length: 'long' }, [{ kind: 'name', name: 'length' }]), 'long');
    assert.strictEqual(valueAt(5, [{ kind: 'name', name: 'length' }]), undefined);
  });
});

describe('readRequestFiles', () => {
  it('returns the content of each file', () => {
    const a = requestFile('a.json', '{"data":[1]}');
    const b = requestFile('b.json', '{"data":[2]}');
    const files = readRequestFiles('smokeRequests', [a, b]);
    assert.deepStrictEqual(files.map((f) => [f.file, f.body.toString()]), [[a, '{"data":[1]}'], [b, '{"data":[2]}']]);
  });

  it('fails naming the input when a file does not exist', () => {
    const missing = path.join(dir, 'missing.json');
    assert.throws(() => readRequestFiles('smokeRequests', [missing]), userError('smokeRequests', /the request file '.*missing\.json' does not exist/));
  });

  it('fails naming the input when a file is empty or blank', () => {
    for (const text of ['', '  \n']) {
      const file = requestFile('empty.json', text);
      assert.throws(() => readRequestFiles('smokeRequests', [file]), userError('smokeRequests', /the request file '.*empty\.json' is empty/));
    }
  });

  it('fails naming the input when a path is a folder', () => {
    assert.throws(() => readRequestFiles('smokeRequests', [dir]), userError('smokeRequests', /is a folder, not a request file/));
  });
});

describe('runSmokeTest', () => {
  let server: ScoringServer;
  afterEach(async () => server?.close());

  const expectations = parseExpectations('smokeExpectations', '$.predictions\n$.predictions[0] >= 100');

  it('passes when every file gets HTTP 200 and every expectation holds', async () => {
    server = await startScoringServer((r) => ({ body: { predictions: [JSON.parse(r.body).x * 100] } }));
    const files = readRequestFiles('smokeRequests', [requestFile('one.json', '{"x":1}'), requestFile('two.json', '{"x":2}')]);
    const result = await runSmokeTest(server.target(), files, { expectations });
    assert.strictEqual(result.passed, true);
    assert.deepStrictEqual(result.results.map((r) => [r.status, r.passed, r.failures]), [[200, true, []], [200, true, []]]);
    assert.deepStrictEqual(server.received.map((r) => [r.body, r.deployment, r.authorization]), [
      ['{"x":1}', DEPLOYMENT, `Bearer ${TOKEN}`],
      ['{"x":2}', DEPLOYMENT, `Bearer ${TOKEN}`],
    ]);
  });

  it('fails a file whose answer does not meet an expectation, saying what was found', async () => {
    server = await startScoringServer(() => ({ body: { predictions: [42] } }));
    const files = readRequestFiles('smokeRequests', [requestFile('low.json', '{}')]);
    const result = await runSmokeTest(server.target(), files, { expectations });
    assert.strictEqual(result.passed, false);
    assert.deepStrictEqual(result.results[0].failures, ['$.predictions[0] >= 100: was 42']);
    assert.strictEqual(result.results[0].bodyExcerpt, '{"predictions":[42]}');
  });

  it('fails a file answered with an error status, and the test with it, while the other file passes', async () => {
    server = await startScoringServer((_r, i) => (i === 0 ? { status: 500, body: 'scoring script crashed' } : { body: { predictions: [100] } }));
    const files = readRequestFiles('smokeRequests', [requestFile('bad.json', '{}'), requestFile('good.json', '{}')]);
    const result = await runSmokeTest(server.target(), files, { expectations });
    assert.strictEqual(result.passed, false);
    assert.deepStrictEqual(result.results.map((r) => [r.status, r.passed, r.failures]), [[500, false, ['HTTP 500, not 200']], [200, true, []]]);
    assert.strictEqual(result.results[0].bodyExcerpt, 'scoring script crashed');
    assert.strictEqual(describeSmokeTest(result), "Smoke test of deployment 'green': 1 of 2 request(s) passed, so the test failed.");
  });

  it('fails an answer that came from another deployment', async () => {
    server = await startScoringServer(() => ({ body: { predictions: [100] }, answeredBy: 'blue' }));
    const result = await runSmokeTest(server.target(), readRequestFiles('smokeRequests', [requestFile('x.json', '{}')]), { expectations });
    assert.deepStrictEqual(result.results[0].failures, ["answered by deployment 'blue', not 'green'"]);
  });

  it('fails a file that gets no answer', async () => {
    server = await startScoringServer(() => ({ drop: true }));
    const result = await runSmokeTest(server.target(), readRequestFiles('smokeRequests', [requestFile('x.json', '{}')]), { expectations });
    assert.strictEqual(result.passed, false);
    assert.strictEqual(result.results[0].status, 0);
    assert.match(result.results[0].failures[0], /^no answer: /);
  });

  it('keeps only the first 500 characters of the answer', async () => {
    server = await startScoringServer(() => ({ body: { predictions: [1], pad: 'x'.repeat(1000) } }));
    const result = await runSmokeTest(server.target(), readRequestFiles('smokeRequests', [requestFile('x.json', '{}')]), { expectations: [] });
    assert.strictEqual(result.results[0].bodyExcerpt.length, 500);
  });

  it('logs one line per file', async () => {
    server = await startScoringServer(() => ({ body: { predictions: [42] } }));
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), warning() {}, debug() {} };
    let t = 0;
    await runSmokeTest(server.target(), readRequestFiles('smokeRequests', [requestFile('x.json', '{}')]), { expectations, log, now: () => (t += 30) });
    assert.deepStrictEqual(lines, [`Smoke request ${path.join(dir, 'x.json')}: HTTP 200 in 30 ms, failed: $.predictions[0] >= 100: was 42`]);
  });

  it('renders a summary with a row per file and the answer of each failed one', async () => {
    server = await startScoringServer((_r, i) => (i === 0 ? { body: { predictions: [100] } } : { status: 400, body: 'bad | input' }));
    const files = readRequestFiles('smokeRequests', [requestFile('ok.json', '{}'), requestFile('bad.json', '{}')]);
    let t = 0;
    const result = await runSmokeTest(server.target(), files, { expectations, now: () => (t += 5) });
    result.results.forEach((r) => (r.file = path.basename(r.file)));
    assert.strictEqual(
      smokeSummary(result).toMarkdown(),
      [
        '#### Smoke test of deployment green: failed',
        '',
        '1 of 2 request(s) passed.',
        '',
        '| Request | Status | Latency | Result |\n| --- | --- | --- | --- |\n| ok.json | 200 | 5 ms | passed |\n| bad.json | 400 | 5 ms | HTTP 400, not 200 |',
        '',
        'Answer to bad.json:',
        '',
        '```\nbad | input\n```',
        '',
      ].join('\n'),
    );
  });
});
