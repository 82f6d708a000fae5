// The Linux guest images: the test programs under qemu-user on the host, and
// the built kernel + initramfs in QEMU's ppce500, directly and through U-Boot.
//
// Building the images takes minutes, so `npm test` does not build them: it
// uses them when they are cached for the current inputs (CI builds them
// first with `npm run images:linux`) and skips loudly otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedLinux, readSources, testPrograms, type LinuxImages } from '../src/cli/images/linux.js';
import { cacheDir, IMAGES_SRC } from '../src/cli/images/paths.js';
import { cachedUboot } from '../src/cli/images/uboot.js';
import { requireTool, requireQemu } from './support/host.js';
import { QemuConsole } from './support/qemu-console.js';
import { QEMU_USER } from '../src/platform/node/qemu.js';
import { CPU_PROGRAM } from '../bench/cpu.js';

const PROGRAMS = testPrograms(readSources().tests);
const expected = (name: string): string => readFileSync(join(IMAGES_SRC, 'tests', `${name}.expected`), 'utf8');
const PROMPT = /tkvm:\/root# $/m;

function requireImages(t: { skip: (msg: string) => void }): LinuxImages | null {
  if (!requireQemu(t)) return null;
  const images = cachedLinux(cacheDir());
  if (images) return images;
  const msg = `!!! THE LINUX IMAGES ARE NOT BUILT for the current inputs: this test did NOT run (run: npm run images:linux) !!!`;
  process.stderr.write(`\n${msg}\n`);
  t.skip(msg);
  return null;
}

test('every test program has its expected output, the benchmark\'s program too', () => {
  // `npm run bench -- cpu` runs it at the shell: so it is checked with the
  // others, here under qemu-ppc-static, below in QEMU and in
  // test/linux-session.test.ts in tkvm.
  assert.ok(PROGRAMS.includes(CPU_PROGRAM), `${CPU_PROGRAM} is one of ${PROGRAMS.join(', ')}`);
  for (const name of PROGRAMS) assert.match(expected(name), new RegExp(`^== ${name}\\n[^]*^== ${name}: ok\\n$`, 'm'), name);
});

test('the test programs print their expected output under qemu-ppc-static -cpu e500mc', (t) => {
  if (!requireTool(t, 'powerpc-linux-gnu-gcc') || !requireTool(t, QEMU_USER)) return;
  const dir = mkdtempSync(join(tmpdir(), 'tkvm-tests-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of PROGRAMS) {
    const exe = join(dir, name);
    const cc = spawnSync('powerpc-linux-gnu-gcc', ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-o', exe,
      join(IMAGES_SRC, 'tests', `${name}.c`), '-lm'], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const r = spawnSync(QEMU_USER, ['-cpu', 'e500mc', exe], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.stdout, expected(name), `${name} under qemu-ppc-static`);
    assert.equal(r.status, 0, `${name} exit status`);
  }
});

/** The output of each test program, from its "== name" line to its "== name: ok|FAILED" line. */
function programOutputs(console: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of PROGRAMS) {
    const m = new RegExp(`^== ${name}\\n[^]*?^== ${name}: \\w+\\n`, 'm').exec(console);
    if (m) out.set(name, m[0]);
  }
  return out;
}

/**
 * Boots to the shell, runs every test program, checks that Ctrl-C reaches a
 * foreground job, and powers off. Returns the times to the banner and prompt.
 */
async function session(qemuArgs: string[]): Promise<{ banner: number; prompt: number; console: string }> {
  const q = new QemuConsole(['-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic', '-no-reboot', ...qemuArgs]);
  try {
    const banner = await q.expect(/^tkvm guest: Linux 6\.1\.\d+ ppc, BusyBox initramfs/m, 90_000);
    const prompt = await q.expect(PROMPT, 30_000);
    q.send('for t in /tests/*; do $t; done\n');
    await q.expect(new RegExp(`== ${PROGRAMS[PROGRAMS.length - 1]}: \\w+\\n[^]*${PROMPT.source}`, 'm'), 60_000);
    // Job control: Ctrl-C interrupts the foreground job (status 130), not the shell.
    // The job says when it runs (it is in the foreground process group by
    // then), so that Ctrl-C cannot reach the shell before the job starts.
    q.send("sh -c 'echo sleeping; exec sleep 30'\n");
    await q.expect(/^sleeping$/m, 30_000);
    q.send('\x03');
    // The terminal discards typed-ahead input on Ctrl-C: wait for the new prompt.
    await q.expect(PROMPT, 30_000);
    q.send('echo "status $?"\n');
    await q.expect(/^status 130$/m, 30_000);
    q.send('sleep 60 & jobs\n');
    await q.expect(/^\[1\]\+\s+Running\s+sleep 60$/m, 30_000);
    // SIGKILL: a SIGTERM can arrive before the forked child has stopped
    // ignoring it as the interactive shell does, and then sleep runs on.
    q.send('kill -KILL %1; wait\n');
    await q.expect(/^\[1\]\+\s+Killed\s+sleep 60$/m, 30_000);
    q.send('poweroff\n');
    const code = await q.waitExit(30_000);
    assert.equal(code, 0, `QEMU's exit status after poweroff\n${q.output.slice(-800)}`);
    assert.match(q.output, /reboot: Power down/);
    return { banner: banner.ms, prompt: prompt.ms, console: q.output };
  } finally {
    q.kill();
  }
}

function checkPrograms(console: string): void {
  const got = programOutputs(console);
  for (const name of PROGRAMS) assert.equal(got.get(name), expected(name), `${name} in the guest`);
}

test('Linux boots in QEMU to an interactive shell; test programs match qemu-user; poweroff exits 0', async (t) => {
  const images = requireImages(t);
  if (!images) return;
  const r = await session(['-kernel', images.vmlinux, '-initrd', images.initramfs, '-append', 'console=ttyS0']);
  checkPrograms(r.console);
  process.stderr.write(`  (QEMU -kernel vmlinux: banner ${r.banner} ms, shell prompt ${r.prompt} ms after process start)\n`);
});

test('through U-Boot: bootm of the uImage, with the initrd QEMU puts in the device tree', async (t) => {
  const images = requireImages(t);
  if (!images) return;
  const uboot = cachedUboot(cacheDir());
  if (!uboot) {
    const msg = '!!! U-BOOT IS NOT FETCHED: this test did NOT run (run: node dist/src/cli/tkvm.cjs images uboot) !!!';
    process.stderr.write(`\n${msg}\n`);
    t.skip(msg);
    return;
  }
  const r = await session(['-bios', uboot.elf, '-kernel', images.uimage, '-initrd', images.initramfs, '-append', 'console=ttyS0']);
  assert.match(r.console, /Booting kernel from Legacy Image/);
  assert.match(r.console, /Found initrd at/);
  checkPrograms(r.console);
  process.stderr.write(`  (QEMU -bios uboot.elf -kernel uImage: banner ${r.banner} ms, shell prompt ${r.prompt} ms after process start)\n`);
});
