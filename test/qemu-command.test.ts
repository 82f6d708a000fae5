// Every QEMU process is started through src/platform/node/qemu.ts, which
// gives QEMU's ppce500 `-nic none` (without it QEMU needs the ROM of a
// package that is only recommended, and fails on a fresh machine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { QEMU_SYSTEM, qemuFailure, qemuSystemArgs } from '../src/platform/node/qemu.js';
import { CLI, ROOT } from './support/host.js';

const HELPER = 'src/platform/node/qemu.ts';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (p.endsWith('.ts') || p.endsWith('.mjs')) out.push(p);
  }
  return out;
}

test('qemuSystemArgs adds -nic none once, keeps it, and refuses a network card', () => {
  assert.deepEqual(qemuSystemArgs(['-M', 'ppce500']), ['-M', 'ppce500', '-nic', 'none']);
  assert.deepEqual(qemuSystemArgs(['-nic', 'none', '-m', '256']), ['-nic', 'none', '-m', '256']);
  assert.throws(() => qemuSystemArgs(['-nic', 'user']), /no network card/);
  assert.throws(() => qemuSystemArgs(['-netdev', 'user,id=n']), /no network card/);
  assert.throws(() => qemuSystemArgs(['-net', 'nic']), /no network card/);
});

test('no source starts QEMU except through src/platform/node/qemu.ts', () => {
  const offenders: string[] = [];
  // A QEMU binary named as a string, or spawned through the constant.
  const named = new RegExp(['([\'"`])qemu-(system-ppc|ppc-static)\\1', 'spawn(Sync)?\\(\\s*QEMU_SYSTEM\\b', 'command -v q' + 'emu'].join('|'));
  for (const top of ['src', 'test', 'bench', 'scripts']) {
    for (const f of sources(join(ROOT, top))) {
      const rel = relative(ROOT, f);
      if (rel === HELPER) continue;
      readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        if (named.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
    }
  }
  assert.deepEqual(offenders, [], 'start QEMU with spawnQemu/spawnQemuSync/qemuCommand from src/platform/node/qemu.ts');
});

test('a QEMU failure is one line with QEMU\'s own message', () => {
  assert.equal(qemuFailure(1, 'qemu-system-ppc: failed to find romfile "efi-virtio.rom"\n'),
    'qemu-system-ppc exited with status 1: failed to find romfile "efi-virtio.rom"');
  assert.equal(qemuFailure(null, ''), 'qemu-system-ppc was killed');
});

test('tkvm lockstep reports a QEMU that fails to start in one line, without waiting for its trace', () => {
  // A stand-in QEMU on PATH that fails as QEMU does without the ROM package.
  const dir = mkdtempSync(join(tmpdir(), 'tkvm-fake-qemu-'));
  try {
    const fake = join(dir, QEMU_SYSTEM);
    writeFileSync(fake, '#!/bin/sh\necho "$*" > "$(dirname "$0")/args"\n' +
      'echo \'qemu-system-ppc: failed to find romfile "efi-virtio.rom"\' >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    const r = spawnSync(process.execPath, [CLI, 'lockstep', '--quiet', '-M', 'ppce500', '-cpu', 'e500mc', '-m', '256',
      '-nographic', '-nic', 'none', '-kernel', join(ROOT, 'guests/bin/hello.elf')], {
      encoding: 'utf8', timeout: 30_000, env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
    });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.equal(r.stdout, 'tkvm: qemu-system-ppc exited with status 1: failed to find romfile "efi-virtio.rom"\n');
    const args = readFileSync(join(dir, 'args'), 'utf8').trim().split(' ');
    assert.ok(args.join(' ').includes('-nic none'), `QEMU's arguments: ${args.join(' ')}`);
    assert.equal(args.filter((a) => a === '-nic').length, 1, 'the -nic none given is passed on once');
    assert.ok(args.includes('-m') && args[args.indexOf('-m') + 1] === '256M');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
