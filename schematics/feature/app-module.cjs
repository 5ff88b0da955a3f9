// Adds a feature module to the root module. The TypeScript parser finds the places to edit, and the edit
// itself is a text insertion, so the rest of app.module.ts (comments, order, blank lines) stays as written.
/* eslint-disable @typescript-eslint/no-require-imports -- the schematics engine loads CommonJS */
const ts = require('typescript');

/**
 * Returns `source` with `import { symbol } from 'specifier';` after the last import declaration and
 * `symbol` appended to the `imports` array of the first `@Module({...})`: app.module.ts lists
 * infrastructure first and features last, so a new feature goes at the end.
 * Unchanged when `specifier` is already imported, so running the generator twice adds nothing.
 */
function addModuleImport(source, symbol, specifier) {
  const file = ts.createSourceFile('app.module.ts', source, ts.ScriptTarget.Latest, true);
  const importDeclarations = file.statements.filter(ts.isImportDeclaration);
  if (importDeclarations.some((d) => d.moduleSpecifier.text === specifier)) return source;
  const array = findModuleImportsArray(file);
  if (!array) throw new Error('no @Module({ imports: [...] }) to add the feature module to');

  const edits = [];
  const lastImport = importDeclarations[importDeclarations.length - 1];
  edits.push({
    at: lastImport ? lastImport.end : 0,
    text: `${lastImport ? '\n' : ''}import { ${symbol} } from '${specifier}';${lastImport ? '' : '\n'}`,
  });

  const last = array.elements[array.elements.length - 1];
  if (!last) {
    edits.push({ at: array.elements.pos, text: symbol });
  } else if (lineOf(file, last.end) === lineOf(file, array.end)) {
    // A one-line array stays on one line.
    edits.push({ at: last.end, text: `, ${symbol}` });
  } else {
    // Inserted before an existing trailing comma, which then ends the new entry's line.
    const indent = indentOf(source, last.getStart(file));
    edits.push({
      at: last.end,
      text: `,\n${indent}${symbol}${array.elements.hasTrailingComma ? '' : ','}`,
    });
  }

  // Back to front, so earlier offsets stay valid.
  return edits
    .sort((a, b) => b.at - a.at)
    .reduce((text, edit) => text.slice(0, edit.at) + edit.text + text.slice(edit.at), source);
}

function findModuleImportsArray(file) {
  let found;
  const visit = (node) => {
    if (found) return;
    if (
      ts.isDecorator(node) &&
      ts.isCallExpression(node.expression) &&
      ts.isIdentifier(node.expression.expression) &&
      node.expression.expression.text === 'Module'
    ) {
      const [metadata] = node.expression.arguments;
      if (metadata && ts.isObjectLiteralExpression(metadata)) {
        const imports = metadata.properties.find(
          (p) => ts.isPropertyAssignment(p) && p.name.getText(file) === 'imports',
        );
        if (imports && ts.isArrayLiteralExpression(imports.initializer)) {
          found = imports.initializer;
          return;
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function lineOf(file, position) {
  return file.getLineAndCharacterOfPosition(position).line;
}

function indentOf(source, position) {
  const lineStart = source.lastIndexOf('\n', position - 1) + 1;
  return /^[ \t]*/.exec(source.slice(lineStart, position))[0];
}

module.exports = { addModuleImport };
