// Open-model load at a fixed arrival rate, run as its own process on the generator core:
//   node bench/lib/open-loop.mjs <config.json>   → one JSON result on stdout.
// Request i is due at start + i/rate whatever happened to earlier ones, and its latency is measured from
// that intended time (wrk2's method), so a stalled server shows up as latency instead of hiding behind
// a client that waited (coordinated omission). HTTP/1.1 keep-alive over a fixed pool of raw sockets:
// a minimal client (Content-Length bodies only) is what lets one core send ~12k req/s with room to spare.
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearInterval, setInterval, setTimeout } from 'node:timers';
import { summarise } from './latency.mjs';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { host, port, rate, seconds, connections, writeEvery, token } = config;
const timeoutMs = config.timeoutMs ?? 5_000;
const drainMs = config.drainMs ?? 10_000;

const ids = [];
const versions = new Map();
for (const line of readFileSync(config.idsFile, 'utf8').trim().split('\n')) {
  const [id, version] = line.split(' ');
  ids.push(id);
  versions.set(id, Number(version));
}

// The client's own first second (cold JIT, connections filling) runs at the same rate but is not recorded.
const warm = Math.round(rate * (config.warmupSeconds ?? 1));
const total = warm + Math.round(rate * seconds);
const intervalMs = 1000 / rate;
const latencyMs = new Float64Array(total).fill(NaN);
const sendLagMs = new Float32Array(total);
const statuses = {};
const errors = { timeout: 0, connect: 0, read: 0, write: 0 };
let next = 0; // the next request index to send
let finished = 0; // responses, timeouts and socket errors
let finishedMeasured = 0; // the same, for requests after the client's own warm-up
let start = 0;
let writeCursor = 0;
let reconnects = 0;
const MAX_RECONNECTS = 10_000;

const idle = [];
const busy = new Set();

function requestBytes(index) {
  if (writeEvery > 0 && index % writeEvery === writeEvery - 1) {
    writeCursor = (writeCursor + 1) % ids.length;
    const id = ids[writeCursor];
    const version = versions.get(id);
    const body = `{"version":${version},"stock":${version % 1000}}`;
    return {
      write: true,
      bytes:
        `PATCH /products/${id} HTTP/1.1\r\nHost: ${host}:${port}\r\n` +
        `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    };
  }
  const id = ids[Math.floor(Math.random() * ids.length)];
  return { write: false, bytes: `GET /products/${id} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n` };
}

/** A product body (200) or a 409 message tells a version; only a newer one counts. */
function learnVersion(status, body) {
  const match =
    status === 409
      ? /Product ([\da-f-]+) is at version (\d+)/.exec(body)
      : /"id":"([\da-f-]+)".*?"version":(\d+)/.exec(body);
  if (match && versions.has(match[1]) && Number(match[2]) > versions.get(match[1]))
    versions.set(match[1], Number(match[2]));
}

function openConnection() {
  const socket = connect({ host, port, noDelay: true });
  const conn = { socket, connected: false, buffer: null, need: -1, headEnd: 0, index: -1 };
  socket.on('connect', () => {
    conn.connected = true;
    idle.push(conn);
    pump();
  });
  socket.on('data', (chunk) => onData(conn, chunk));
  socket.on('error', (error) => {
    if (!conn.connected) errors.connect++;
    // An idle socket's error needs no count: 'close' follows and replaces it.
    else fail(conn, error.code === 'EPIPE' ? 'write' : 'read');
  });
  socket.on('close', () => {
    fail(conn, 'read'); // closed under a request: no answer will come
    const at = idle.indexOf(conn);
    if (at >= 0) idle.splice(at, 1);
    if (!stopping && reconnects++ < MAX_RECONNECTS) {
      setTimeout(openConnection, conn.connected ? 0 : 100); // a refused connect: retry gently
    }
  });
}

function send(conn, index) {
  const { write, bytes } = requestBytes(index);
  conn.index = index;
  conn.write = write;
  conn.sentAt = performance.now();
  sendLagMs[index] = conn.sentAt - (start + index * intervalMs);
  busy.add(conn);
  conn.socket.write(bytes);
}

function onData(conn, chunk) {
  conn.buffer = conn.buffer ? Buffer.concat([conn.buffer, chunk]) : chunk;
  while (conn.buffer) {
    if (conn.need < 0) {
      const end = conn.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = conn.buffer.toString('latin1', 0, end);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (!length) {
        conn.socket.destroy(); // chunked or close-delimited: not something our servers send
        return;
      }
      conn.status = Number(head.slice(9, 12));
      conn.headEnd = end + 4;
      conn.need = conn.headEnd + Number(length[1]);
    }
    if (conn.buffer.length < conn.need) return;
    const body =
      conn.write || conn.status === 409
        ? conn.buffer.toString('utf8', conn.headEnd, conn.need)
        : '';
    conn.buffer = conn.buffer.length > conn.need ? conn.buffer.subarray(conn.need) : null;
    conn.need = -1;
    complete(conn, conn.status, body);
  }
}

function complete(conn, status, body) {
  const index = conn.index;
  if (index < 0) return;
  latencyMs[index] = performance.now() - (start + index * intervalMs);
  if (index >= warm) statuses[status] = (statuses[status] ?? 0) + 1;
  if (body) learnVersion(status, body);
  release(conn);
  idle.push(conn);
  pump();
}

function fail(conn, kind) {
  if (conn.index < 0) return;
  if (conn.index >= warm) errors[kind]++;
  release(conn);
  conn.socket.destroy();
}

function release(conn) {
  if (conn.index >= warm) finishedMeasured++;
  conn.index = -1;
  busy.delete(conn);
  finished++;
}

function pump() {
  const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
  while (next < due && idle.length > 0) send(idle.pop(), next++);
}

let stopping = false;

async function main() {
  start = performance.now() + 200; // the pool connects meanwhile
  for (let i = 0; i < connections; i++) openConnection();
  const scheduler = setInterval(pump, 1);
  const watchdog = setInterval(() => {
    const now = performance.now();
    for (const conn of busy) {
      if (now - conn.sentAt > timeoutMs) fail(conn, 'timeout');
    }
  }, 100);
  const deadline = start + (total / rate) * 1000 + drainMs;
  await new Promise((resolve) => {
    const check = setInterval(() => {
      if (finished >= total || performance.now() > deadline) {
        clearInterval(check);
        resolve();
      }
    }, 20);
  });
  const elapsedS = (performance.now() - start) / 1000 - warm / rate;
  stopping = true;
  clearInterval(scheduler);
  clearInterval(watchdog);
  for (const conn of [...idle, ...busy]) conn.socket.destroy();

  const completed = Object.values(statuses).reduce((a, b) => a + b, 0);
  const result = {
    generator: 'open-loop',
    rate,
    scheduled: total - warm,
    sent: Math.max(0, next - warm),
    requests: completed,
    seconds: Math.min(elapsedS, seconds + drainMs / 1000),
    // Requests never sent (the pool stayed busy) or never answered before the drain deadline.
    unfinished: total - warm - finishedMeasured,
    errors,
    statuses,
    latency: summarise(latencyMs.subarray(warm)),
    sendLag: summarise(sendLagMs.subarray(warm, Math.max(warm, next))),
    windows: windows(config.windows ?? 10),
    connections,
    reconnects,
  };
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

/** p99 and counts per slice of the run by intended send time: a soak should stay flat. */
function windows(count) {
  const measured = latencyMs.subarray(warm);
  const size = Math.ceil(measured.length / count);
  return Array.from({ length: count }, (_, w) => {
    const slice = measured.subarray(w * size, Math.min(measured.length, (w + 1) * size));
    const summary = summarise(slice);
    return { fromS: (w * size) / rate, p99: summary.p99, answered: summary.count };
  });
}

await main();
