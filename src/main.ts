import cluster from 'node:cluster';
import { loadConfig } from './config/config.js';

// Validate configuration before anything else: a bad variable stops the process with one clear line.
const config = loadConfig();

// Each process loads only what it runs: the cluster primary supervises and serves metrics, so importing
// the app (Nest, TypeORM, BullMQ, ...) as well cost it ~160 MB RSS per pod for nothing.
if (cluster.isPrimary && config.WEB_CONCURRENCY > 1) {
  const { runClusterPrimary } = await import('./bootstrap/cluster.js');
  runClusterPrimary(config);
} else {
  const { runHttpProcess } = await import('./bootstrap/http-process.js');
  runHttpProcess(config).catch((error: Error) => {
    process.stderr.write(`failed to start: ${error.message}\n`);
    process.exit(1);
  });
}
