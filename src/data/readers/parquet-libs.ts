/**
 * The libraries the Parquet reader decodes with, in a module of their own that parquet.ts loads by path on the first
 * Parquet read: a task bundles this module on its own (tasks/DataValidate/parquet-libs.ts into
 * dist/parquet-libs.js, next to index.js and worker.js), so reading CSV or JSON Lines never loads, nor even parses,
 * these 400 kB of code. Each library is required when first asked for.
 */

/** parquet-wasm, whose Node build compiles `${__dirname}/parquet_wasm_bg.wasm` when first required. */
export function parquetWasm(): typeof import('parquet-wasm') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('parquet-wasm') as typeof import('parquet-wasm');
}

export function apacheArrow(): typeof import('apache-arrow') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('apache-arrow') as typeof import('apache-arrow');
}

export function arrowFfi(): typeof import('arrow-js-ffi') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('arrow-js-ffi') as typeof import('arrow-js-ffi');
}
