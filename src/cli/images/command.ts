// `tkvm images uboot|linux`: argument handling and output. Paths of the
// images go to stdout, one per line; progress and errors go to stderr.

import { UsageError } from '../args.js';
import { ImagesError, Progress } from './host.js';
import { buildLinux, cachedLinux } from './linux.js';
import { cacheDir } from './paths.js';
import { cachedUboot, fetchUboot } from './uboot.js';

export const IMAGES_USAGE = `usage: tkvm images uboot [--cache-dir DIR] [--check] [--quiet]
       tkvm images linux [--cache-dir DIR] [--check] [--quiet] [-j N]
  uboot   fetch Debian's U-Boot for ppce500 (u-boot-qemu) into the cache;
          prints the paths of u-boot.bin and uboot.elf
  linux   build vmlinux, initramfs.cpio.gz and uImage (installs missing
          Debian packages when run as root); prints their paths
  --check      build nothing: print the paths if cached, else fail
  --cache-dir  the cache (default: $TKVM_CACHE_DIR, else .cache/images in the repository)
  -j N         parallel jobs for make (default: the number of CPUs)`;

export interface ImagesArgs {
  what: 'uboot' | 'linux';
  cacheDir?: string;
  check: boolean;
  quiet: boolean;
  jobs?: number;
}

export function parseImagesArgs(argv: readonly string[]): ImagesArgs {
  const [what, ...rest] = argv;
  if (what === undefined) throw new UsageError(`images: what to make? (uboot or linux)\n${IMAGES_USAGE}`);
  if (what !== 'uboot' && what !== 'linux') throw new UsageError(`images: unknown image '${what}' (uboot or linux)`);
  const a: ImagesArgs = { what, check: false, quiet: false };
  for (let i = 0; i < rest.length; i++) {
    const raw = rest[i];
    // --name=value, -jN, or the value in the next argument.
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const attachedJ = /^-j./.test(raw);
    const flag = eq > 0 ? raw.slice(0, eq) : attachedJ ? '-j' : raw;
    const value = (): string => {
      if (eq > 0) return raw.slice(eq + 1);
      if (attachedJ) return raw.slice(2);
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`option ${flag} needs an argument`);
      return v;
    };
    switch (flag) {
      case '--cache-dir': a.cacheDir = value(); break;
      case '--check': a.check = true; break;
      case '--quiet': case '-q': a.quiet = true; break;
      case '-j': case '--jobs': {
        if (what !== 'linux') throw new UsageError(`option ${flag} is for 'images linux' only`);
        const v = value();
        if (!/^[1-9]\d{0,2}$/.test(v)) throw new UsageError(`invalid job count '${v}' (1 to 999)`);
        a.jobs = Number(v);
        break;
      }
      default:
        throw new UsageError(raw.startsWith('-') ? `unknown option '${raw}'` : `unexpected argument '${raw}'`);
    }
  }
  return a;
}

export async function imagesCommand(argv: readonly string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(IMAGES_USAGE + '\n');
    return 0;
  }
  const a = parseImagesArgs(argv);
  const cache = cacheDir(a.cacheDir);
  const progress = new Progress(process.stderr, a.quiet);
  let paths: string[];
  if (a.what === 'uboot') {
    const u = a.check ? cachedUboot(cache) : await fetchUboot(cache, progress);
    if (!u) throw new ImagesError(`U-Boot is not in the cache ${cache} (run: tkvm images uboot)`);
    paths = [u.bin, u.elf];
  } else {
    const l = a.check ? cachedLinux(cache) : await buildLinux(cache, progress, { jobs: a.jobs });
    if (!l) throw new ImagesError(`the Linux images for the current inputs are not in the cache ${cache} (run: tkvm images linux)`);
    paths = [l.vmlinux, l.initramfs, l.uimage];
  }
  process.stdout.write(paths.join('\n') + '\n');
  return 0;
}
