// QEMU, the reference machine: every QEMU process tkvm starts (the lockstep
// tool, the benchmarks, the tests) gets its command line from here, so that
// no caller can forget what the comparison needs.
//
// `-nic none`: without it QEMU's ppce500 adds a virtio-net-pci card, whose
// option ROM (efi-virtio.rom) comes from the package ipxe-qemu, which
// qemu-system-ppc only recommends. On a machine installed without
// recommended packages QEMU then exits at once ("failed to find romfile").
// tkvm's ppce500 has no network card, so `-nic none` is also the
// like-for-like machine. test/qemu-command.test.ts checks that nothing else
// spawns QEMU, and CI removes ipxe-qemu so a forgotten `-nic none` fails.

import { spawn, spawnSync, type SpawnOptions, type SpawnSyncOptions, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';

/** QEMU's system emulator for 32-bit PowerPC. */
export const QEMU_SYSTEM = 'qemu-system-ppc';
/** QEMU's user-mode emulator, statically linked (runs PowerPC Linux programs on the host). */
export const QEMU_USER = 'qemu-ppc-static';

/** Flags that would give QEMU's machine a network card (tkvm's has none). */
const NETWORK_FLAGS = new Set(['-nic', '-net', '-netdev']);

/**
 * QEMU's arguments for a run of tkvm's machine: `args` with `-nic none`
 * added unless already there. A network card of any other kind is refused:
 * tkvm could not be compared with it.
 */
export function qemuSystemArgs(args: readonly string[]): string[] {
  let hasNone = false;
  for (let i = 0; i < args.length; i++) {
    if (!NETWORK_FLAGS.has(args[i])) continue;
    if (args[i] === '-nic' && args[i + 1] === 'none') { hasNone = true; i++; continue; }
    throw new Error(`QEMU ${args[i]} ${args[i + 1] ?? ''}: tkvm's ppce500 has no network card; compare with -nic none`);
  }
  return hasNone ? [...args] : [...args, '-nic', 'none'];
}

/** Starts qemu-system-ppc for tkvm's machine (see qemuSystemArgs). */
export function spawnQemu(args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(QEMU_SYSTEM, qemuSystemArgs(args), options);
}

/** The command and arguments that start qemu-system-ppc for tkvm's machine (see qemuSystemArgs). */
export function qemuCommand(args: readonly string[]): [string, string[]] {
  return [QEMU_SYSTEM, qemuSystemArgs(args)];
}

/** Runs qemu-system-ppc for tkvm's machine to completion (see qemuSystemArgs). */
export function spawnQemuSync(args: readonly string[], options: SpawnSyncOptions & { encoding: BufferEncoding }): SpawnSyncReturns<string>;
export function spawnQemuSync(args: readonly string[], options?: SpawnSyncOptions): SpawnSyncReturns<string | Buffer>;
export function spawnQemuSync(args: readonly string[], options: SpawnSyncOptions = {}): SpawnSyncReturns<string | Buffer> {
  return spawnSync(QEMU_SYSTEM, qemuSystemArgs(args), options);
}

/** True if the command is on PATH. */
export function haveCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' }).status === 0;
}

/** True if qemu-system-ppc is installed. */
export function haveQemu(): boolean {
  return haveCommand(QEMU_SYSTEM);
}

/** qemu-system-ppc's version line ("QEMU emulator version 7.2.…"), or null if it is not installed. */
export function qemuVersion(): string | null {
  const r = spawnSync(QEMU_SYSTEM, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : null;
}

/**
 * One line for a QEMU that failed: its own first error message (QEMU
 * prefixes them with its program name), or its exit status.
 */
export function qemuFailure(status: number | null, stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const msg = lines.find((l) => l.startsWith(`${QEMU_SYSTEM}:`)) ?? lines[0];
  const how = status === null ? 'was killed' : `exited with status ${status}`;
  return msg === undefined ? `${QEMU_SYSTEM} ${how}` : `${QEMU_SYSTEM} ${how}: ${msg.replace(`${QEMU_SYSTEM}: `, '')}`;
}
