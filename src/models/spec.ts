import * as fs from 'fs';
import * as path from 'path';
import { LineCounter, isMap, isScalar, parseDocument, type Node } from 'yaml';
import { UserError } from '../errors';
import { suggest } from '../suggest';

/** What a model YAML (`az ml model create -f model.yml`) says; every field optional. */
export interface ModelSpec {
  file: string;
  name?: string;
  version?: string;
  /** As written: a URI, or a local path resolved from the file's folder. */
  path?: string;
  type?: string;
  description?: string;
  tags?: Record<string, string>;
  properties?: Record<string, string>;
  stage?: string;
}

const FIELDS = ['$schema', 'name', 'version', 'path', 'type', 'description', 'tags', 'properties', 'stage'] as const;

/** Reads a model YAML. Every problem is a UserError naming the file and line. */
export function loadModelSpec(file: string): ModelSpec {
  const absFile = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(absFile, 'utf8');
  } catch {
    throw new UserError(`Input 'modelSpec': the file '${file}' does not exist or cannot be read.`, { input: 'modelSpec' });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const fail = (message: string, node?: Node | null): never => {
    const offset = node?.range?.[0];
    const line = offset === undefined ? undefined : lineCounter.linePos(offset).line;
    throw new UserError(`${file}${line ? `:${line}` : ''}: ${message}`, { file, line });
  };
  if (doc.errors[0]) {
    const line = lineCounter.linePos(doc.errors[0].pos[0]).line;
    throw new UserError(`${file}:${line}: the model file is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`, { file, line });
  }
  const root = doc.contents as Node | null;
  if (!root || (isScalar(root) && root.value === null)) fail('the model file is empty; it needs at least name and path.');
  if (!isMap(root)) return fail('the model file must be a mapping of fields (name, version, path, type...).', root);

  const spec: ModelSpec = { file: absFile };
  for (const pair of root.items) {
    const keyNode = pair.key as Node;
    const key = isScalar(keyNode) ? String(keyNode.value) : '';
    const value = pair.value as Node | null;
    if (!(FIELDS as readonly string[]).includes(key)) {
      const supported = FIELDS.filter((f) => f !== '$schema');
      const guess = suggest(key, supported);
      fail(`unknown field "${key}".${guess ? ` Did you mean "${guess}"?` : ''} Supported: ${supported.join(', ')}.`, keyNode);
    }
    if (key === '$schema') continue;
    if (key === 'tags' || key === 'properties') {
      spec[key] = stringMap(value, key, keyNode, fail);
      continue;
    }
    if (!isScalar(value) || value.value === null || typeof value.value === 'object') fail(`${key} must be a single value.`, value ?? keyNode);
    const text = String((value as { value: unknown }).value).trim();
    if (key === 'name' || key === 'version' || key === 'type' || key === 'description' || key === 'stage') spec[key] = text;
    else if (key === 'path') spec.path = text;
  }
  if (spec.type && !MODEL_TYPES.includes(spec.type as ModelType)) {
    const node = root.items.find((p) => isScalar(p.key) && p.key.value === 'type')?.value as Node;
    fail(`type '${spec.type}' is not a model type: use ${MODEL_TYPES.join(', ')}.`, node);
  }
  return spec;
}

export const MODEL_TYPES = ['custom_model', 'mlflow_model', 'triton_model'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

function stringMap(node: Node | null, field: string, keyNode: Node, fail: (m: string, n?: Node | null) => never): Record<string, string> {
  if (node === null || (isScalar(node) && node.value === null)) return {};
  if (!isMap(node)) return fail(`${field} must be a mapping of name: value.`, node);
  const out: Record<string, string> = {};
  for (const pair of node.items) {
    const k = pair.key as Node;
    const v = pair.value as Node | null;
    if (!isScalar(k) || k.value === null) fail(`${field} has a key that is not a plain name.`, k ?? keyNode);
    if (v !== null && (!isScalar(v) || typeof v.value === 'object' && v.value !== null)) fail(`${field}.${String((k as { value: unknown }).value)} must be a single value.`, v);
    out[String((k as { value: unknown }).value)] = v === null || (v as { value: unknown }).value === null ? '' : String((v as { value: unknown }).value);
  }
  return out;
}
