// The machine and software a run measured, for the report header.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { ROOT } from './settings.mjs';

function git(...args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'))
      .version;
  } catch {
    return null;
  }
}

export function describeCommit() {
  return {
    commit: git('rev-parse', '--short', 'HEAD') || 'unknown',
    // Uncommitted changes to tracked files (other people's work in progress, too): the numbers describe
    // the working tree as built, not exactly the commit.
    dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
  };
}

export function describeMachine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const memKb = Number(meminfo.match(/^MemTotal:\s+(\d+)/m)?.[1] ?? 0);
  let wrk = '';
  try {
    execFileSync('wrk', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    wrk = String(error.stdout ?? ''); // wrk -v prints its version and exits 1
  }
  return {
    cpuModel: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? 'unknown',
    // The machine's cores, not this process's: the bench pins itself to the generator core first.
    cores: cpus().length,
    memoryGb: Math.round(memKb / 1024 / 102.4) / 10,
    kernel: release(),
    loadAverageAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
    node: process.version,
    wrk:
      wrk
        .split('\n')[0]
        .replace(/ Copyright.*/, '')
        .trim() || 'unknown',
    packages: Object.fromEntries(
      [
        '@nestjs/core',
        '@nestjs/platform-fastify',
        'fastify',
        'typeorm',
        'pg',
        'ioredis',
        'express',
        'helmet',
        'compression',
        'express-rate-limit',
      ].map((name) => [name, packageVersion(name)]),
    ),
  };
}
