import { Global, Module } from '@nestjs/common';
import { DatabaseMetrics } from './database-metrics.js';
import { HttpMetrics } from './http-metrics.js';
import { Metrics } from './metrics.js';
import { MetricsExporter } from './metrics-exporter.js';

/**
 * Prometheus metrics on METRICS_PORT (never the public port). Global: a feature or infra module injects
 * `Metrics` and declares its own counters and gauges (cache hits per tier, throttled requests, queue depth).
 */
@Global()
@Module({
  providers: [Metrics, HttpMetrics, DatabaseMetrics, MetricsExporter],
  exports: [Metrics, HttpMetrics],
})
export class MetricsModule {}
