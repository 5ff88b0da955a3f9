import cluster from 'node:cluster';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { answerClusterScrapes, type ClusterScrapeResponder } from './cluster-metrics.js';
import { Metrics } from './metrics.js';
import {
  METRICS_PATH,
  type MetricsServer,
  metricsListenOptions,
  startMetricsServer,
} from './metrics-server.js';

/**
 * Makes this process's registry scrapeable. A single process (WEB_CONCURRENCY=1, the job worker)
 * serves it on METRICS_PORT itself; a cluster worker serves nothing and answers the primary instead,
 * which serves every worker's metrics summed on that port.
 */
@Injectable()
export class MetricsExporter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server: MetricsServer | null = null;
  private clusterResponder: ClusterScrapeResponder | null = null;

  constructor(
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (cluster.isWorker) {
      this.clusterResponder = answerClusterScrapes(this.metrics.registry);
      return;
    }
    const { host, port } = metricsListenOptions(this.config);
    this.server = await startMetricsServer({
      host,
      port,
      render: () => this.metrics.registry.metrics(),
    });
    this.logger.log(`metrics on http://${host}:${this.server.port}${METRICS_PATH}`);
  }

  // Nest runs this after the HTTP server has closed, so the final counts include every request served.
  async onApplicationShutdown(): Promise<void> {
    if (this.clusterResponder) {
      await this.clusterResponder.sendFinal();
      this.clusterResponder.stop();
    }
    await this.server?.close();
  }
}
