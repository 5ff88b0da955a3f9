/**
 * Which transactions a server has seen finish, from `pg_current_snapshot()`: every xid below `xmin`
 * has finished, none from `xmax` on has, and between them `inProgress` lists those still running.
 * A hot standby fills the same snapshot from the WAL it has replayed but leaves `inProgress` empty
 * (it keeps those xids elsewhere), so for a replica only `xmin` and `xmax` say anything.
 */
export interface XactSnapshot {
  xmin: bigint;
  xmax: bigint;
  inProgress: bigint[];
}

/** Parses the text form `xmin:xmax:xip,xip,...`; null for anything else. */
export function parseXactSnapshot(text: string | null | undefined): XactSnapshot | null {
  const match = /^(\d+):(\d+):([\d,]*)$/.exec(text ?? '');
  if (!match) return null;
  const inProgress = match[3] ? match[3].split(',').map((xid) => BigInt(xid)) : [];
  return { xmin: BigInt(match[1]!), xmax: BigInt(match[2]!), inProgress };
}

/**
 * True when the replica has replayed every transaction the primary had finished when its snapshot
 * was taken: no committed row is missing from it, however much uncommitted WAL it has yet to get.
 *
 * - Each xid from the replica's xmax up to the primary's has finished on the primary unless the
 *   primary lists it as running; one that finished there is not replayed yet.
 * - An xid below the primary's xmin has finished on the primary; if the replica's xmin is lower, the
 *   replica still counts one of those as running.
 *
 * Blind spot: commits replayed out of xid order while an older transaction still runs can leave one
 * missing transaction unseen (the standby's running list is empty); the next commit after it shows.
 * An aborted transaction counts as finished, so the replica reads behind until it has replayed the
 * abort too: 167-209 ms here, as an abort record waits for the WAL writer's cycle (a commit's reached
 * the replica in 1 ms). A backend that crashed leaves its xid running on the standby until the
 * primary next logs its running transactions (within 15 s).
 */
export function hasReplayedFinished(primary: XactSnapshot, replica: XactSnapshot): boolean {
  if (replica.xmin < primary.xmin) return false;
  if (replica.xmax >= primary.xmax) return true;
  const stillRunning = primary.inProgress.filter((xid) => xid >= replica.xmax).length;
  return BigInt(stillRunning) === primary.xmax - replica.xmax;
}
