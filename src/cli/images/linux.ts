// `tkvm images linux`: a Linux 6.1 kernel and a BusyBox initramfs for the
// ppce500 board with an e500mc core, built from Debian's source packages with
// the project's own configuration (images/), and cached by a hash of their
// inputs.
//
// Five products, each in its own cache directory named by its key:
//   kernel     vmlinux from linux-source-6.1: tinyconfig + images/linux/e500mc.config
//   uimage     the same kernel as a U-Boot legacy image (mkimage), for bootm
//   busybox    static BusyBox from Debian's source: defconfig + images/busybox/busybox.config
//   tests      static test programs from images/tests/*.c
//   initramfs  gzip'd newc cpio: images/initramfs/init, BusyBox, /tests
// A product is rebuilt only when its key changes; the kernel and BusyBox
// object directories are kept per source version, so a config change
// rebuilds incrementally.

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseElf } from '../../vmm/loaders/elf.js';
import { candidateSource, ensurePackages, installedVersion, requireApt, SourceApt } from './apt.js';
import { cacheKey, safeName } from './cachekey.js';
import { applyConfigFragment, configMismatches, parseConfigFragment, parseDotConfig } from './config.js';
import { packCpio, type CpioEntry } from './cpio.js';
import { ImagesError, Progress, query, runLogged } from './host.js';
import { IMAGES_SRC } from './paths.js';

export const LINUX_SOURCE_PACKAGE = 'linux-source-6.1';
const LINUX_TARBALL = '/usr/src/linux-source-6.1.tar.xz';
/** The binary package whose source package is built (apt maps it to its source name and version). */
export const BUSYBOX_PACKAGE = 'busybox';
const CROSS = 'powerpc-linux-gnu-';

/**
 * What a fresh Debian 12 machine needs for the build, and why. (No
 * libssl-dev or libelf-dev: without modules, module signing or BTF the
 * kernel build does not use them; no cpio: the initramfs is packed here.)
 */
export const BUILD_PACKAGES: readonly string[] = [
  LINUX_SOURCE_PACKAGE, // the kernel source tarball
  'gcc-powerpc-linux-gnu', 'binutils-powerpc-linux-gnu', // the cross toolchain
  'libc6-dev-powerpc-cross', // static glibc for BusyBox and the test programs
  'gcc', 'libc6-dev', 'make', // host tools: Kconfig, fixdep, the build itself
  'bc', 'flex', 'bison', // the kernel build's own generators
  'xz-utils', 'bzip2', // the kernel tarball and BusyBox's upstream tarball
  'dpkg-dev', // dpkg-source: `apt-get source` unpacks and patches with it
  'u-boot-tools', // mkimage, for the uImage
];

/**
 * Recipe versions: bump one when changing how that product is built (flags,
 * steps, layout) so that caches built the old way are not reused.
 */
export const RECIPES = { kernel: 1, uimage: 1, busybox: 1, tests: 1, initramfs: 1 } as const;

/** Everything that determines the outputs. */
export interface LinuxInputs {
  linuxVersion: string;
  busyboxSource: { name: string; version: string };
  /** The cross toolchain's identity: first lines of gcc's and ld's --version. */
  toolchain: string;
  libcVersion: string;
  mkimageVersion: string;
  kernelFragment: string;
  busyboxFragment: string;
  init: string;
  /** Test program sources by file name. */
  tests: Record<string, string>;
}

export interface LinuxKeys {
  kernel: string;
  uimage: string;
  busybox: string;
  tests: string;
  initramfs: string;
}

/** The cache keys of the five products (pure: the same inputs give the same keys). */
export function linuxKeys(i: LinuxInputs): LinuxKeys {
  const kernel = cacheKey({
    recipe: String(RECIPES.kernel), linux: i.linuxVersion, toolchain: i.toolchain, fragment: i.kernelFragment,
  });
  const uimage = cacheKey({ recipe: String(RECIPES.uimage), kernel, mkimage: i.mkimageVersion });
  const busybox = cacheKey({
    recipe: String(RECIPES.busybox), source: `${i.busyboxSource.name} ${i.busyboxSource.version}`,
    toolchain: i.toolchain, libc: i.libcVersion, fragment: i.busyboxFragment,
  });
  const testInputs: Record<string, string> = {};
  for (const [name, text] of Object.entries(i.tests)) testInputs[`file:${name}`] = text;
  const tests = cacheKey({ ...testInputs, recipe: String(RECIPES.tests), toolchain: i.toolchain, libc: i.libcVersion });
  const initramfs = cacheKey({ recipe: String(RECIPES.initramfs), busybox, tests, init: i.init });
  return { kernel, uimage, busybox, tests, initramfs };
}

export interface LinuxImages {
  vmlinux: string;
  initramfs: string;
  uimage: string;
  keys: LinuxKeys;
}

export function linuxPaths(cache: string, keys: LinuxKeys): LinuxImages {
  const dir = (what: keyof LinuxKeys): string => join(cache, 'linux', `${what}-${keys[what]}`);
  return {
    vmlinux: join(dir('kernel'), 'vmlinux'),
    initramfs: join(dir('initramfs'), 'initramfs.cpio.gz'),
    uimage: join(dir('uimage'), 'uImage'),
    keys,
  };
}

const readText = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new ImagesError(`cannot read ${path}`);
  }
};

/** The committed inputs under images/. */
export function readSources(src = IMAGES_SRC): Pick<LinuxInputs, 'kernelFragment' | 'busyboxFragment' | 'init' | 'tests'> {
  const testsDir = join(src, 'tests');
  const tests: Record<string, string> = {};
  for (const f of readdirSync(testsDir).sort()) {
    if (/\.(c|h)$/.test(f)) tests[f] = readText(join(testsDir, f));
  }
  return {
    kernelFragment: readText(join(src, 'linux', 'e500mc.config')),
    busyboxFragment: readText(join(src, 'busybox', 'busybox.config')),
    init: readText(join(src, 'initramfs', 'init')),
    tests,
  };
}

function firstLine(cmd: string, args: string[]): string | null {
  const out = query(cmd, args);
  return out === null ? null : out.split('\n')[0].trim();
}

/**
 * Reads every input: the committed files and the versions of the packages
 * (the source packages, toolchain, libc and mkimage). Returns null when a
 * tool or package is missing (nothing can be cached then).
 */
export function readInputs(): LinuxInputs | null {
  const linuxVersion = installedVersion(LINUX_SOURCE_PACKAGE);
  const busyboxSource = candidateSource(BUSYBOX_PACKAGE);
  const gcc = firstLine(`${CROSS}gcc`, ['--version']);
  const ld = firstLine(`${CROSS}ld`, ['--version']);
  const libcVersion = installedVersion('libc6-dev-powerpc-cross');
  const mkimageVersion = installedVersion('u-boot-tools');
  if (!linuxVersion || !busyboxSource || !gcc || !ld || !libcVersion || !mkimageVersion) return null;
  return { linuxVersion, busyboxSource, toolchain: `${gcc}\n${ld}`, libcVersion, mkimageVersion, ...readSources() };
}

/** The cached images for the current inputs, or null when any is missing. */
export function cachedLinux(cache: string): LinuxImages | null {
  const inputs = readInputs();
  if (!inputs) return null;
  const paths = linuxPaths(cache, linuxKeys(inputs));
  return [paths.vmlinux, paths.initramfs, paths.uimage].every((p) => existsSync(p)) ? paths : null;
}

/** Builds `dir` through `dir.tmp`, so that a directory that exists is complete. */
async function produce(dir: string, fn: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await fn(tmp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

export interface BuildOptions {
  jobs?: number;
}

/** A fixed identity and date for the kernel's and BusyBox's banners, so rebuilds print the same. */
const REPRODUCIBLE_ENV = {
  KBUILD_BUILD_USER: 'tkvm', KBUILD_BUILD_HOST: 'tkvm', KBUILD_BUILD_VERSION: '1',
  KBUILD_BUILD_TIMESTAMP: 'Thu Jan  1 00:00:00 UTC 1970', SOURCE_DATE_EPOCH: '0', LC_ALL: 'C',
};

export async function buildLinux(cache: string, progress: Progress, opts: BuildOptions = {}): Promise<LinuxImages> {
  requireApt('building the Linux images');
  const jobs = opts.jobs ?? availableParallelism();
  const logs = join(cache, 'logs');
  await ensurePackages(progress, join(logs, 'linux-packages.log'), BUILD_PACKAGES);
  const inputs = readInputs();
  if (!inputs) throw new ImagesError('the build tools are installed but cannot be queried (cross gcc, ld, dpkg)');
  const keys = linuxKeys(inputs);
  const out = linuxPaths(cache, keys);
  const base = join(cache, 'linux');
  const dir = (what: keyof LinuxKeys): string => join(base, `${what}-${keys[what]}`);
  const logFor = (what: keyof LinuxKeys): string => join(logs, `linux-${what}-${keys[what]}.log`);
  const env = { ...process.env, ...REPRODUCIBLE_ENV };
  const make = (srcDir: string, objDir: string, targets: string[], log: string, what: string, input?: string): Promise<void> =>
    runLogged(progress, log, 'make', ['-C', srcDir, `O=${objDir}`, 'ARCH=powerpc', `CROSS_COMPILE=${CROSS}`, `-j${jobs}`, ...targets],
      { env, what, input });

  const steps: [keyof LinuxKeys, string, () => Promise<void>][] = [
    ['kernel', `kernel: Linux ${inputs.linuxVersion}`, async () => {
      const src = await unpackLinux(base, inputs.linuxVersion, progress, logFor('kernel'));
      const obj = join(base, 'build', `linux-${safeName(inputs.linuxVersion)}`);
      mkdirSync(obj, { recursive: true });
      const log = logFor('kernel');
      const fragment = parseConfigFragment(inputs.kernelFragment, 'images/linux/e500mc.config');
      await make(src, obj, ['tinyconfig'], log, 'make tinyconfig');
      writeFileSync(join(obj, '.config'), applyConfigFragment(readFileSync(join(obj, '.config'), 'utf8'), fragment));
      await make(src, obj, ['olddefconfig'], log, 'make olddefconfig');
      checkConfig(fragment, join(obj, '.config'), 'images/linux/e500mc.config', log);
      await make(src, obj, ['vmlinux'], log, 'make vmlinux');
      await produce(dir('kernel'), async (tmp) => {
        for (const f of ['vmlinux', 'System.map']) copyFileSync(join(obj, f), join(tmp, f));
        copyFileSync(join(obj, '.config'), join(tmp, 'config'));
      });
    }],
    ['uimage', 'uImage', async () => {
      await produce(dir('uimage'), (tmp) => makeUimage(out.vmlinux, inputs.linuxVersion, tmp, progress, logFor('uimage')));
    }],
    ['busybox', `busybox: ${inputs.busyboxSource.name} ${inputs.busyboxSource.version}`, async () => {
      const log = logFor('busybox');
      const src = await unpackBusybox(cache, inputs.busyboxSource, progress, log);
      const obj = join(base, 'build', `busybox-${safeName(inputs.busyboxSource.version)}`);
      mkdirSync(obj, { recursive: true });
      const fragment = parseConfigFragment(inputs.busyboxFragment, 'images/busybox/busybox.config');
      await make(src, obj, ['defconfig'], log, 'make defconfig');
      writeFileSync(join(obj, '.config'), applyConfigFragment(readFileSync(join(obj, '.config'), 'utf8'), fragment));
      // BusyBox's Kconfig has no olddefconfig: answer oldconfig's questions with their defaults.
      await make(src, obj, ['oldconfig'], log, 'make oldconfig', '\n'.repeat(5000));
      checkConfig(fragment, join(obj, '.config'), 'images/busybox/busybox.config', log);
      await make(src, obj, ['busybox', 'busybox.links'], log, 'make busybox');
      await produce(dir('busybox'), async (tmp) => {
        for (const f of ['busybox', 'busybox.links']) copyFileSync(join(obj, f), join(tmp, f));
        copyFileSync(join(obj, '.config'), join(tmp, 'config'));
      });
    }],
    ['tests', 'test programs', async () => {
      await produce(dir('tests'), async (tmp) => {
        for (const name of testPrograms(inputs.tests)) {
          await runLogged(progress, logFor('tests'), `${CROSS}gcc`, [...TEST_CFLAGS, '-o', join(tmp, name), join(IMAGES_SRC, 'tests', `${name}.c`), '-lm'],
            { what: `${CROSS}gcc ${name}.c`, env });
        }
      });
    }],
    ['initramfs', 'initramfs', async () => {
      await produce(dir('initramfs'), async (tmp) => {
        const cpio = initramfsEntries(inputs.init, dir('busybox'), dir('tests'), testPrograms(inputs.tests));
        writeFileSync(join(tmp, 'initramfs.cpio.gz'), gzipSync(packCpio(cpio), { level: 9 }));
      });
    }],
  ];
  let n = 0;
  for (const [what, label, build] of steps) {
    n++;
    if (existsSync(dir(what))) {
      progress.info(`[${n}/${steps.length}] ${label}: cached (${keys[what]})`);
      continue;
    }
    await progress.step(`[${n}/${steps.length}] ${label} (${keys[what]}; log: ${logFor(what)})`, build);
  }
  return out;
}

function checkConfig(fragment: ReturnType<typeof parseConfigFragment>, dotConfig: string, name: string, log: string): void {
  const bad = configMismatches(fragment, parseDotConfig(readFileSync(dotConfig, 'utf8')));
  if (bad.length > 0) {
    throw new ImagesError(`${name}: Kconfig did not keep ${bad.join(', ')} (a dependency is missing?); see ${log}`);
  }
}

/** The kernel source tree for a version, unpacked from Debian's tarball once. */
async function unpackLinux(base: string, version: string, progress: Progress, log: string): Promise<string> {
  const dir = join(base, 'src', `linux-${safeName(version)}`);
  if (existsSync(dir)) return dir;
  await progress.step(`unpacking ${basename(LINUX_TARBALL)}`, () => produce(dir, async (tmp) => {
    await runLogged(progress, log, 'tar', ['-xJf', LINUX_TARBALL, '-C', tmp, '--strip-components=1'], { what: `tar -xJf ${LINUX_TARBALL}` });
  }));
  return dir;
}

/** BusyBox's Debian source package (patches applied), fetched with apt-get source once per version. */
async function unpackBusybox(cache: string, source: { name: string; version: string }, progress: Progress, log: string): Promise<string> {
  const dir = join(cache, 'linux', 'src', `${source.name}-${safeName(source.version)}`);
  if (existsSync(dir)) return dir;
  await progress.step(`apt-get source ${source.name}=${source.version}`, async () => {
    const tmp = `${dir}.download`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    await new SourceApt(join(cache, 'apt')).source(progress, log, source.name, source.version, tmp);
    const unpacked = readdirSync(tmp, { withFileTypes: true }).filter((d) => d.isDirectory());
    if (unpacked.length !== 1) throw new ImagesError(`apt-get source ${source.name} did not unpack one directory; see ${log}`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(tmp, unpacked[0].name), dir);
    rmSync(tmp, { recursive: true, force: true });
  });
  return dir;
}

const TEST_CFLAGS = ['-static', '-s', '-O2', '-Wall', '-Wextra', '-Werror'];

/** The test programs: one per .c file (headers are shared). */
export function testPrograms(tests: Record<string, string>): string[] {
  return Object.keys(tests).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2)).sort();
}

/**
 * The uImage: the kernel's loadable bytes (objcopy -O binary), gzip'd, with a
 * legacy U-Boot header whose load and entry addresses are the physical ones.
 */
async function makeUimage(vmlinux: string, linuxVersion: string, tmp: string, progress: Progress, log: string): Promise<void> {
  const elf = parseElf(new Uint8Array(readFileSync(vmlinux)), 'vmlinux');
  const first = elf.segments[0];
  const entry = elf.entry - first.vaddr + first.paddr;
  const bin = join(tmp, 'vmlinux.bin');
  await runLogged(progress, log, `${CROSS}objcopy`, ['-O', 'binary', vmlinux, bin], { what: 'objcopy -O binary vmlinux' });
  writeFileSync(`${bin}.gz`, gzipSync(readFileSync(bin), { level: 9 }));
  rmSync(bin);
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  await runLogged(progress, log, 'mkimage', ['-A', 'powerpc', '-O', 'linux', '-T', 'kernel', '-C', 'gzip',
    '-a', hex(elf.low), '-e', hex(entry), '-n', `Linux ${linuxVersion} tkvm`, '-d', `${bin}.gz`, join(tmp, 'uImage')],
  // SOURCE_DATE_EPOCH: mkimage stamps the header with it instead of the time of the build.
  { what: 'mkimage', env: { ...process.env, ...REPRODUCIBLE_ENV } });
  rmSync(`${bin}.gz`);
}

/** The initramfs: a directory skeleton, /dev/console, BusyBox and its links, the test programs, /init. */
export function initramfsEntries(init: string, busyboxDir: string, testsDir: string, tests: string[]): CpioEntry[] {
  const entries: CpioEntry[] = [];
  const dirs = new Set<string>();
  const dir = (path: string, mode = 0o755): void => {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (!dirs.has(p)) {
        dirs.add(p);
        entries.push({ path: p, type: 'dir', mode: p === path ? mode : 0o755 });
      }
    }
  };
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'etc', 'mnt', 'tests']) dir(d);
  dir('tmp', 0o1777);
  dir('root', 0o700);
  // The kernel opens /dev/console for init before anything can mount devtmpfs.
  entries.push({ path: 'dev/console', type: 'char', mode: 0o600, major: 5, minor: 1 });
  entries.push({ path: 'init', type: 'file', mode: 0o755, data: new TextEncoder().encode(init) });
  entries.push({ path: 'bin/busybox', type: 'file', mode: 0o755, data: new Uint8Array(readFileSync(join(busyboxDir, 'busybox'))) });
  const links = readFileSync(join(busyboxDir, 'busybox.links'), 'utf8').split('\n').map((l) => l.trim().replace(/^\/+/, '')).filter((l) => l !== '');
  for (const link of links.sort()) {
    if (link === 'bin/busybox') continue;
    dir(link.slice(0, link.lastIndexOf('/')));
    entries.push({ path: link, type: 'symlink', target: '/bin/busybox' });
  }
  for (const t of tests) {
    entries.push({ path: `tests/${t}`, type: 'file', mode: 0o755, data: new Uint8Array(readFileSync(join(testsDir, t))) });
  }
  return entries;
}
