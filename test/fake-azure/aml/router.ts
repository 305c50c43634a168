// Sends each ARM and data-plane request to the workspace or registry its path names.
import { armError, type FakeRequest, type FakeResponse, type Principal } from '../http';
import type { WorkspaceService } from '../workspace';
import type { RegistryService } from './registries';
import { PROVIDER, sameText } from './scope';

export interface RoutedWorkspace {
  resourceGroup: string;
  workspaceName: string;
  service: WorkspaceService;
}

/**
 * The default workspace answers everything no other workspace or registry claims (lists, unknown names, cancel
 * polls, discovery and log URLs), so a fake with one workspace behaves exactly as before.
 */
export class WorkspaceRouter {
  private readonly workspaces: RoutedWorkspace[] = [];
  private readonly registries: RegistryService[] = [];

  constructor(private readonly subscriptionId: string, private readonly main: RoutedWorkspace) {
    this.workspaces.push(main);
  }

  addWorkspace(w: RoutedWorkspace): void {
    this.workspaces.push(w);
  }

  addRegistry(r: RegistryService): void {
    this.registries.push(r);
  }

  async handle(req: FakeRequest, principal: Principal): Promise<FakeResponse | undefined> {
    for (const r of this.registries) {
      const answer = await r.handle(req, principal);
      if (answer) return answer;
    }
    const registry = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/registries\/([^/]+)/i.exec(req.url.pathname);
    if (registry) {
      return armError(404, 'ResourceNotFound',
        `The Resource '${PROVIDER}/registries/${decodeURIComponent(registry[2])}' under resource group '${decodeURIComponent(registry[1])}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
    }
    if (this.workspaces.length > 1 && /^\/subscriptions\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/locations\//i.test(req.url.pathname)) {
      // Operation polls name a location, not a workspace: the workspace that started the operation answers.
      for (const w of this.workspaces.slice(1)) {
        const answer = await w.service.handle(req, principal);
        if (answer && answer.status !== 404) return answer;
      }
    }
    return this.workspaceFor(req.url.pathname).handle(req, principal);
  }

  async handleAnonymous(req: FakeRequest): Promise<FakeResponse | undefined> {
    // Scoring and signed log URLs name no workspace: the workspace that serves the endpoint or log answers.
    for (const w of this.workspaces.slice(1)) {
      const answer = await w.service.handleAnonymous(req);
      if (answer && answer.status !== 404) return answer;
    }
    return this.main.service.handleAnonymous(req);
  }

  private workspaceFor(path: string): WorkspaceService {
    const seg = path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    // ARM paths start at `subscriptions`; run history and MLflow paths carry the same scope after `/<api>/v1.0`.
    const start = seg.findIndex((s, i) => i <= 2 && s.toLowerCase() === 'subscriptions');
    if (start < 0) return this.main.service;
    const [, sub, rgWord, rg, providers, provider, workspacesWord, name] = seg.slice(start);
    if (!sameText(sub, this.subscriptionId) || !sameText(rgWord, 'resourceGroups') || !sameText(providers, 'providers') ||
      !sameText(provider, PROVIDER) || !sameText(workspacesWord, 'workspaces')) {
      return this.main.service;
    }
    const found = name === undefined
      ? this.workspaces.find((w) => sameText(w.resourceGroup, rg))
      : this.workspaces.find((w) => sameText(w.resourceGroup, rg) && sameText(w.workspaceName, name));
    return (found ?? this.main).service;
  }
}
