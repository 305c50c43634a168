import { isScalar, type Node } from 'yaml';
import {
  INPUT_MODES,
  INPUT_TYPES,
  OUTPUT_MODES,
  openYamlFile,
  put,
  type CommandComponentSpec,
  type ComponentInputSpec,
  type ComponentInputType,
  type ComponentOutputSpec,
  type EnvironmentSpec,
  type JobFileReader,
} from './spec';

const COMPONENT_FIELDS = [
  '$schema', 'type', 'name', 'version', 'display_name', 'description', 'tags', 'is_deterministic', 'inputs', 'outputs',
  'command', 'code', 'environment', 'environment_variables', 'resources', 'distribution',
] as const;

const LITERAL_TYPES = ['string', 'integer', 'number', 'boolean'] as const;
// A function, not a constant: spec.ts and this module import each other.
const componentInputTypes = (): readonly ComponentInputType[] => [...LITERAL_TYPES, ...INPUT_TYPES];

/** Reads a command component YAML (`az ml component create -f` style); errors name that file and line. */
export function readComponentFile(absFile: string): CommandComponentSpec {
  const { reader, root } = openYamlFile(absFile, 'component');
  if (root === null || (isScalar(root) && root.value === null)) throw reader.error('the component file is empty; a command component needs at least command and environment.', 1);
  const component = readComponent(reader, root, root, '');
  return { ...component, lines: reader.lines };
}

/**
 * A command component from a mapping: a component file's root (prefix '') or `jobs.<step>.component` in a
 * pipeline file (prefix 'jobs.<step>.component.').
 */
export function readComponent(
  r: JobFileReader,
  node: Node,
  keyNode: Node,
  prefix: string,
  options: { fallbackEnvironment?: EnvironmentSpec; allowed?: readonly string[]; inputs?: Record<string, ComponentInputSpec>; outputs?: Record<string, ComponentOutputSpec> } = {},
): CommandComponentSpec {
  const where = prefix ? prefix.slice(0, -1) : 'the component';
  const entries = r.mapEntries(node, where, keyNode);
  r.checkFields(entries, where, options.allowed ?? COMPONENT_FIELDS, {
    compute: 'is chosen by the job that runs the component, not by the component. Set it on the pipeline step or in settings.default_compute.',
    jobs: 'makes this a pipeline component, which AmlTrain does not support yet (supported: command components).',
  });
  const typeEntry = entries.find((e) => e.key === 'type');
  if (typeEntry) {
    const type = r.string(typeEntry.value, `${prefix}type`, typeEntry.keyNode).toLowerCase();
    if (type !== 'command') {
      r.fail(`${prefix}type: ${type} components are not supported yet by AmlTrain (supported: command).`, typeEntry.value, typeEntry.keyNode);
    }
  }
  const component: Partial<CommandComponentSpec> = { file: r.displayFile, inputs: options.inputs ?? {}, outputs: options.outputs ?? {} };
  for (const entry of entries) {
    const { key, keyNode: k, value } = entry;
    const field = `${prefix}${key}`;
    r.recordLine(field, k);
    if (r.commandPart(component, entry, prefix)) continue;
    switch (key) {
      case 'name': {
        const name = r.string(value, field, k);
        if (!/^[a-zA-Z_][a-zA-Z0-9_.-]{0,254}$/.test(name)) {
          r.fail(`${field}: "${name}" is not a valid component name: use letters, digits, "_", "-" and ".", starting with a letter or "_".`, value, k);
        }
        component.name = name;
        break;
      }
      case 'version': {
        const scalar = r.deref(value);
        if (!isScalar(scalar) || scalar.value === null || typeof scalar.value === 'object') r.fail(`${field} must be a version such as 1 or 0.2.1.`, value, k);
        component.version = String(scalar.source ?? scalar.value);
        break;
      }
      case 'display_name':
        component.displayName = r.string(value, field, k);
        break;
      case 'description':
        component.description = r.string(value, field, k, { allowEmpty: true });
        break;
      case 'tags':
        component.tags = r.stringMap(value, field, k);
        break;
      case 'is_deterministic': {
        const scalar = r.deref(value);
        if (!isScalar(scalar) || typeof scalar.value !== 'boolean') r.fail(`${field} must be true or false.`, value, k);
        component.isDeterministic = scalar.value;
        break;
      }
      case 'inputs':
        if (!options.inputs) component.inputs = componentInputs(r, value, k, prefix);
        break;
      case 'outputs':
        if (!options.outputs) component.outputs = componentOutputs(r, value, k, prefix);
        break;
      default:
        break;
    }
  }
  const command = entries.find((e) => e.key === 'command');
  if (!command) r.fail(`${where} has no command. Add one, for example: command: python train.py --data \${{inputs.data}}`, keyNode);
  component.command = r.command(command.value, command.keyNode, component.inputs!, component.outputs!, { field: `${prefix}command`, where: prefix ? 'the component' : where });
  if (!component.environment && options.fallbackEnvironment) component.environment = options.fallbackEnvironment;
  if (!component.environment) {
    r.fail(`${where} has no environment. Add environment: azureml:<name>:<version> (or azureml:<name>@latest), or an inline environment with an image.`, keyNode);
  }
  return component as CommandComponentSpec;
}

function componentInputs(r: JobFileReader, node: Node | null, keyNode: Node, prefix: string): Record<string, ComponentInputSpec> {
  const inputs: Record<string, ComponentInputSpec> = {};
  for (const entry of r.mapEntries(node, `${prefix}inputs`, keyNode)) {
    const field = `${prefix}inputs.${entry.key}`;
    r.bindingName(entry, 'inputs');
    r.recordLine(field, entry.keyNode);
    const entries = r.mapEntries(entry.value, field, entry.keyNode);
    r.checkFields(entries, field, ['type', 'default', 'optional', 'description', 'min', 'max', 'enum', 'mode']);
    const typeEntry = entries.find((e) => e.key === 'type');
    if (!typeEntry) r.fail(`${field} has no type. Add type: ${componentInputTypes().join(', ')}.`, entry.keyNode);
    const input: ComponentInputSpec = {
      type: r.oneOf(r.string(typeEntry.value, `${field}.type`, typeEntry.keyNode), componentInputTypes(), `${field}.type`, typeEntry.value, typeEntry.keyNode),
    };
    const literal = (LITERAL_TYPES as readonly string[]).includes(input.type);
    for (const { key, keyNode: k, value } of entries) {
      const f = `${field}.${key}`;
      const scalar = r.deref(value);
      if (key === 'optional') {
        if (!isScalar(scalar) || typeof scalar.value !== 'boolean') r.fail(`${f} must be true or false.`, value, k);
        input.optional = scalar.value;
      }
      if (key === 'description') input.description = r.string(value, f, k, { allowEmpty: true });
      if (key === 'default') {
        if (!literal) r.fail(`${f}: a default is only for string, integer, number and boolean inputs; ${input.type} inputs get their path from the job.`, value, k);
        if (!isScalar(scalar) || scalar.value === null || typeof scalar.value === 'object') r.fail(`${f} must be a single value.`, value, k);
        input.default = literalDefault(r, input.type, scalar.value as string | number | boolean, f, value, k);
      }
      if (key === 'min' || key === 'max') {
        if (input.type !== 'integer' && input.type !== 'number') r.fail(`${f} only applies to integer and number inputs.`, value, k);
        if (!isScalar(scalar) || typeof scalar.value !== 'number') r.fail(`${f} must be a number.`, value, k);
        input[key] = scalar.value;
      }
      if (key === 'enum') {
        if (input.type !== 'string') r.fail(`${f} only applies to string inputs.`, value, k);
        input.enum = r.sequence(value, f, k).map((item) => (isScalar(item) ? (item.value as string) : r.fail(`${f} must list values.`, item, k)));
      }
      if (key === 'mode') {
        if (literal) r.fail(`${f} only applies to data and model inputs.`, value, k);
        input.mode = INPUT_MODES[r.oneOf(r.string(value, f, k), Object.keys(INPUT_MODES), f, value, k)];
      }
    }
    put(inputs, entry.key, input);
  }
  return inputs;
}

function literalDefault(r: JobFileReader, type: ComponentInputType, value: string | number | boolean, field: string, node: Node | null, keyNode: Node): string | number | boolean {
  const ok =
    type === 'string' ||
    (type === 'boolean' && typeof value === 'boolean') ||
    (type === 'integer' && typeof value === 'number' && Number.isInteger(value)) ||
    (type === 'number' && typeof value === 'number');
  if (!ok) r.fail(`${field}: ${JSON.stringify(value)} is not a valid ${type}.`, node, keyNode);
  return type === 'string' ? String(value) : value;
}

function componentOutputs(r: JobFileReader, node: Node | null, keyNode: Node, prefix: string): Record<string, ComponentOutputSpec> {
  const outputs: Record<string, ComponentOutputSpec> = {};
  for (const entry of r.mapEntries(node, `${prefix}outputs`, keyNode)) {
    const field = `${prefix}outputs.${entry.key}`;
    r.bindingName(entry, 'outputs');
    r.recordLine(field, entry.keyNode);
    const resolved = r.deref(entry.value);
    const output: ComponentOutputSpec = { type: 'uri_folder' };
    if (resolved !== null && !(isScalar(resolved) && resolved.value === null)) {
      const entries = r.mapEntries(entry.value, field, entry.keyNode);
      r.checkFields(entries, field, ['type', 'mode', 'description']);
      for (const { key, keyNode: k, value } of entries) {
        const f = `${field}.${key}`;
        if (key === 'type') output.type = r.oneOf(r.string(value, f, k), INPUT_TYPES, f, value, k);
        if (key === 'mode') output.mode = OUTPUT_MODES[r.oneOf(r.string(value, f, k), Object.keys(OUTPUT_MODES), f, value, k)];
        if (key === 'description') output.description = r.string(value, f, k, { allowEmpty: true });
      }
    }
    put(outputs, entry.key, output);
  }
  return outputs;
}
