#!/usr/bin/env node
// Launcher of the aml-mlops command; the code is compiled by `npm run build` into build/src/cli/.
const path = require('path');
const fs = require('fs');
const main = path.join(__dirname, '..', 'build', 'src', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  console.error(`aml-mlops: ${main} does not exist: run "npm run build" first.`);
  process.exit(2);
}
// Piped into `head` or a pager that quit: stop quietly, as other command line tools do.
process.stdout.on('error', (e) => process.exit(e.code === 'EPIPE' ? 0 : 1));
require(main)
  .main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
  });
