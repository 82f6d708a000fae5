// The image builder's pure logic: cache keys, Kconfig fragments, apt output
// parsing. (No host tools needed.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheKey, safeName } from '../src/cli/images/cachekey.js';
import { applyConfigFragment, configMismatches, parseConfigFragment, parseDotConfig } from '../src/cli/images/config.js';
import { linuxKeys, readSources, testPrograms, type LinuxInputs } from '../src/cli/images/linux.js';
import { debSrcLines, parseCandidate, parseSourceOf } from '../src/cli/images/apt.js';

test('cacheKey: stable, order-independent, and sensitive to every byte', () => {
  const k = cacheKey({ a: 'x', b: 'y' });
  assert.match(k, /^[0-9a-f]{16}$/);
  assert.equal(cacheKey({ b: 'y', a: 'x' }), k);
  assert.notEqual(cacheKey({ a: 'x', b: 'z' }), k);
  assert.notEqual(cacheKey({ a: 'x' }), k);
  // Length prefixes: moving bytes between a name and a value, or between two values, changes the key.
  assert.notEqual(cacheKey({ a: 'xb', c: '' }), cacheKey({ a: 'x', bc: '' }));
  assert.notEqual(cacheKey({ a: 'ab', b: 'c' }), cacheKey({ a: 'a', b: 'bc' }));
  assert.equal(cacheKey({ a: new TextEncoder().encode('x') }), cacheKey({ a: 'x' }));
});

test('safeName keeps versions readable and path-safe', () => {
  assert.equal(safeName('1:1.35.0-4+deb12u1'), '1_1.35.0-4+deb12u1');
  assert.equal(safeName('2023.01+dfsg-2+deb12u3'), '2023.01+dfsg-2+deb12u3');
  assert.equal(safeName('a/../b'), 'a_.._b');
  assert.throws(() => safeName(''));
});

const inputs: LinuxInputs = {
  linuxVersion: '6.1.192-2',
  busyboxSource: { name: 'busybox', version: '1:1.35.0-4+deb12u1' },
  toolchain: 'powerpc-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0\nGNU ld (GNU Binutils for Debian) 2.40',
  libcVersion: '2.36-8cross1',
  mkimageVersion: '2023.01+dfsg-2+deb12u3',
  kernelFragment: 'CONFIG_PPC_85xx=y\n',
  busyboxFragment: 'CONFIG_STATIC=y\n',
  init: '#!/bin/sh\n',
  tests: { 'a.c': 'int main(){}', 't.h': '' },
};

test('linuxKeys: each input invalidates exactly the products built from it', () => {
  const base = linuxKeys(inputs);
  assert.deepEqual(linuxKeys({ ...inputs, tests: { ...inputs.tests } }), base, 'same inputs, same keys');
  const changed = (i: Partial<LinuxInputs>): string[] => {
    const k = linuxKeys({ ...inputs, ...i });
    return (Object.keys(base) as (keyof typeof base)[]).filter((p) => k[p] !== base[p]).sort();
  };
  assert.deepEqual(changed({ kernelFragment: 'CONFIG_PPC_85xx=y\nCONFIG_SMP=y\n' }), ['kernel', 'uimage']);
  assert.deepEqual(changed({ linuxVersion: '6.1.200-1' }), ['kernel', 'uimage']);
  assert.deepEqual(changed({ mkimageVersion: '2024.01' }), ['uimage']);
  assert.deepEqual(changed({ busyboxFragment: '# CONFIG_STATIC is not set\n' }), ['busybox', 'initramfs']);
  assert.deepEqual(changed({ busyboxSource: { name: 'busybox', version: '1:1.36.1-1' } }), ['busybox', 'initramfs']);
  assert.deepEqual(changed({ init: '#!/bin/sh\necho hi\n' }), ['initramfs']);
  assert.deepEqual(changed({ tests: { 'a.c': 'int main(){return 1;}', 't.h': '' } }), ['initramfs', 'tests']);
  assert.deepEqual(changed({ tests: { 'a.c': 'int main(){}', 't.h': '#define X' } }), ['initramfs', 'tests'], 'headers count');
  assert.deepEqual(changed({ libcVersion: '2.36-9' }), ['busybox', 'initramfs', 'tests']);
  assert.deepEqual(changed({ toolchain: 'gcc 13' }), ['busybox', 'initramfs', 'kernel', 'tests', 'uimage']);
});

test('the committed inputs parse, and every test program has its expected output', () => {
  const s = readSources();
  const kernel = parseConfigFragment(s.kernelFragment, 'e500mc.config');
  for (const sym of ['CONFIG_PPC_85xx', 'CONFIG_PPC_E500MC', 'CONFIG_PPC_QEMU_E500', 'CONFIG_PHYS_64BIT',
    'CONFIG_SERIAL_OF_PLATFORM', 'CONFIG_DEVTMPFS', 'CONFIG_RD_GZIP', 'CONFIG_GPIO_MPC8XXX', 'CONFIG_POWER_RESET_GPIO']) {
    assert.equal(kernel.get(sym), 'y', sym);
  }
  assert.equal(parseConfigFragment(s.busyboxFragment).get('CONFIG_STATIC'), 'y');
  assert.match(s.init, /^#!\/bin\/sh\n/);
  assert.deepEqual(testPrograms(s.tests), ['cpubench', 'float', 'forkexec', 'integer', 'pipes', 'signals', 'timers']);
});

test('parseConfigFragment: values, "is not set", and one-line errors for mistakes', () => {
  const f = parseConfigFragment('# a comment\n\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="x y"\nCONFIG_D=0x10\n');
  assert.deepEqual([...f], [['CONFIG_A', 'y'], ['CONFIG_B', null], ['CONFIG_C', '"x y"'], ['CONFIG_D', '0x10']]);
  assert.throws(() => parseConfigFragment('CONFIG_A=n', 'f'), /f:1: write '# CONFIG_A is not set'/);
  assert.throws(() => parseConfigFragment('\nCONFIG_A = y', 'f'), /f:2: not a Kconfig line/);
  assert.throws(() => parseConfigFragment('CONFIG_A=y\nCONFIG_A=m', 'f'), /f:2: CONFIG_A is given twice/);
  assert.throws(() => parseConfigFragment('CONFIG_A=', 'f'), /has no value/);
});

test('applyConfigFragment: the fragment comes last, so it wins choices', () => {
  const dot = '# CONFIG_PPC_BOOK3S_32 is not set\nCONFIG_X=y\n# CONFIG_PPC_85xx is not set\nCONFIG_Y=y\n';
  const out = applyConfigFragment(dot, parseConfigFragment('CONFIG_PPC_85xx=y\n# CONFIG_Y is not set\nCONFIG_NEW=1\n'));
  assert.equal(out, '# CONFIG_PPC_BOOK3S_32 is not set\nCONFIG_X=y\nCONFIG_PPC_85xx=y\n# CONFIG_Y is not set\nCONFIG_NEW=1\n');
  const parsed = parseDotConfig(out);
  assert.equal(parsed.get('CONFIG_Y'), null);
  assert.equal(parsed.get('CONFIG_NEW'), '1');
});

test('configMismatches reports what Kconfig dropped', () => {
  const frag = parseConfigFragment('CONFIG_A=y\n# CONFIG_B is not set\n# CONFIG_C is not set\nCONFIG_D=y\n');
  const dot = parseDotConfig('CONFIG_A=y\nCONFIG_B=y\n# CONFIG_D is not set\n');
  assert.deepEqual(configMismatches(frag, dot), [
    'CONFIG_B is not set (got: CONFIG_B=y)'.replace('CONFIG_B is', '# CONFIG_B is'),
    'CONFIG_D=y (got: # CONFIG_D is not set)',
  ]);
  assert.deepEqual(configMismatches(frag, parseDotConfig('CONFIG_A=y\nCONFIG_D=y\n')), []);
});

test('apt output parsing', () => {
  assert.equal(parseCandidate('u-boot-qemu:\n  Installed: (none)\n  Candidate: 2023.01+dfsg-2+deb12u3\n  Version table:\n'), '2023.01+dfsg-2+deb12u3');
  assert.equal(parseCandidate('foo:\n  Installed: (none)\n  Candidate: (none)\n'), null);
  assert.equal(parseCandidate(''), null);
  assert.deepEqual(parseSourceOf('Package: busybox\nSource: busybox (1:1.35.0-4+deb12u1)\nVersion: 1:1.35.0-4+deb12u1+b1\n'),
    { name: 'busybox', version: '1:1.35.0-4+deb12u1' });
  assert.deepEqual(parseSourceOf('Package: libfoo1\nSource: foo\nVersion: 2.0-1\n'), { name: 'foo', version: '2.0-1' });
  assert.deepEqual(parseSourceOf('Package: bc\nVersion: 1.07.1-3+b1\n'), { name: 'bc', version: '1.07.1-3+b1' });
  assert.equal(parseSourceOf('nothing here'), null);
  assert.deepEqual(debSrcLines('http://deb.debian.org/debian/ bookworm main\nhttp://deb.debian.org/debian/ bookworm main\n\n'
    + 'http://deb.debian.org/debian-security/ bookworm-security main\n', '/k.gpg'), [
    'deb-src [signed-by=/k.gpg] http://deb.debian.org/debian-security/ bookworm-security main',
    'deb-src [signed-by=/k.gpg] http://deb.debian.org/debian/ bookworm main',
  ]);
  assert.deepEqual(debSrcLines('http://x/ y z\n', null), ['deb-src http://x/ y z']);
});
