// `nest g feature <name>`: a feature module in the shape of src/products (see README, "Adding a feature
// module"). Plain CommonJS, so the Nest CLI runs it with no build step.
/* eslint-disable @typescript-eslint/no-require-imports -- the schematics engine loads CommonJS */
const { join, posix } = require('node:path');
const {
  SchematicsException,
  apply,
  applyTemplates,
  chain,
  filter,
  mergeWith,
  move,
  noop,
  strings,
  url,
} = require('@angular-devkit/schematics');
const { addModuleImport } = require('./app-module.cjs');

/** Template variables for a plural kebab-case name, e.g. `order-items`. */
function featureNames(plural) {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(plural)) {
    throw new SchematicsException(`"${plural}" is not a kebab-case name such as widgets`);
  }
  const singular = singularize(plural);
  return {
    plural,
    singular,
    Plural: strings.classify(plural),
    Singular: strings.classify(singular),
    pluralVar: strings.camelize(plural),
    table: strings.underscore(plural),
    TAG: `${strings.underscore(plural).toUpperCase()}_TAG`,
  };
}

// Only the ending changes (order-items -> order-item); rename by hand where English is irregular.
function singularize(plural) {
  if (/ies$/.test(plural)) return plural.replace(/ies$/, 'y');
  if (/(ss|sh|ch|x|z)es$/.test(plural)) return plural.replace(/es$/, '');
  if (/[^s]s$/.test(plural)) return plural.replace(/s$/, '');
  return plural;
}

function feature(options) {
  return (tree, context) => {
    if (options.language && options.language !== 'ts') {
      throw new SchematicsException('The feature schematic generates TypeScript only');
    }
    // The templates' imports (../auth, ../common, ../infra) assume src/<feature>, as DESIGN.md has it.
    if (options.path) {
      throw new SchematicsException(
        'A feature lives directly under the source root: drop the path',
      );
    }
    const names = featureNames(options.name);
    const sourceRoot = posix.normalize(`/${options.sourceRoot || 'src'}`);
    const dir = posix.join(sourceRoot, names.plural);
    if (tree.getDir(dir).subfiles.length || tree.getDir(dir).subdirs.length) {
      throw new SchematicsException(`${dir.slice(1)} already exists`);
    }
    const appModule = posix.join(sourceRoot, 'app.module.ts');
    const specifier = `./${names.plural}/${names.plural}.module.js`;
    const written = [];

    const templates = apply(url('./files'), [
      options.spec === false ? filter((path) => !path.endsWith('.spec.ts.template')) : noop(),
      applyTemplates(names),
      move(dir),
    ]);
    return chain([
      mergeWith(templates),
      (tree) => {
        tree.getDir(dir).visit((path) => void written.push(path));
        if (options.skipImport) return;
        if (!tree.exists(appModule)) {
          context.logger.warn(
            `${appModule.slice(1)} not found: import ${names.Plural}Module yourself`,
          );
          return;
        }
        const source = tree.readText(appModule);
        const updated = addModuleImport(source, `${names.Plural}Module`, specifier);
        if (updated !== source) {
          tree.overwrite(appModule, updated);
          written.push(appModule);
        }
      },
      (tree) => formatWithPrettier(tree, written, context),
      () => {
        context.logger.info(
          `Next: create the ${names.table} table from the entity, review the migration, and commit it:\n` +
            `  npm run migration:generate -- ${sourceRoot.slice(1)}/infra/database/migrations/Add${names.Plural}`,
        );
      },
    ]);
  };
}

/**
 * Formats what was written with the project's Prettier config, so the output passes `npm run lint`
 * whatever the name's length (the templates are laid out for a short one). Skipped without Prettier.
 */
async function formatWithPrettier(tree, paths, context) {
  let prettier;
  try {
    prettier = require('prettier');
  } catch {
    context.logger.warn('prettier not installed: generated files are not formatted');
    return;
  }
  for (const path of paths) {
    const filepath = join(process.cwd(), path);
    const config = (await prettier.resolveConfig(filepath)) ?? {};
    tree.overwrite(path, await prettier.format(tree.readText(path), { ...config, filepath }));
  }
}

module.exports = { feature };
