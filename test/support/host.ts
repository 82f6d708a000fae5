// Helpers for tests that use host tools (QEMU, the cross compiler).
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveCommand, QEMU_SYSTEM } from '../../src/platform/node/qemu.js';

/** The repository root (tests run from dist/test). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The tkvm command as the package's bin runs it: the bundle (scripts/bundle.mjs) of dist/src/cli/main.js. */
export const CLI = join(ROOT, 'dist/src/cli/tkvm.cjs');

export { haveCommand };

/**
 * A test that needs a host tool skips only when the tool is missing, and
 * says so loudly (CI installs every tool, so a skip there is a CI bug).
 */
export function requireTool(t: { skip: (msg: string) => void }, cmd: string): boolean {
  if (haveCommand(cmd)) return true;
  const msg = `!!! ${cmd} IS NOT INSTALLED: this test did NOT run (see .ci/apt-packages) !!!`;
  process.stderr.write(`\n${msg}\n`);
  t.skip(msg);
  return false;
}

/** requireTool for qemu-system-ppc. */
export function requireQemu(t: { skip: (msg: string) => void }): boolean {
  return requireTool(t, QEMU_SYSTEM);
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runTkvm(args: string[], opts: { input?: string; timeoutMs?: number } = {}): RunResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input: opts.input ?? '', encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
