import { ReplayLag } from './replay-lag.js';

describe('ReplayLag', () => {
  it('is 0 when everything received is replayed, and when the replica is not streaming', () => {
    const lag = new ReplayLag();
    expect(lag.observe(1_000, 1_000, 0)).toBe(0);
    expect(lag.observe(null, 1_000, 1_000)).toBe(0);
  });

  it('is 0 while replay keeps passing what the previous probe saw received (a long write)', () => {
    // WAL streams with no commit in it; each probe finds replay a little behind, but past the last probe.
    const lag = new ReplayLag();
    for (let probe = 0; probe < 20; probe++) {
      const received = (probe + 1) * 16_000_000;
      expect(lag.observe(received, received - 300_000, probe * 1_000)).toBe(0);
    }
  });

  it('grows from the first probe that saw the unreplayed WAL while replay is paused', () => {
    const lag = new ReplayLag();
    expect(lag.observe(5_000, 1_000, 10_000)).toBe(0);
    expect(lag.observe(5_000, 1_000, 10_200)).toBe(200);
    expect(lag.observe(9_000, 1_000, 10_400)).toBe(400); // more WAL arrives: the oldest still counts
    expect(lag.observe(9_000, 1_000, 12_000)).toBe(2_000);
  });

  it('drops to the age of the oldest WAL still unreplayed as replay catches up', () => {
    const lag = new ReplayLag();
    lag.observe(2_000, 1_000, 0);
    lag.observe(3_000, 1_000, 1_000);
    lag.observe(4_000, 1_000, 2_000);
    expect(lag.observe(4_000, 2_500, 3_000)).toBe(2_000); // past 2,000 (seen at 0), not 3,000 (seen at 1,000)
    expect(lag.observe(4_000, 4_000, 3_100)).toBe(0);
    expect(lag.observe(6_000, 4_000, 3_200)).toBe(0); // a new gap starts counting afresh
  });

  it('keeps the oldest position when paused long, holding a bounded list', () => {
    const lag = new ReplayLag(4);
    for (let probe = 0; probe < 100; probe++) lag.observe(2_000 + probe, 1_000, probe * 100);
    expect(lag.observe(2_200, 1_000, 10_000)).toBe(10_000);
    expect((lag as unknown as { pending: unknown[] }).pending.length).toBeLessThanOrEqual(4);
  });

  it('starts afresh after a reset (the replica went down)', () => {
    const lag = new ReplayLag();
    lag.observe(2_000, 1_000, 0);
    lag.reset();
    expect(lag.observe(2_000, 1_000, 5_000)).toBe(0);
  });
});
