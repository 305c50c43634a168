// `npm run fake-azure`: runs the local fake Azure from the compiled test sources.
import { createRequire } from 'module';
import { existsSync } from 'fs';
import { fileURLToPath } from 'url';

const require = createRequire(import.meta.url);
const cliPath = fileURLToPath(new URL('../build/test/fake-azure/cli.js', import.meta.url));
if (!existsSync(cliPath)) {
  console.error(`${cliPath} does not exist: compile first with "npx tsc -p tsconfig.json".`);
  process.exit(1);
}
const { main } = require(cliPath);
process.exitCode = await main(process.argv.slice(2));
