// The two load generators, both on the generator core, both returning one result shape:
// wrk (closed loop: N connections, each sends its next request when the last one is answered) and
// open-loop.mjs (fixed arrival rate, latency from the intended send time).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { hasCommand, runToEnd, startProcess } from './processes.mjs';
import { BENCH_DIR, LUA_DIR, WORK_DIR, settings } from './settings.mjs';

export function checkTools() {
  const missing = [];
  if (!hasCommand('wrk'))
    missing.push("wrk (the closed-loop load generator): 'apt-get install -y wrk'");
  if (!hasCommand('taskset'))
    missing.push("taskset (pins server and generator to cores): 'apt-get install -y util-linux'");
  if (missing.length)
    throw new Error(`missing tools, install them and run again:\n  ${missing.join('\n  ')}`);
}

const BENCH_RESULT = 'BENCH_RESULT ';

function parseResult(name, output) {
  const line = output.split('\n').find((l) => l.startsWith(BENCH_RESULT));
  if (!line) throw new Error(`${name} printed no result:\n${output.slice(-2000)}`);
  return JSON.parse(line.slice(BENCH_RESULT.length));
}

/** Splits status counts into 2xx, 409 (version conflicts, expected under concurrent PATCH) and the rest. */
function classify(statuses, fallbackNon2xx) {
  const entries = Object.entries(statuses).map(([code, n]) => [Number(code), n]);
  if (entries.length === 0) return { non2xx: fallbackNon2xx, conflicts: 0 };
  const non2xx = entries
    .filter(([code]) => (code < 200 || code > 299) && code !== 409)
    .reduce((sum, [, n]) => sum + n, 0);
  return { non2xx, conflicts: statuses[409] ?? 0 };
}

/** One closed-loop run: `script` from bench/lua, `args` after `--` (files, token). */
export async function runWrk({ url, script, args = [], seconds, label, onStart }) {
  const { threads, connections, timeoutSeconds } = settings.wrk;
  const output = await runToEnd(
    'wrk',
    'wrk',
    [
      ...['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`],
      ...['--timeout', `${timeoutSeconds}s`, '-s', join(LUA_DIR, script), url, '--', ...args],
    ],
    {
      cores: settings.cores.generator,
      env: { PATH: process.env.PATH ?? '' },
      stderr: join(WORK_DIR, 'logs', `wrk-${label}.log`),
    },
    (seconds + 60) * 1000,
    onStart,
  );
  const raw = parseResult('wrk', output);
  const us = (v) => v / 1000;
  const { non2xx, conflicts } = classify(raw.statuses, raw.errors.status);
  const durationS = raw.durationUs / 1e6;
  return {
    generator: `wrk -t${threads} -c${connections}`,
    seconds: durationS,
    requests: raw.requests,
    rps: raw.requests / durationS,
    latencyMs: {
      p50: us(raw.latencyUs.p50),
      p90: us(raw.latencyUs.p90),
      p99: us(raw.latencyUs.p99),
      p999: us(raw.latencyUs.p999),
      max: us(raw.latencyUs.max),
      mean: us(raw.latencyUs.mean),
    },
    errors: {
      non2xx,
      conflicts,
      timeouts: raw.errors.timeout,
      socket: { connect: raw.errors.connect, read: raw.errors.read, write: raw.errors.write },
    },
    statuses: raw.statuses,
  };
}

/**
 * The open-model client as a process of its own on the generator core. Returns a handle whose `result`
 * resolves with the normalised result (so the caller can sample while it runs).
 */
export function startOpenLoop({ port, rate, seconds, idsFile, token, writeEvery, label }) {
  const configFile = join(WORK_DIR, `open-loop-${label}.json`);
  const connections = Number(process.env.BENCH_OPEN_CONNECTIONS ?? 128);
  writeFileSync(
    configFile,
    JSON.stringify({
      host: '127.0.0.1',
      port,
      rate,
      seconds,
      connections,
      idsFile,
      token,
      writeEvery,
      windows: 10,
    }),
  );
  const handle = startProcess(
    'open-loop',
    process.execPath,
    [join(BENCH_DIR, 'lib', 'open-loop.mjs'), configFile],
    {
      cores: settings.cores.generator,
      env: { PATH: process.env.PATH ?? '' },
      stdout: 'capture',
      stderr: join(WORK_DIR, 'logs', `open-loop-${label}.log`),
    },
  );
  const timer = setTimeout(() => void handle.stop(2_000), (seconds + 60) * 1000);
  const result = handle.exited.then(({ code }) => {
    clearTimeout(timer);
    if (code !== 0) throw new Error(`open-loop client exited with ${code}:\n${handle.output()}`);
    const raw = parseResult('open-loop client', handle.output());
    const { non2xx, conflicts } = classify(raw.statuses, 0);
    return {
      generator: `open loop, ${rate} req/s over ${connections} connections`,
      seconds: raw.seconds,
      requests: raw.requests,
      rps: raw.requests / raw.seconds,
      latencyMs: raw.latency,
      errors: {
        non2xx,
        conflicts,
        timeouts: raw.errors.timeout,
        socket: { connect: raw.errors.connect, read: raw.errors.read, write: raw.errors.write },
        unfinished: raw.unfinished,
      },
      statuses: raw.statuses,
      open: {
        rate,
        scheduled: raw.scheduled,
        sent: raw.sent,
        sendLagMs: raw.sendLag,
        windows: raw.windows,
        reconnects: raw.reconnects,
      },
    };
  });
  return { pid: handle.pid, result };
}
