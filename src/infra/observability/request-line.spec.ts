import type { AppConfig } from '../../config/config.js';
import { requestContext } from '../../common/request-context.js';
import type { LineSink } from './line-batch.js';
import { createRootLogger } from './logging.module.js';
import { type RequestLineFields, requestLineWriter, routeField } from './request-line.js';

/** The app's own root logger (production settings) over a sink that keeps what reaches stdout. */
function rootLogger(level = 'info') {
  const written: string[] = [];
  const sink: LineSink = {
    write: (text) => (written.push(text), true),
    flushSync: () => undefined,
  };
  const config = { NODE_ENV: 'production', LOG_LEVEL: level } as AppConfig;
  const logger = createRootLogger(config, sink);
  const lines = () => {
    logger.flush();
    return written.join('').split('\n').filter(Boolean);
  };
  return { logger, lines };
}

const fields = (
  over: Partial<Omit<RequestLineFields, 'routeField'> & { route: string | undefined }> = {},
) => ({
  requestId: '0b5d6c2e-5d0c-4c9e-9a43-3f0e7d1f3f10',
  method: 'GET',
  url: '/products/7d7f5a52-1111-4c4c-9d9d-2f2f2f2f2f2f?x=1',
  route: '/products/:id' as string | undefined,
  status: 200,
  ms: 1.3,
  ...over,
});

/** The line through pino and the line through the writer, parsed, time apart (it is the clock's). */
function bothWays(level: 'info' | 'warn' | 'error', f: ReturnType<typeof fields>) {
  const viaPino = rootLogger();
  const { route, ...rest } = f;
  // As RequestLogging logged it through pino: these keys in this order.
  const { requestId, method, url, status, ms } = f;
  viaPino.logger[level]({ requestId, method, url, route, status, ms }, 'request completed');
  const viaWriter = rootLogger();
  requestLineWriter(viaWriter.logger)!(level, { ...rest, routeField: routeField(route) });
  const [a, b] = [viaPino.lines(), viaWriter.lines()];
  expect([a.length, b.length]).toEqual([1, 1]);
  const [pinoLine, ourLine] = [JSON.parse(a[0]), JSON.parse(b[0])];
  expect(typeof ourLine.time).toBe('number');
  expect(Math.abs(ourLine.time - pinoLine.time)).toBeLessThan(5_000);
  delete pinoLine.time;
  delete ourLine.time;
  return { pinoLine, ourLine };
}

describe('requestLineWriter', () => {
  it('writes what pino writes for the same request line: keys, order and values', () => {
    const { pinoLine, ourLine } = bothWays('info', fields());
    expect(Object.keys(ourLine)).toEqual(Object.keys(pinoLine));
    expect(ourLine).toEqual(pinoLine);
    expect(ourLine).toMatchObject({ level: 30, pid: process.pid, route: '/products/:id' });
  });

  it('escapes what a client sends in the URL and leaves out the route of an unmatched request', () => {
    const url = '/x"y\\z/\u0001/é/\u2028?q=</script>';
    const { pinoLine, ourLine } = bothWays('warn', fields({ url, route: undefined, status: 404 }));
    expect(ourLine).toEqual(pinoLine);
    expect(ourLine.url).toBe(url);
    expect('route' in ourLine).toBe(false);
    expect(ourLine.level).toBe(40);
  });

  it('matches pino inside a request context (the mixin adds the same request id) and for errors', () => {
    requestContext.run({ requestId: 'ctx-1' }, () => {
      const { pinoLine, ourLine } = bothWays('error', fields({ requestId: 'ctx-1', status: 503 }));
      expect(ourLine).toEqual(pinoLine);
      expect(ourLine.level).toBe(50);
    });
  });

  it('writes a duration that is not a number as pino does (null), so the line stays JSON', () => {
    const { pinoLine, ourLine } = bothWays('info', fields({ ms: Number.NaN }));
    expect(ourLine).toEqual(pinoLine);
    expect(ourLine.ms).toBeNull();
  });

  it('follows the logger level: nothing below it is written', () => {
    const { logger, lines } = rootLogger('warn');
    const write = requestLineWriter(logger)!;
    write('info', { ...fields(), routeField: '' });
    write('warn', { ...fields({ status: 404 }), routeField: '' });
    expect(lines().map((line) => JSON.parse(line).status)).toEqual([404]);
  });
});
