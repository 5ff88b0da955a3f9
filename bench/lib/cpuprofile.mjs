// Self time from a V8 .cpuprofile (what `node --cpu-prof` writes): per function and per package, so the
// report says where the cached read's time goes without opening DevTools.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { ROOT } from './settings.mjs';

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

// The bench runs a copy of dist/ (see stack.snapshotApp); name its files as dist/ files.
const APP_COPY = /^\.local\/bench\/app\//;

function where(url) {
  if (!url) return '';
  const path = url.replace(/^file:\/\//, '');
  return path.startsWith('/') ? relative(ROOT, path).replace(APP_COPY, 'dist/') : path;
}

/** node_modules/<pkg> (scoped too), node:internal, the app's dist/, or the V8 bucket name. */
function packageOf(functionName, url) {
  if (SPECIAL.has(functionName) && !url) return functionName;
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node: (core)';
  const match = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/g);
  if (match) return match[match.length - 1].replace('node_modules/', '');
  const path = where(url);
  return path.startsWith('dist/') ? 'app (dist/)' : path;
}

/**
 * Top `limit` functions by self time (idle excluded from the total: the % is of the time the process
 * was busy), and self time per package. Only samples inside the window count: `windowUs` long, ending
 * `endGapUs` before the profile's end (the measured run, without startup, warm-up or shutdown).
 */
export function summariseProfile(file, { limit = 20, windowUs = Infinity, endGapUs = 0 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const windowEnd = profile.endTime - endGapUs;
  const windowStart = windowEnd - windowUs;
  const selfUs = new Map();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    if (at < windowStart || at > windowEnd) continue;
    // DevTools' attribution: the time until the next sample belongs to this sample's node.
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  const parents = new Map();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parents.set(child, node);
  const label = (frame) => {
    const name = frame.functionName || '(anonymous)';
    return frame.url ? `${name} (${packageOf(name, frame.url)})` : name;
  };
  const byFunction = new Map();
  const byPackage = new Map();
  let busyUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const name = functionName || '(anonymous)';
    if (name === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const key = `${name}\u0000${url}\u0000${lineNumber}`;
    const entry = byFunction.get(key) ?? {
      function: name,
      location: url ? `${where(url)}:${lineNumber + 1}` : '',
      package: packageOf(name, url),
      selfMs: 0,
      callers: new Map(),
    };
    entry.selfMs += us / 1000;
    // Native code says nothing by its name: whose code called it (a socket write from the logger, from
    // Redis or from the response?). The first caller up the stack outside Node's core and V8.
    if (!url) {
      let caller = parents.get(id);
      for (let depth = 0; caller && depth < 40; depth++) {
        const pkg = packageOf(caller.callFrame.functionName, caller.callFrame.url);
        if (caller.callFrame.url && pkg !== 'node: (core)') break;
        caller = parents.get(caller.id);
      }
      if (caller && caller.callFrame.url) {
        const name = label(caller.callFrame);
        entry.callers.set(name, (entry.callers.get(name) ?? 0) + us / 1000);
      }
    }
    byFunction.set(key, entry);
    const pkg = packageOf(name, url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us / 1000);
  }
  const percent = (ms) => (100 * ms * 1000) / Math.max(1, busyUs);
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    top: [...byFunction.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, limit)
      .map(({ callers, ...entry }) => ({
        ...entry,
        selfPercent: percent(entry.selfMs),
        // The callers that account for most of a native function's time, largest first.
        calledFrom: [...callers.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 2)
          .map(([caller, ms]) => `${caller} ${Math.round((100 * ms) / entry.selfMs)}%`),
      })),
    packages: [...byPackage.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([name, ms]) => ({ package: name, selfMs: ms, selfPercent: percent(ms) })),
  };
}
