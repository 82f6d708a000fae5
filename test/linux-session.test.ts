// The Linux images in tkvm: a whole interactive session on the serial
// console with virtio disks (one fresh ext2 filesystem made on the host,
// one read-only), the virtio console and entropy source; a reboot; a second
// power-on through U-Boot that finds the data again; a kill of the tkvm
// process after `sync`.
//
// Each boot costs seconds of CPU, so each session does many things.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSources, testPrograms } from '../src/cli/images/linux.js';
import { IMAGES_SRC, cacheDir } from '../src/cli/images/paths.js';
import { cachedUboot } from '../src/cli/images/uboot.js';
import { haveCommand, requireTool } from './support/host.js';
import { MACHINE, PROMPT, TkvmConsole, cpuSeconds, requireLinuxImages, testBinaries } from './support/linux.js';
import { QEMU_USER } from '../src/platform/node/qemu.js';

const PROGRAMS = testPrograms(readSources().tests);
const dir = mkdtempSync(join(tmpdir(), 'tkvm-linux-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

function sh(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** A fresh ext2 filesystem image, made on the host as a user would (no root needed). */
function mkfs(name: string, sizeMb: number): string {
  const f = join(dir, name);
  const r = sh('mke2fs', ['-q', '-t', 'ext2', '-F', f, `${sizeMb}M`]);
  assert.equal(r.status, 0, r.out);
  return f;
}

/** A file's contents in an ext2 image, read on the host with debugfs. */
function debugfsCat(img: string, path: string): string {
  const r = spawnSync('debugfs', ['-R', `cat ${path}`, img], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** The output of each test program, from its "== name" line to its "== name: ok|FAILED" line. */
function programOutputs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of PROGRAMS) {
    const m = new RegExp(`^== ${name}\\n[^]*?^== ${name}: \\w+\\n`, 'm').exec(text);
    if (m) out.set(name, m[0]);
  }
  return out;
}

/** Busybox vi's status line for the new file. */
const VI_SCREEN = /- \/tmp\/v\.txt 1\/1 100%/;

const disks = { rw: '', ro: '', roSha: '', written: false };

test('an interactive session on the serial console: commands, job control, line editing, vi, top, test programs, clock, virtio disks, hvc0, hwrng, reboot, poweroff', async (t) => {
  const images = requireLinuxImages(t);
  if (!images) return;
  if (!requireTool(t, 'mke2fs') || !requireTool(t, 'debugfs') || !requireTool(t, 'e2fsck')) return;
  disks.rw = mkfs('rw.img', 8);
  disks.ro = mkfs('ro.img', 4);
  const w = sh('debugfs', ['-w', '-R', `write ${join(IMAGES_SRC, 'initramfs', 'init')} init.sh`, disks.ro]);
  assert.equal(w.status, 0, w.out);
  disks.roSha = sha(disks.ro);

  const g = new TkvmConsole([...MACHINE, '-kernel', images.vmlinux, '-initrd', images.initramfs, '-append', 'console=ttyS0',
    '-drive', `file=${disks.rw},format=raw,if=virtio`, '-drive', `file=${disks.ro},format=raw,if=virtio,readonly=on`,
    '-device', 'virtio-serial-device', '-device', 'virtio-rng-device']);
  try {
    const boot = await g.shell();
    process.stderr.write(`  (tkvm -kernel vmlinux: banner ${boot.banner} ms, shell prompt ${boot.prompt} ms after process start)\n`);

    // The system.
    let r = await g.run('uname -a');
    assert.match(r.out, /^Linux tkvm 6\.1\.\d+ #\d+ .* ppc GNU\/Linux\n$/);
    r = await g.run('cat /proc/cpuinfo');
    assert.match(r.out, /^processor\s+: 0$/m);
    assert.match(r.out, /^cpu\s+: e500mc$/m);
    assert.match(r.out, /^timebase\s+: 400000000$/m);
    assert.match(r.out, /^platform\s+: QEMU e500$/m);
    r = await g.run('echo $(( (6 * 7) << 2 )) $(( 0x7fffffff + 1 )) $(( -17 / 5 )) $(( -17 % 5 ))');
    assert.equal(r.out, '168 2147483648 -3 -2\n');
    r = await g.run('false');
    assert.equal(r.status, 1);

    // Line editing as on a terminal: "echo abd", cursor left twice (ESC [ D),
    // "x" inserted before "bd", two backspaces (DEL) take "x" and "a", "_c"
    // goes in at the cursor, Ctrl-E moves to the end: "echo _cbd".
    g.send('echo abd\x1b[D\x1b[Dx\x7f\x7f_c\x05; echo "@@$?@@"\n');
    const edited = await g.expect(/^(\S*)\n@@0@@\n/m, 30_000);
    assert.equal(edited.match[1], '_cbd');
    await g.expect(PROMPT, 30_000);

    // Job control: Ctrl-C interrupts the foreground job (status 130), not the shell.
    g.send("sh -c 'echo sleeping; exec sleep 30'\n");
    await g.expect(/^sleeping$/m, 30_000);
    g.send('\x03');
    await g.expect(PROMPT, 30_000);
    r = await g.run('echo "status $?"');
    assert.equal(r.out, 'status 130\n');

    // Full-screen programs: vi edits a file, top draws its screen and quits on q.
    g.send('vi /tmp/v.txt\n');
    await g.expect(VI_SCREEN, 30_000);
    g.send('ihello from vi');
    await g.expect(/hello from vi/, 30_000);
    // A lone ESC: vi tells it from the start of an escape sequence by the
    // pause after it (pacing, not a measurement).
    g.send('\x1b');
    await new Promise((res) => setTimeout(res, 1000));
    g.send(':wq\r');
    await g.expect(PROMPT, 30_000);
    r = await g.run('cat /tmp/v.txt');
    assert.equal(r.out, 'hello from vi\n');
    g.send('top\n');
    await g.expect(/Mem: \d+K used, \d+K free[^]*PID\s+PPID\s+USER\s+STAT/, 30_000);
    g.send('q');
    await g.expect(PROMPT, 30_000);

    // The statically linked test programs print what the same binaries print under qemu-user.
    g.send('for t in /tests/*; do $t; done; echo "@@done@@"\n');
    const progs = await g.expect(/^@@done@@\n/m, 120_000);
    void progs;
    await g.expect(PROMPT, 30_000);
    const got = programOutputs(g.output);
    const haveUser = haveCommand(QEMU_USER);
    if (!haveUser) process.stderr.write('\n!!! qemu-ppc-static IS NOT INSTALLED: guest output compared with images/tests/*.expected only !!!\n');
    for (const name of PROGRAMS) {
      const want = readFileSync(join(IMAGES_SRC, 'tests', `${name}.expected`), 'utf8');
      assert.equal(got.get(name), want, `${name} in tkvm`);
      if (haveUser) {
        const u: { stdout: string } = spawnSync(QEMU_USER, ['-cpu', 'e500mc', join(testBinaries(images), name)], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(got.get(name), u.stdout, `${name}: tkvm against qemu-ppc-static`);
      }
    }

    // Time: the clock was set from the RTC (the host's UTC time) and runs at the host's rate.
    r = await g.run('dmesg | grep rtc');
    assert.match(r.out, /rtc-ds1307 0-0068: setting system clock to \d{4}-/);
    const hostBefore = Date.now() / 1000;
    r = await g.run('date +%s');
    const hostAfter = Date.now() / 1000;
    const guestNow = Number(r.out);
    assert.ok(guestNow >= Math.floor(hostBefore) - 2 && guestNow <= hostAfter + 1, `guest date ${guestNow}, host ${hostBefore}..${hostAfter}`);
    const t0 = Date.now();
    r = await g.run('cat /proc/uptime; sleep 2; cat /proc/uptime');
    const hostSpan = (Date.now() - t0) / 1000;
    const [u0, u1] = r.out.trim().split('\n').map((l) => Number(l.split(' ')[0]));
    assert.ok(u1 - u0 >= 2 && u1 - u0 <= hostSpan + 0.02, `sleep 2 took ${u1 - u0} s of guest time and ${hostSpan} s of host time`);

    // The read-write disk: a fresh ext2 filesystem.
    r = await g.run('cat /sys/block/vda/size /sys/block/vda/ro /sys/block/vdb/ro');
    assert.equal(r.out, '16384\n0\n1\n');
    r = await g.run('mount -t ext2 /dev/vda /mnt && mkdir /mnt/dir && echo persistent-data > /mnt/dir/a.txt && cp /mnt/dir/a.txt /mnt/b.txt && ' +
      'mv /mnt/b.txt /mnt/c.txt && rm /mnt/dir/a.txt && mv /mnt/c.txt /mnt/dir/a.txt && ' +
      'dd if=/dev/urandom of=/mnt/big bs=1024 count=3000 2>/dev/null && md5sum /mnt/big > /mnt/big.md5 && ls --color=never /mnt /mnt/dir');
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /big\s+big\.md5\s+dir\s+lost\+found/);
    r = await g.run('cat /mnt/dir/a.txt; md5sum -c /mnt/big.md5; df -k /mnt | tail -1');
    assert.match(r.out, /^persistent-data\n\/mnt\/big: OK\n\/dev\/vda\s+\d+\s+\d+/);
    r = await g.run('sync && umount /mnt');
    assert.equal(r.status, 0, r.out);

    // The read-only disk: readable; writes fail; the image stays as it was.
    r = await g.run('mkdir /ro && mount -t ext2 /dev/vdb /ro 2>&1; grep vdb /proc/mounts; cmp /ro/init.sh /init && echo same');
    assert.match(r.out, /^\/dev\/vdb \/ro ext[24] ro[,\s]/m);
    assert.match(r.out, /^same$/m);
    r = await g.run('touch /ro/new 2>&1');
    assert.notEqual(r.status, 0);
    assert.match(r.out, /Read-only file system/);
    r = await g.run('umount /ro; dd if=/dev/zero of=/dev/vdb bs=512 count=1 conv=fsync 2>&1');
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /Operation not permitted|Permission denied|Read-only file system|I\/O error/);

    // The virtio console and entropy source.
    r = await g.run('echo via-hvc0 > /dev/hvc0; cat /sys/class/misc/hw_random/rng_current; dd if=/dev/hwrng bs=64 count=1 2>/dev/null | wc -c');
    assert.match(r.out, /^via-hvc0\nvirtio_rng\.\d+\n64\n$/);

    // An idle guest leaves the host idle: the tkvm process sleeps while the
    // guest waits at the prompt (it took 0.02 s of CPU in 10 s when measured).
    const cpu0 = cpuSeconds(g.pid!);
    await new Promise((res) => setTimeout(res, 3000));
    const idleCpu = cpuSeconds(g.pid!) - cpu0;
    assert.ok(idleCpu < 0.5, `tkvm used ${idleCpu} s of CPU in 3 s with the guest idle at the prompt`);
    process.stderr.write(`  (tkvm idle at the prompt: ${idleCpu.toFixed(2)} s of CPU in 3 s)\n`);

    // reboot restarts the machine (the same process); the data is still there.
    g.send('reboot\n');
    await g.expect(/reboot: Restarting system/, 60_000);
    await g.shell();
    r = await g.run('mount -t ext2 /dev/vda /mnt && cat /mnt/dir/a.txt && md5sum -c /mnt/big.md5 && umount /mnt');
    assert.equal(r.out, 'persistent-data\n/mnt/big: OK\n');
    g.send('poweroff\n');
    const code = await g.waitExit(60_000);
    assert.equal(code, 0, `tkvm's exit status after poweroff\n${g.output.slice(-800)}`);
    assert.match(g.output, /reboot: Power down/);
  } finally {
    g.kill();
  }

  // The host sees a clean filesystem with the guest's files; the read-only image is unchanged.
  const fsck = sh('e2fsck', ['-fn', disks.rw]);
  assert.equal(fsck.status, 0, fsck.out);
  assert.equal(debugfsCat(disks.rw, '/dir/a.txt'), 'persistent-data\n');
  assert.equal(sha(disks.ro), disks.roSha, 'the read-only image changed');
  disks.written = true;
});

test('power on again through U-Boot with the shell on hvc0: the data is on the disk; a SIGKILL after sync loses nothing', async (t) => {
  const images = requireLinuxImages(t);
  if (!images) return;
  if (!disks.written) {
    assert.fail('needs the disk that the session test writes, and that test did not get that far');
    return;
  }
  const uboot = cachedUboot(cacheDir());
  const boot = uboot ? ['-bios', uboot.elf, '-kernel', images.uimage] : ['-kernel', images.vmlinux];
  if (!uboot) process.stderr.write('\n!!! U-BOOT IS NOT FETCHED: booting vmlinux directly (run: node dist/src/cli/tkvm.cjs images uboot) !!!\n');
  // This time the kernel's console, and so the shell, is the virtio console:
  // terminal input goes there.
  const g = new TkvmConsole([...MACHINE, ...boot, '-initrd', images.initramfs, '-append', 'console=hvc0',
    '-drive', `if=none,id=disk,file=${disks.rw},format=raw`, '-device', 'virtio-blk-device,drive=disk',
    '-device', 'virtio-serial-device']);
  try {
    await g.shell();
    if (uboot) assert.match(g.output, /Booting kernel from Legacy Image/);
    assert.equal((await g.run('tty')).out, '/dev/hvc0\n');
    let r = await g.run('mount -t ext2 /dev/vda /mnt && cat /mnt/dir/a.txt && md5sum -c /mnt/big.md5');
    assert.equal(r.out, 'persistent-data\n/mnt/big: OK\n');
    r = await g.run('seq 1 20000 > /mnt/seq.txt && echo second-boot >> /mnt/dir/a.txt && sync && echo synced');
    assert.match(r.out, /^synced$/m);
  } finally {
    g.kill(); // SIGKILL: no unmount, no chance to write anything more.
  }
  await g.exit;
  assert.equal(debugfsCat(disks.rw, '/dir/a.txt'), 'persistent-data\nsecond-boot\n');
  const seq = debugfsCat(disks.rw, '/seq.txt');
  assert.equal(seq, Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join(''));
  // Killed while mounted: the superblock's free block and inode totals are
  // the ones of the last unmount (the kernel keeps them in memory while
  // mounted; e2fsck counts them again); anything else would be damage.
  const fsck = sh('e2fsck', ['-fn', disks.rw]);
  const rest = fsck.out.replace(/^Free (blocks|inodes) count wrong \(\d+, counted=\d+\)\.\nFix\? no\n/gm, '');
  assert.doesNotMatch(rest, /Fix\? no|Inode .* has|differences|wrong/i, fsck.out);
  assert.match(rest, /Pass 5: Checking group summary information\n\s*\S+rw\.img: \d+\/\d+ files/, fsck.out);
});
