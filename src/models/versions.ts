import type { WorkspaceClient } from '../workspace/client';

/** A model version as Azure ML returns it (the fields this extension reads). */
export interface ModelVersion {
  id: string;
  name: string;
  properties: {
    modelUri?: string | null;
    modelType?: string | null;
    jobName?: string | null;
    stage?: string | null;
    description?: string | null;
    tags?: Record<string, string | null> | null;
    properties?: Record<string, string | null> | null;
  };
  systemData?: { createdAt?: string };
}

/** The version part of a model version's ARM id (`.../models/<name>/versions/<version>`). */
export function versionOf(v: ModelVersion): string {
  return v.name ?? v.id.split('/').pop()!;
}

/**
 * The version to register when none is given, as `az ml model create` picks it: the container's `nextVersion`,
 * "1" for a model that does not exist yet; without `nextVersion`, one above the highest numeric version.
 */
export async function nextVersion(client: WorkspaceClient, name: string, signal?: AbortSignal): Promise<string> {
  const container = await client.get<{ properties?: { nextVersion?: string | null; latestVersion?: string | null } }>(`models/${encodeURIComponent(name)}`, {
    operation: `read the model '${name}'`,
    allowNotFound: true,
    signal,
  });
  if (!container) return '1';
  const next = container.properties?.nextVersion;
  if (next) return String(next);
  const versions = await listVersions(client, name, {}, signal);
  return String(highestNumeric(versions.map(versionOf)) + 1);
}

/**
 * A version number nobody has taken: `start`, or, when another run registered it in the meantime, one above the
 * highest numeric version, so a PUT never lands on someone else's version (which would change its tags).
 */
export async function freeVersion(client: WorkspaceClient, name: string, start: string, signal?: AbortSignal): Promise<string> {
  let candidate = start;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (!(await getVersion(client, name, candidate, signal))) return candidate;
    const versions = await listVersions(client, name, {}, signal);
    candidate = String(Math.max(highestNumeric(versions.map(versionOf)), /^\d+$/.test(candidate) ? Number(candidate) : 0) + 1);
  }
  throw new Error(`Could not find a free version of model '${name}' after 5 attempts; other runs keep registering it.`);
}

export function highestNumeric(versions: string[]): number {
  return versions.filter((v) => /^\d+$/.test(v)).reduce((max, v) => Math.max(max, Number(v)), 0);
}

/** Every version of a model (newest first), following `nextLink`; `tags` filters as the service does (`a=1,b`). */
export async function listVersions(client: WorkspaceClient, name: string, filter: { tags?: string }, signal?: AbortSignal): Promise<ModelVersion[]> {
  const all: ModelVersion[] = [];
  let path = `models/${encodeURIComponent(name)}/versions`;
  let query: Record<string, string | undefined> = { $orderBy: 'createdtime desc', tags: filter.tags };
  for (let page = 0; page < 1000; page++) {
    const r = await client.get<{ value?: ModelVersion[]; nextLink?: string | null }>(path, { query, operation: `list the versions of model '${name}'`, allowNotFound: true, signal });
    all.push(...(r?.value ?? []));
    if (!r?.nextLink) break;
    const next = new URL(r.nextLink);
    path = next.pathname;
    query = Object.fromEntries([...next.searchParams.entries()].filter(([k]) => k !== 'api-version'));
  }
  return all;
}

export async function getVersion(client: WorkspaceClient, name: string, version: string, signal?: AbortSignal): Promise<ModelVersion | undefined> {
  return client.get<ModelVersion>(`models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`, {
    operation: `read the model version ${name}:${version}`,
    allowNotFound: true,
    signal,
  });
}

/** `custom_model` and `CustomModel` are the same type; both spellings come back from the service. */
export function sameModelType(a: string | null | undefined, b: string | null | undefined): boolean {
  const norm = (t: string | null | undefined) => (t ?? 'custom_model').replace(/_/g, '').toLowerCase();
  return norm(a) === norm(b);
}

/** A version holds the same model when it points at the same files with the same type. */
export function sameContent(v: ModelVersion, modelUri: string, modelType: string): boolean {
  return normalizeUri(v.properties.modelUri) === normalizeUri(modelUri) && sameModelType(v.properties.modelType, modelType);
}

function normalizeUri(uri: string | null | undefined): string {
  return (uri ?? '').replace(/\/+$/, '');
}

export const BUILD_ID_TAG = 'azure-devops.buildId';
export const RUN_URL_TAG = 'azure-devops.runUrl';

/**
 * The version this pipeline run already registered from this source, if a retried stage runs the task again:
 * same build id (and run URL, when known, since build ids repeat across organizations) and same content.
 */
export async function findRegisteredByBuild(
  client: WorkspaceClient,
  name: string,
  build: { buildId: string; runUrl?: string },
  content: { modelUri: string; modelType: string },
  signal?: AbortSignal,
): Promise<ModelVersion | undefined> {
  const candidates = await listVersions(client, name, { tags: `${BUILD_ID_TAG}=${build.buildId}` }, signal);
  return candidates.find(
    (v) =>
      v.properties.tags?.[BUILD_ID_TAG] === build.buildId &&
      (!build.runUrl || !v.properties.tags?.[RUN_URL_TAG] || v.properties.tags[RUN_URL_TAG] === build.runUrl) &&
      sameContent(v, content.modelUri, content.modelType),
  );
}

/** How the champion is chosen: the newest version with this stage, or with this tag. */
export type ChampionSelector = { stage: string } | { tag: { name: string; value: string } };

/** The current champion: the newest version of the model that the selector picks, if any. */
export async function findChampion(client: WorkspaceClient, name: string, selector: ChampionSelector, signal?: AbortSignal): Promise<ModelVersion | undefined> {
  // The 2024-04-01 list filters by tags, not by stage, so a stage is matched here.
  const filter = 'tag' in selector ? { tags: `${selector.tag.name}=${selector.tag.value}` } : {};
  const versions = await listVersions(client, name, filter, signal);
  const picked = versions.filter((v) =>
    'tag' in selector ? v.properties.tags?.[selector.tag.name] === selector.tag.value : (v.properties.stage ?? '').toLowerCase() === selector.stage.toLowerCase(),
  );
  return picked.sort((a, b) => createdAt(b) - createdAt(a))[0];
}

function createdAt(v: ModelVersion): number {
  const t = Date.parse(v.systemData?.createdAt ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/** The metrics the task stored on a version it registered: properties `metrics.<name>`. */
export function storedMetrics(v: ModelVersion): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, raw] of Object.entries(v.properties.properties ?? {})) {
    if (!k.startsWith(METRIC_PREFIX) || raw === null || raw.trim() === '') continue;
    const n = Number(raw);
    if (Number.isFinite(n)) out[k.slice(METRIC_PREFIX.length)] = n;
  }
  return out;
}

export const METRIC_PREFIX = 'metrics.';
