/**
 * The script of DataValidate's worker threads, bundled on its own into dist/worker.js: a worker loads only the
 * data engine, which keeps its start-up and memory small (the whole task bundle costs each worker 40 MiB).
 */
import { runDataWorker } from '../../src/data/worker';

runDataWorker();
