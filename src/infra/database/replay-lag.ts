/**
 * How far a replica's replay is behind the WAL it has received, in milliseconds of this process's clock.
 *
 * The common measure, `now() - pg_last_xact_replay_timestamp()` whenever received and replayed WAL
 * differ, is the age of the last replayed *commit*. During a long write (a bulk import, a vacuum, an
 * index build) WAL streams for seconds with no commit in it, so a replica a few milliseconds behind
 * reads as seconds behind and leaves the rotation: measured here, a 2.4 s INSERT made an up-to-date
 * replica read 33 s of lag. It also compares the replica's clock with the primary's.
 *
 * Instead each probe notes the received position and when it saw it. Lag is the age of the oldest
 * received position that replay has not yet passed: 0 for WAL replayed between two probes, growing
 * while replay is paused, delayed or too slow. It can read up to one probe interval low. Fed the
 * primary's flushed position it also counts WAL the primary has not sent yet, which is only lag when
 * a commit is in it; ReplicaNode consults it only while a finished transaction is missing.
 */
export class ReplayLag {
  /** Received positions (bytes into the WAL) not yet replayed, oldest first, with when each was seen. */
  private pending: Array<{ received: number; seenAtMs: number }> = [];

  constructor(private readonly maxPending = 64) {}

  /** Takes one probe's reading and returns the lag it implies. `received` is null when not streaming. */
  observe(received: number | null, replayed: number, nowMs: number): number {
    if (received === null || received <= replayed) {
      this.pending = [];
      return 0;
    }
    this.pending = this.pending.filter((entry) => entry.received > replayed);
    const last = this.pending.at(-1);
    if (!last || last.received < received) this.pending.push({ received, seenAtMs: nowMs });
    // Paused replay adds one entry per probe; the oldest alone sets the lag, so drop the second oldest.
    if (this.pending.length > this.maxPending) this.pending.splice(1, 1);
    return nowMs - this.pending[0]!.seenAtMs;
  }

  reset(): void {
    this.pending = [];
  }
}
