// Every process the bench starts goes through here, so one call can stop them all (end of run, Ctrl-C,
// failure). Each runs in its own process group: stopping the group also reaches cluster workers.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';

const running = new Set();
let closed = false; // after stopAll(): an interrupted run must not start anything new

/** A port free on 127.0.0.1 right now (other engineers' test stacks pick theirs the same way). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * `count` distinct free ports: each stays held until all are found. Two freePort() calls in a row can
 * get the same port (the first is released before the second asks), which once failed a pair's app
 * start with "METRICS_PORT must differ from PORT".
 */
export async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      servers.push(server);
    }
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** True when `command` is on PATH. */
export function hasCommand(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts `command args` on the given cores (taskset execs the command, so the pid is the command's).
 * stdout goes to `stdout` (a file path, or 'capture' to keep it in memory), stderr to `stderr` (a path).
 */
export function startProcess(name, command, args, { cores, env, stdout, stderr }) {
  if (closed) throw new Error(`not starting ${name}: the bench is stopping`);
  const fds = [];
  const open = (path) => {
    const fd = openSync(path, 'a');
    fds.push(fd);
    return fd;
  };
  const out = stdout === 'capture' ? 'pipe' : stdout ? open(stdout) : 'ignore';
  const err = stderr ? open(stderr) : 'ignore';
  const child = spawn('taskset', ['-c', cores, command, ...args], {
    env,
    stdio: ['ignore', out, err],
    detached: true,
  });
  fds.forEach((fd) => closeSync(fd)); // the child holds its own copies
  let captured = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk) => (captured += chunk));
  const handle = {
    name,
    pid: child.pid,
    output: () => captured,
    exited: new Promise((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      // 'close', not 'exit': captured output is complete only once the pipe has closed.
      child.once('close', (code, signal) => resolve({ code, signal }));
    }),
    isRunning: () => child.exitCode === null && child.signalCode === null,
    /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the leader has exited. */
    async stop(graceMs = 15_000) {
      if (handle.isRunning()) {
        signalGroup(child.pid, 'SIGTERM');
        const killed = await Promise.race([handle.exited, sleep(graceMs).then(() => null)]);
        if (killed === null) signalGroup(child.pid, 'SIGKILL');
      }
      const result = await handle.exited;
      signalGroup(child.pid, 'SIGKILL'); // stragglers in the group (a worker that outlived its primary)
      return result;
    },
  };
  running.add(handle);
  void handle.exited.then(() => running.delete(handle));
  return handle;
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

/**
 * Runs a process to completion (bounded by `timeoutMs`) and returns its captured stdout; `onStart`
 * gets the pid at once (the sampler watches it).
 */
export async function runToEnd(name, command, args, options, timeoutMs, onStart = () => {}) {
  const handle = startProcess(name, command, args, { ...options, stdout: 'capture' });
  onStart(handle.pid);
  const timer = setTimeout(() => void handle.stop(2_000), timeoutMs);
  const result = await handle.exited;
  clearTimeout(timer);
  if (result.error) throw new Error(`${name}: ${result.error.message}`);
  if (result.code !== 0)
    throw new Error(`${name} exited with ${result.code ?? result.signal}:\n${handle.output()}`);
  return handle.output();
}

/**
 * Moves this process (every thread) to `cores`: the bench's own work (sampling /proc, scraping) then
 * stays off the server core. Children started later choose their cores explicitly.
 */
export function pinSelf(cores) {
  spawnSync('taskset', ['-a', '-pc', cores, String(process.pid)], { stdio: 'ignore' });
}

/** Stops everything still running (in parallel; each has its own SIGKILL deadline). */
export async function stopAll() {
  closed = true;
  await Promise.all([...running].map((handle) => handle.stop(5_000)));
}
