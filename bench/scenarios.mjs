// What the bench runs. Edit here: a load is one kind of traffic, a baseline is a reference server that
// takes some loads, an app scenario is a load against dist/main.js with optional extra app env.
import { settings } from './lib/settings.mjs';

/**
 * Loads. `ids` names a set from stack.loadIds(): all (every seeded product), hot (1,000), write (2,000
 * others) or one. `versions`: the ids file carries current versions (read from the primary after warm-up).
 */
export const loads = {
  'get-one': {
    title: 'GET /products/:id, one id over and over',
    script: 'static.lua',
    path: (ids) => `/products/${ids.one[0]}`,
  },
  'get-one-50k-clients': {
    title:
      'GET /products/:id, one id, each request from one of 50,000 client addresses (X-Forwarded-For)',
    script: 'many-clients.lua',
    path: (ids) => `/products/${ids.one[0]}`,
    args: ['50000'],
  },
  'get-random': {
    title: `GET /products/:id, a random id of all ${settings.products.toLocaleString('en')} each time`,
    script: 'random-get.lua',
    ids: 'all',
  },
  'get-hot': {
    title:
      "GET /products/:id, a random id of the mix's 1,000 each time (the mix without its writes)",
    script: 'random-get.lua',
    ids: 'hot',
  },
  'list-page': {
    title: 'GET /products?limit=20',
    script: 'static.lua',
    path: () => '/products?limit=20',
  },
  patch: {
    title: 'PATCH /products/:id as admin, round-robin over 2,000 ids with the last seen version',
    script: 'patch.lua',
    ids: 'write',
    versions: true,
    auth: true,
  },
  'mix-95-5': {
    title: '95% GET random of 1,000 ids / 5% PATCH of the same ids',
    script: 'mix.lua',
    ids: 'hot',
    versions: true,
    auth: true,
    args: ['20'],
  },
  'open-mix-95-5': {
    title: 'the 95/5 mix at a fixed arrival rate (open model)',
    open: true,
    // Warm-up uses wrk with the same mix; the measured run is the open-loop client.
    script: 'mix.lua',
    args: ['20'],
    ids: 'hot',
    versions: true,
    auth: true,
    writeEvery: 20,
  },
};

/** Reference servers, each pinned to the server core like the app at WEB_CONCURRENCY=1. */
export const baselines = [
  {
    name: 'node-http',
    title: 'raw node:http, product JSON from memory',
    file: 'node-http.mjs',
    loads: ['get-one'],
  },
  {
    name: 'fastify-memory',
    title: 'plain Fastify, product JSON from memory',
    file: 'fastify-memory.mjs',
    loads: ['get-one'],
  },
  {
    name: 'nest-memory',
    title:
      'bare Nest 12 + Fastify adapter (one controller, nothing global), product JSON from memory',
    file: 'nest-memory.mjs',
    loads: ['get-one'],
  },
  {
    name: 'fastify-pg',
    title: 'plain Fastify + pg Pool, one prepared SELECT per request on the replica',
    file: 'fastify-pg.mjs',
    loads: ['get-random'],
  },
  {
    name: 'express-stack',
    title: 'Express 5 + helmet + compression + express-rate-limit + express.json, Redis then pg',
    file: 'express-stack.mjs',
    loads: ['get-one', 'get-random'],
  },
];

/**
 * The read cache switched off: every read goes to the replica, the same work Fastify + pg does. The
 * report's "DB reads/req" column confirms it (= 1).
 */
const CACHE_MISSES = { CACHE_ENABLED: 'false' };

/**
 * App scenarios, each run at every WEB_CONCURRENCY in settings.concurrencies. `env` is added to the
 * app's environment (unknown variables are ignored by the app). `rate` (open model only): arrival
 * rate per WEB_CONCURRENCY.
 */
export const appScenarios = [
  { name: 'cached-get', load: 'get-one', env: {} },
  // The same app with rate limiting and request logging off: what those two cost per request.
  {
    name: 'cached-get-no-throttle-no-log',
    load: 'get-one',
    env: { THROTTLE_ENABLED: 'false', REQUEST_LOGGING: 'false' },
  },
  // Each of the two on its own.
  { name: 'cached-get-no-throttle', load: 'get-one', env: { THROTTLE_ENABLED: 'false' } },
  { name: 'cached-get-no-log', load: 'get-one', env: { REQUEST_LOGGING: 'false' } },
  // Many clients at a production limit (600 a minute each, about 8 a minute each here): each address has
  // its own counter, so the throttler's cost is what real traffic pays, not one hot key's.
  {
    name: 'cached-get-50k-clients',
    load: 'get-one-50k-clients',
    env: { TRUST_PROXY: 'true', THROTTLE_LIMIT: '600' },
  },
  { name: 'uncached-get', load: 'get-random', env: CACHE_MISSES },
  { name: 'list-page', load: 'list-page', env: {} },
  { name: 'patch', load: 'patch', env: {} },
  { name: 'mix-95-5', load: 'mix-95-5', env: {} },
  { name: 'open-mix-95-5', load: 'open-mix-95-5', env: {}, rate: { 1: 5_800, 2: 11_600 } },
];

/** The soak: the open model at the target for BENCH_SOAK_SECONDS. */
export const soak = {
  name: 'soak',
  load: 'open-mix-95-5',
  env: {},
  concurrency: 2,
  rate: settings.soakRate,
  seconds: settings.soakSeconds,
  targets: { p99Ms: 10, errors: 0, rssMb: 200 },
};

/** Ratios the issue asks for (reported, never enforced). Keys are `<target>:<load>` of runs. */
export const ratioTargets = [
  {
    run: 'app-wc1:cached-get',
    versus: 'fastify-memory:get-one',
    atLeast: 0.5,
    text: 'cached read ≥ 50% of plain Fastify in memory',
  },
  {
    run: 'app-wc1:cached-get',
    versus: 'app-wc1:cached-get-no-throttle-no-log',
    atLeast: 0.7,
    text: 'full stack keeps most of the app without throttling and logging',
  },
  {
    run: 'app-wc1:cached-get',
    versus: 'express-stack:get-one',
    atLeast: 5,
    text: 'cached read ≥ 5× the Express stack',
  },
  {
    run: 'app-wc1:uncached-get',
    versus: 'fastify-pg:get-random',
    atLeast: 0.7,
    text: 'uncached replica read ≥ 70% of plain Fastify + pg',
  },
];

/** Each app run's ceilings for the ratio columns. */
export const ceilings = {
  'cached-get': [
    'fastify-memory:get-one',
    'nest-memory:get-one',
    'node-http:get-one',
    'express-stack:get-one',
  ],
  'uncached-get': ['fastify-pg:get-random', 'express-stack:get-random'],
};
