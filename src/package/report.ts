import { formatBytes } from '../jobs/code-upload';
import { Summary } from '../summary';
import type { PackageResult } from './package';

/** At most this many model files are listed one by one in the summary. */
const MAX_FILES_LISTED = 50;

/** The run summary of a packaged model: what went into the image, and where the context or image is. */
export function packageSummary(r: PackageResult, workspaceName: string): Summary {
  const s = new Summary().heading(`Azure ML model ${r.model.name}:${r.model.version} packaged`);
  s.facts([
    ['Workspace', workspaceName],
    ['Model', `${r.model.name}:${r.model.version}${r.model.type ? ` (${r.model.type})` : ''}`],
    ['Model files', `${r.model.files.length} (${formatBytes(r.model.totalBytes)}) under ${r.context.modelDir}`],
    ['Environment', r.environment],
    ['Base image', r.context.baseImage],
    ['Port', String(r.context.port)],
    ['Build context', r.contextPath],
    ['Image', r.image?.imageName],
    ['Digest', r.image?.imageDigest],
  ]);
  const files = r.model.files.slice(0, MAX_FILES_LISTED);
  s.heading('Model files', 4).table(['File', 'Size'], files.map((f) => [f.path, formatBytes(f.bytes)]));
  if (r.model.files.length > files.length) s.paragraph(`... and ${r.model.files.length - files.length} more.`);
  if (r.context.warnings?.length) s.heading('Warnings', 4).paragraph(r.context.warnings.join(' '));
  return s;
}
