// Fallback for the DataValidate benchmark when the task bundle is not built: the engine API from the tsc build
// (build/src/data/engine.js) — validateData with localSources and loadSchema, as the task calls it, minus the
// task's start-up and report rendering. Writes the report object as JSON to <reportDir>/datavalidate-report.json.
//
// Usage: node bench/datavalidate/engine-run.mjs <data> <reference|-> <schema.yml> <workers> <reportDir>
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const build = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'build', 'src', 'data');
const { validateData } = require(path.join(build, 'engine.js'));
const { localSources } = require(path.join(build, 'sources.js'));
const { loadSchema } = require(path.join(build, 'schema.js'));

const [data, reference, schemaFile, workers, reportDir] = process.argv.slice(2);
const log = { info: (m) => console.log(m), warning: (m) => console.log(`WARNING ${m}`), debug() {} };
const { report } = await validateData({
  sources: localSources(data, process.cwd(), 'dataPath'),
  format: 'auto',
  reader: {},
  schema: loadSchema(schemaFile),
  reference: reference === '-' ? undefined : { kind: 'data', sources: localSources(reference, process.cwd(), 'referenceData'), format: 'auto' },
  workers: Number(workers),
  workerScript: path.join(build, 'worker.js'),
  log,
});
fs.mkdirSync(reportDir, { recursive: true });
fs.writeFileSync(path.join(reportDir, 'datavalidate-report.json'), JSON.stringify(report, (k, v) => (typeof v === 'bigint' ? String(v) : v)));
console.log(`engine: ${report.rowCount} rows, ${report.errors} errors, ${report.warnings} warnings`);
