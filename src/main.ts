import cluster from 'node:cluster';
import { loadConfig } from './config/config.js';
import { runClusterPrimary } from './bootstrap/cluster.js';
import { runHttpProcess } from './bootstrap/http-process.js';

// Validate configuration before anything else: a bad variable stops the process with one clear line.
const config = loadConfig();

if (cluster.isPrimary && config.WEB_CONCURRENCY > 1) {
  runClusterPrimary(config);
} else {
  runHttpProcess(config).catch((error: Error) => {
    process.stderr.write(`failed to start: ${error.message}\n`);
    process.exit(1);
  });
}
