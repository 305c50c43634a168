import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { evaluate, evaluateCondition, ExpressionError, type ExpressionContext } from '../../../src/cli/expressions';
import { expandMacros, parsePipeline, runtimeExpression } from '../../../src/cli/pipeline';
import { repoRootOf } from '../../../src/cli/task-manifest';

describe('aml-mlops: reading pipelines and resolving variables', () => {
  const ctx: ExpressionContext = {
    variable: (n) => ({ 'build.sourcebranch': 'refs/heads/main' } as Record<string, string>)[n.toLowerCase()],
    dependency: (name, key) => (name === 'train' && key === 'train.jobName' ? 'job_1' : undefined),
    stageDependency: (stage, job, key) => (stage === 'Train' && job === 'train' && key === 'register.modelRegistered' ? 'true' : undefined),
  };

  it('reads the example pipeline: stages, jobs, a deployment job\'s runOnce steps and every variable form', () => {
    const p = parsePipeline(fs.readFileSync(path.join(repoRootOf(), 'examples', 'azure-pipelines.yml'), 'utf8'));
    assert.deepStrictEqual(p.stages.map((s) => s.name), ['Validate', 'Train', 'Package', 'DeployDev', 'Promote', 'DeployProd']);
    assert.deepStrictEqual(p.variables.map((v) => v.name), ['serviceConnection', 'resourceGroup', 'workspaceName', 'prodServiceConnection', 'prodResourceGroup',
      'prodWorkspaceName', 'trainingData', 'rolloutStepWaitMinutes']);
    assert.deepStrictEqual(p.stages[0].jobs[0].steps.map((s) => s.task ?? s.kind), ['checkout', 'DataValidate@1']);
    const train = p.stages[1].jobs[0];
    assert.deepStrictEqual(train.steps.map((s) => s.task ?? s.kind), ['checkout', 'AmlTrain@1', 'bash', 'AmlRegisterModel@1', 'bash']);
    assert.strictEqual(train.steps[1].inputs.timeoutMinutes, '110');
    assert.strictEqual(p.stages[2].condition, "and(succeeded(), eq(dependencies.Train.outputs['train.register.modelRegistered'], 'true'))");
    const promote = p.stages[4].jobs[0];
    assert.ok(promote.deployment);
    assert.deepStrictEqual(promote.steps.map((s) => s.name ?? s.kind), ['checkout', 'promote', 'bash']);
    const deploy = p.stages[5].jobs[0];
    assert.ok(deploy.deployment);
    assert.deepStrictEqual(deploy.steps.map((s) => s.name ?? s.kind), ['checkout', 'deploy', 'bash']);
    assert.strictEqual(runtimeExpression(deploy.variables[0].value!), "stageDependencies.Promote.promote.outputs['promote.promote.modelId']");
  });

  it('reads list-form variables, groups as notes, and pipelines made of jobs or steps only', () => {
    const p = parsePipeline('variables:\n  - name: a\n    value: 1\n  - group: secrets\nsteps:\n  - script: echo\n  - task: DataValidate@1\n    inputs: { dataPath: $(a).csv }\n');
    assert.deepStrictEqual(p.variables[0], { name: 'a', value: '1' });
    assert.match(p.variables[1].note!, /variable group 'secrets'/);
    assert.deepStrictEqual(p.stages[0].jobs[0].steps.map((s) => s.kind), ['script', 'task']);
    assert.strictEqual(parsePipeline('jobs:\n  - job: one\n    steps: []\n').stages[0].jobs[0].name, 'one');
  });

  it('expands $(name) macros and leaves unknown ones as Azure Pipelines does', () => {
    const vars: Record<string, string> = { 'train.jobname': 'job_1', rg: 'rg-mlops' };
    const unknown: string[] = [];
    const out = expandMacros('$(rg)/$(train.jobName)/$(nope)', (n) => vars[n.toLowerCase()], (n) => unknown.push(n));
    assert.strictEqual(out, 'rg-mlops/job_1/$(nope)');
    assert.deepStrictEqual(unknown, ['nope']);
  });

  it('evaluates stageDependencies and dependencies outputs and the conditions the examples use', () => {
    assert.strictEqual(evaluate("stageDependencies.Train.train.outputs['register.modelRegistered']", ctx), 'true');
    assert.strictEqual(evaluate("dependencies.train.outputs['train.jobName']", ctx), 'job_1');
    assert.ok(evaluateCondition("eq(stageDependencies.Train.train.outputs['register.modelRegistered'], 'true')", ctx));
    assert.ok(evaluateCondition("and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/main'))", ctx));
    assert.ok(!evaluateCondition("and(succeeded(), ne(variables.Build.SourceBranch, 'refs/heads/main'))", ctx));
    assert.ok(!evaluateCondition('failed()', ctx));
    assert.ok(evaluateCondition("in(variables['Build.SourceBranch'], 'refs/heads/dev', 'refs/heads/main')", ctx));
  });

  it('throws for expressions it cannot evaluate, so the runner can note them', () => {
    assert.throws(() => evaluate("coalesce(variables['x'], 'y')", ctx), ExpressionError);
    assert.throws(() => evaluate("eq(pipeline.startTime, 'x')", ctx), ExpressionError);
    assert.throws(() => evaluate("eq('a', 'b'", ctx), ExpressionError);
  });
});
