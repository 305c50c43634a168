// The $(...) macros Azure DevOps expands in a server task's HttpRequest templates (EndpointUrl, Body, Headers, ...)
// before it sends the request: task inputs, fields of the service connection that EndpointId names (`endpoint.url`,
// `endpoint.<data key>`) and pipeline variables, system ones included (microsoft/azure-pipelines-tasks,
// docs/authoring/servertaskauthoring.md). Names are case-insensitive, as variables are; a macro nothing defines stays
// as written, as it does in pipelines; a substituted value is not expanded again.

export interface ServerTaskRun {
  /** Task inputs by their task.json names: see taskInputs. */
  inputs: Record<string, string>;
  /** The connection EndpointId names: its id, URL and data fields (for AzureRM: subscriptionId, environment, ...). */
  endpoint: { id: string; url: string; data: Record<string, string> };
  /** Pipeline variables, e.g. 'system.PlanId'. */
  variables: Record<string, string>;
}

export interface Rendered {
  text: string;
  /** Macros nothing defined, left in the text as written. */
  unresolved: string[];
}

const MACRO = /\$\(([A-Za-z0-9_.-]+)\)/g;

function lookup(map: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(map).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : map[key];
}

/** The value Azure DevOps gives `$(name)`: an endpoint field, else a task input, else a variable. */
export function macroValue(name: string, run: ServerTaskRun): string | undefined {
  const endpoint = /^endpoint\.(.+)$/i.exec(name);
  if (endpoint) return endpoint[1].toLowerCase() === 'url' ? run.endpoint.url : lookup(run.endpoint.data, endpoint[1]);
  return lookup(run.inputs, name) ?? lookup(run.variables, name);
}

export function renderMacros(template: string, run: ServerTaskRun): Rendered {
  const unresolved: string[] = [];
  const text = template.replace(MACRO, (whole, name: string) => {
    const value = macroValue(name, run);
    if (value === undefined) {
      unresolved.push(name);
      return whole;
    }
    return value;
  });
  return { text, unresolved };
}

/** Every macro name in a template, in order. */
export function macrosIn(template: string): string[] {
  return [...template.matchAll(MACRO)].map((m) => m[1]);
}

export interface TaskInput {
  name: string;
  aliases?: string[];
  required?: boolean | string;
  defaultValue?: string;
}

/**
 * The inputs of a step as the server resolves them from the YAML `inputs:` map: aliases become the input's name,
 * defaults fill what was left out; an unknown name or a missing required input is an error, as it is when the
 * pipeline is validated.
 */
export function taskInputs(declared: TaskInput[], given: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(given)) {
    const input = declared.find((i) => [i.name, ...(i.aliases ?? [])].some((n) => n.toLowerCase() === key.toLowerCase()));
    if (!input) throw new Error(`'${key}' is not an input of the task`);
    out[input.name] = value;
  }
  for (const input of declared) {
    if (out[input.name] === undefined && input.defaultValue !== undefined) out[input.name] = input.defaultValue;
    if (String(input.required) === 'true' && !out[input.name]) throw new Error(`required input '${input.name}' has no value`);
  }
  return out;
}
