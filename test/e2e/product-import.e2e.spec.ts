import { createWriteStream, mkdtempSync, openAsBlob, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Client } from 'pg';
import { adminLogin, call, json, newUser } from '../support/api.js';
import { type AppProcess, startApp } from '../support/app-process.js';
import { primaryClient, sleep, startWorker, until, vmRssKb } from '../support/jobs.js';
import { downStack, stackDir, type StackEnv, upOwnStack } from '../support/stack.js';

// CSV product import end to end: multipart upload to the API, the job in the worker process.
// Its own stack: it writes 100,000 products.
const DIR = stackDir('imports');
const LINES = 100_000;
const BAD_EVERY = 997; // every 997th data line is invalid, in one of four ways

/** Writes the CSV; returns the line numbers (header = line 1) of the invalid rows. */
async function writeCsv(path: string): Promise<number[]> {
  const out = createWriteStream(path);
  const bad: number[] = [];
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('sku,name,category,price_cents,stock,description\n');
  for (let i = 1; i <= LINES; i++) {
    const line = i + 1;
    if (i % BAD_EVERY === 0) {
      bad.push(line);
      const kind = (i / BAD_EVERY) % 4;
      if (kind === 0) await write(`IMP-${i},No price,kitchen,abc,1,\n`);
      else if (kind === 1) await write(`,No sku,kitchen,100,1,\n`);
      else if (kind === 2) await write(`IMP-${i},Too few fields\n`);
      // PostgreSQL cannot store NUL in text: unchecked, it failed the batch's INSERT on every attempt.
      else await write(`IMP-${i},Nul\u0000name,kitchen,100,1,\n`);
    } else {
      // Quoted fields with commas and escaped quotes, as spreadsheets write them.
      await write(
        `IMP-${i},"Imported ${i}, size ${i % 7}",cat-${i % 8},${100 + (i % 5000)},${i % 50},"a ""quoted"" description"\n`,
      );
    }
  }
  out.end();
  await once(out, 'finish');
  return bad;
}

describe('product CSV import (POST /products/imports, worker job)', () => {
  let stack: StackEnv;
  let api: AppProcess;
  let worker: AppProcess;
  let admin: string;
  let db: Client;
  let dir: string;

  const upload = async (path: string, token = admin) => {
    const form = new FormData();
    form.append('file', await openAsBlob(path), 'products.csv');
    const response = await fetch(`${api.url}/products/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    return { status: response.status, body: await json(response) };
  };
  const status = (id: string) =>
    call(api.url, 'GET', `/products/imports/${id}`, { token: admin }).then((r) => r.body);

  beforeAll(async () => {
    stack = upOwnStack(DIR, 100, 2);
    dir = mkdtempSync(join(tmpdir(), 'import-test-'));
    // API and worker on one host here, so they share the storage folder.
    const storage = { IMPORT_STORAGE_DIR: join(dir, 'storage'), IMPORT_MAX_BYTES: '20000000' };
    api = await startApp(stack, { env: storage });
    // A small heap: unbounded, V8 lets garbage pile up to its own (large) limits before collecting, so
    // VmRSS would measure the collector's laziness rather than what the job holds. With 48 MB of old
    // space a job that buffered the file (100,000 parsed rows) would die of "heap out of memory".
    worker = await startWorker(stack, {
      ...storage,
      NODE_OPTIONS: '--max-old-space-size=48 --max-semi-space-size=4',
    });
    admin = (await adminLogin(api.url)).accessToken;
    db = await primaryClient(stack);
  });

  afterAll(async () => {
    await db?.end();
    await worker?.stop();
    await api?.stop();
    downStack(DIR);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('imports 100,000 lines: every valid row lands, bad lines reported by number, progress visible, memory flat', async () => {
    const path = join(dir, 'products.csv');
    const bad = await writeCsv(path);
    const sizeMb = statSync(path).size / 1_048_576;

    await sleep(500);
    const baselineKb = vmRssKb(worker.child.pid!);
    let peakKb = baselineKb;
    const sampler = setInterval(() => {
      peakKb = Math.max(peakKb, vmRssKb(worker.child.pid!));
    }, 50);
    const startedAt = Date.now();
    try {
      const accepted = await upload(path);
      expect(accepted.status).toBe(202);
      expect(accepted.body).toMatchObject({ status: 'queued' });
      const id = accepted.body.id as string;

      const seen: Array<{ status: string; percent: number; records: number }> = [];
      const final = await until(
        'import finished',
        async () => {
          const s = await status(id);
          seen.push({ status: s.status, percent: s.percent, records: s.counts.records });
          return s;
        },
        // The processor records the outcome in the row just before BullMQ moves the job to completed.
        (s) => (s.status === 'completed' && s.jobState === 'completed') || s.status === 'failed',
        120_000,
        100,
      );
      const tookMs = Date.now() - startedAt;
      const midway = seen.filter((s) => s.status === 'running' && s.percent > 0 && s.percent < 100);
      const valid = LINES - bad.length;
      const landed = Number(
        (await db.query(`SELECT count(*) AS n FROM products WHERE sku LIKE 'IMP-%'`)).rows[0].n,
      );
      console.log(
        `import: ${LINES} lines (${sizeMb.toFixed(1)} MB) in ${tookMs} ms; ${JSON.stringify(final.counts)}; ` +
          `${landed} products with an IMP- sku; progress polled while running: ${midway
            .map((s) => `${s.percent}%`)
            .join(
              ' ',
            )}; worker VmRSS ${(baselineKb / 1024).toFixed(0)} MB before, peak ${(peakKb / 1024).toFixed(0)} MB ` +
          `(+${((peakKb - baselineKb) / 1024).toFixed(0)} MB)`,
      );
      expect(final.status).toBe('completed');
      expect(final.jobState).toBe('completed');
      expect(final.counts).toEqual({
        records: LINES,
        inserted: valid,
        updated: 0,
        unchanged: 0,
        invalid: bad.length,
      });
      expect(landed).toBe(valid);
      // The first 100 bad lines are listed with their line numbers and reasons.
      expect(final.errors.map((e: { line: number }) => e.line)).toEqual(bad.slice(0, 100));
      expect(final.errors[0].message).toMatch(/^sku: /);
      expect(final.errors[1].message).toBe('expected 6 fields as in the header, found 2');
      expect(final.errors[2].message).toBe('name: must not contain NUL characters');
      expect(final.errors[3].message).toMatch(/^price_cents: /);
      expect(final.errorsTruncated).toBe(bad.length > 100);
      expect(final.percent).toBe(100);
      expect(midway.length).toBeGreaterThan(0);
      // Streaming: one batch of rows at a time, whatever the file size.
      expect(peakKb - baselineKb).toBeLessThan(32 * 1024);

      const sample = await db.query(
        `SELECT name, category, price_cents, stock, description FROM products WHERE sku = 'IMP-5'`,
      );
      expect(sample.rows[0]).toEqual({
        name: 'Imported 5, size 5',
        category: 'cat-5',
        price_cents: 105,
        stock: 5,
        description: 'a "quoted" description',
      });
    } finally {
      clearInterval(sampler);
    }
  });

  const productUrl = async (sku: string) => {
    const { rows } = await db.query<{ id: string }>(`SELECT id FROM products WHERE sku = $1`, [
      sku,
    ]);
    return `/products/${rows[0].id}`;
  };

  it('a re-import updates by sku: unchanged rows are left alone, changed ones updated', async () => {
    const path = join(dir, 'again.csv');
    const out = createWriteStream(path);
    out.end(
      'sku,name,category,price_cents\nIMP-1,"Imported 1, size 1",cat-1,101\nIMP-2,Renamed,cat-2,102\n',
    );
    await once(out, 'finish');
    const accepted = await upload(path);
    const final = await until(
      'import finished',
      () => status(accepted.body.id),
      (s) => s.status === 'completed',
      30_000,
    );
    // stock and description default to 0 and '' when the columns are absent.
    expect(final.counts).toEqual({ records: 2, inserted: 0, updated: 2, unchanged: 0, invalid: 0 });
    const again = await upload(path);
    const same = await until(
      'import finished',
      () => status(again.body.id),
      (s) => s.status === 'completed',
      30_000,
    );
    expect(same.counts).toEqual({ records: 2, inserted: 0, updated: 0, unchanged: 2, invalid: 0 });
    const row = await db.query(`SELECT name, stock, version FROM products WHERE sku = 'IMP-2'`);
    expect(row.rows[0]).toEqual({ name: 'Renamed', stock: 0, version: 2 });
  });

  it('the API stops serving a row an import changed from its cache (the worker invalidates it)', async () => {
    const url = await productUrl('IMP-3');
    // Twice: the second read is served from the API's cache.
    await call(api.url, 'GET', url);
    expect((await call(api.url, 'GET', url)).body.name).toBe('Imported 3, size 3');
    const path = join(dir, 'cached.csv');
    const out = createWriteStream(path);
    out.end('sku,name,category,price_cents\nIMP-3,Changed while cached,cat-3,103\n');
    await once(out, 'finish');
    const accepted = await upload(path);
    await until(
      'import finished',
      () => status(accepted.body.id),
      (s) => s.status === 'completed',
    );
    expect((await call(api.url, 'GET', url)).body).toMatchObject({
      name: 'Changed while cached',
      sku: 'IMP-3',
    });
  });

  it('SIGTERM mid-import: the worker exits 0 after the current batch, and the next worker resumes from the checkpoint', async () => {
    const path = join(dir, 'resume.csv');
    const out = createWriteStream(path);
    out.write('sku,name,category,price_cents\n');
    for (let i = 1; i <= LINES; i++) {
      if (!out.write(`RES-${i},Resumed ${i},resume,${i}\n`)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const accepted = await upload(path);
    const id = accepted.body.id as string;
    await until(
      'import under way',
      () => status(id),
      (s) => s.counts.records >= 20_000,
      60_000,
      20,
    );
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    const { code } = await worker.exited;
    const exitMs = Date.now() - signalledAt;
    const paused = await status(id);
    const storage = { IMPORT_STORAGE_DIR: join(dir, 'storage') };
    worker = await startWorker(stack, storage);
    const final = await until(
      'import finished',
      () => status(id),
      (s) => s.status === 'completed',
      60_000,
    );
    const landed = Number(
      (await db.query(`SELECT count(*) AS n FROM products WHERE sku LIKE 'RES-%'`)).rows[0].n,
    );
    console.log(
      `SIGTERM mid-import: exit ${code} ${exitMs} ms after the signal, at record ${paused.counts.records} ` +
        `(job ${paused.jobState}); resumed: ${JSON.stringify(final.counts)}, ${landed} rows`,
    );
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(5_000);
    expect(paused.counts.records).toBeLessThan(LINES);
    expect(['delayed', 'waiting']).toContain(paused.jobState);
    expect(worker.output()).toMatch(
      new RegExp(`import ${id}: resuming after record ${paused.counts.records}`),
    );
    // Exact counts across the two runs: nothing imported twice, nothing skipped.
    expect(final.counts).toEqual({
      records: LINES,
      inserted: LINES,
      updated: 0,
      unchanged: 0,
      invalid: 0,
    });
    expect(landed).toBe(LINES);
  });

  it('rejects what it cannot take: no file, a non-admin, a file over the size limit, a bad header', async () => {
    const user = await newUser(api.url);
    const small = join(dir, 'small.csv');
    const out = createWriteStream(small);
    out.end('sku,name\nA,B\n');
    await once(out, 'finish');
    expect((await upload(small, user.accessToken)).status).toBe(403);
    const notMultipart = await call(api.url, 'POST', '/products/imports', {
      token: admin,
      body: { file: 'x' },
    });
    expect(notMultipart.status).toBe(415);

    const huge = join(dir, 'huge.csv');
    const big = createWriteStream(huge);
    big.end(Buffer.alloc(21_000_000, 'a'));
    await once(big, 'finish');
    const tooLarge = await upload(huge);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.message).toMatch(/larger than the import limit/);

    // A header without the required columns fails the job once (no retry can fix the file).
    const accepted = await upload(small);
    expect(accepted.status).toBe(202);
    const final = await until(
      'import failed',
      () => status(accepted.body.id),
      (s) => s.status === 'failed' && s.jobState === 'failed',
      30_000,
    );
    expect(final.failureReason).toMatch(
      /^line 1: the header must name the columns .* missing: category, price_cents$/,
    );
    expect(final.jobState).toBe('failed');
    expect(final.attempts).toBe(1);
  });
});
