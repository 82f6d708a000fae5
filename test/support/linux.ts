// Helpers for the tests that boot the Linux images in tkvm.
//
// Building the images takes minutes, so `npm test` does not build them: the
// tests use them when they are cached for the current inputs (CI builds them
// first with `npm run images:linux`) and skip loudly otherwise.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedLinux, type LinuxImages } from '../../src/cli/images/linux.js';
import { cacheDir } from '../../src/cli/images/paths.js';
import { CLI } from './host.js';
import { ConsoleProcess } from './qemu-console.js';

/** The prompt of the initramfs's shell (images/initramfs/init). */
export const PROMPT = /tkvm:[^\n#]*# $/m;
/** The banner /init prints before starting the shell. */
export const BANNER = /^tkvm guest: Linux 6\.1\.\d+ ppc, BusyBox initramfs/m;

export const MACHINE = ['-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic'];

export function requireLinuxImages(t: { skip: (msg: string) => void }): LinuxImages | null {
  const images = cachedLinux(cacheDir());
  if (images) return images;
  const msg = '!!! THE LINUX IMAGES ARE NOT BUILT for the current inputs: this test did NOT run (run: npm run images:linux) !!!';
  process.stderr.write(`\n${msg}\n`);
  t.skip(msg);
  return null;
}

/** The directory of the static test programs the initramfs has in /tests (the same binaries). */
export function testBinaries(images: LinuxImages): string {
  return join(cacheDir(), 'linux', `tests-${images.keys.tests}`);
}

/** user + system CPU seconds a live process has used (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A tkvm process driven through its console, like a person at the terminal. */
export class TkvmConsole extends ConsoleProcess {
  constructor(args: string[]) {
    super([process.execPath, [CLI, 'run', ...args]]);
  }

  /**
   * Boot to the shell. Then a wide terminal, so that the shell does not wrap
   * long command lines, and only emergency kernel messages on the console, so
   * that they do not mix with the commands' output.
   */
  async shell(timeoutMs = 120_000): Promise<{ banner: number; prompt: number }> {
    const banner = await this.expect(BANNER, timeoutMs);
    const prompt = await this.expect(PROMPT, timeoutMs);
    await this.run('stty cols 1000 rows 50; dmesg -n 1');
    return { banner: banner.ms, prompt: prompt.ms };
  }

  /**
   * At the prompt: type a one-line command, wait for the next prompt, and
   * return what the command printed and its exit status.
   */
  async run(cmd: string, timeoutMs = 60_000): Promise<{ out: string; status: number }> {
    this.send(`${cmd}; echo "@@$?@@"\n`);
    const m = await this.expect(/@@\$\?@@"\n([^]*?)^@@(\d+)@@\n/m, timeoutMs);
    await this.expect(PROMPT, timeoutMs);
    return { out: m.match[1], status: Number(m.match[2]) };
  }
}
