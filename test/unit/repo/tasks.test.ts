import assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { pngSize, readJson, taskFolders } from './repo-files';

// The rules tfx-cli (lib/jsonvalidate.js), the task schema (tasks.schema.json of azure-pipelines-task-lib) and the
// agent apply to task.json. tfx only warns about most of them and the Marketplace or the agent fails later, so
// they are checked here, for every task folder.

const TOP_LEVEL_KEYS = new Set([
  '$schema', 'id', 'name', 'friendlyName', 'description', 'helpUrl', 'helpMarkDown', 'author', 'preview', 'deprecated',
  'removalDate', 'deprecationMessage', 'showEnvironmentVariables', 'runsOn', 'visibility', 'category', 'groups', 'demands',
  'minimumAgentVersion', 'version', 'instanceNameFormat', 'releaseNotes', 'inputs', 'dataSourceBindings', 'sourceDefinitions',
  'prejobexecution', 'execution', 'postjobexecution', 'messages', 'outputVariables', 'restrictions',
]);
const CATEGORIES = ['Build', 'Utility', 'Test', 'Package', 'Deploy', 'Azure Repos', 'Azure Boards', 'Azure Pipelines', 'Azure Test Plans', 'Azure Artifacts'];
const INPUT_TYPES = ['boolean', 'filePath', 'multiLine', 'pickList', 'radio', 'secureFile', 'string', 'int', 'identities', 'querycontrol'];
// RFC 4122 as tfx checks it (validator.isUUID): version nibble 1-8, variant 8-b. Made-up ids like 1111...-5555 fail.
const RFC4122 = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const NAME = /^[A-Za-z][A-Za-z0-9]*$/;
// Node20_1 needs agent 3.232.1; the agent picks Node24 over it where it has it (4.265.1+).
const MINIMUM_AGENT = '3.232.1';
const HANDLERS = ['Node20_1', 'Node24'];
const END_OF_LIFE_HANDLERS = ['Node', 'Node6', 'Node10', 'Node16'];
const RULE_OPERATORS = ['=', '!=', '<', '>', '<=', '>=', 'Contains', 'StartsWith', 'EndsWith', 'NotContains', 'NotStartsWith', 'NotEndsWith'];

interface Input {
  name: string;
  type: string;
  label?: string;
  aliases?: string[];
  defaultValue?: string | boolean;
  required?: boolean;
  groupName?: string;
  visibleRule?: string;
  options?: Record<string, string>;
  properties?: Record<string, string>;
}

/** Input names a visibleRule refers to: `a = x && b != y || c NotEndsWith z`. Throws on a clause it cannot read. */
export function visibleRuleInputs(rule: string): string[] {
  const ops = [...RULE_OPERATORS].sort((a, b) => b.length - a.length).map((o) => o.replace(/[=<>!]/g, (c) => `\\${c}`));
  const clause = new RegExp(`^\\s*([A-Za-z][A-Za-z0-9]*)\\s*(${ops.map((o) => (/^[A-Z]/.test(o) ? `\\s${o}\\s` : o)).join('|')})\\s*(.*)$`);
  return rule.split(/&&|\|\|/).map((part) => {
    const m = clause.exec(part);
    if (!m) throw new Error(`cannot read visibleRule clause '${part.trim()}'`);
    return m[1];
  });
}

describe('Task manifests', () => {
  const tasks = taskFolders();

  it('finds at least one task', () => {
    assert.ok(tasks.length > 0);
  });

  it('gives every task a different id and name', () => {
    const manifests = tasks.map((t) => readJson('tasks', t.name, 'task.json'));
    const ids = manifests.map((m) => String(m.id).toLowerCase());
    const names = manifests.map((m) => m.name);
    assert.strictEqual(new Set(ids).size, ids.length, 'duplicate task id');
    assert.strictEqual(new Set(names).size, names.length, 'duplicate task name');
  });

  for (const t of tasks) {
    describe(`tasks/${t.name}/task.json`, () => {
      const task = readJson('tasks', t.name, 'task.json');
      const inputs: Input[] = task.inputs ?? [];
      const inputNames = new Set(inputs.map((i) => i.name));

      it('uses only properties the task schema knows', () => {
        assert.deepStrictEqual(Object.keys(task).filter((k) => !TOP_LEVEL_KEYS.has(k)), []);
      });

      it('has an RFC 4122 id', () => {
        assert.match(String(task.id), RFC4122);
      });

      it('is named like its folder, in letters, digits and dashes', () => {
        assert.match(task.name, /^[A-Za-z0-9-]+$/);
        assert.strictEqual(task.name, t.name);
      });

      it('has a friendlyName of at most 40 characters, a description and a category', () => {
        assert.ok(typeof task.friendlyName === 'string' && task.friendlyName.length >= 1 && task.friendlyName.length <= 40, `${task.friendlyName?.length} characters`);
        assert.ok(typeof task.description === 'string' && task.description.length > 0);
        assert.ok(CATEGORIES.includes(task.category), `category ${task.category}`);
      });

      it('has an instanceNameFormat whose $(...) references are inputs', () => {
        assert.ok(typeof task.instanceNameFormat === 'string' && task.instanceNameFormat.trim().length > 0);
        for (const m of task.instanceNameFormat.matchAll(/\$\(([^)]+)\)/g)) {
          // Names with a dot are pipeline variables (Build.BuildId); plain names must be inputs.
          if (!m[1].includes('.')) assert.ok(inputNames.has(m[1]), `$(${m[1]}) is not an input`);
        }
      });

      it('has a numeric version', () => {
        for (const k of ['Major', 'Minor', 'Patch']) assert.ok(Number.isInteger(task.version?.[k]) && task.version[k] >= 0, `version.${k}`);
      });

      if (t.kind === 'server') {
        // The rules of agentless tasks (runsOn, HttpRequest templates) are in test/unit/tasks-server.
        it('runs on the server only, so it asks for no agent version', () => {
          assert.strictEqual(task.minimumAgentVersion, undefined);
          assert.ok(!task.runsOn.includes('Agent'), `runsOn ${task.runsOn}`);
        });
      } else {
        it(`requires agent ${MINIMUM_AGENT}, the first with the Node 20 handler`, () => {
          assert.strictEqual(task.minimumAgentVersion, MINIMUM_AGENT);
        });

        it('runs dist/index.js on the Node20_1 and Node24 handlers and on no end-of-life one', () => {
          assert.deepStrictEqual(Object.keys(task.execution ?? {}).sort(), [...HANDLERS].sort());
          for (const h of HANDLERS) assert.strictEqual(task.execution[h].target, 'dist/index.js', h);
          for (const phase of ['prejobexecution', 'execution', 'postjobexecution']) {
            for (const h of Object.keys(task[phase] ?? {})) assert.ok(!END_OF_LIFE_HANDLERS.includes(h), `${phase}.${h} is end of life`);
          }
        });
      }

      it('has inputs with valid, unique names and aliases', () => {
        const seen = new Set<string>();
        for (const input of inputs) {
          for (const name of [input.name, ...(input.aliases ?? [])]) {
            assert.match(name, NAME, `input ${name}`);
            assert.ok(!seen.has(name.toLowerCase()), `input name or alias ${name} is used twice (names are case-insensitive in the environment)`);
            seen.add(name.toLowerCase());
          }
          assert.ok(input.label, `input ${input.name} has no label`);
        }
      });

      it('has inputs of known types with defaults of the right kind', () => {
        for (const input of inputs) {
          assert.ok(INPUT_TYPES.includes(input.type) || /^connectedService:.+$/.test(input.type), `input ${input.name} has type ${input.type}`);
          const d = input.defaultValue;
          if (d === undefined || d === '') continue;
          if (input.type === 'boolean') assert.ok(['true', 'false', true, false].includes(d), `input ${input.name} default ${d}`);
          if (input.type === 'int') assert.match(String(d), /^-?\d+$/, `input ${input.name} default`);
        }
      });

      it('gives every pickList and radio input options, and a default among them', () => {
        for (const input of inputs.filter((i) => i.type === 'pickList' || i.type === 'radio')) {
          const values = Object.keys(input.options ?? {});
          assert.ok(values.length > 0, `input ${input.name} has no options`);
          const editable = input.properties?.EditableOptions === 'True';
          if (input.defaultValue !== undefined && input.defaultValue !== '' && !editable) {
            assert.ok(values.includes(String(input.defaultValue)), `input ${input.name} default ${input.defaultValue} is not an option`);
          }
        }
      });

      it('has visibleRules that refer to other existing inputs', () => {
        for (const input of inputs.filter((i) => i.visibleRule)) {
          for (const ref of visibleRuleInputs(input.visibleRule!)) {
            assert.ok(inputNames.has(ref) && ref !== input.name, `input ${input.name}: visibleRule refers to ${ref}`);
          }
        }
        for (const g of task.groups ?? []) {
          if (g.visibleRule) for (const ref of visibleRuleInputs(g.visibleRule)) assert.ok(inputNames.has(ref), `group ${g.name}: visibleRule refers to ${ref}`);
        }
      });

      it('puts inputs only in groups it declares, each declared once', () => {
        const groups: string[] = (task.groups ?? []).map((g: { name: string; displayName?: string }) => {
          assert.ok(g.displayName, `group ${g.name} has no displayName`);
          return g.name;
        });
        assert.strictEqual(new Set(groups).size, groups.length, 'duplicate group');
        for (const input of inputs.filter((i) => i.groupName)) assert.ok(groups.includes(input.groupName!), `input ${input.name} is in undeclared group ${input.groupName}`);
      });

      it('binds data sources only to its inputs', () => {
        for (const b of task.dataSourceBindings ?? []) assert.ok(inputNames.has(b.target), `dataSourceBinding target ${b.target}`);
      });

      it('declares output variables with valid, unique names and descriptions', () => {
        const names = (task.outputVariables ?? []).map((o: { name: string; description?: string }) => {
          assert.match(o.name, NAME, `output variable ${o.name}`);
          assert.ok(o.description, `output variable ${o.name} has no description`);
          return o.name;
        });
        assert.strictEqual(new Set(names).size, names.length, 'duplicate output variable');
      });

      it('has a 32x32 icon.png next to it', () => {
        const icon = path.join(t.dir, 'icon.png');
        assert.ok(fs.existsSync(icon), 'icon.png is missing: node scripts/make-icons.mjs');
        assert.deepStrictEqual(pngSize(icon), { width: 32, height: 32 });
      });
    });
  }

  describe('the visibleRule reader', () => {
    it('reads every clause of a rule', () => {
      assert.deepStrictEqual(visibleRuleInputs('waitForCompletion = true'), ['waitForCompletion']);
      assert.deepStrictEqual(visibleRuleInputs('a != "" && b = x || c NotEndsWith .yml'), ['a', 'b', 'c']);
      assert.deepStrictEqual(visibleRuleInputs('mode>=2'), ['mode']);
    });

    it('refuses a clause it cannot read', () => {
      assert.throws(() => visibleRuleInputs('= true'), /cannot read/);
    });
  });
});
