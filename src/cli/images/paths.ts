// Where the image builder finds its inputs and keeps its cache.

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/src/cli/images). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The committed inputs: config fragments, the init script, test programs. */
export const IMAGES_SRC = join(REPO_ROOT, 'images');

/**
 * The cache: --cache-dir, else $TKVM_CACHE_DIR, else .cache/images in the
 * repository (git-ignored).
 */
export function cacheDir(option?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (option) return resolve(option);
  if (env.TKVM_CACHE_DIR) return resolve(env.TKVM_CACHE_DIR);
  return join(REPO_ROOT, '.cache', 'images');
}
