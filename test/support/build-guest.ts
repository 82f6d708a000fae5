// Build the bootm test guest (guests/bootm-hello) and wrap it in uImages,
// with the Debian cross compiler and U-Boot's mkimage.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './host.js';


export const CROSS_CC = 'powerpc-linux-gnu-gcc';
export const CROSS_OBJCOPY = 'powerpc-linux-gnu-objcopy';

export interface BuiltGuest {
  dir: string;
  elf: string;
  bin: string;
  /** uImage, uncompressed and gzip-compressed (load and entry 0x100000). */
  uimage: string;
  uimageGz: string;
}

let cached: BuiltGuest | null = null;

/** Compile guests/NAME (start.S, main.c, link.ld) into an ELF in `dir`. */
export function buildGuest(name: string, dir = mkdtempSync(join(tmpdir(), `tkvm-${name}-`))): string {
  const src = join(ROOT, 'guests', name);
  const elf = join(dir, `${name}.elf`);
  execFileSync(CROSS_CC, ['-O2', '-fno-pic', '-fno-pie', '-no-pie', '-nostdlib', '-ffreestanding', '-Wl,--build-id=none',
    '-Wl,--no-warn-rwx-segments', '-T', join(src, 'link.ld'), '-o', elf, join(src, 'start.S'), join(src, 'main.c')]);
  return elf;
}

export function buildBootmGuest(): BuiltGuest {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'tkvm-bootm-'));
  const elf = buildGuest('bootm-hello', dir), bin = join(dir, 'bootm-hello.bin');
  execFileSync(CROSS_OBJCOPY, ['-O', 'binary', elf, bin]);
  const gz = join(dir, 'bootm-hello.bin.gz');
  writeFileSync(gz, gzipSync(readFileSync(bin), { level: 9 }));
  const uimage = join(dir, 'bootm-hello.uimg'), uimageGz = join(dir, 'bootm-hello.gz.uimg');
  const mk = (comp: string, data: string, out: string) => execFileSync('mkimage', ['-q', '-A', 'powerpc', '-O', 'linux', '-T', 'kernel',
    '-C', comp, '-a', '0x100000', '-e', '0x100000', '-n', 'bootm-hello', '-d', data, out], { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
  mk('none', bin, uimage);
  mk('gzip', gz, uimageGz);
  cached = { dir, elf, bin, uimage, uimageGz };
  return cached;
}
