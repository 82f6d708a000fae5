// `tkvm images uboot`: Debian's U-Boot for QEMU's ppce500, fetched without
// root: `apt-get download u-boot-qemu` and `dpkg-deb -x` into the cache, one
// directory per package version. A no-op when that version is unpacked.

import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { candidateVersion, requireApt } from './apt.js';
import { safeName } from './cachekey.js';
import { ImagesError, isRoot, Progress, runLogged } from './host.js';

export const UBOOT_PACKAGE = 'u-boot-qemu';
const BOARD_DIR = 'usr/lib/u-boot/qemu-ppce500';

export interface UbootImages {
  version: string;
  /** The raw image, for `-bios`. */
  bin: string;
  /** The same U-Boot as an ELF, for `-bios` and for debuggers. */
  elf: string;
}

/** Where a given package version is unpacked in the cache. */
export function ubootPaths(cache: string, version: string): UbootImages {
  const root = join(cache, 'uboot', safeName(version));
  return { version, bin: join(root, BOARD_DIR, 'u-boot.bin'), elf: join(root, BOARD_DIR, 'uboot.elf') };
}

const complete = (cache: string, version: string): string => join(cache, 'uboot', `${safeName(version)}.complete`);

/** The cached images for apt's current candidate version, or null when not fetched. */
export function cachedUboot(cache: string): UbootImages | null {
  const version = candidateVersion(UBOOT_PACKAGE);
  if (!version || !existsSync(complete(cache, version))) return null;
  return ubootPaths(cache, version);
}

export async function fetchUboot(cache: string, progress: Progress): Promise<UbootImages> {
  requireApt('fetching U-Boot');
  const version = candidateVersion(UBOOT_PACKAGE);
  if (!version) {
    throw new ImagesError(`apt knows no ${UBOOT_PACKAGE} package (run 'apt-get update' as root)`);
  }
  const paths = ubootPaths(cache, version);
  if (existsSync(complete(cache, version))) {
    progress.info(`${UBOOT_PACKAGE} ${version} is already in the cache`);
    return paths;
  }
  const base = join(cache, 'uboot');
  const tmp = join(base, `${safeName(version)}.tmp`);
  const log = join(cache, 'logs', `uboot-${safeName(version)}.log`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await progress.step(`downloading ${UBOOT_PACKAGE} ${version}`, () => runLogged(progress, log, 'apt-get',
    [...(isRoot() ? ['-o', 'APT::Sandbox::User=root'] : []), 'download', `${UBOOT_PACKAGE}=${version}`],
    { cwd: tmp, what: `apt-get download ${UBOOT_PACKAGE}` }));
  const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
  if (!deb) throw new ImagesError(`apt-get download ${UBOOT_PACKAGE} left no .deb; see ${log}`);
  await progress.step(`unpacking ${deb}`, () => runLogged(progress, log, 'dpkg-deb', ['-x', deb, 'root'],
    { cwd: tmp, what: `dpkg-deb -x ${deb}` }));
  const root = join(base, safeName(version));
  for (const f of [join(tmp, 'root', BOARD_DIR, 'u-boot.bin'), join(tmp, 'root', BOARD_DIR, 'uboot.elf')]) {
    if (!existsSync(f)) throw new ImagesError(`${deb} has no ${f.slice(join(tmp, 'root').length + 1)}`);
  }
  rmSync(root, { recursive: true, force: true });
  renameSync(join(tmp, 'root'), root);
  rmSync(tmp, { recursive: true, force: true });
  writeFileSync(complete(cache, version), `${UBOOT_PACKAGE} ${version}\n`);
  return paths;
}
