// Instructions per request under callgrind: the bench's repeatable cost measure. On a shared host the
// same build's req/s moves by 2× between runs (steal, busy neighbours on the same physical core);
// callgrind counts the instructions the server process executes in user space (every thread: JIT code,
// GC, libuv), the same for the same build and load whatever else the machine is doing. Syscalls and the
// loopback run in the kernel and are not counted: the figure ranks user-space work, it is not a rate.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { hasCommand } from './processes.mjs';
import { startApp, startBaseline } from './runner.mjs';
import { WORK_DIR, settings } from './settings.mjs';
import { appScenarios, baselines, loads } from '../scenarios.mjs';

/** The loads this tool can send: each request's path and headers, the i-th of a repeatable sequence. */
const requestsOf = {
  'get-one': (ids) => () => ({ path: `/products/${ids.one[0]}` }),
  'get-one-50k-clients': (ids) => (i) => ({
    path: `/products/${ids.one[0]}`,
    headers: { 'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
  }),
  // A stride through every id (7919 is prime, so it visits them all) instead of Math.random: the same
  // sequence in every run.
  'get-random': (ids) => (i) => ({ path: `/products/${ids.all[(i * 7919) % ids.all.length]}` }),
  'list-page': () => () => ({ path: '/products?limit=20' }),
};

/** Subjects: app scenarios and baselines by name (BENCH_INSTRUCTIONS picks some; these by default). */
export const DEFAULT_SUBJECTS = [
  'fastify-memory:get-one',
  'nest-memory:get-one',
  'express-stack:get-one',
  'app:cached-get',
  'app:cached-get-no-throttle',
  'app:cached-get-no-log',
  'app:cached-get-no-throttle-no-log',
  'fastify-pg:get-random',
  'app:uncached-get',
];

export function checkValgrind() {
  if (!hasCommand('valgrind') || !hasCommand('callgrind_control'))
    throw new Error("valgrind is missing: 'apt-get install -y valgrind'");
}

function resolveSubject(key) {
  const [target, name] = key.split(':');
  if (target === 'app') {
    const scenario = appScenarios.find((s) => s.name === name);
    if (!scenario || !requestsOf[scenario.load])
      throw new Error(
        `${key}: not an app scenario this tool can load (${Object.keys(requestsOf)})`,
      );
    return { key, target, scenario, load: scenario.load };
  }
  const baseline = baselines.find((b) => b.name === target);
  if (!baseline || !baseline.loads.includes(name) || !requestsOf[name])
    throw new Error(`${key}: not a baseline and one of its loads`);
  return { key, target, baseline, load: name };
}

/** Sends `count` requests, `connections` at a time on keep-alive sockets; returns the status counts. */
async function send(url, next, count, connections) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const statuses = {};
  let sent = 0;
  const one = (i) =>
    new Promise((resolve, reject) => {
      const { path, headers } = next(i);
      const req = request(`${url}${path}`, { agent, headers, timeout: 120_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer to ${path} within 120 s`)));
      req.on('error', reject);
      req.end();
    });
  const lane = async () => {
    while (sent < count) await one(sent++);
  };
  try {
    await Promise.all(Array.from({ length: connections }, lane));
  } finally {
    agent.destroy();
  }
  return statuses;
}

/** callgrind_control against one process; it answers once the process runs its next instructions. */
function control(pid, flag) {
  execFileSync('callgrind_control', [flag, String(pid)], { stdio: 'ignore', timeout: 120_000 });
}

/** The instruction total of one callgrind dump file. */
function dumpTotal(file) {
  const text = readFileSync(file, 'utf8');
  const line = text.match(/^summary: (\d+)/m);
  if (!line) throw new Error(`${file}: no summary line`);
  return Number(line[1]);
}

/**
 * One subject: its server under callgrind (instrumentation off while it starts), then instrumentation
 * on, `warmup` requests (the JIT settles; counted in a dump of their own), then `count` requests
 * between a zero and a dump. Returns instructions per request and the statuses seen.
 */
export async function countSubject(stack, ids, key, { warmup, count, connections }) {
  const subject = resolveSubject(key);
  const dir = join(WORK_DIR, 'callgrind', key.replace(/[^\w-]/g, '_'));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const launcher = {
    command: [
      'valgrind',
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${join(dir, 'callgrind.out')}`,
    ],
    nodeFlags: settings.instructionNodeFlags,
  };
  const label = `instructions-${subject.target}-${subject.load}`;
  const server =
    subject.target === 'app'
      ? await startApp(stack, {
          concurrency: 1,
          env: subject.scenario.env,
          label,
          launcher,
          readyMs: 600_000,
        })
      : await startBaseline(stack, subject.baseline, ids, { launcher, readyMs: 600_000 });
  try {
    const next = requestsOf[subject.load](ids);
    control(server.pid, '--instr=on');
    const warm = await send(server.url, next, warmup, connections);
    control(server.pid, '--zero');
    const started = Date.now();
    const statuses = await send(server.url, (i) => next(i + warmup), count, connections);
    control(server.pid, '--dump');
    const dumps = readdirSync(dir).filter((f) => /^callgrind\.out\.\d+$/.test(f));
    const last = dumps
      .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()))
      .pop();
    if (!last) throw new Error(`${key}: callgrind wrote no dump`);
    const instructions = dumpTotal(join(dir, last));
    const ok = Object.entries(statuses)
      .filter(([status]) => status >= 200 && status < 300)
      .reduce((sum, [, n]) => sum + n, 0);
    return {
      key,
      title: subject.target === 'app' ? loads[subject.load].title : subject.baseline.title,
      env: subject.scenario?.env ?? {},
      warmupStatuses: warm,
      statuses,
      requests: count,
      ok,
      instructions,
      perRequest: instructions / count,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await server.handle.stop(60_000);
  }
}

export const instructionSettings = () => ({
  subjects: settings.instructionSubjects ?? DEFAULT_SUBJECTS,
  warmup: settings.instructionWarmup,
  count: settings.instructionCount,
  connections: settings.instructionConnections,
  nodeFlags: settings.instructionNodeFlags,
});
