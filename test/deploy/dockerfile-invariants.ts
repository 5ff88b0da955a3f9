// A small Dockerfile parser (stages, instructions, inheritance between stages)
// and the production rules the image must keep. Pure: text in, violations out.

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  name: string;
  /** image or earlier stage name after FROM */
  from: string;
  index: number;
  instructions: Instruction[];
}

/** Logical instructions: comments dropped, backslash continuations joined. */
export function parseInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buffer = '';
  let startLine = 0;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    // Comment lines are removed even inside a continuation, as Docker does.
    if (trimmed.startsWith('#')) return;
    if (buffer === '' && trimmed === '') return;
    if (buffer === '') startLine = i + 1;
    if (trimmed.endsWith('\\')) {
      buffer += trimmed.slice(0, -1).trimEnd() + ' ';
      return;
    }
    buffer += trimmed;
    const match = /^(\S+)\s*(.*)$/s.exec(buffer);
    if (match)
      out.push({ keyword: match[1].toUpperCase(), args: match[2].trim(), line: startLine });
    buffer = '';
  });
  if (buffer.trim() !== '') {
    const match = /^(\S+)\s*(.*)$/s.exec(buffer.trim());
    if (match)
      out.push({ keyword: match[1].toUpperCase(), args: match[2].trim(), line: startLine });
  }
  return out;
}

export function parseStages(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const ins of parseInstructions(text)) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const asIndex = words.findIndex((w) => w.toUpperCase() === 'AS');
      const from = words[0] ?? '';
      const name = asIndex >= 0 ? (words[asIndex + 1] ?? '') : String(stages.length);
      stages.push({ name, from, index: stages.length, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push(ins);
    }
  }
  return stages;
}

/** A stage and its ancestors inside this Dockerfile, base first. */
export function stageChain(stages: Stage[], target: Stage): Stage[] {
  const chain: Stage[] = [target];
  let current = target;
  for (;;) {
    const parent = stages.find((s) => s.name === current.from && s.index < current.index);
    if (!parent) break;
    chain.unshift(parent);
    current = parent;
  }
  return chain;
}

export type Form = { kind: 'exec'; argv: string[] } | { kind: 'shell'; command: string };

export function parseCommandForm(args: string): Form {
  if (args.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(args);
      if (Array.isArray(parsed) && parsed.every((a) => typeof a === 'string'))
        return { kind: 'exec', argv: parsed };
    } catch {
      // not valid JSON: Docker runs it through a shell
    }
  }
  return { kind: 'shell', command: args };
}

export interface EffectiveConfig {
  user?: string;
  entrypoint?: Form;
  cmd?: Form;
  /** raw HEALTHCHECK args ("NONE" or "[options] CMD ...") */
  healthcheck?: string;
  env: Map<string, string>;
  runs: string[];
  copies: string[];
}

function parseEnv(args: string, env: Map<string, string>): void {
  const pairs = args.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
  const first = pairs[0];
  if (first !== undefined && !first.includes('=')) {
    // legacy form: ENV KEY value with spaces
    env.set(first, args.slice(first.length).trim());
    return;
  }
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq > 0) env.set(pair.slice(0, eq), pair.slice(eq + 1).replace(/^(["'])(.*)\1$/, '$2'));
  }
}

/** Image config of a stage as Docker computes it: inherited from its ancestors, later instructions win. */
export function effectiveConfig(stages: Stage[], target: Stage): EffectiveConfig {
  const config: EffectiveConfig = { env: new Map(), runs: [], copies: [] };
  for (const stage of stageChain(stages, target)) {
    for (const ins of stage.instructions) {
      switch (ins.keyword) {
        case 'USER':
          config.user = ins.args;
          break;
        case 'ENTRYPOINT':
          config.entrypoint = parseCommandForm(ins.args);
          // Docker clears an inherited CMD when ENTRYPOINT is set.
          config.cmd = undefined;
          break;
        case 'CMD':
          config.cmd = parseCommandForm(ins.args);
          break;
        case 'HEALTHCHECK':
          config.healthcheck = ins.args;
          break;
        case 'ENV':
          parseEnv(ins.args, config.env);
          break;
        case 'RUN':
          config.runs.push(ins.args);
          break;
        case 'COPY':
        case 'ADD':
          config.copies.push(ins.args);
          break;
        default:
          break;
      }
    }
  }
  return config;
}

export interface DockerfileExpectations {
  /** target stage name -> expected CMD argv */
  targets: Record<string, string[]>;
  /** targets that must carry a HEALTHCHECK, with a string its command must contain */
  healthchecks: Record<string, string>;
  /** the stage `docker build` without --target produces */
  defaultTarget: string;
}

export const EXPECTED: DockerfileExpectations = {
  targets: {
    api: ['node', 'dist/main.js'],
    worker: ['node', 'dist/worker.js'],
    migrate: ['node', 'dist/bootstrap/migrate.js'],
  },
  healthchecks: { api: '/health/live', worker: '/metrics' },
  defaultTarget: 'api',
};

const INIT_BINARIES = ['tini', 'dumb-init'];

function isRootUser(user: string): boolean {
  const [uid] = user.split(':');
  return uid === '' || uid === 'root' || uid === '0';
}

export function findDockerfileViolations(
  text: string,
  expected: DockerfileExpectations = EXPECTED,
): string[] {
  const violations: string[] = [];
  const stages = parseStages(text);
  if (stages.length === 0) return ['no FROM instruction'];
  const stageNames = new Set(stages.map((s) => s.name));

  for (const stage of stages) {
    const external = !stages.some((s) => s.name === stage.from && s.index < stage.index);
    if (external && !/^node:24(?:[.-]|$)/.test(stage.from)) {
      violations.push(`stage ${stage.name}: FROM ${stage.from} is not a node:24 image`);
    }
  }

  if (stages[stages.length - 1].name !== expected.defaultTarget) {
    violations.push(
      `the last stage (the default build target) is ${stages[stages.length - 1].name}, not ${expected.defaultTarget}`,
    );
  }

  const allRuns = stages.flatMap((s) =>
    s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args),
  );
  if (!allRuns.some((r) => /\bnpm ci\b/.test(r)))
    violations.push('no RUN npm ci (install exactly the lockfile)');
  if (!allRuns.some((r) => /\bnpm run build\b/.test(r))) violations.push('no RUN npm run build');

  for (const [target, cmd] of Object.entries(expected.targets)) {
    if (!stageNames.has(target)) {
      violations.push(`no stage named ${target}`);
      continue;
    }
    const stage = stages.find((s) => s.name === target) as Stage;
    const config = effectiveConfig(stages, stage);
    const where = `target ${target}`;

    if (config.user === undefined || isRootUser(config.user)) {
      violations.push(`${where}: runs as root (no non-root USER)`);
    } else if (!/^\d+(?::\d+)?$/.test(config.user)) {
      violations.push(
        `${where}: USER ${config.user} is not numeric (Kubernetes runAsNonRoot cannot verify a user name)`,
      );
    }

    if (config.env.get('NODE_ENV') !== 'production')
      violations.push(`${where}: NODE_ENV is not production`);

    if (config.entrypoint?.kind !== 'exec') {
      violations.push(
        `${where}: ENTRYPOINT is missing or in shell form (signals would go to /bin/sh)`,
      );
    } else {
      const binary = config.entrypoint.argv[0]?.split('/').pop() ?? '';
      if (!INIT_BINARIES.includes(binary)) {
        violations.push(
          `${where}: ENTRYPOINT does not start an init process (${INIT_BINARIES.join(' or ')})`,
        );
      } else if (
        !config.runs.some((r) =>
          new RegExp(`(apt-get|apk)[^&;]*\\b(install|add)\\b[^&;]*\\b${binary}\\b`).test(r),
        ) &&
        !config.copies.some((c) => c.includes(binary))
      ) {
        violations.push(
          `${where}: ENTRYPOINT runs ${binary}, but no stage it builds on installs it`,
        );
      }
    }

    if (config.cmd?.kind !== 'exec') {
      violations.push(`${where}: CMD is missing or in shell form`);
    } else if (JSON.stringify(config.cmd.argv) !== JSON.stringify(cmd)) {
      violations.push(
        `${where}: CMD is ${JSON.stringify(config.cmd.argv)}, expected ${JSON.stringify(cmd)}`,
      );
    }

    const healthNeedle = expected.healthchecks[target];
    if (healthNeedle !== undefined) {
      const hc = config.healthcheck;
      if (hc === undefined || /^NONE$/i.test(hc)) {
        violations.push(`${where}: no HEALTHCHECK`);
      } else {
        const cmdIndex = hc.search(/\bCMD\b/);
        const form = cmdIndex >= 0 ? parseCommandForm(hc.slice(cmdIndex + 3).trim()) : undefined;
        if (form?.kind !== 'exec') violations.push(`${where}: HEALTHCHECK CMD is not in exec form`);
        else if (!form.argv.join(' ').includes(healthNeedle))
          violations.push(`${where}: HEALTHCHECK does not check ${healthNeedle}`);
      }
    }

    // node_modules in the image must come from a production-only install
    const modulesCopy = config.copies.find((c) => /node_modules/.test(c));
    const fromStage = modulesCopy && /--from=(\S+)/.exec(modulesCopy)?.[1];
    const source = fromStage ? stages.find((s) => s.name === fromStage) : undefined;
    if (!source) {
      violations.push(`${where}: node_modules is not copied from a build stage`);
    } else {
      const sourceRuns = effectiveConfig(stages, source).runs;
      if (!sourceRuns.some((r) => /--omit=dev|--production|npm prune/.test(r))) {
        violations.push(
          `${where}: node_modules comes from stage ${source.name}, which does not omit dev dependencies`,
        );
      }
    }
  }
  return violations;
}
