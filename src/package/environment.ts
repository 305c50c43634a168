import { parse } from 'yaml';
import { UserError } from '../errors';
import { INFERENCE_SERVER_PACKAGE } from './dockerfile';

// Reads a conda file or pip requirements just enough to know whether it brings the inference server
// and which packages it leaves unpinned (those make two builds of the same context differ).

export interface EnvironmentFileFacts {
  hasServer: boolean;
  unpinned: string[];
}

export function pipRequirementsFacts(text: string): EnvironmentFileFacts {
  return requirementFacts(
    text
      .split(/\r?\n/)
      .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
      .filter((line) => line && !line.startsWith('-')),
    '==',
  );
}

export function condaFileFacts(text: string, file: string): EnvironmentFileFacts {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new UserError(`The conda file ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}. Fix the file.`, { input: 'condaFile', file });
  }
  const dependencies = (doc as { dependencies?: unknown } | null)?.dependencies;
  if (!Array.isArray(dependencies)) {
    throw new UserError(`The conda file ${file} has no 'dependencies' list. List the packages the scoring script needs (with python and pip).`, {
      input: 'condaFile',
      file,
    });
  }
  const conda = dependencies.filter((d): d is string => typeof d === 'string');
  const pip = dependencies.flatMap((d) => (d && typeof d === 'object' && Array.isArray((d as { pip?: unknown }).pip) ? (d as { pip: unknown[] }).pip : []));
  const condaFacts = requirementFacts(conda, '=');
  const pipFacts = requirementFacts(pip.filter((p): p is string => typeof p === 'string' && !p.startsWith('-')), '==');
  return { hasServer: condaFacts.hasServer || pipFacts.hasServer, unpinned: [...condaFacts.unpinned, ...pipFacts.unpinned] };
}

function requirementFacts(specs: string[], pin: string): EnvironmentFileFacts {
  const unpinned: string[] = [];
  let hasServer = false;
  for (const spec of specs) {
    const name = spec.split(/[=<>!~\[; @]/)[0].trim().toLowerCase().replace(/_/g, '-');
    if (name.replace(/^.*::/, '') === INFERENCE_SERVER_PACKAGE) hasServer = true;
    // pip itself is the installer; its version does not change what gets installed.
    if (!spec.includes(pin) && name !== 'pip') unpinned.push(spec.trim());
  }
  return { hasServer, unpinned };
}
