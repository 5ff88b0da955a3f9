import { ConflictException, NotFoundException } from '@nestjs/common';
import type { EntityTarget, ObjectLiteral, QueryDeepPartialEntity } from 'typeorm';
import { hydrate } from './hydrate.js';
import type { ReplicaRouter } from './replica-router.js';

type Versioned = ObjectLiteral & { id: string; version: number };

/**
 * Optimistic update of an entity with a @VersionColumn: applies `changes` only if the row is still at
 * `version`, so a stale writer gets 409 instead of overwriting a newer write. One statement on the
 * primary (`UPDATE … WHERE id AND version RETURNING *`, no BEGIN/COMMIT); only when it matches nothing
 * does a second read tell a missing row (404) from a newer version (409).
 */
export async function versionedUpdate<T extends Versioned>(
  router: ReplicaRouter,
  target: EntityTarget<T>,
  id: string,
  version: number,
  changes: QueryDeepPartialEntity<T>,
): Promise<T> {
  const manager = router.primary.manager;
  if (Object.keys(changes).length > 0) {
    const result = await router.writeStatement((em) =>
      em
        .createQueryBuilder()
        .update(target)
        .set(changes) // TypeORM adds version = version + 1 and the @UpdateDateColumn
        .where('id = :id AND version = :version', { id, version })
        .returning('*')
        .execute(),
    );
    const [row] = result.raw as Array<Record<string, unknown>>;
    if (row) return hydrate(manager, target, row);
  }
  const name = manager.connection.getMetadata(target).name;
  const current = await manager.findOneBy(target, { id } as never);
  if (!current) throw new NotFoundException(`${name} ${id} not found`);
  if (current.version !== version) {
    throw new ConflictException(
      `${name} ${id} is at version ${current.version}, not ${version}; read it again and retry`,
    );
  }
  return current;
}
