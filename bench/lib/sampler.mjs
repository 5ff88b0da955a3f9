// CPU and memory of the processes under test, read from /proc while a scenario runs: per process for
// the server (the cluster primary and each worker), per group for the generator, Postgres and Redis,
// and the whole machine (so load from other people's tests on the box shows up as "other").
import { readdirSync, readFileSync } from 'node:fs';
import { clearInterval, setInterval } from 'node:timers';

const CLOCK_TICKS = 100; // USER_HZ: 100 on every Linux we run on (getconf CLK_TCK)
const MAX_SAMPLES = 100_000;

function readProc(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // the process exited between listing and reading
  }
}

/** pid -> { ppid, ticks } for every process (fields after the parenthesised command name). */
function processTable() {
  const table = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(`/proc/${name}/stat`);
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    table.set(Number(name), {
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
    });
  }
  return table;
}

function descendants(table, roots) {
  const children = new Map();
  for (const [pid, { ppid }] of table) {
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(pid);
  }
  const found = [];
  const queue = roots.filter((pid) => table.has(pid));
  while (queue.length > 0 && found.length < 10_000) {
    const pid = queue.shift();
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

function rssKb(pid) {
  const status = readProc(`/proc/${pid}/status`);
  const match = status?.match(/^VmRSS:\s+(\d+) kB/m);
  return match ? Number(match[1]) : null;
}

function machineTicks() {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = values.map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, steal, total: busy + idle + iowait };
}

/**
 * Our own reaped children's CPU (cutime + cstime of this process): the generator exits before the last
 * sample, and its whole CPU time lands here once we have waited for it.
 */
function reapedChildrenTicks() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[13]) + Number(fields[14]);
}

/**
 * Samples every `intervalMs` until stop(). `groups` maps a name to root pids (their descendants count
 * too; a process that appears during the window counts from zero, so new database backends are not
 * missed); the group named `server` is also recorded per process (RSS over time). The `generator`
 * is counted from our reaped children, so start the sampler after the warm-up's generator has exited.
 */
export function startSampler(groups, intervalMs) {
  const samples = [];
  const take = () => {
    const table = processTable();
    const groupTicks = {};
    for (const [name, roots] of Object.entries(groups)) {
      if (name === 'generator') continue;
      groupTicks[name] = new Map(
        descendants(table, roots).map((pid) => [pid, table.get(pid).ticks]),
      );
    }
    const serverRoots = groups.server ?? [];
    const server = descendants(table, serverRoots).map((pid) => ({
      pid,
      role: serverRoots.includes(pid) ? 'main' : 'worker',
      ticks: table.get(pid).ticks,
      rssKb: rssKb(pid),
    }));
    samples.push({
      at: Date.now(),
      machine: machineTicks(),
      reaped: reapedChildrenTicks(),
      groupTicks,
      server,
    });
  };
  take();
  const timer = setInterval(() => {
    if (samples.length < MAX_SAMPLES) take();
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return summariseSamples(samples);
    },
  };
}

/** Per pid: last seen minus first seen (zero if it started during the window), summed. */
function groupDelta(samples, name) {
  const first = samples[0].groupTicks[name];
  const last = new Map();
  for (const sample of samples)
    for (const [pid, ticks] of sample.groupTicks[name]) last.set(pid, ticks);
  let total = 0;
  for (const [pid, ticks] of last) total += Math.max(0, ticks - (first.get(pid) ?? 0));
  return total;
}

/** CPU as % of one core over the whole window; RSS per server process at start, middle, end and peak. */
function summariseSamples(samples) {
  const first = samples[0];
  const last = samples[samples.length - 1];
  const seconds = Math.max(0.001, (last.at - first.at) / 1000);
  const cpu = (ticks) => (100 * ticks) / CLOCK_TICKS / seconds;
  const groups = {};
  for (const name of Object.keys(first.groupTicks)) groups[name] = cpu(groupDelta(samples, name));
  groups.generator = cpu(last.reaped - first.reaped);
  const machineBusy = last.machine.busy - first.machine.busy;
  const machineTotal = Math.max(1, last.machine.total - first.machine.total);
  const cores = machineTotal / CLOCK_TICKS / seconds;
  const machinePercent = (100 * machineBusy) / machineTotal; // of all cores
  const ours = Object.values(groups).reduce((a, b) => a + b, 0);

  const pids = [...new Set(samples.flatMap((s) => s.server.map((p) => p.pid)))];
  const processes = pids.map((pid) => {
    const series = samples.flatMap((s) =>
      s.server.filter((p) => p.pid === pid).map((p) => ({ ...p, at: s.at })),
    );
    const [head, tail] = [series[0], series[series.length - 1]];
    const rss = series.map((p) => p.rssKb).filter((v) => v !== null);
    const mb = (kb) => (kb === undefined ? null : Math.round(kb / 102.4) / 10);
    return {
      pid,
      role: head.role,
      cpuPercent:
        (100 * (tail.ticks - head.ticks)) /
        CLOCK_TICKS /
        Math.max(0.001, (tail.at - head.at) / 1000),
      rssMb: {
        start: mb(rss[0]),
        middle: mb(rss[Math.floor(rss.length / 2)]),
        end: mb(rss[rss.length - 1]),
        max: rss.length ? mb(Math.max(...rss)) : null,
      },
    };
  });
  // With workers the root is the cluster primary, which serves nothing itself.
  if (processes.some((p) => p.role === 'worker')) {
    for (const p of processes) if (p.role === 'main') p.role = 'primary';
  }
  return {
    seconds,
    samples: samples.length,
    cpuPercent: {
      ...groups,
      other: Math.max(0, machinePercent * cores - ours),
      // Time the hypervisor ran something else on our vCPUs (part of "other"): the host's load, not ours.
      steal: cpu(last.machine.steal - first.machine.steal),
      machine: machinePercent * cores,
    },
    processes,
  };
}
