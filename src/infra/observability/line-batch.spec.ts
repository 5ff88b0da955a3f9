import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LineBatch } from './line-batch.js';

describe('LineBatch over a real pino destination (a file)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'line-batch-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = (file: string) => pino.destination({ dest: file, sync: true, minLength: 0 });

  it('holds lines until about minChars are collected, then writes them in order, whole', () => {
    const file = join(dir, 'log');
    const batch = new LineBatch(open(file), 1_000, 60_000);
    const logger = pino({ base: undefined }, batch);
    logger.info({ n: 0 }, 'first');
    expect(readFileSync(file, 'utf8')).toBe('');
    for (let n = 1; n < 40; n++) logger.info({ n, text: 'é'.repeat(20) }, 'line');
    const written = readFileSync(file, 'utf8');
    expect(written.length).toBeGreaterThanOrEqual(1_000);
    const lines = written
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.n)).toEqual(lines.map((_, i) => i));
    batch.stop();
    const all = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(all).toHaveLength(40);
    expect(JSON.parse(all[39])).toMatchObject({ n: 39, msg: 'line' });
  });

  it('writes what waits within the flush interval when traffic is quiet', async () => {
    const file = join(dir, 'log');
    const batch = new LineBatch(open(file), 1_000_000, 50);
    pino({ base: undefined }, batch).warn('alone');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ level: 40, msg: 'alone' });
    batch.stop();
  });

  it('flushSync writes everything before it returns (the exit path)', () => {
    const file = join(dir, 'log');
    const batch = new LineBatch(open(file), 1_000_000, 60_000);
    const logger = pino({ base: undefined }, batch);
    for (let n = 0; n < 3; n++) logger.error({ n }, 'last words');
    batch.flushSync();
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(3);
    batch.stop();
  });
});
