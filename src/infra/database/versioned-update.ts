import { ConflictException, NotFoundException } from '@nestjs/common';
import type {
  Driver,
  EntityManager,
  EntityMetadata,
  EntityTarget,
  ObjectLiteral,
  QueryDeepPartialEntity,
} from 'typeorm';
import { hydrate } from './hydrate.js';
import { preparedQuery } from './prepared-query.js';
import type { ReplicaRouter } from './replica-router.js';

type Versioned = ObjectLiteral & { id: string; version: number };

type ColumnMetadata = EntityMetadata['columns'][number];

interface UpdateStatement {
  name: string;
  text: string;
  columns: ColumnMetadata[]; // in the order of $1, $2 … (id and version follow)
}

// One statement per entity and set of changed columns, built once per process from the entity's metadata.
const statements = new Map<string, UpdateStatement>();

/**
 * Optimistic update of an entity with a @VersionColumn: applies `changes` only if the row is still at
 * `version`, so a stale writer gets 409 instead of overwriting a newer write. One named prepared statement
 * on the primary (`UPDATE … WHERE id AND version RETURNING …`, no BEGIN/COMMIT); only when it matches
 * nothing does a second read tell a missing row (404) from a newer version (409).
 *
 * Why not TypeORM's UpdateQueryBuilder: it rebuilds and re-escapes the SQL on every call (12.7% of a
 * PATCH's CPU in bench/results/2026-12-02-976d518-profile.md) and sends an unnamed statement that the
 * server plans each time. The SQL here comes from the same metadata, and values go through the same
 * driver conversion (`preparePersistentValue`, column transformers included).
 */
export async function versionedUpdate<T extends Versioned>(
  router: ReplicaRouter,
  target: EntityTarget<T>,
  id: string,
  version: number,
  changes: QueryDeepPartialEntity<T>,
): Promise<T> {
  const manager = router.primary.manager;
  const metadata = manager.connection.getMetadata(target);
  const properties = Object.keys(changes).filter(
    (property) => (changes as Record<string, unknown>)[property] !== undefined,
  );
  if (properties.length > 0) {
    const driver = manager.connection.driver;
    const statement = updateStatement(metadata, properties, driver);
    const values = statement.columns.map((column) =>
      driver.preparePersistentValue(column.getEntityValue(changes), column),
    );
    const [row] = await router.writeStatement((em: EntityManager) =>
      preparedQuery(em, statement.name, statement.text, [...values, id, version]),
    );
    if (row) return hydrate(manager, target, row);
  }
  const current = await manager.findOneBy(target, { id } as never);
  if (!current) throw new NotFoundException(`${metadata.name} ${id} not found`);
  if (current.version !== version) {
    throw new ConflictException(
      `${metadata.name} ${id} is at version ${current.version}, not ${version}; read it again and retry`,
    );
  }
  return current;
}

function updateStatement(
  metadata: EntityMetadata,
  properties: string[],
  driver: Driver,
): UpdateStatement {
  const sorted = [...properties].sort();
  const key = `${metadata.tablePath}|${sorted.join(',')}`;
  const known = statements.get(key);
  if (known) return known;
  const q = (identifier: string) => driver.escape(identifier); // the quoting TypeORM's builders use
  const { versionColumn, updateDateColumn } = metadata;
  if (!versionColumn) throw new Error(`${metadata.name} has no @VersionColumn`);
  const columns = sorted.map((property) => {
    const column = metadata.findColumnWithPropertyPath(property);
    if (!column || column.isPrimary || column === versionColumn || column.isGenerated)
      throw new Error(`versionedUpdate: ${metadata.name}.${property} is not an updatable column`);
    return column;
  });
  const set = columns.map((column, i) => `${q(column.databaseName)} = $${i + 1}`);
  set.push(`${q(versionColumn.databaseName)} = ${q(versionColumn.databaseName)} + 1`);
  if (updateDateColumn) set.push(`${q(updateDateColumn.databaseName)} = CURRENT_TIMESTAMP`);
  const idColumn = metadata.primaryColumns[0].databaseName;
  // Columns listed, not `*`: a prepared plan must not change its result type when a migration adds one.
  const returning = metadata.columns.map((column) => q(column.databaseName)).join(', ');
  const statement = {
    name: `versioned_update_${statements.size + 1}`,
    text:
      `UPDATE ${metadata.tablePath.split('.').map(q).join('.')} SET ${set.join(', ')} ` +
      `WHERE ${q(idColumn)} = $${columns.length + 1} AND ${q(versionColumn.databaseName)} = $${columns.length + 2} ` +
      `RETURNING ${returning}`,
    columns,
  };
  statements.set(key, statement);
  return statement;
}
