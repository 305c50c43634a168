#!/usr/bin/env node
// Generates test/fake-azure/schemas/2024-04-01.json from the official Azure ML REST spec
// (Azure/azure-rest-api-specs). Run by developers when the contract changes, never by tests or CI:
//
//   node scripts/extract-spec-schemas.mjs [--specs /work/shared/specs] [--out test/fake-azure/schemas/2024-04-01.json]
//
// Keeps only the definitions reachable from the request bodies the fake accepts, rewrites every
// $ref to a local '#/definitions/<Name>', drops documentation-only keywords and precomputes the
// discriminator maps (base definition -> discriminator value -> concrete definition).

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const argValue = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const specsDir = resolve(argValue('--specs', '/work/shared/specs'));
const outFile = resolve(argValue('--out', join(here, '..', 'test', 'fake-azure', 'schemas', '2024-04-01.json')));

const API_VERSION = '2024-04-01';
const MAIN_FILE = `azureml-rest/${API_VERSION}/mfe.json`;
const UPSTREAM_COMMIT = readUpstreamCommit();
const UPSTREAM_DIR = `specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/${API_VERSION}`;

// Request bodies the fake validates (PUT/POST payloads).
const ROOTS = [
  'JobBaseResource',
  'CodeContainerResource', 'CodeVersionResource',
  'EnvironmentContainerResource', 'EnvironmentVersionResource',
  'DataContainerResource', 'DataVersionBaseResource',
  'ModelContainerResource', 'ModelVersionResource',
  'ComponentContainerResource', 'ComponentVersionResource',
  'PendingUploadRequestDto',
  'OnlineEndpointTrackedResource', 'OnlineDeploymentTrackedResource',
  'BatchEndpointTrackedResource', 'BatchDeploymentTrackedResource',
  'PartialMinimalTrackedResourceWithIdentity', 'PartialMinimalTrackedResourceWithSku',
  'RegenerateEndpointKeysRequest', 'DeploymentLogsRequest',
];

// Registry model versions (RegistryModelVersions_CreateOrUpdate, _CreateOrGetStartPendingUpload) take the same
// bodies as workspace ones; fail loudly if a spec update gives them definitions of their own.
const REGISTRY_BODY_PATHS = /\/registries\/\{registryName\}\/models\/\{modelName\}\/versions\/\{version\}(\/startPendingUpload)?$/;

// Keywords the validator uses; everything else (descriptions, examples, client names) is dropped.
const KEEP = new Set([
  'type', 'format', 'required', 'enum', 'properties', 'additionalProperties', 'allOf', '$ref', 'items',
  'readOnly', 'x-nullable', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum',
  'exclusiveMaximum', 'minItems', 'maxItems', 'uniqueItems', 'discriminator', 'x-ms-discriminator-value',
  'x-ms-mutability', 'default',
]);

function readUpstreamCommit() {
  const readme = readFileSync(join(specsDir, 'README.md'), 'utf8');
  const m = /commit\s+`([0-9a-f]{40})`/.exec(readme);
  if (!m) throw new Error(`no upstream commit found in ${join(specsDir, 'README.md')}`);
  return m[1];
}

const files = new Map(); // absolute path -> parsed JSON
function load(file) {
  if (!files.has(file)) files.set(file, JSON.parse(readFileSync(file, 'utf8')));
  return files.get(file);
}

// The specs refer to common types five levels up; the local copy is shallower (see specs/README.md).
function refTarget(fromFile, ref) {
  const [filePart, pointer] = ref.split('#');
  let file = fromFile;
  if (filePart) {
    file = filePart.startsWith('../../../../../common-types/')
      ? join(specsDir, 'common-types', filePart.slice('../../../../../common-types/'.length))
      : resolve(dirname(fromFile), filePart);
  }
  const m = /^\/definitions\/(.+)$/.exec(pointer ?? '');
  if (!m) throw new Error(`unsupported $ref ${ref} in ${fromFile}`);
  return { file, name: decodeURIComponent(m[1]) };
}

const mainFile = join(specsDir, MAIN_FILE);
const keyOf = (t) => `${t.file}#${t.name}`;
const localNames = new Map(); // key -> local name
const usedNames = new Map(); // local name -> key

function localName(target) {
  const key = keyOf(target);
  if (localNames.has(key)) return localNames.get(key);
  let name = target.name;
  if (usedNames.has(name) && usedNames.get(name) !== key) {
    name = `${basename(target.file, '.json')}.${target.name}`;
  }
  localNames.set(key, name);
  usedNames.set(name, key);
  return name;
}

function definitionOf(target) {
  const def = load(target.file).definitions?.[target.name];
  if (!def) throw new Error(`missing definition ${target.name} in ${target.file}`);
  return def;
}

// Children of a polymorphic base: definitions in the same file whose allOf names the base.
function childrenOf(target) {
  const defs = load(target.file).definitions;
  const out = [];
  for (const [name, def] of Object.entries(defs)) {
    for (const part of def.allOf ?? []) {
      if (part.$ref && keyOf(refTarget(target.file, part.$ref)) === keyOf(target)) out.push({ file: target.file, name });
    }
  }
  return out;
}

function hasDiscriminatorUpChain(target, seen = new Set()) {
  const def = definitionOf(target);
  if (def.discriminator) return true;
  if (seen.has(keyOf(target))) return false;
  seen.add(keyOf(target));
  return (def.allOf ?? []).some((p) => p.$ref && hasDiscriminatorUpChain(refTarget(target.file, p.$ref), seen));
}

for (const [path, operations] of Object.entries(load(mainFile).paths)) {
  if (!REGISTRY_BODY_PATHS.test(path)) continue;
  for (const [method, op] of Object.entries(operations)) {
    const body = (op.parameters ?? []).find((p) => p.in === 'body');
    if (!body) continue;
    const name = refTarget(mainFile, body.schema.$ref).name;
    if (!ROOTS.includes(name)) throw new Error(`${method.toUpperCase()} ${path} takes ${name}, which is not among the roots`);
  }
}

const output = {};
const queue = ROOTS.map((name) => ({ file: mainFile, name }));
const visited = new Set();

function rewrite(node, fromFile) {
  if (Array.isArray(node)) return node.map((n) => rewrite(n, fromFile));
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (!KEEP.has(k)) continue;
    if (k === '$ref') {
      const t = refTarget(fromFile, v);
      queue.push(t);
      out.$ref = `#/definitions/${localName(t)}`;
    } else if (k === 'properties') {
      out.properties = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, rewrite(s, fromFile)]));
    } else if (k === 'enum' || k === 'required' || k === 'x-ms-mutability' || k === 'default') {
      out[k] = v;
    } else {
      out[k] = rewrite(v, fromFile);
    }
  }
  return out;
}

while (queue.length) {
  const t = queue.shift();
  const key = keyOf(t);
  if (visited.has(key)) continue;
  visited.add(key);
  const def = definitionOf(t);
  output[localName(t)] = rewrite(def, t.file);
  // A reachable polymorphic base brings every concrete type that derives from it.
  if (hasDiscriminatorUpChain(t)) queue.push(...childrenOf(t));
}

// Discriminator maps: base -> { property, values: { wireValue: concreteName } }.
const discriminators = {};
function ancestors(name, acc = []) {
  for (const part of output[name].allOf ?? []) {
    const parent = part.$ref.slice('#/definitions/'.length);
    acc.push(parent);
    ancestors(parent, acc);
  }
  return acc;
}
for (const [name, def] of Object.entries(output)) {
  if (def.discriminator) discriminators[name] = { property: def.discriminator, values: {} };
}
for (const [name, def] of Object.entries(output)) {
  const bases = ancestors(name).filter((a) => discriminators[a]);
  if (!bases.length) continue;
  const value = def['x-ms-discriminator-value'] ?? name;
  for (const base of bases) {
    if (def.discriminator && base !== name) continue; // an intermediate base is not itself a concrete value
    discriminators[base].values[value] = name;
  }
}

const sorted = Object.fromEntries(Object.keys(output).sort().map((k) => [k, output[k]]));
const doc = {
  $comment: [
    `Generated by scripts/extract-spec-schemas.mjs; do not edit by hand.`,
    `Derived from the Azure Machine Learning REST API specification (Microsoft.MachineLearningServices, api-version ${API_VERSION}),`,
    `repository Azure/azure-rest-api-specs, commit ${UPSTREAM_COMMIT}, files ${UPSTREAM_DIR}/mfe.json and specification/common-types/resource-management/v3/*.json.`,
    'Copyright (c) Microsoft Corporation. Licensed under the MIT License.',
    'Only definitions reachable from the request bodies the fake accepts are kept; descriptions and examples are removed.',
  ],
  source: {
    repository: 'https://github.com/Azure/azure-rest-api-specs',
    commit: UPSTREAM_COMMIT,
    paths: [`${UPSTREAM_DIR}/mfe.json`, 'specification/common-types/resource-management/v3/types.json',
      'specification/common-types/resource-management/v3/managedidentity.json'],
    license: 'MIT',
    copyright: 'Copyright (c) Microsoft Corporation',
  },
  apiVersion: API_VERSION,
  roots: ROOTS,
  discriminators,
  definitions: sorted,
};

mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(doc, null, 1) + '\n');
console.log(`wrote ${outFile}: ${Object.keys(sorted).length} definitions, ${Object.keys(discriminators).length} discriminated bases`);
