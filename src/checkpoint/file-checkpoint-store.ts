import { open, mkdir, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CheckpointFormatError } from './checkpoint-format-error.ts';
import { type Checkpoint, type CheckpointStore, isCheckpoint } from './checkpoint-store.ts';

/**
 * A checkpoint in a local file, replaced atomically: written to a temporary file in the same
 * directory, fsynced, renamed over the old one, and the directory fsynced, so a crash leaves
 * either the old or the new checkpoint, never a torn one.
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly kind = 'file';
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  async load(): Promise<Checkpoint | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const remedy = `fix it, or delete the file to start over (a first start, under source.backfill)`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new CheckpointFormatError(this.path, `not JSON: ${(error as Error).message}`, remedy);
    }
    if (!isCheckpoint(parsed)) throw new CheckpointFormatError(this.path, 'not the shape of a version 1 checkpoint', remedy);
    return parsed;
  }

  async save(checkpoint: Checkpoint): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const file = await open(tmp, 'w', 0o600);
    try {
      await file.writeFile(`${JSON.stringify(checkpoint)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, this.path);
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } catch {
      // Some filesystems refuse fsync on a directory; the rename is still atomic.
    } finally {
      await handle.close();
    }
  }
}
