import { hasReplayedFinished, parseXactSnapshot, type XactSnapshot } from './xact-snapshot.js';

const snapshot = (text: string): XactSnapshot => parseXactSnapshot(text)!;

describe('parseXactSnapshot', () => {
  it('reads xmin, xmax and the running xids of the text form', () => {
    expect(parseXactSnapshot('996:1001:996,999')).toEqual({
      xmin: 996n,
      xmax: 1001n,
      inProgress: [996n, 999n],
    });
    expect(parseXactSnapshot('998:998:')).toEqual({ xmin: 998n, xmax: 998n, inProgress: [] });
  });

  it('keeps 64-bit xids exact (past the first wraparound)', () => {
    expect(parseXactSnapshot('9007199254740993:9007199254740995:')?.xmax).toBe(9007199254740995n);
  });

  it('is null for anything else', () => {
    for (const text of [null, undefined, '', '1:2', 'a:b:', '1:2:3;4']) {
      expect(parseXactSnapshot(text)).toBeNull();
    }
  });
});

describe('hasReplayedFinished', () => {
  it('holds while the only running transaction is a long write the replica also sees running', () => {
    // What PostgreSQL 15 gave during a 3 s INSERT: the primary lists nothing below xmax, the standby never lists.
    expect(hasReplayedFinished(snapshot('996:996:'), snapshot('996:996:'))).toBe(true);
    expect(hasReplayedFinished(snapshot('996:998:996'), snapshot('996:998:'))).toBe(true);
  });

  it('holds when the replica has moved on past the primary (it was read later)', () => {
    expect(hasReplayedFinished(snapshot('996:998:996'), snapshot('998:1003:'))).toBe(true);
  });

  it('fails while a transaction the primary finished is not replayed (replay paused after a write)', () => {
    expect(hasReplayedFinished(snapshot('1000:1000:'), snapshot('999:999:'))).toBe(false);
    expect(hasReplayedFinished(snapshot('996:1001:996'), snapshot('996:998:'))).toBe(false);
  });

  it('holds when every xid between the two xmax values is still running on the primary', () => {
    expect(hasReplayedFinished(snapshot('996:1001:996,998,999,1000'), snapshot('996:998:'))).toBe(
      true,
    );
    expect(hasReplayedFinished(snapshot('996:1001:996,998,1000'), snapshot('996:998:'))).toBe(
      false,
    );
  });

  it('fails when the replica still counts as running an xid the primary finished (commits out of order)', () => {
    // 1001 committed and was replayed; 1000 committed after it on the primary but is not replayed yet.
    expect(hasReplayedFinished(snapshot('1002:1002:'), snapshot('1000:1002:'))).toBe(false);
  });
});
