import type { Pool } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { withTimeout } from '../../common/with-timeout.js';
import { ReplayLag } from './replay-lag.js';
import { hasReplayedFinished, parseXactSnapshot, type XactSnapshot } from './xact-snapshot.js';

export type ReplicaState = 'starting' | 'healthy' | 'lagging' | 'down';

// WAL positions as bytes (exact in a float8 up to 8 PiB); ReplayLag turns two of them into a lag.
// The snapshots say which transactions each side has seen finish (see xact-snapshot.ts).
export const PRIMARY_POSITION_QUERY = `
  SELECT pg_wal_lsn_diff(pg_current_wal_flush_lsn(), '0/0')::float8 AS flushed,
         pg_current_snapshot()::text AS snapshot`;
const LAG_QUERY = `
  SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), '0/0')::float8 AS received,
         pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::float8 AS replayed,
         pg_current_snapshot()::text AS snapshot,
         pg_is_in_recovery() AS in_recovery`;

/** Where the primary was when a probe round began. */
export interface PrimaryPosition {
  flushed: number;
  snapshot: XactSnapshot | null;
}

/** The pg Pool behind a connected TypeORM DataSource (the Postgres driver keeps it, untyped, as `master`). */
export function pgPoolOf(dataSource: DataSource | null | undefined): Pool | null {
  if (!dataSource?.isInitialized) return null;
  return (dataSource.driver as unknown as { master?: Pool }).master ?? null;
}

/** One replica: its connection pool, and what the last probe found. */
export class ReplicaNode {
  state: ReplicaState = 'starting';
  lagMs: number | null = null;
  lastError: string | null = null;
  private dataSource: DataSource | null = null;
  private readonly replayLag = new ReplayLag();
  private connecting: Promise<void> | null = null;

  constructor(
    readonly name: string,
    private readonly options: DataSourceOptions,
    private readonly maxLagMs: number,
    private readonly probeTimeoutMs: number,
  ) {}

  get source(): DataSource | null {
    return this.state === 'healthy' ? this.dataSource : null;
  }

  /** This replica's pg pool whatever its state, for pool metrics; null until it has connected. */
  pool(): Pool | null {
    return pgPoolOf(this.dataSource);
  }

  /**
   * A hung host (paused VM, stalled disk, a network path that drops packets) refuses nothing: queries
   * wait for the statement timeout, which the server cannot enforce while it is stopped. A probe that
   * gets no answer in time takes the replica out, so new reads stop queueing on it within a second
   * instead of each waiting for its own timeout. The abandoned query ends on the client's query_timeout.
   *
   * Connects if needed. A replica that has replayed every transaction the primary had finished when
   * its position was read is 0 ms behind, whatever WAL it has yet to get: the primary's WAL sender
   * ships WAL flushed without a commit (a long write, paced by the WAL writer) only when next woken,
   * up to wal_writer_delay later, and on two busy cores that read as over 500 ms of lag with no
   * committed row missing. Otherwise lag is timed against the primary's flushed WAL position read
   * just before or, when the primary did not answer, against what this replica has received. Never
   * throws: the outcome is the new state.
   */
  async probe(primary: PrimaryPosition | null = null): Promise<ReplicaState> {
    const seenAtMs = performance.now();
    try {
      const [row] = await withTimeout(
        this.measure(),
        this.probeTimeoutMs,
        `probe timed out after ${this.probeTimeoutMs} ms`,
      );
      const snapshot = parseXactSnapshot(row.snapshot);
      if (primary?.snapshot && snapshot && hasReplayedFinished(primary.snapshot, snapshot)) {
        this.replayLag.reset();
        this.lagMs = 0;
      } else {
        const target = primary?.flushed ?? row.received;
        this.lagMs = Math.round(this.replayLag.observe(target, row.replayed ?? 0, seenAtMs));
      }
      this.lastError = null;
      // A promoted replica is no longer a replica: reading from it could miss writes to the new primary.
      if (!row.in_recovery) return this.mark('down', 'not in recovery (promoted?)');
      return this.mark(this.lagMs > this.maxLagMs ? 'lagging' : 'healthy');
    } catch (error) {
      return this.mark('down', (error as Error).message);
    }
  }

  /** The replica's received and replayed WAL positions, connecting first if it has not yet. */
  private async measure() {
    await this.connect();
    return (await this.dataSource!.query(LAG_QUERY)) as Array<{
      received: number | null;
      replayed: number | null;
      snapshot: string | null;
      in_recovery: boolean;
    }>;
  }

  /** Takes the replica out of rotation at once; the next probe brings it back. */
  markDown(reason: string): void {
    this.mark('down', reason);
  }

  async close(): Promise<void> {
    await this.connecting?.catch(() => undefined);
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
  }

  private mark(state: ReplicaState, reason?: string): ReplicaState {
    if (state === 'down') this.replayLag.reset();
    this.state = state;
    if (reason) this.lastError = reason;
    return state;
  }

  private async connect(): Promise<void> {
    if (this.dataSource?.isInitialized) return;
    this.connecting ??= (async () => {
      const dataSource = new DataSource(this.options);
      try {
        await dataSource.initialize();
        this.dataSource = dataSource;
      } finally {
        this.connecting = null;
      }
    })();
    await this.connecting;
  }
}
