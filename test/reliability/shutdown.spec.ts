import { json } from '../support/api.js';
import { startApp } from '../support/app-process.js';
import { sharedStackEnv } from '../support/stack.js';

describe('graceful shutdown of one HTTP process', () => {
  it('fails readiness at once, finishes the in-flight request, and exits 0', async () => {
    const app = await startApp(sharedStackEnv(), { env: { SHUTDOWN_DRAIN_DELAY_MS: '1500' } });
    const slow = fetch(`${app.url}/_diagnostics/sleep?ms=2500`);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the slow request is in flight
    const signalledAt = Date.now();
    app.child.kill('SIGTERM');
    await app.waitForOutput(/readiness off/);
    app.child.kill('SIGTERM'); // a second signal must not run the sequence twice

    const ready = await fetch(`${app.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('connection')).toBe('close');
    expect((await json(ready)).details.lifecycle).toEqual({
      status: 'down',
      message: 'shutting down',
    });

    const response = await slow;
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ sleptMs: 2500 });

    const { code } = await app.exited;
    expect(code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(app.output()).toMatch(/shutdown already in progress/);
    expect(app.output().match(/readiness off/g)).toHaveLength(1);
    expect(app.output()).toMatch(/shutdown complete/);
  });

  it('exits 0 promptly with an idle keep-alive connection open', async () => {
    const app = await startApp(sharedStackEnv());
    await fetch(`${app.url}/health/live`); // leaves a pooled keep-alive socket
    const started = Date.now();
    const { code } = await app.stop();
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000); // not the 65 s keep-alive timeout
  });
});
