// Cache keys: a hash of everything that goes into a build product. Two
// builds with the same key would produce the same output, so a cached output
// under that key makes the build a no-op; any change to an input (a config
// line, a package upgrade, the recipe) gives a new key and a rebuild.

import { createHash } from 'node:crypto';

export type KeyInputs = Record<string, string | Uint8Array>;

/**
 * A 16-hex-digit key for a set of named inputs. Names are sorted and each
 * name and value is length-prefixed, so the key does not depend on the order
 * the inputs are listed in, and no two different input sets can run together
 * into the same byte stream.
 */
export function cacheKey(inputs: KeyInputs): string {
  const h = createHash('sha256');
  for (const name of Object.keys(inputs).sort()) {
    const v = inputs[name];
    const bytes = typeof v === 'string' ? new TextEncoder().encode(v) : v;
    h.update(`${name.length}:${name}:${bytes.length}:`);
    h.update(bytes);
  }
  return h.digest('hex').slice(0, 16);
}

/** A version string made safe for a directory name ("1:1.35.0-4+deb12u1" -> "1_1.35.0-4+deb12u1"). */
export function safeName(version: string): string {
  if (version === '') throw new Error('empty version');
  return version.replace(/[^A-Za-z0-9.+~-]/g, '_');
}
