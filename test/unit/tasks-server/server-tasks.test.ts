import assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { readJson, taskFolders } from '../repo/repo-files';
import { macrosIn, renderMacros, taskInputs, type ServerTaskRun, type TaskInput } from './macros';

// The rules of agentless tasks (microsoft/azure-pipelines-tasks docs/authoring/servertaskauthoring.md): they run on
// the server, which performs their HttpRequest itself, so nothing on an agent ever sees them. A mistake in the
// templates shows only when a pipeline runs, so they are checked here, for every server task in tasks/.

const EXECUTE_KEYS = ['EndpointId', 'EndpointUrl', 'Method', 'Body', 'Headers', 'WaitForCompletion', 'Expression'];
// Cancel supports everything Execute does except WaitForCompletion and Expression.
const CANCEL_KEYS = ['EndpointId', 'EndpointUrl', 'Method', 'Body', 'Headers'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE'];
// What Azure DevOps defines in a server job for the callback contract (the InvokeRESTAPI task's default headers).
const SERVER_VARIABLES = [
  'system.CollectionUri', 'system.TeamProjectId', 'system.HostType', 'system.PlanId', 'system.JobId', 'system.TimelineId',
  'system.TaskInstanceId', 'system.AccessToken',
];
// Fields of an AzureRM connection a template may use: its Resource Manager URL (with a trailing slash) and subscription.
const AZURE_RM_ENDPOINT_FIELDS = ['endpoint.url', 'endpoint.subscriptionId'];

interface Template {
  EndpointId?: string;
  EndpointUrl?: string;
  Method?: string;
  Body?: string;
  Headers?: string;
  WaitForCompletion?: string;
  Expression?: string;
}

/** A run with a value for every input, variable and endpoint field, none of them needing escapes in JSON. */
function sampleRun(inputs: TaskInput[]): ServerTaskRun {
  return {
    inputs: taskInputs(inputs, Object.fromEntries(inputs.map((i) => [i.name, `value-of-${i.name}`]))),
    endpoint: { id: 'value-of-endpoint', url: 'https://management.example/', data: { subscriptionId: 'value-of-subscription' } },
    variables: Object.fromEntries(SERVER_VARIABLES.map((v) => [v, `value-of-${v}`])),
  };
}

/** Whether every `$(...)` in a JSON template sits inside a string literal, so any value without `"` or `\` keeps it JSON. */
function macrosOnlyInStrings(template: string): boolean {
  const marked = template.replace(/\$\(([A-Za-z0-9_.-]+)\)/g, '\u0001');
  let inString = false;
  for (let i = 0; i < marked.length; i++) {
    const c = marked[i];
    if (c === '\\' && inString) i++;
    else if (c === '"') inString = !inString;
    else if (c === '\u0001' && !inString) return false;
  }
  return true;
}

describe('Server task manifests', () => {
  const servers = taskFolders().filter((t) => t.kind === 'server');

  it('finds the server tasks (AmlJobWait)', () => {
    assert.ok(servers.some((t) => t.name === 'AmlJobWait'), servers.map((t) => t.name).join(', '));
  });

  for (const t of servers) {
    describe(`tasks/${t.name}/task.json`, () => {
      const task = readJson('tasks', t.name, 'task.json');
      const inputs: Array<TaskInput & { type: string }> = task.inputs ?? [];
      const inputNames = new Set(inputs.map((i) => i.name.toLowerCase()));
      const http = task.execution?.HttpRequest ?? {};
      const execute: Template = http.Execute ?? {};
      const cancel: Template | undefined = http.Cancel;
      const templates: Array<[string, Template]> = [['Execute', execute], ...(cancel ? [['Cancel', cancel] as [string, Template]] : [])];

      it('runs on Server (and ServerGate) only', () => {
        assert.ok(Array.isArray(task.runsOn) && task.runsOn.includes('Server'), `runsOn ${task.runsOn}`);
        assert.deepStrictEqual(task.runsOn.filter((r: string) => !['Server', 'ServerGate'].includes(r)), [], 'a server task cannot run on an agent');
      });

      it('has an HttpRequest execution and no agent handler, nor code to run', () => {
        assert.deepStrictEqual(Object.keys(task.execution ?? {}), ['HttpRequest']);
        assert.strictEqual(task.prejobexecution, undefined);
        assert.strictEqual(task.postjobexecution, undefined);
        for (const f of ['index.ts', 'inputs.ts', 'dist']) assert.ok(!fs.existsSync(path.join(t.dir, f)), `${f} next to a server task would never run`);
      });

      it('uses only the properties Execute and Cancel support', () => {
        assert.deepStrictEqual(Object.keys(http).filter((k) => !['Execute', 'Cancel', 'Events'].includes(k)), []);
        assert.deepStrictEqual(Object.keys(execute).filter((k) => !EXECUTE_KEYS.includes(k)), []);
        if (cancel) assert.deepStrictEqual(Object.keys(cancel).filter((k) => !CANCEL_KEYS.includes(k)), []);
        for (const [where, tpl] of templates) {
          for (const [k, v] of Object.entries(tpl)) assert.strictEqual(typeof v, 'string', `${where}.${k} must be a string`);
        }
      });

      it('signs its requests with an Azure Resource Manager connection input', () => {
        for (const [where, tpl] of templates) {
          const m = /^\$\(([A-Za-z0-9]+)\)$/.exec(tpl.EndpointId ?? '');
          assert.ok(m, `${where}.EndpointId must be $(<connection input>), got ${tpl.EndpointId}`);
          const input = inputs.find((i) => i.name === m[1]);
          assert.ok(input, `${where}.EndpointId names ${m[1]}, which is not an input`);
          assert.strictEqual(input.type, 'connectedService:AzureRM');
          assert.strictEqual(String(input.required), 'true', 'the request cannot be signed without the connection');
        }
      });

      it("builds its URLs on the connection's Resource Manager URL and subscription, with an api-version", () => {
        for (const [where, tpl] of templates) {
          const url = tpl.EndpointUrl ?? '';
          // endpoint.url of an AzureRM connection ends with '/', so the path follows without one.
          assert.match(url, /^\$\(endpoint\.url\)subscriptions\/\$\(endpoint\.subscriptionId\)\/resourceGroups\/\$\([A-Za-z0-9]+\)\//, `${where}.EndpointUrl`);
          assert.match(url, /\?api-version=\d{4}-\d{2}-\d{2}(-preview)?$/, `${where}.EndpointUrl has no api-version`);
          for (const name of macrosIn(url).filter((n) => !n.includes('.'))) {
            const input = inputs.find((i) => i.name === name);
            assert.ok(input && String(input.required) === 'true', `${where}.EndpointUrl uses ${name}, which must be a required input (an empty path segment would change the URL)`);
          }
        }
      });

      it('uses HTTP methods', () => {
        for (const [where, tpl] of templates) assert.ok(METHODS.includes(tpl.Method ?? ''), `${where}.Method ${tpl.Method}`);
      });

      it('refers only to its inputs, the server variables and the connection fields, and uses every input', () => {
        const used = new Set<string>();
        for (const [where, tpl] of templates) {
          for (const [k, v] of Object.entries(tpl)) {
            for (const name of macrosIn(v)) {
              used.add(name.toLowerCase());
              if (!name.includes('.')) assert.ok(inputNames.has(name.toLowerCase()), `${where}.${k}: $(${name}) is not an input`);
              else if (/^endpoint\./i.test(name)) assert.ok(AZURE_RM_ENDPOINT_FIELDS.includes(name), `${where}.${k}: $(${name}) is not an AzureRM connection field`);
              else assert.ok(SERVER_VARIABLES.includes(name), `${where}.${k}: $(${name}) is not a variable the server defines`);
            }
          }
        }
        for (const input of inputs) assert.ok(used.has(input.name.toLowerCase()), `input ${input.name} is not used by any request`);
      });

      it('sends JSON bodies and headers once the macros are expanded, with every macro inside a string', () => {
        const run = sampleRun(inputs);
        for (const [where, tpl] of templates) {
          for (const k of ['Body', 'Headers'] as const) {
            const raw = tpl[k];
            if (!raw) continue;
            assert.ok(macrosOnlyInStrings(raw), `${where}.${k}: a macro outside a JSON string`);
            const { text, unresolved } = renderMacros(raw, run);
            assert.deepStrictEqual(unresolved, [], `${where}.${k}`);
            assert.doesNotThrow(() => JSON.parse(text), `${where}.${k} is not JSON: ${text}`);
          }
          if (tpl.Body) assert.match(JSON.parse(renderMacros(tpl.Headers ?? '{}', run).text)['Content-Type'] ?? '', /^application\/json\b/, `${where} sends a JSON body without Content-Type: application/json`);
        }
      });

      it('waits for a callback, and can then be cancelled', () => {
        assert.strictEqual(execute.WaitForCompletion, 'true');
        // With a callback the response is not looked at, so an Expression would be dead weight.
        assert.strictEqual(execute.Expression, undefined);
        assert.ok(cancel, 'a task that waits for a callback needs a Cancel request, or cancelling the pipeline leaves the work running');
      });
    });
  }
});

describe('The $(...) macro renderer used to check server tasks', () => {
  const run: ServerTaskRun = {
    inputs: { jobName: 'train-1' },
    endpoint: { id: 'c1', url: 'https://management.azure.com/', data: { subscriptionId: 'sub-1' } },
    variables: { 'system.PlanId': 'plan-1', 'build.buildId': '$(jobName)' },
  };

  it('expands endpoint fields, inputs and variables, case-insensitively', () => {
    const r = renderMacros('$(endpoint.url)subscriptions/$(ENDPOINT.SUBSCRIPTIONID)/$(JobName)?p=$(System.PlanId)', run);
    assert.deepStrictEqual(r, { text: 'https://management.azure.com/subscriptions/sub-1/train-1?p=plan-1', unresolved: [] });
  });

  it('leaves an unknown macro as written and reports it', () => {
    assert.deepStrictEqual(renderMacros('a $(nothing.here) b', run), { text: 'a $(nothing.here) b', unresolved: ['nothing.here'] });
  });

  it('does not expand a substituted value again', () => {
    assert.strictEqual(renderMacros('$(build.buildId)', run).text, '$(jobName)');
  });

  it('resolves aliases and defaults of inputs, and refuses unknown or missing required ones', () => {
    const declared: TaskInput[] = [{ name: 'azureSubscription', aliases: ['connectedServiceNameARM'], required: true }, { name: 'mode', defaultValue: 'submit' }];
    assert.deepStrictEqual(taskInputs(declared, { connectedServiceNameARM: 'c1' }), { azureSubscription: 'c1', mode: 'submit' });
    assert.throws(() => taskInputs(declared, { azureSubscription: 'c1', other: 'x' }), /'other' is not an input/);
    assert.throws(() => taskInputs(declared, {}), /required input 'azureSubscription'/);
  });

  it('finds a macro outside a JSON string', () => {
    assert.ok(macrosOnlyInStrings('{"a":"$(x)","b":"q\\"$(y)"}'));
    assert.ok(!macrosOnlyInStrings('{"a":$(x)}'));
  });
});
