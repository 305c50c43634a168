// Golden cases: job YAMLs in the style of the Azure ML CLI examples and the exact REST bodies they become,
// with the references resolved the same way every time against one fixed workspace (the fake's).
import * as fs from 'fs';
import * as path from 'path';
import { hashCodeFolder } from '../../../src/jobs/code-hash';
import { ANONYMOUS_ENVIRONMENT_NAME, anonymousEnvironmentVersion } from '../../../src/jobs/resolve';
import {
  buildSubmission,
  referencesToResolve,
  type CodeToResolve,
  type ComputeToResolve,
  type EnvironmentToResolve,
  type InputToResolve,
  type ResolvedReferences,
  type Submission,
} from '../../../src/jobs/rest-body';
import { loadJobSpec, type JobSpec } from '../../../src/jobs/spec';
import { stepComponentProblem } from '../../../src/jobs/spec-pipeline';
import { RESOURCE_GROUP, SUBSCRIPTION_ID, WORKSPACE_NAME } from '../../fake-azure/identities';

/** The fake's workspace: golden bodies name it, so the fake accepts them as they are. */
export const GOLDEN_WORKSPACE = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE_NAME}`;

/** The golden folder in the source tree (tests run from build/, the cases stay next to the sources). */
export function goldenRoot(): string {
  const candidates = [path.join(__dirname, 'golden'), path.resolve(__dirname, '../../../../test/unit/jobs/golden')];
  const found = candidates.find((candidate) => fs.existsSync(path.join(candidate, 'README.md')));
  if (!found) throw new Error(`golden cases not found from ${__dirname}`);
  return found;
}

export function goldenCases(): string[] {
  const root = goldenRoot();
  return fs.readdirSync(root).filter((name) => fs.existsSync(path.join(root, name, 'job.yml'))).sort();
}

/** Registered components a case's workspace holds: `name:version` -> componentSpec. */
export function registeredComponents(caseDir: string): Record<string, Record<string, any>> {
  const file = path.join(caseDir, 'registered-components.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
}

export interface GoldenResult {
  spec: JobSpec;
  submission: Submission;
  /** What the golden files hold: the job body, and the component versions created first, by their path. */
  expected: { job: unknown; components?: Record<string, unknown> };
}

/**
 * Resolves as the product would against a workspace that holds everything the YAML names: `@latest` is version 1,
 * local code becomes `code-<content hash>` version 1 (what a first upload registers), inline environments get
 * their definition hash.
 */
export async function buildGolden(caseName: string): Promise<GoldenResult> {
  const dir = path.join(goldenRoot(), caseName);
  const loaded = loadJobSpec(path.join(dir, 'job.yml'));
  const refs = referencesToResolve(loaded.spec);
  const registered = registeredComponents(dir);
  const ws = GOLDEN_WORKSPACE;
  const compute = (c: ComputeToResolve) => ('armId' in c ? c.armId : `${ws}/computes/${c.name}`);
  const environment = (e: EnvironmentToResolve) =>
    e.kind === 'armId' ? e.id : e.kind === 'asset' ? `${ws}/environments/${e.name}/versions/${e.version ?? '1'}` : `${ws}/environments/${ANONYMOUS_ENVIRONMENT_NAME}/versions/${anonymousEnvironmentVersion(e)}`;
  const code = async (c: CodeToResolve) => (c.kind === 'asset' ? `${ws}/codes/${c.name}/versions/${c.version}` : `${ws}/codes/code-${(await hashCodeFolder(c.dir)).hash.slice(0, 40)}/versions/1`);
  const inputs = (toResolve: Record<string, InputToResolve>) =>
    Object.fromEntries(Object.entries(toResolve).map(([name, ref]) => [name, ref.kind === 'uri' ? ref.uri : `${ws}/${ref.assetType}/${ref.name}/versions/${ref.version ?? '1'}`]));

  const resolved: ResolvedReferences = { workspaceId: ws, inputUris: inputs(refs.inputs) };
  if (refs.compute) resolved.computeId = compute(refs.compute);
  if (refs.environment) resolved.environmentId = environment(refs.environment);
  if (refs.code) resolved.codeId = await code(refs.code);
  if (refs.defaultCompute) resolved.defaultComputeId = compute(refs.defaultCompute);
  if (refs.defaultDatastore) resolved.defaultDatastoreId = `${ws}/datastores/${refs.defaultDatastore}`;
  if (refs.steps) {
    resolved.steps = {};
    for (const [name, step] of Object.entries(refs.steps)) {
      const out: NonNullable<ResolvedReferences['steps']>[string] = { inputUris: inputs(step.inputs) };
      if (step.compute) out.computeId = compute(step.compute);
      if (step.environment) out.environmentId = environment(step.environment);
      if (step.code) out.codeId = await code(step.code);
      if (step.component?.kind === 'armId') out.componentId = step.component.id;
      if (step.component?.kind === 'registered') {
        const version = step.component.version ?? '1';
        const spec = registered[`${step.component.name}:${version}`];
        if (!spec) throw new Error(`${caseName}: registered-components.json has no ${step.component.name}:${version}`);
        const given = { inputs: Object.fromEntries(step.inputNames.map((n) => [n, null])), outputs: Object.fromEntries(step.outputNames.map((n) => [n, null])) };
        const problem = stepComponentProblem(given as never, { inputs: spec.inputs ?? {}, outputs: spec.outputs ?? {} }, step.component.name);
        if (problem) throw new Error(`${caseName}: step ${name}: ${problem.message}`);
        out.componentId = `${ws}/components/${step.component.name}/versions/${version}`;
      }
      resolved.steps[name] = out;
    }
  }
  const submission = buildSubmission(loaded.spec, resolved, { tags: { 'azure-devops.build': '20261129.1' } });
  const expected: GoldenResult['expected'] = { job: submission.job };
  if (submission.components.length) {
    expected.components = Object.fromEntries(submission.components.map((c) => [`components/${c.name}/versions/${c.version}`, c.body]));
  }
  return { spec: loaded.spec, submission, expected };
}
