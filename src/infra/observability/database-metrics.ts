import { Injectable, Optional } from '@nestjs/common';
import type { Pool } from 'pg';
import { pgPoolOf } from '../database/replica-node.js';
import { type ReadRoute, ReplicaRouter } from '../database/replica-router.js';
import { Metrics } from './metrics.js';

const READ_ROUTES: readonly ReadRoute[] = ['replica', 'primary-fallback', 'primary-ryw'];

/**
 * Connection pools, replica health and read routing, all read at scrape time: the query path pays
 * nothing for them. Pools are labelled `primary`, `replica1`, ... (the order of DATABASE_REPLICA_URLS).
 * Optional, so a process without the database module (a future tool) still gets the other metrics.
 */
@Injectable()
export class DatabaseMetrics {
  constructor(metrics: Metrics, @Optional() router?: ReplicaRouter) {
    if (!router) return;
    const pools = (): Array<[string, Pool | null]> => [
      ['primary', pgPoolOf(router.primary)],
      ...router.replicas.map((replica): [string, Pool | null] => [replica.name, replica.pool()]),
    ];
    const poolGauge = (name: string, help: string, read: (pool: Pool) => number) =>
      metrics.gauge({
        name,
        help,
        labelNames: ['pool'],
        collect() {
          // A pool not connected yet (a replica down since boot) reads as empty, so the series exist.
          for (const [pool, pg] of pools()) this.set({ pool }, pg ? read(pg) : 0);
        },
      });
    poolGauge(
      'db_pool_connections',
      'Open connections in the pool, in use or idle.',
      (pg) => pg.totalCount,
    );
    poolGauge(
      'db_pool_idle_connections',
      'Open connections waiting in the pool for a query.',
      (pg) => pg.idleCount,
    );
    poolGauge(
      'db_pool_waiting_clients',
      'Queries waiting for a connection because every one is in use.',
      (pg) => pg.waitingCount,
    );
    poolGauge(
      'db_pool_max_connections',
      'The most connections the pool may open (DATABASE_POOL_SIZE).',
      (pg) => pg.options.max ?? 0,
    );

    metrics.gauge({
      name: 'db_replica_healthy',
      help: '1 while the replica takes reads (connected, in recovery, lag within REPLICA_MAX_LAG_MS), else 0.',
      labelNames: ['replica'],
      // Across cluster workers: healthy only if every worker's probe says so.
      aggregator: 'min',
      collect() {
        for (const replica of router.replicas) {
          this.set({ replica: replica.name }, replica.state === 'healthy' ? 1 : 0);
        }
      },
    });
    metrics.gauge({
      name: 'db_replica_lag_seconds',
      help: 'Replication lag the last probe measured (0 when everything received is replayed).',
      labelNames: ['replica'],
      aggregator: 'max',
      collect() {
        for (const replica of router.replicas) {
          if (replica.lagMs !== null) this.set({ replica: replica.name }, replica.lagMs / 1000);
        }
      },
    });

    // The router counts every read (a plain increment); the counter catches up at scrape time.
    const counted: Record<ReadRoute, number> = { ...router.routed };
    const readRoutes = metrics.counter({
      name: 'db_read_route_total',
      help: 'Reads by where they ran: a replica, the primary because no replica was usable, or the primary for read-your-writes.',
      labelNames: ['route'],
      collect() {
        for (const route of READ_ROUTES) {
          const delta = router.routed[route] - counted[route];
          if (delta > 0) {
            this.inc({ route }, delta);
            counted[route] += delta;
          }
        }
      },
    });
    for (const route of READ_ROUTES) readRoutes.inc({ route }, counted[route]);
  }
}
