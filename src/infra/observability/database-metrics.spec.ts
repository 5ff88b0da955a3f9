import type { ReplicaRouter } from '../database/replica-router.js';
import { DatabaseMetrics } from './database-metrics.js';
import { Metrics } from './metrics.js';

const pool = (total: number, idle: number, waiting: number) => ({
  totalCount: total,
  idleCount: idle,
  waitingCount: waiting,
  options: { max: 10 },
});

describe('DatabaseMetrics', () => {
  const metrics = new Metrics();
  afterAll(() => metrics.onApplicationShutdown());
  const replica1 = { name: 'replica1', state: 'healthy', lagMs: 250, pool: () => pool(2, 2, 0) };
  const replica2 = { name: 'replica2', state: 'down', lagMs: null, pool: () => null };
  const router = {
    primary: { isInitialized: true, driver: { master: pool(5, 1, 3) } },
    replicas: [replica1, replica2],
    routed: { replica: 7, 'primary-fallback': 0, 'primary-ryw': 1 },
  };
  new DatabaseMetrics(metrics, router as unknown as ReplicaRouter);

  it('reads pool use, replica health and lag at scrape time', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toContain('db_pool_connections{pool="primary"} 5');
    expect(text).toContain('db_pool_idle_connections{pool="primary"} 1');
    expect(text).toContain('db_pool_waiting_clients{pool="primary"} 3');
    expect(text).toContain('db_pool_max_connections{pool="primary"} 10');
    expect(text).toContain('db_pool_connections{pool="replica1"} 2');
    expect(text).toContain('db_pool_connections{pool="replica2"} 0'); // never connected
    expect(text).toContain('db_replica_healthy{replica="replica1"} 1');
    expect(text).toContain('db_replica_healthy{replica="replica2"} 0');
    expect(text).toContain('db_replica_lag_seconds{replica="replica1"} 0.25');
    expect(text).not.toContain('db_replica_lag_seconds{replica="replica2"}');
  });

  it('counts reads by route from the router, catching up on each scrape', async () => {
    expect(await metrics.registry.metrics()).toContain('db_read_route_total{route="replica"} 7');
    router.routed.replica += 3;
    router.routed['primary-fallback'] += 2;
    const text = await metrics.registry.metrics();
    expect(text).toContain('db_read_route_total{route="replica"} 10');
    expect(text).toContain('db_read_route_total{route="primary-fallback"} 2');
    expect(text).toContain('db_read_route_total{route="primary-ryw"} 1');
  });
});
