import type { Principal } from '../http';
import { JobRun } from './lifecycle';
import { systemData, type SystemData } from './responses';
import { ASSET_KINDS, childArmId, resourceType, type AssetKind, type Collection, type WorkspaceScope } from './scope';

export interface VersionRecord {
  container: string;
  version: string;
  /** The request body as validated, with the spec's defaults filled in. */
  body: any;
  systemData: SystemData;
  created: Date;
}

export interface ContainerRecord {
  name: string;
  /** Container properties as last PUT (or derived from the first version). */
  properties: Record<string, unknown>;
  systemData: SystemData;
  created: Date;
  versions: Map<string, VersionRecord>;
}

export interface JobRecord {
  name: string;
  /** The body exactly as received. */
  received: any;
  /** The body as validated, with defaults filled in: what idempotent re-PUTs are compared with. */
  body: any;
  systemData: SystemData;
  created: Date;
  run: JobRun;
  experimentId: string;
}

/** Computes and datastores: seeded, read-only ARM resources. */
export interface FixedResource {
  name: string;
  properties: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

/** Everything the workspace holds, in memory. */
export class WorkspaceStore {
  readonly assets: Record<AssetKind, Map<string, ContainerRecord>> = {
    codes: new Map(),
    environments: new Map(),
    data: new Map(),
    models: new Map(),
    components: new Map(),
  };
  readonly jobs = new Map<string, JobRecord>();
  readonly computes = new Map<string, FixedResource>();
  readonly datastores = new Map<string, FixedResource>();
  /** Resources created by PUT (asset containers and versions, jobs); seeding does not count. */
  createdByPut = 0;

  constructor(readonly scope: WorkspaceScope) {}

  // Compute and datastore names are case-insensitive in Azure ML; asset and job names are not.
  compute(name: string): FixedResource | undefined {
    return findInsensitive(this.computes, name);
  }

  datastore(name: string): FixedResource | undefined {
    return findInsensitive(this.datastores, name);
  }

  version(kind: AssetKind, name: string, version: string): VersionRecord | undefined {
    return this.assets[kind].get(name)?.versions.get(version);
  }

  /** The most recently created version, what `@latest` and `latestVersion` mean. */
  latest(kind: AssetKind, name: string): VersionRecord | undefined {
    const c = this.assets[kind].get(name);
    if (!c || c.versions.size === 0) return undefined;
    return [...c.versions.values()].reduce((a, b) => (b.created >= a.created ? b : a));
  }

  /** One more than the highest numeric version, as Azure ML auto-increments. */
  nextVersion(kind: AssetKind, name: string): string {
    const c = this.assets[kind].get(name);
    const numbers = [...(c?.versions.keys() ?? [])].filter((v) => /^\d+$/.test(v)).map(Number);
    return String(numbers.length ? Math.max(...numbers) + 1 : 1);
  }

  putContainer(kind: AssetKind, name: string, properties: Record<string, unknown>, principal: Principal | undefined, now: Date): ContainerRecord {
    const existing = this.assets[kind].get(name);
    if (existing) {
      existing.properties = properties;
      existing.systemData = systemData(principal, now, existing.systemData);
      return existing;
    }
    const record: ContainerRecord = { name, properties, systemData: systemData(principal, now), created: now, versions: new Map() };
    this.assets[kind].set(name, record);
    return record;
  }

  putVersion(kind: AssetKind, name: string, version: string, body: any, principal: Principal | undefined, now: Date): VersionRecord {
    let container = this.assets[kind].get(name);
    if (!container) {
      // Azure ML creates the container with the first version; a data container carries the data type.
      const props: Record<string, unknown> = { isArchived: false };
      if (kind === 'data') props.dataType = body.properties?.dataType;
      container = this.putContainer(kind, name, props, principal, now);
    }
    const existing = container.versions.get(version);
    const record: VersionRecord = {
      container: name,
      version,
      body,
      systemData: systemData(principal, now, existing?.systemData),
      created: existing?.created ?? now,
    };
    container.versions.set(version, record);
    return record;
  }

  addJob(name: string, record: JobRecord): void {
    this.jobs.set(name, record);
  }

  // ---- ARM views -------------------------------------------------------------------------------

  containerView(kind: AssetKind, c: ContainerRecord): any {
    const latest = this.latest(kind, c.name);
    const properties: Record<string, unknown> = {
      description: null,
      tags: {},
      properties: {},
      isArchived: false,
      ...c.properties,
      latestVersion: latest?.version ?? null,
      nextVersion: this.nextVersion(kind, c.name),
    };
    if (kind !== 'data') properties.provisioningState = 'Succeeded';
    return {
      id: childArmId(this.scope, kind, c.name),
      name: c.name,
      type: resourceType(kind),
      properties,
      systemData: c.systemData,
    };
  }

  versionView(kind: AssetKind, v: VersionRecord): any {
    const properties: Record<string, unknown> = { description: null, tags: {}, properties: {}, ...v.body.properties };
    if (kind !== 'data') properties.provisioningState = 'Succeeded';
    if (kind === 'environments') properties.environmentType = 'UserCreated';
    return {
      id: childArmId(this.scope, kind, v.container, v.version),
      name: v.version,
      type: resourceType(kind, true),
      properties,
      systemData: v.systemData,
    };
  }

  fixedView(kind: Collection, r: FixedResource): any {
    return { id: childArmId(this.scope, kind, r.name), name: r.name, type: resourceType(kind), ...r.extra, properties: r.properties };
  }

  allVersions(kind: AssetKind): Array<{ container: ContainerRecord; version: VersionRecord }> {
    const out: Array<{ container: ContainerRecord; version: VersionRecord }> = [];
    for (const container of this.assets[kind].values()) {
      for (const version of container.versions.values()) out.push({ container, version });
    }
    return out;
  }

  static isAssetKind(kind: string): kind is AssetKind {
    return (ASSET_KINDS as readonly string[]).includes(kind);
  }
}

function findInsensitive<T>(map: Map<string, T>, name: string): T | undefined {
  const exact = map.get(name);
  if (exact) return exact;
  for (const [k, v] of map) if (k.toLowerCase() === name.toLowerCase()) return v;
  return undefined;
}
