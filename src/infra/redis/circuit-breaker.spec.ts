import { BreakerOpenError, CircuitBreaker, type BreakerState } from './circuit-breaker.js';

describe('CircuitBreaker', () => {
  let now = 0;
  const changes: BreakerState[] = [];
  const breaker = () =>
    new CircuitBreaker({
      name: 'redis',
      failureThreshold: 3,
      cooldownMs: 1_000,
      now: () => now,
      onStateChange: (state) => changes.push(state),
    });
  const fail = () => Promise.reject(new Error('down'));
  const ok = () => Promise.resolve('ok');

  beforeEach(() => {
    now = 0;
    changes.length = 0;
  });

  it('opens after the threshold of consecutive failures and then skips calls', async () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) await expect(b.run(fail)).rejects.toThrow('down');
    expect(b.state).toBe('open');
    let called = false;
    await expect(
      b.run(async () => {
        called = true;
      }),
    ).rejects.toBeInstanceOf(BreakerOpenError);
    expect(called).toBe(false);
  });

  it('a success resets the failure count', async () => {
    const b = breaker();
    await expect(b.run(fail)).rejects.toThrow();
    await expect(b.run(fail)).rejects.toThrow();
    await b.run(ok);
    await expect(b.run(fail)).rejects.toThrow();
    expect(b.state).toBe('closed');
  });

  it('after the cooldown one trial decides: success closes, failure reopens', async () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) await expect(b.run(fail)).rejects.toThrow();
    now = 1_000;
    await expect(b.run(fail)).rejects.toThrow('down');
    expect(b.state).toBe('open');
    now = 1_500;
    await expect(b.run(ok)).rejects.toBeInstanceOf(BreakerOpenError);
    now = 2_000;
    await expect(b.run(ok)).resolves.toBe('ok');
    expect(changes).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
  });

  it('opens at once on a failure marked severe', async () => {
    const b = new CircuitBreaker({
      name: 'redis',
      failureThreshold: 3,
      cooldownMs: 1_000,
      now: () => now,
      tripsImmediately: (error) => (error as Error).message === 'timed out',
    });
    await expect(b.run(() => Promise.reject(new Error('timed out')))).rejects.toThrow();
    expect(b.state).toBe('open');
  });

  it('lets only one trial through at a time', async () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) await expect(b.run(fail)).rejects.toThrow();
    now = 1_000;
    let release!: () => void;
    const trial = b.run(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(b.run(ok)).rejects.toBeInstanceOf(BreakerOpenError);
    release();
    await trial;
    expect(b.state).toBe('closed');
  });
});
