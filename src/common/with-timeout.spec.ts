import { withTimeout } from './with-timeout.js';

const after = <T>(ms: number, value: T) =>
  new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('withTimeout', () => {
  it('gives the answer that comes in time', async () => {
    await expect(withTimeout(after(5, 'answer'), 1_000, 'late')).resolves.toBe('answer');
  });

  it('rejects with the message when the answer is late', async () => {
    await expect(withTimeout(after(1_000, 'answer'), 10, 'no answer in 10 ms')).rejects.toThrow(
      'no answer in 10 ms',
    );
  });

  it('passes the work’s own failure through', async () => {
    await expect(withTimeout(Promise.reject(new Error('refused')), 1_000, 'late')).rejects.toThrow(
      'refused',
    );
  });
});
