// Where the image builder finds its inputs and keeps its cache.

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root, or the installed package's directory: the nearest
 * directory above this code with a package.json. This code runs from
 * dist/src/cli/images, or bundled into the command (dist/src/cli), so its
 * depth below the root is not fixed.
 */
export const REPO_ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));

function packageRoot(from: string): string {
  for (let d = from; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) throw new Error(`no package.json above ${from}`);
  }
}

/** The committed inputs: config fragments, the init script, test programs. */
export const IMAGES_SRC = join(REPO_ROOT, 'images');

/**
 * The cache: --cache-dir, else $TKVM_CACHE_DIR, else .cache/images in the
 * repository (git-ignored); for an installed package (in a node_modules
 * directory, which npm may replace at any time) the user's cache directory,
 * $XDG_CACHE_HOME/tkvm/images or ~/.cache/tkvm/images.
 */
export function cacheDir(option?: string, env: NodeJS.ProcessEnv = process.env, root = REPO_ROOT): string {
  if (option) return resolve(option);
  if (env.TKVM_CACHE_DIR) return resolve(env.TKVM_CACHE_DIR);
  if (root.split(/[\\/]/).includes('node_modules')) {
    return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'tkvm', 'images');
  }
  return join(root, '.cache', 'images');
}
