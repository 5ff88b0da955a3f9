// deploy/nginx.conf, run: docker-compose.yml's proxy in front of the built app. The file is used as it
// is, except for what only a container has: its upstream (the `api` service name) becomes this test's
// app, it listens on a free local port, and its pid and temporary files go to a scratch directory.
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type AppProcess, freePort, startApp } from '../support/app-process.js';
import { ADMIN, ROOT, sharedStackEnv } from '../support/stack.js';

const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'].find(
  existsSync,
);
const withNginx = NGINX ? describe : describe.skip;
const skipNote = NGINX ? '' : ' [SKIPPED: nginx not found: apt-get install -y nginx-light]';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * A loopback address of its own (all of 127/8 is local), so the throttler's counters for it start at
 * zero whatever other suites sent from 127.0.0.1 within the window.
 */
const clientAddress = (n: number) => `127.${1 + (process.pid % 250)}.${Date.now() % 250}.${n}`;

/** node:http rather than fetch: fetch decompresses, and the test wants the bytes on the wire. */
function send(
  method: string,
  url: string,
  headers: Record<string, string> = {},
  localAddress?: string,
  body?: Buffer,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false, localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const get = (url: string, headers: Record<string, string> = {}, localAddress?: string) =>
  send('GET', url, headers, localAddress);

/** A multipart body with one CSV file part of about `bytes` bytes. */
function csvUpload(bytes: number): { body: Buffer; contentType: string } {
  const boundary = 'nginx-e2e-boundary';
  const header = 'sku,name,category,price_cents\n';
  const row = 'SKU-0001,Some product,kitchen,100\n';
  const csv = header + row.repeat(Math.ceil(bytes / row.length));
  const body = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n` +
      `Content-Type: text/csv\r\n\r\n${csv}\r\n--${boundary}--\r\n`,
  );
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The config for a local run; throws if a line it replaces is gone, so the test follows the file. */
function localNginxConfig(source: string, upstreams: string[], port: number, dir: string) {
  const replace = (text: string, from: string, to: string) => {
    if (!text.includes(from)) throw new Error(`deploy/nginx.conf no longer has "${from}"`);
    return text.replace(from, to);
  };
  const servers = upstreams.map((upstream) => `server ${upstream};`).join('\n        ');
  let conf = replace(source, 'server api:3000;', servers);
  conf = replace(conf, 'listen 80;', `listen 127.0.0.1:${port};`);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((name) => `    ${name}_temp_path ${dir}/${name};`)
    .join('\n');
  conf = replace(conf, 'http {', `http {\n${temp}`);
  return `pid ${dir}/nginx.pid;\n${conf}`;
}

interface Nginx {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** deploy/nginx.conf in front of these upstreams (host:port), on a free port; ready when it returns. */
async function startNginx(upstreams: string[]): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'nginx-'));
  // Run as root, nginx's workers drop to an unprivileged user that must write its temporary files.
  spawnSync('chmod', ['0777', dir]);
  const port = await freePort();
  const source = readFileSync(join(ROOT, 'deploy/nginx.conf'), 'utf8');
  writeFileSync(join(dir, 'nginx.conf'), localNginxConfig(source, upstreams, port, dir));
  const args = ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'];
  // The config logs to /dev/stdout and /dev/stderr, as a container wants. Node's stdio pipes are
  // sockets, which /dev/stdout cannot be opened on (ENXIO): nginx writes to a file instead.
  const log = join(dir, 'output.log');
  const output = openSync(log, 'a');
  const check = spawnSync(NGINX!, [...args, '-t'], { stdio: ['ignore', output, output] });
  if (check.status !== 0)
    throw new Error(`nginx -t refused the config:\n${readFileSync(log, 'utf8')}`);
  const child = spawn(NGINX!, [...args, '-g', 'daemon off;'], {
    stdio: ['ignore', output, output],
  });
  closeSync(output);
  const nginx: Nginx = {
    url: `http://127.0.0.1:${port}`,
    output: () => readFileSync(log, 'utf8'),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGQUIT'); // graceful: finish the requests in flight
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await get(`${nginx.url}/nginx-health`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ok) return nginx;
    if (Date.now() > deadline) {
      await nginx.stop();
      throw new Error(`nginx did not answer:\n${nginx.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

withNginx(`deploy/nginx.conf in front of the app${skipNote}`, () => {
  let app: AppProcess;
  let nginx: Nginx;
  let proxyUrl: string;
  let nginxOutput = () => '';

  beforeAll(async () => {
    // docker-compose.yml trusts the private range nginx is on; here nginx connects from 127.0.0.1 (and
    // the clients come from other loopback addresses). A low limit shows whose address is counted.
    app = await startApp(sharedStackEnv(), {
      // A slow Redis command must not open the breaker (the throttler would then fail open).
      env: {
        TRUST_PROXY: '127.0.0.1',
        THROTTLE_LIMIT: '5',
        THROTTLE_TTL_MS: '60000',
        REDIS_COMMAND_TIMEOUT_MS: '2000',
        // nginx lets an import through up to 101 MB; the API's own limit answers past this one.
        IMPORT_MAX_BYTES: String(12 * 1_048_576),
      },
    });
    nginx = await startNginx([new URL(app.url).host]);
    proxyUrl = nginx.url;
    nginxOutput = nginx.output;
  });

  afterAll(async () => {
    await nginx?.stop();
    await app?.stop();
  });

  it("passes nginx's request id to the app, which answers with it: one id in both logs", async () => {
    const response = await get(`${proxyUrl}/health/live`);
    expect(response.status).toBe(200);
    const id = String(response.headers['x-request-id']);
    expect(id).toMatch(/^[0-9a-f]{32}$/); // nginx's $request_id, not one the app made up
    await new Promise((resolve) => setTimeout(resolve, 200)); // the access log line is written after
    expect(nginxOutput()).toContain(`rid=${id}`);
  });

  it('compresses JSON pages, leaves small bodies alone, and If-None-Match still gets a 304', async () => {
    const path = '/products?limit=50';
    const client = clientAddress(1);
    const plain = await get(`${proxyUrl}${path}`, {}, client);
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const gzipped = await get(`${proxyUrl}${path}`, { 'accept-encoding': 'gzip' }, client);
    expect(gzipped.status).toBe(200);
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(String(gzipped.headers.vary)).toMatch(/accept-encoding/i);
    expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
    console.log(
      `nginx gzip: a ${path} page of ${plain.body.length} bytes sent as ${gzipped.body.length} ` +
        `(${Math.round((100 * gzipped.body.length) / plain.body.length)}%)`,
    );

    const etag = String(gzipped.headers.etag);
    expect(etag).toMatch(/^W\//);
    const revalidated = await get(
      `${proxyUrl}${path}`,
      { 'accept-encoding': 'gzip', 'if-none-match': etag },
      client,
    );
    expect(revalidated.status).toBe(304);

    const problem = await get(
      `${proxyUrl}/products/not-a-uuid`,
      { 'accept-encoding': 'gzip' },
      client,
    );
    expect(problem.status).toBe(400);
    expect(problem.headers['content-encoding']).toBeUndefined(); // under gzip_min_length
  });

  it('counts the address nginx saw, so a client cannot pick a fresh X-Forwarded-For per request', async () => {
    const client = clientAddress(2);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const response = await get(
        `${proxyUrl}/products?limit=1`,
        { 'x-forwarded-for': `203.0.113.${i + 1}` },
        client,
      );
      statuses.push(response.status);
    }
    // Trusting every hop would give each forged address a limit of its own (eight 200s); trusting
    // nobody (what TRUST_PROXY=1 became in Fastify 5.12.1) would count nginx's one address for all.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    const other = await get(`${proxyUrl}/products?limit=1`, {}, clientAddress(3));
    expect(other.status).toBe(200);
  });

  it("lets a CSV import past nginx's 10 MB body limit, so the API's own limit answers", async () => {
    const client = clientAddress(4);
    const login = await send(
      'POST',
      `${proxyUrl}/auth/login`,
      { 'content-type': 'application/json' },
      client,
      Buffer.from(JSON.stringify({ email: ADMIN.email, password: ADMIN.password })),
    );
    expect(login.status).toBe(200);
    const token = JSON.parse(login.body.toString()).accessToken as string;
    // 13 MB: over nginx's general 10 MB (its 413 is an HTML page) and over this app's 12 MB limit, so
    // nothing is queued. Without the imports location nginx refuses it before the API sees a byte.
    const upload = csvUpload(13 * 1_048_576);
    const response = await send(
      'POST',
      `${proxyUrl}/products/imports`,
      { authorization: `Bearer ${token}`, 'content-type': upload.contentType },
      client,
      upload.body,
    );
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body.toString())).toMatchObject({
      statusCode: 413,
      message: `The file is larger than the import limit of ${12 * 1_048_576} bytes`,
    });
  });
});

withNginx(`one of two API processes stopping behind deploy/nginx.conf${skipNote}`, () => {
  let apps: AppProcess[] = [];
  let nginx: Nginx;

  beforeAll(async () => {
    // What a rolling update does to compose's nginx: one of its upstreams drains and goes away.
    apps = await Promise.all(
      [0, 1].map(() =>
        startApp(sharedStackEnv(), {
          env: { TRUST_PROXY: '127.0.0.1', SHUTDOWN_DRAIN_DELAY_MS: '1000' },
        }),
      ),
    );
    nginx = await startNginx(apps.map((app) => new URL(app.url).host));
  });

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(apps.map((app) => app.stop()));
  });

  it('reads never fail while one drains and exits under load; a write can, and is counted', async () => {
    // A write that changes nothing (an unknown refresh token: 401) next to a read. nginx retries a read
    // that failed on an upstream elsewhere, never a write it has sent. A write it sent at the moment the
    // stopping process closed its listener and idle connections is reset before any response, and nginx
    // answers it 502: nginx without active health checks keeps sending to a draining process until it
    // refuses connections (Kubernetes takes the pod out of its endpoints during the drain instead).
    const refresh = Buffer.from(JSON.stringify({ refreshToken: 'x'.repeat(40) }));
    const outcomes = new Map<string, number>();
    const servedBy = new Set<string>();
    const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    let stopping = false;
    const loops = Array.from({ length: 6 }, async (_, loop) => {
      for (let i = 0; i < 2_000 && !stopping; i++) {
        const write = (i + loop) % 2 === 0;
        const response = await (
          write
            ? send(
                'POST',
                `${nginx.url}/auth/refresh`,
                { 'content-type': 'application/json' },
                undefined,
                refresh,
              )
            : get(`${nginx.url}/products?limit=1`)
        ).catch((error: Error) => ({ status: `error ${error.message}`, headers: {} }) as const);
        count(`${write ? 'POST' : 'GET'} ${response.status}`);
        const pid = (response.headers as Record<string, unknown>)['x-pid'];
        if (pid) servedBy.add(String(pid));
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const victim = apps[1];
    victim.child.kill('SIGTERM');
    const { code } = await victim.exited;
    // Keep going on the one left, then stop.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    stopping = true;
    await Promise.all(loops);
    console.log(
      `nginx, one of 2 upstreams stopped mid-load: ${JSON.stringify([...outcomes].sort())}; ` +
        `served by ${servedBy.size} processes; the stopped one exited ${code}`,
    );
    const resets = nginx
      .output()
      .split('\n')
      .filter((line) =>
        /(recv\(\) failed \(104|upstream prematurely closed connection).*"POST /.test(line),
      ).length;
    expect(code).toBe(0);
    expect(servedBy.size).toBe(2);
    const kinds = [...outcomes.keys()];
    expect(kinds.filter((kind) => kind.startsWith('GET'))).toEqual(['GET 200']);
    expect(kinds.filter((kind) => kind.startsWith('POST')).sort()).toEqual(
      outcomes.has('POST 502') ? ['POST 401', 'POST 502'] : ['POST 401'],
    );
    // Every 502 is one of those resets, as nginx logged it (not a timeout, a refused connection or a crash).
    expect(outcomes.get('POST 502') ?? 0).toBe(resets);
  });
});
