// `nest g feature` end to end: generate into a copy of the project, then hold the result to what the
// next `npm test` would: the files are there, the root module imports the feature, the code compiles,
// and it passes the lint. A template that emits broken code fails here, not in a developer's checkout.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { repoRoot } from './support.js';

const root = repoRoot();
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

/** Runs a tool in `cwd`; the result's `output` is stdout and stderr together, uncoloured. */
function run(binary: string, args: string[], cwd: string, timeoutMs: number) {
  const result = spawnSync(binary, args, { cwd, encoding: 'utf8', timeout: timeoutMs });
  const output = stripVTControlCharacters(`${result.stdout ?? ''}${result.stderr ?? ''}`);
  if (result.error)
    throw new Error(`${binary} ${args.join(' ')}: ${result.error.message}\n${output}`);
  return { status: result.status, output };
}

/** Throws with the tool's output unless it exited 0: a failure shows the compiler's or linter's words. */
function expectSuccess(result: { status: number | null; output: string }): void {
  if (result.status !== 0) throw new Error(`exit ${result.status}:\n${result.output}`);
}

const FEATURE_FILES = [
  'widget.entity.ts',
  'widgets.service.ts',
  'widgets.service.spec.ts',
  'widgets.controller.ts',
  'widgets.module.ts',
  'dto/create-widget.dto.ts',
  'dto/update-widget.dto.ts',
  'dto/widget.dto.ts',
];

describe('nest g feature', () => {
  let dir: string;
  let widgets: { status: number | null; output: string };

  beforeAll(() => {
    // nest-cli.json names the collection as a package: node_modules/nest-at-scale-schematics is npm's
    // link to schematics/ (the file: devDependency), because the Nest CLI cannot load a relative path.
    if (!existsSync(join(root, 'node_modules', 'nest-at-scale-schematics', 'collection.json'))) {
      throw new Error('node_modules/nest-at-scale-schematics is missing: run npm install');
    }
    dir = mkdtempSync(join(tmpdir(), 'nest-generate-'));
    for (const entry of ['src', 'schematics']) {
      cpSync(join(root, entry), join(dir, entry), { recursive: true });
    }
    // package.json's "type": "module" decides how tsc (nodenext) and ESLint read the files.
    for (const file of [
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'nest-cli.json',
      'eslint.config.js',
      '.prettierrc.json',
    ]) {
      cpSync(join(root, file), join(dir, file));
    }
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    widgets = run(bin('nest'), ['g', 'feature', 'widgets'], dir, 30_000);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates the feature module in src/widgets', () => {
    // The Nest CLI exits 0 even when the schematic fails, so the files are the proof.
    expect(widgets.output).not.toMatch(/dry run/i);
    const missing = FEATURE_FILES.filter((file) => !existsSync(join(dir, 'src/widgets', file)));
    if (missing.length) throw new Error(`not generated: ${missing.join(', ')}\n${widgets.output}`);
    expectSuccess(widgets);
  });

  it('imports WidgetsModule in app.module.ts, after the existing modules', () => {
    const appModule = readFileSync(join(dir, 'src/app.module.ts'), 'utf8');
    expect(appModule).toContain("import { WidgetsModule } from './widgets/widgets.module.js';");
    const imports = /imports: \[([\s\S]*?)\n {2}\],/.exec(appModule)?.[1] ?? '';
    expect(imports.trim().split(/,\s*/).filter(Boolean).pop()).toBe('WidgetsModule');
  });

  it('prints the migration step', () => {
    expect(widgets.output).toContain(
      'npm run migration:generate -- src/infra/database/migrations/AddWidgets',
    );
  });

  it('takes the f alias and multi-word names, and refuses to overwrite a feature', () => {
    const orderCategories = run(bin('nest'), ['g', 'f', 'order-categories'], dir, 30_000);
    expect(existsSync(join(dir, 'src/order-categories/order-category.entity.ts'))).toBe(true);
    expect(readFileSync(join(dir, 'src/app.module.ts'), 'utf8')).toContain(
      'OrderCategoriesModule,',
    );
    expect(orderCategories.output).toContain('AddOrderCategories');

    const before = readFileSync(join(dir, 'src/widgets/widgets.service.ts'), 'utf8');
    const again = run(bin('nest'), ['g', 'feature', 'widgets'], dir, 30_000);
    expect(again.output).toContain('src/widgets already exists');
    expect(readFileSync(join(dir, 'src/widgets/widgets.service.ts'), 'utf8')).toBe(before);
  });

  it('generates code that type-checks with the project (tsc --noEmit)', () => {
    expectSuccess(run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], dir, 60_000));
  });

  it('generates unit specs that pass', () => {
    // The project's unit Jest setup (SWC, CommonJS), limited to the generated specs.
    writeFileSync(
      join(dir, 'jest.generated.cjs'),
      `const { projects } = require(${JSON.stringify(join(root, 'jest.config.cjs'))});\n` +
        `module.exports = { ...projects.find((p) => p.displayName === 'unit'), rootDir: __dirname,\n` +
        `  testMatch: ['<rootDir>/src/{widgets,order-categories}/*.spec.ts'] };\n`,
    );
    const jest = run(bin('jest'), ['--config', 'jest.generated.cjs', '--ci'], dir, 60_000);
    expectSuccess(jest);
    expect(jest.output).toMatch(/Test Suites: 2 passed, 2 total/);
  });

  it('generates code that passes the lint (ESLint, Prettier)', () => {
    const generated = ['src/widgets', 'src/order-categories', 'src/app.module.ts'];
    expectSuccess(run(bin('eslint'), ['--max-warnings', '0', ...generated], dir, 60_000));
    expectSuccess(run(bin('prettier'), ['--check', ...generated], dir, 30_000));
  });
});

describe('addModuleImport (the app.module.ts edit)', () => {
  type AddModuleImport = (source: string, symbol: string, specifier: string) => string;
  const { addModuleImport } = createRequire(join(root, 'package.json'))(
    './schematics/feature/app-module.cjs',
  ) as { addModuleImport: AddModuleImport };
  const add = (source: string) =>
    addModuleImport(source, 'WidgetsModule', './widgets/widgets.module.js');
  const lines = (...text: string[]) => text.join('\n') + '\n';
  const header = ["import { Module } from '@nestjs/common';", "import { A } from './a.js';"];
  const newImport = "import { WidgetsModule } from './widgets/widgets.module.js';";

  it('appends to a multi-line imports array, ending the entry with a comma as Prettier does', () => {
    for (const comma of [',', '']) {
      const moduleWith = (...entries: string[]) =>
        ['@Module({', '  imports: [', '    // features', ...entries, '  ],', '})'].join('\n');
      expect(add(lines(...header, moduleWith(`    A${comma}`)))).toBe(
        lines(...header, newImport, moduleWith('    A,', '    WidgetsModule,')),
      );
    }
  });

  it('keeps a one-line or empty array on one line', () => {
    const oneLine = lines(...header, '@Module({ imports: [A], providers: [] })', 'class M {}');
    expect(add(oneLine)).toContain('@Module({ imports: [A, WidgetsModule], providers: [] })');
    const empty = lines(...header, '@Module({ imports: [] })', 'class M {}');
    expect(add(empty)).toContain('@Module({ imports: [WidgetsModule] })');
  });

  it('changes nothing when the module is already imported (running the generator twice)', () => {
    const appModule = readFileSync(join(root, 'src/app.module.ts'), 'utf8');
    const once = add(appModule);
    expect(once).not.toBe(appModule);
    expect(add(once)).toBe(once);
  });

  it('fails loudly when there is no @Module imports array to add to', () => {
    expect(() => add(lines(...header, 'export class AppModule {}'))).toThrow(/no @Module/);
  });
});
