// Summarises a heap profile from bench/lib/alloc-sampler.mjs: the bytes allocated per function (self)
// and, for the app's own code and the libraries it calls, inclusive of everything they call.
//
//   node bench/alloc-report.mjs <alloc-<pid>.heapprofile> [top=30]
import { readFileSync } from 'node:fs';
import process from 'node:process';

const [file, top = '30'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/alloc-report.mjs <file.heapprofile> [top]');
  process.exit(64);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const where = (frame) =>
  `${frame.functionName || '(anonymous)'} ${frame.url
    .replace(/.*node_modules\//, '')
    .replace(/^file:\/\/.*?\/(dist|app)\//, '$1/')}:${frame.lineNumber + 1}`;

const self = new Map();
const inclusive = new Map();
let total = 0;
const add = (map, key, bytes) => map.set(key, (map.get(key) ?? 0) + bytes);
// Iterative walk: a deep async stack must not overflow ours. Each key counts once per stack (recursion).
const stack = [{ node: profile.head, above: [] }];
while (stack.length) {
  const { node, above } = stack.pop();
  const key = where(node.callFrame);
  const keys = above.includes(key) ? above : [...above, key];
  total += node.selfSize;
  add(self, key, node.selfSize);
  for (const k of keys) add(inclusive, k, node.selfSize);
  for (const child of node.children) stack.push({ node: child, above: keys });
}

const pct = (bytes) => `${((100 * bytes) / total).toFixed(1).padStart(5)}%`;
const print = (title, map, keep = () => true) => {
  console.log(`\n${title}`);
  [...map]
    .filter(([key]) => keep(key))
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(top))
    .forEach(([key, bytes]) => console.log(`${pct(bytes)}  ${key}`));
};
console.log(`${(total / 1e6).toFixed(1)} MB sampled in ${file}`);
print('allocated by the function itself', self);
// Inclusive figures of Node's own plumbing (streams, ticks) say little: left out.
print(
  'inclusive (everything called from it), outside Node core',
  inclusive,
  (key) => !/^\(|^(anonymous|run|emit) |node:/.test(key),
);
