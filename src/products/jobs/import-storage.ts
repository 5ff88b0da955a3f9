import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Where uploaded import files wait for the worker: IMPORT_STORAGE_DIR, one file per import id. The API
 * writes, the worker reads, so in a deployment where they are different hosts this folder must be shared
 * storage (a ReadWriteMany volume), or this class replaced by an object-store one with the same methods.
 */
@Injectable()
export class ImportStorage {
  private readonly dir: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.dir = config.IMPORT_STORAGE_DIR;
  }

  /** Streams an upload to its file; the file appears under its final name only once complete. */
  async save(id: string, source: Readable): Promise<number> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const partial = `${this.path(id)}.part`;
    try {
      await pipeline(source, createWriteStream(partial, { flags: 'wx', mode: 0o600 }));
      await rename(partial, this.path(id));
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return (await stat(this.path(id))).size;
  }

  open(id: string, encoding: BufferEncoding = 'utf8'): ReadStream {
    return createReadStream(this.path(id), { encoding, highWaterMark: 256 * 1024 });
  }

  async size(id: string): Promise<number | null> {
    return stat(this.path(id)).then(
      (s) => s.size,
      () => null,
    );
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }

  private path(id: string): string {
    // The id is ours (a UUID), but the path is built from it: never let it leave the folder.
    if (!UUID.test(id)) throw new Error(`not an import id: ${id}`);
    return join(this.dir, `${id}.csv`);
  }
}
