import * as fs from 'fs';
import * as path from 'path';
import { evaluate, evaluateCondition, ExpressionError, valueToString, type ExpressionContext } from './expressions';
import { expandMacros, readPipelineFile, runtimeExpression, type PipelineJob, type PipelineStage, type VariableDef } from './pipeline';
import { gitEnv, runTask, type RunTaskOptions } from './run-task';
import { CliError, readTaskManifest, repoRootOf, taskNames } from './task-manifest';

export interface RunPipelineOptions {
  file: string;
  /** Run only this stage. */
  stage?: string;
  /** --var name=value: override any variable, and stand in for outputs of stages not run (`<step>.<var>`). */
  vars?: Record<string, string>;
  connection?: RunTaskOptions['connection'];
  out: string;
  /** The folder the steps run in (System.DefaultWorkingDirectory); default: the repository of the file. */
  workdir?: string;
  debug?: boolean;
  print?: (line: string) => void;
  root?: string;
}

export interface PipelineRun {
  ok: boolean;
  /** Outputs of every step run, by `<stage>.<job>.<step>.<var>` (stage omitted in a pipeline without stages). */
  outputs: Record<string, string>;
  stepsRun: string[];
  failedStep?: string;
  summaryFile?: string;
}

const lower = (s: string) => s.toLowerCase();

/** The predefined variables a local run can know, by lower-case name: git's, the folders, a build id from the clock. */
export function predefinedVariables(workdir: string, out: string): Map<string, string> {
  const git = gitEnv(workdir);
  return new Map<string, string>(
    Object.entries({
      'Build.SourceBranch': git.BUILD_SOURCEBRANCH,
      'Build.SourceBranchName': git.BUILD_SOURCEBRANCHNAME,
      'Build.SourceVersion': git.BUILD_SOURCEVERSION,
      'Build.Repository.Uri': git.BUILD_REPOSITORY_URI,
      'Build.Repository.Name': git.BUILD_REPOSITORY_NAME,
      // A local run has no build id; a number from the clock keeps names such as `v$(Build.BuildId)` unique and valid.
      'Build.BuildId': String(Math.floor(Date.now() / 1000)),
      'Build.SourcesDirectory': workdir,
      'System.DefaultWorkingDirectory': workdir,
      'Pipeline.Workspace': out,
      'Agent.TempDirectory': path.join(out, 'temp'),
      'Build.ArtifactStagingDirectory': path.join(out, 'artifacts'),
    })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [lower(k), v as string]),
  );
}

/** Case-insensitive variable scopes, innermost first. */
class Scopes {
  constructor(private readonly layers: Array<Map<string, string>>) {}
  get(name: string): string | undefined {
    for (const layer of this.layers) {
      const v = layer.get(lower(name));
      if (v !== undefined) return v;
    }
    return undefined;
  }
  with(layer: Map<string, string>): Scopes {
    return new Scopes([layer, ...this.layers]);
  }
}

/**
 * Runs, in order, the steps of a pipeline YAML file that use this extension's tasks, resolving variables and the
 * outputs steps hand to one another as Azure Pipelines would; every other step is skipped with a note.
 */
export async function runPipeline(o: RunPipelineOptions): Promise<PipelineRun> {
  const print = o.print ?? ((l: string) => console.log(l));
  const root = o.root ?? repoRootOf();
  const file = path.resolve(o.file);
  const pipeline = readPipelineFile(file);
  const workdir = path.resolve(o.workdir ?? gitEnv(path.dirname(file)).BUILD_SOURCESDIRECTORY ?? process.cwd());
  const out = path.resolve(o.out);
  fs.mkdirSync(out, { recursive: true });
  const ours = new Set(taskNames(root).map(lower));
  const overrides = new Map(Object.entries(o.vars ?? {}).map(([k, v]) => [lower(k), v]));

  const predefined = predefinedVariables(workdir, out);

  // stageOutputs[stage][job]['<step>.<var>']
  const stageOutputs = new Map<string, Map<string, Map<string, string>>>();
  const result: PipelineRun = { ok: true, outputs: {}, stepsRun: [] };
  const usedSummaryNames = new Set<string>();

  const fromVars = (key: string, what: string): string | undefined => {
    const v = overrides.get(lower(key));
    if (v === undefined) print(`note: ${what} is empty: it was not produced in this run (give it with --var ${key}=<value>).`);
    return v;
  };
  const contextFor = (stage: string, scopes: Scopes, stageJobs: string[]): ExpressionContext => ({
    variable: (name) => overrides.get(lower(name)) ?? scopes.get(name),
    dependency: (name, key) => {
      if (stageJobs.map(lower).includes(lower(name))) {
        return stageOutputs.get(lower(stage))?.get(lower(name))?.get(lower(key)) ?? fromVars(key, `dependencies.${name}.outputs['${key}']`);
      }
      const [job, ...rest] = key.split('.');
      return stageOutputs.get(lower(name))?.get(lower(job))?.get(lower(rest.join('.'))) ?? fromVars(rest.join('.'), `dependencies.${name}.outputs['${key}']`);
    },
    stageDependency: (s, job, key) => {
      const outputs = stageOutputs.get(lower(s))?.get(lower(job));
      // A deployment job's outputs are keyed <job>.<step>.<var>.
      const k = key.split('.').length === 3 ? key.split('.').slice(1).join('.') : key;
      return outputs?.get(lower(k)) ?? fromVars(k, `stageDependencies.${s}.${job}.outputs['${key}']`);
    },
  });

  /** Resolves a scope's variables: macros against the outer scopes, runtime expressions evaluated now. */
  const layerOf = (defs: VariableDef[], outer: Scopes, stage: string, stageJobs: string[], where: string): Map<string, string> => {
    const layer = new Map<string, string>();
    for (const d of defs) {
      if (d.note || d.name === undefined) {
        print(`note: ${where}: ${d.note}`);
        continue;
      }
      const scopes = outer.with(layer);
      const expr = runtimeExpression(d.value ?? '');
      let value: string;
      if (expr !== undefined) {
        try {
          value = valueToString(evaluate(expr, contextFor(stage, scopes, stageJobs)));
        } catch (e) {
          if (!(e instanceof ExpressionError)) throw e;
          print(`note: ${where}: cannot evaluate variable ${d.name} = $[ ${expr} ] (${e.message}); it is left empty.`);
          value = '';
        }
      } else {
        value = expandMacros(d.value ?? '', (n) => overrides.get(lower(n)) ?? scopes.get(n));
      }
      layer.set(lower(d.name), value);
    }
    return layer;
  };

  /** true to run, false to skip; a condition it cannot evaluate runs (noted). */
  const conditionHolds = (condition: string | undefined, ctx: ExpressionContext, what: string): boolean => {
    if (!condition) return true;
    try {
      const holds = evaluateCondition(condition, ctx);
      if (!holds) print(`skip ${what}: its condition is false: ${condition.trim()}`);
      return holds;
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
      print(`note: cannot evaluate the condition of ${what} (${e.message}): running it anyway.`);
      return true;
    }
  };

  if (o.stage && !pipeline.stages.some((s) => s.name !== undefined && lower(s.name) === lower(o.stage!))) {
    throw new CliError(`${o.file} has no stage '${o.stage}'. Stages: ${pipeline.stages.map((s) => s.name).filter(Boolean).join(', ') || 'none'}.`);
  }
  print(`Pipeline ${path.relative(process.cwd(), file) || file}; steps run in ${workdir}; reports in ${out}`);
  print('note: stages and jobs run one after another in file order; only steps of this extension\'s tasks run.');
  const pipelineScopes = new Scopes([predefined]);
  const top = pipelineScopes.with(layerOf(pipeline.variables, pipelineScopes, '', [], 'pipeline variables'));

  const runJob = async (stage: PipelineStage, stageKey: string, job: PipelineJob, stageScopes: Scopes): Promise<boolean> => {
    const jobLabel = `${stage.name ? `${stage.name}.` : ''}${job.name}`;
    const stageJobs = stage.jobs.map((j) => j.name);
    if (job.note) {
      print(`skip job ${jobLabel}: ${job.note}`);
      return true;
    }
    if (!conditionHolds(job.condition, contextFor(stageKey, stageScopes, stageJobs), `job ${jobLabel}`)) return true;
    print(`-- job ${jobLabel}`);
    let scopes = stageScopes.with(layerOf(job.variables, stageScopes, stageKey, stageJobs, `job ${jobLabel}`));
    const stepOutputs = new Map<string, string>();
    const jobOutputs = new Map<string, string>();
    if (!stageOutputs.has(stageKey)) stageOutputs.set(stageKey, new Map());
    stageOutputs.get(stageKey)!.set(lower(job.name), jobOutputs);
    scopes = scopes.with(stepOutputs);

    for (const [i, step] of job.steps.entries()) {
      const label = step.name ?? step.displayName ?? `${step.kind} ${i + 1}`;
      const taskName = step.task?.replace(/@\d+$/, '');
      if (!step.task || !ours.has(lower(taskName!))) {
        print(`skip ${step.kind === 'task' ? `task ${step.task}` : step.kind} step '${label}': not one of this extension's tasks.`);
        continue;
      }
      const manifest = readTaskManifest(taskName!, root);
      if (!manifest.entry) {
        print(`skip ${step.task} step '${label}': a server task, run by Azure DevOps without an agent.`);
        continue;
      }
      if (!step.enabled) {
        print(`skip ${step.task} step '${label}': enabled: false.`);
        continue;
      }
      const lookup = (n: string) => overrides.get(lower(n)) ?? scopes.get(n);
      if (!conditionHolds(step.condition, contextFor(stageKey, scopes, stageJobs), `step '${label}'`)) continue;
      const unresolved = new Set<string>();
      const expand = (v: string) => expandMacros(v, lookup, (n) => unresolved.add(n));
      const inputs = Object.fromEntries(Object.entries(step.inputs).map(([k, v]) => [k, expand(v)]));
      const env = Object.fromEntries(Object.entries(step.env).map(([k, v]) => [k, expand(v)]));
      for (const n of unresolved) print(`note: $(${n}) is not defined: passed on as it is, as Azure Pipelines does (give it with --var ${n}=<value>).`);

      let summaryName = `${stage.name ? `${stage.name}-` : ''}${step.name ?? manifest.name}`;
      for (let n = 2; usedSummaryNames.has(summaryName); n++) summaryName = `${summaryName.replace(/-\d+$/, '')}-${n}`;
      usedSummaryNames.add(summaryName);
      const run = await runTask({ task: manifest.name, inputs, env, connection: o.connection, out, cwd: workdir, debug: o.debug, summaryName, print, root });
      result.stepsRun.push(`${jobLabel}.${label}`);
      if (step.name) {
        for (const [k, v] of Object.entries(run.outcome.outputs)) {
          stepOutputs.set(lower(`${step.name}.${k}`), v);
          jobOutputs.set(lower(`${step.name}.${k}`), v);
          result.outputs[`${jobLabel}.${step.name}.${k}`] = v;
        }
      }
      if (!run.ok) {
        if (step.continueOnError) {
          print(`note: step '${label}' failed but has continueOnError: true; going on.`);
          continue;
        }
        result.ok = false;
        result.failedStep = `${jobLabel}.${label}`;
        result.summaryFile = run.summaryFile;
        print('');
        print(`FAILED at step '${label}' (${step.task}) in job ${jobLabel}.${run.summaryFile ? ` Its summary: ${run.summaryFile}` : ''}`);
        return false;
      }
    }
    return true;
  };

  for (const stage of pipeline.stages) {
    if (o.stage && (stage.name === undefined || lower(stage.name) !== lower(o.stage))) continue;
    const stageKey = lower(stage.name ?? '');
    if (stage.name?.startsWith('template ')) {
      print(`skip stage ${stage.name}: stage templates are not expanded locally.`);
      continue;
    }
    if (stage.name && !conditionHolds(stage.condition, contextFor(stageKey, top, []), `stage ${stage.name}`)) continue;
    if (stage.name) print(`== stage ${stage.name}`);
    const stageScopes = top.with(layerOf(stage.variables, top, stageKey, [], `stage ${stage.name}`));
    for (const job of stage.jobs) {
      if (!(await runJob(stage, stageKey, job, stageScopes))) return result;
    }
  }
  print('');
  print(result.stepsRun.length > 0 ? `Pipeline succeeded: ${result.stepsRun.length} step(s) run (${result.stepsRun.join(', ')}). Summaries in ${out}` : 'No step of this extension\'s tasks ran.');
  return result;
}
