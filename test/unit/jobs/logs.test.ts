import * as assert from 'assert';
import { inertLine, lastLines, LogStream, maskSasUrl, selectLogs, type ReadLogFrom } from '../../../src/jobs/logs';

/** A growing blob; with `ranges` it answers Range reads as blob storage does (206, 416 past the end), else always 200. */
function blob(ranges: boolean) {
  const state = { text: '', reads: [] as number[] };
  const read: ReadLogFrom = async (_url, offset) => {
    state.reads.push(offset);
    const bytes = Buffer.from(state.text, 'utf8');
    if (!ranges || offset === 0) return { status: 200, text: bytes.toString('utf8') };
    if (offset >= bytes.length) return { status: 416, text: '' };
    return { status: 206, text: bytes.subarray(offset).toString('utf8') };
  };
  return { state, read };
}

function streamOf(read: ReadLogFrom, prefix?: string, tailLines?: number) {
  const printed: string[] = [];
  const stream = new LogStream({ print: (l) => printed.push(l), read, prefix, tailLines });
  return { stream, printed };
}

describe('LogStream', () => {
  for (const ranges of [true, false]) {
    describe(ranges ? 'with HTTP Range reads' : 'with a server that ignores Range', () => {
      it('prints only the lines added since the last poll, each once and in order', async () => {
        const b = blob(ranges);
        const { stream, printed } = streamOf(b.read);
        b.state.text = 'one\ntwo\n';
        assert.strictEqual(await stream.poll('u'), 2);
        assert.strictEqual(await stream.poll('u'), 0, 'nothing new');
        b.state.text += 'three\n';
        await stream.poll('u');
        b.state.text += 'four\nfive\n';
        await stream.poll('u');
        assert.deepStrictEqual(printed, ['one', 'two', 'three', 'four', 'five']);
      });

      it('holds back a line still being written and prints it whole once it ends', async () => {
        const b = blob(ranges);
        const { stream, printed } = streamOf(b.read);
        b.state.text = 'epoch 1\nepoch 2 loss=';
        await stream.poll('u');
        assert.deepStrictEqual(printed, ['epoch 1']);
        b.state.text += '0.5';
        await stream.poll('u');
        assert.deepStrictEqual(printed, ['epoch 1'], 'a partial line is never printed');
        b.state.text += '3\nepoch 3\n';
        await stream.poll('u');
        assert.deepStrictEqual(printed, ['epoch 1', 'epoch 2 loss=0.53', 'epoch 3']);
      });

      it('prints a last line without a newline on the final poll, and only once', async () => {
        const b = blob(ranges);
        const { stream, printed } = streamOf(b.read);
        b.state.text = 'a\nlast words';
        await stream.poll('u');
        await stream.poll('u', true);
        await stream.poll('u', true);
        assert.deepStrictEqual(printed, ['a', 'last words']);
      });

      it('keeps multi-byte characters and CRLF line ends intact', async () => {
        const b = blob(ranges);
        const { stream, printed } = streamOf(b.read);
        b.state.text = 'größe=1\r\nlöss=';
        await stream.poll('u');
        b.state.text += '0.5 ✓\r\n日本\n';
        await stream.poll('u');
        assert.deepStrictEqual(printed, ['größe=1', 'löss=0.5 ✓', '日本']);
      });
    });
  }

  it('reads from the byte offset after the last complete line', async () => {
    const b = blob(true);
    const { stream } = streamOf(b.read);
    b.state.text = 'ab\ncd';
    await stream.poll('u');
    b.state.text += 'e\n';
    await stream.poll('u');
    await stream.poll('u');
    assert.deepStrictEqual(b.state.reads, [0, 3, 7]);
  });

  it('prefixes every line and remembers only the last lines', async () => {
    const b = blob(true);
    const { stream, printed } = streamOf(b.read, '[prep] ', 2);
    b.state.text = '1\n2\n3\n';
    await stream.poll('u');
    assert.deepStrictEqual(printed, ['[prep] 1', '[prep] 2', '[prep] 3']);
    assert.deepStrictEqual(stream.lastLines(), ['2', '3']);
    assert.strictEqual(stream.linesPrinted, 3);
  });

  it('prints logging commands from the job inert, so a training script cannot drive the pipeline', async () => {
    const b = blob(true);
    const { stream, printed } = streamOf(b.read);
    b.state.text = 'epoch 1\n##vso[task.setvariable variable=deploy]yes\nsee ##VSO[task.complete result=Failed]\n##[error]boom\n## heading\n';
    await stream.poll('u');
    assert.deepStrictEqual(printed, ['epoch 1', '#\u200b#vso[task.setvariable variable=deploy]yes', 'see #\u200b#VSO[task.complete result=Failed]', '#\u200b#[error]boom', '## heading']);
    for (const line of printed) assert.doesNotMatch(line, /##vso\[|^##\[/i);
    assert.strictEqual(inertLine('plain'), 'plain');
  });

  it('prints nothing for a log that does not exist yet', async () => {
    const { stream, printed } = streamOf(async () => undefined);
    assert.strictEqual(await stream.poll('u'), 0);
    assert.deepStrictEqual(printed, []);
  });
});

describe('selectLogs', () => {
  it('picks the driver log of the common runtime, or rank 0 of a distributed job', () => {
    assert.deepStrictEqual(selectLogs({ 'user_logs/std_log.txt': 'a', 'system_logs/cs_capability/cs-capability.log': 'b' }, 'command'), ['user_logs/std_log.txt']);
    assert.deepStrictEqual(
      selectLogs({ 'user_logs/std_log_process_0.txt': 'a', 'user_logs/std_log_process_1.txt': 'b', 'user_logs/std_log_process_01.txt': 'c' }, 'command'),
      ['user_logs/std_log_process_0.txt'],
    );
  });

  it('falls back to the legacy log of the job type', () => {
    assert.deepStrictEqual(selectLogs({ 'azureml-logs/70_driver_log.txt': 'a', 'azureml-logs/55_azureml-execution.txt': 'b', 'logs/x.txt': 'c' }, 'command'), [
      'azureml-logs/55_azureml-execution.txt',
      'azureml-logs/70_driver_log.txt',
    ]);
    assert.deepStrictEqual(selectLogs({ 'azureml-logs/hyperdrive.txt': 'a' }, 'sweep'), ['azureml-logs/hyperdrive.txt']);
    assert.deepStrictEqual(selectLogs({ 'logs/azureml/executionlogs.txt': 'a' }, 'Pipeline'), ['logs/azureml/executionlogs.txt']);
    assert.deepStrictEqual(selectLogs({ 'azureml-logs/hyperdrive.txt': 'a' }, 'command'), []);
    assert.deepStrictEqual(selectLogs(undefined, 'command'), []);
  });
});

describe('lastLines and maskSasUrl', () => {
  it('gives the last n lines of a text, without the empty line after the last newline', () => {
    assert.deepStrictEqual(lastLines('1\n2\n3\n', 2), ['2', '3']);
    assert.deepStrictEqual(lastLines('1\r\n2', 5), ['1', '2']);
  });

  it('registers a SAS URL and its signature, encoded and decoded', () => {
    const secrets: string[] = [];
    const url = 'https://acct.blob.core.windows.net/c/user_logs/std_log.txt?sv=2021&sr=b&sig=ab%2Bcd%3D&se=2030';
    maskSasUrl(url, (s) => secrets.push(s));
    assert.deepStrictEqual(secrets, [url, 'ab%2Bcd%3D', 'ab+cd=']);
  });
});
