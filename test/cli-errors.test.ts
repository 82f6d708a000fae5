import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTkvm } from './support/host.js';

const dir = mkdtempSync(join(tmpdir(), 'tkvm-cli-'));
const base = ['run', '-M', 'ppce500', '-cpu', 'e500mc', '-m', '256', '-nographic'];

function oneLineError(args: string[], pattern: RegExp): void {
  const r = runTkvm(args);
  assert.notEqual(r.status, 0, 'must fail');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('missing kernel file', () => oneLineError([...base, '-kernel', join(dir, 'nope.elf')], /cannot read kernel .*no such file/));

test('kernel that is not ELF', () => {
  const f = join(dir, 'text.elf');
  writeFileSync(f, 'hello, this is not an ELF file at all');
  oneLineError([...base, '-kernel', f], /neither an ELF file nor a uImage/);
});

test('truncated ELF', () => {
  const f = join(dir, 'trunc.elf');
  writeFileSync(f, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 1, 0, 0, 0]));
  oneLineError([...base, '-kernel', f], /truncated/);
});

test('ELF for another machine (x86-64)', () => {
  const f = join(dir, 'x86.elf');
  const b = Buffer.alloc(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  writeFileSync(f, b);
  oneLineError([...base, '-kernel', f], /not a 32-bit ELF/);
});

test('unknown option and bad memory size', () => {
  oneLineError([...base, '-frobnicate'], /unknown option '-frobnicate'/);
  oneLineError(['run', '-m', '4T', '-kernel', 'x'], /memory size 4T out of range/);
  oneLineError(['run', '-m', 'lots', '-kernel', 'x'], /invalid size 'lots'/);
  oneLineError(['run', '-M', 'pc', '-kernel', 'x'], /unsupported machine 'pc'/);
});
