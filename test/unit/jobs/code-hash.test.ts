import * as assert from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UserError } from '../../../src/errors';
import { CONTENT_HASH_VERSION, hashCodeFolder, listCodeFiles } from '../../../src/jobs/code-hash';

let root: string;

function writeTree(files: Record<string, string | Buffer>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, ...name.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

async function relPaths(): Promise<string[]> {
  return (await listCodeFiles(root)).files.map((file) => file.relPath);
}

const TINY_TREE = {
  'a.txt': 'alpha\n',
  'B.txt': 'Bravo\n',
  'src/train.py': "print('hi')\n",
  'src/Utils/helpers.py': 'X = 1\n',
};

/** Each test builds its code folder in a fresh temporary folder. */
function useTempFolder(): void {
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'code-hash-'));
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });
}

describe('hashCodeFolder', () => {
  useTempFolder();

  it('computes the same hash as the Azure ML CLI algorithm for a known tree', async () => {
    writeTree(TINY_TREE);
    // Produced once with python3 over the same four files (os.walk, relpaths with "/", sha256 of the count,
    // then "#rel#"+size per file sorted by rel.lower(), then the file bytes in that order).
    const expected = '8fce3a877920c2f0e0a18c1695fe917d1d9e606379c40a7361bcd762f7e02bc7';
    const result = await hashCodeFolder(root);
    assert.strictEqual(result.hash, expected);
    assert.strictEqual(CONTENT_HASH_VERSION, '202208');
  });

  it('orders files by lower-cased relative path with / separators', async () => {
    writeTree(TINY_TREE);
    const result = await hashCodeFolder(root);
    assert.deepStrictEqual(
      result.files.map((file) => file.relPath),
      ['a.txt', 'B.txt', 'src/train.py', 'src/Utils/helpers.py'],
    );
    assert.deepStrictEqual(
      result.files.map((file) => file.absPath),
      ['a.txt', 'B.txt', path.join('src', 'train.py'), path.join('src', 'Utils', 'helpers.py')].map((p) => path.join(root, p)),
    );
  });

  it('reports each file size and the total bytes', async () => {
    writeTree(TINY_TREE);
    const result = await hashCodeFolder(root);
    assert.deepStrictEqual(result.files.map((file) => file.size), [6, 6, 12, 6]);
    assert.strictEqual(result.totalBytes, 30);
  });

  it('matches a direct implementation of the algorithm on binary content', async () => {
    const bytes = Buffer.from([0, 255, 1, 254, 10, 13]);
    writeTree({ 'z.bin': bytes, 'm/n.txt': 'n' });
    const direct = createHash('sha256')
      .update('2')
      .update('#m/n.txt#')
      .update('1')
      .update('#z.bin#')
      .update('6')
      .update('n')
      .update(bytes)
      .digest('hex');
    assert.strictEqual((await hashCodeFolder(root)).hash, direct);
  });

  it('hashes a single file as one entry named by its base name', async () => {
    writeTree(TINY_TREE);
    const result = await hashCodeFolder(path.join(root, 'src', 'train.py'));
    // Produced once with python3: sha256(b"1" + b"#train.py#" + b"12" + file bytes).
    assert.strictEqual(result.hash, 'a8e3b4f5c551770339ff44fac50fda589884560a3dabc75042a922fb8e3e7cb0');
    assert.deepStrictEqual(result.files, [{ absPath: path.join(root, 'src', 'train.py'), relPath: 'train.py', size: 12 }]);
  });

  it('changes when a file is renamed even if the content is the same', async () => {
    writeTree({ 'a.txt': 'same' });
    const before = (await hashCodeFolder(root)).hash;
    fs.renameSync(path.join(root, 'a.txt'), path.join(root, 'b.txt'));
    assert.notStrictEqual((await hashCodeFolder(root)).hash, before);
  });

  it('does not change when only ignored files change', async () => {
    writeTree({ ...TINY_TREE, '.amlignore': '*.log\n', 'run.log': 'one' });
    const before = (await hashCodeFolder(root)).hash;
    fs.writeFileSync(path.join(root, 'run.log'), 'two, longer');
    fs.writeFileSync(path.join(root, 'other.log'), 'new');
    assert.strictEqual((await hashCodeFolder(root)).hash, before);
  });

  it('fails with a UserError for an empty folder', async () => {
    await assert.rejects(hashCodeFolder(root), (e: unknown) => e instanceof UserError && /no files to upload/.test(e.message));
  });

  it('fails with a UserError naming the ignore file when every file is ignored', async () => {
    writeTree({ '.amlignore': '*\n', 'train.py': '' });
    await assert.rejects(hashCodeFolder(root), (e: unknown) => e instanceof UserError && /\.amlignore/.test(e.message));
  });

  it('fails with a UserError when the path does not exist', async () => {
    await assert.rejects(hashCodeFolder(path.join(root, 'missing')), (e: unknown) => e instanceof UserError && /does not exist/.test(e.message));
  });
});

describe('listCodeFiles: ignore files', () => {
  useTempFolder();

  it('follows .gitignore when there is no .amlignore', async () => {
    writeTree({ '.gitignore': '__pycache__/\n*.pyc\n', 'train.py': '', '__pycache__/train.cpython-311.pyc': '', 'lib/x.pyc': '' });
    assert.deepStrictEqual(await relPaths(), ['.gitignore', 'train.py']);
    assert.strictEqual((await listCodeFiles(root)).ignoreFile, path.join(root, '.gitignore'));
  });

  it('uses .amlignore instead of .gitignore when both exist', async () => {
    writeTree({ '.amlignore': 'data/\n', '.gitignore': '*.py\n', 'train.py': '', 'data/big.csv': '' });
    assert.deepStrictEqual(await relPaths(), ['.amlignore', '.gitignore', 'train.py']);
    assert.strictEqual((await listCodeFiles(root)).ignoreFile, path.join(root, '.amlignore'));
  });

  it('re-includes files with a negated pattern', async () => {
    writeTree({ '.amlignore': '*.csv\n!keep.csv\n', 'drop.csv': '', 'keep.csv': '', 'train.py': '' });
    assert.deepStrictEqual(await relPaths(), ['.amlignore', 'keep.csv', 'train.py']);
  });

  it('applies directory-only patterns to folders and not to files of that name', async () => {
    writeTree({ '.amlignore': 'outputs/\n', 'outputs/model.pkl': '', 'src/outputs/x.txt': '', 'notes/outputs': 'a file' });
    assert.deepStrictEqual(await relPaths(), ['.amlignore', 'notes/outputs']);
  });

  it('anchors patterns that start with a slash to the code folder', async () => {
    writeTree({ '.amlignore': '/build\n', 'build/a.txt': '', 'src/build/b.txt': '' });
    assert.deepStrictEqual(await relPaths(), ['.amlignore', 'src/build/b.txt']);
  });

  it('matches patterns case-sensitively, like the CLI', async () => {
    writeTree({ '.amlignore': '*.LOG\n', 'a.log': '', 'b.LOG': '' });
    assert.deepStrictEqual(await relPaths(), ['.amlignore', 'a.log']);
  });

  it('only reads the ignore file at the top of the code folder', async () => {
    writeTree({ 'sub/.gitignore': '*.txt\n', 'sub/a.txt': '', 'b.txt': '' });
    assert.deepStrictEqual(await relPaths(), ['b.txt', 'sub/.gitignore', 'sub/a.txt']);
  });

  it('includes everything when there is no ignore file', async () => {
    writeTree({ '.hidden': '', 'x/y/z.txt': '' });
    assert.deepStrictEqual(await relPaths(), ['.hidden', 'x/y/z.txt']);
    assert.strictEqual((await listCodeFiles(root)).ignoreFile, undefined);
  });
});

describe('listCodeFiles: symbolic links', () => {
  useTempFolder();

  before(function skipWithoutSymlinks() {
    // Windows needs developer mode or admin rights for symbolic links.
    if (process.platform === 'win32') this.skip();
  });

  it('follows a link to a file and names it by the link', async () => {
    writeTree({ 'real/config.json': '{}' });
    fs.mkdirSync(path.join(root, 'code'));
    fs.writeFileSync(path.join(root, 'code', 'train.py'), '');
    fs.symlinkSync(path.join(root, 'real', 'config.json'), path.join(root, 'code', 'config.json'));
    const { files } = await listCodeFiles(path.join(root, 'code'));
    assert.deepStrictEqual(files.map((f) => [f.relPath, f.size]), [['config.json', 2], ['train.py', 0]]);
  });

  it('does not loop on a link to a parent folder', async () => {
    writeTree({ 'a/file.txt': 'x' });
    fs.symlinkSync(root, path.join(root, 'a', 'loop'));
    assert.deepStrictEqual(await relPaths(), ['a/file.txt']);
  });

  it('fails with a UserError on a broken link', async () => {
    writeTree({ 'train.py': '' });
    fs.symlinkSync(path.join(root, 'gone'), path.join(root, 'dangling'));
    await assert.rejects(listCodeFiles(root), (e: unknown) => e instanceof UserError && /dangling/.test(e.message));
  });
});
