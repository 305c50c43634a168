/**
 * The Parquet decoder and Arrow libraries, bundled on their own into dist/parquet-libs.js: the data engine loads
 * them by path on the first Parquet read (src/data/readers/parquet-libs.ts), so a task or worker thread reading CSV
 * never parses them.
 */
export { parquetWasm, apacheArrow, arrowFfi } from '../../src/data/readers/parquet-libs';
