import { createHash, Hash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import ignore, { Ignore } from 'ignore';
import { UserError } from '../errors';

/** The `hash_version` Azure ML stores next to `hash_sha256` on a code version. */
export const CONTENT_HASH_VERSION = '202208';

export interface CodeFile {
  absPath: string;
  /** Relative to the code folder, always with `/`; for a single file, its base name. */
  relPath: string;
  size: number;
}

export interface CodeHash {
  /** SHA-256 hex digest, as the Azure ML CLI computes it (hash version 202208). */
  hash: string;
  /** The files that make up the snapshot, in hashing order. */
  files: CodeFile[];
  totalBytes: number;
  /** The ignore file that was applied (`.amlignore`, else `.gitignore`, in the folder itself), if any. */
  ignoreFile?: string;
}

/**
 * The content hash of a code folder (or a single file) exactly as `az ml` computes it, so that a
 * snapshot the CLI already uploaded is found and reused: SHA-256 over the file count, then
 * `#<relPath>#<size>` per file sorted by lower-cased path, then every file's bytes in that order.
 */
export async function hashCodeFolder(codePath: string, what: ContentKind = CODE): Promise<CodeHash> {
  const { files, ignoreFile } = await listCodeFiles(codePath, what);
  const hash = createHash('sha256');
  hash.update(String(files.length));
  for (const file of files) {
    hash.update(`#${file.relPath}#`);
    hash.update(String(file.size));
  }
  for (const file of files) await hashFileInto(hash, file.absPath);
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  return { hash: hash.digest('hex'), files, totalBytes, ...(ignoreFile ? { ignoreFile } : {}) };
}

/** What is being uploaded, for messages: the job's code, or a model's files. The hash is the same for both. */
export interface ContentKind {
  noun: string;
  /** What to do about an empty folder. */
  emptyHint: string;
}

const CODE: ContentKind = { noun: 'code', emptyHint: 'Point code at the folder with your training script.' };

/** The files the CLI would upload for this path, sorted the way the hash needs them. */
export async function listCodeFiles(codePath: string, what: ContentKind = CODE): Promise<{ files: CodeFile[]; ignoreFile?: string }> {
  const root = path.resolve(codePath);
  const stat = await statOrUndefined(root);
  if (!stat) throw new UserError(`The ${what.noun} path ${codePath} does not exist (looked for ${root}).`);
  if (stat.isFile()) return { files: [{ absPath: root, relPath: path.basename(root), size: stat.size }] };
  if (!stat.isDirectory()) throw new UserError(`The ${what.noun} path ${codePath} is neither a file nor a folder.`);

  const ignoreFile = await findIgnoreFile(root);
  // Case-sensitive like the CLI's pathspec matching, whatever the platform.
  const rules = ignore({ ignorecase: false });
  if (ignoreFile) rules.add(await fs.promises.readFile(ignoreFile, 'utf8'));

  const files: CodeFile[] = [];
  await walk(root, '', rules, new Set([await fs.promises.realpath(root)]), files, what);
  if (files.length === 0) {
    const why = ignoreFile ? ` once ${path.basename(ignoreFile)} is applied` : '';
    throw new UserError(`The ${what.noun} folder ${codePath} has no files to upload${why}. ${what.emptyHint}`);
  }
  files.sort(byHashOrder);
  return ignoreFile ? { files, ignoreFile } : { files };
}

async function findIgnoreFile(root: string): Promise<string | undefined> {
  for (const name of ['.amlignore', '.gitignore']) {
    const candidate = path.join(root, name);
    if ((await statOrUndefined(candidate))?.isFile()) return candidate;
  }
  return undefined;
}

/** Follows symbolic links like the CLI (os.walk with followlinks), but never loops on a link to an ancestor. */
async function walk(dir: string, relDir: string, rules: Ignore, ancestors: Set<string>, files: CodeFile[], what: ContentKind): Promise<void> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const absPath = path.join(dir, entry.name);
    const relPath = relDir ? `${relDir}/${entry.name}` : entry.name;
    const stat = entry.isSymbolicLink() ? await statOrUndefined(absPath) : await fs.promises.stat(absPath);
    if (!stat) {
      throw new UserError(`The ${what.noun} folder contains ${relPath}, a link to something that does not exist. Remove it or add it to .amlignore.`);
    }
    if (stat.isDirectory()) {
      if (rules.ignores(`${relPath}/`)) continue;
      const real = await fs.promises.realpath(absPath);
      if (ancestors.has(real)) continue;
      await walk(absPath, relPath, rules, new Set([...ancestors, real]), files, what);
    } else if (stat.isFile()) {
      if (rules.ignores(relPath)) continue;
      files.push({ absPath, relPath, size: stat.size });
    }
  }
}

/** Python sorts by `relPath.lower()` comparing code points; ties keep a stable, exact order. */
function byHashOrder(a: CodeFile, b: CodeFile): number {
  return compareCodePoints(a.relPath.toLowerCase(), b.relPath.toLowerCase()) || compareCodePoints(a.relPath, b.relPath);
}

function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = (left[i].codePointAt(0) as number) - (right[i].codePointAt(0) as number);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

function hashFileInto(hash: Hash, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = fs.createReadStream(file);
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve());
  });
}

async function statOrUndefined(file: string): Promise<fs.Stats | undefined> {
  try {
    return await fs.promises.stat(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}
