// tkvm as an npm package, seen from another project: `npm pack`, install the
// tarball into an empty project, then use it there as a user would: the
// README's embedding example (extracted from README.md and run as written),
// the entry points at run time and in TypeScript (the repository's own tsc
// against the packed declarations), and the `tkvm` command through npx.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './support/host.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

// Under `npm test` the environment carries the outer npm's configuration as
// npm_config_* variables (and npm_package_* of this repository); the inner
// npm runs without them, as it would for a user in their own project.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function sh(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return r;
}
function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The README's embedding example (the first js block of its section) and the output it shows (the text block after it). */
function readmeExample(): { code: string; shown: string[] } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('\n## Using tkvm from a program\n');
  assert.ok(at >= 0, "README.md has no section 'Using tkvm from a program'");
  const section = readme.slice(at, readme.indexOf('\n## ', at + 1));
  const code = /```js\n([\s\S]*?)```/.exec(section);
  const shown = /```js\n[\s\S]*?```\s*```text\n([\s\S]*?)```/.exec(section);
  assert.ok(code && shown, 'the section opens with a js block followed by a text block of its output');
  return { code: code[1], shown: shown[1].split('\n').filter((l) => l !== '' && l !== '...') };
}

let work = '';
let project = '';
let packed: string[] = [];

before(() => {
  work = mkdtempSync(join(tmpdir(), 'tkvm-package-'));
  // --ignore-scripts: `npm test` has just built dist/; prepack's build would
  // delete it under the tests running beside this one.
  const out = ok(sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT), 'npm pack');
  const info = JSON.parse(out)[0];
  packed = info.files.map((f: { path: string }) => f.path);
  project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-tkvm', private: true, type: 'module' }));
  // --prefer-offline: the dependencies come from the npm cache `npm ci` filled (the registry only if they are missing).
  ok(sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, info.filename)], project), 'npm install of the tarball');
  mkdirSync(join(project, 'guests/bin'), { recursive: true });
  copyFileSync(join(ROOT, 'guests/bin/hello.elf'), join(project, 'guests/bin/hello.elf'));
});

after(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

test('the tarball holds what a user needs and nothing else', () => {
  for (const f of packed) {
    assert.match(f, /^(dist\/src\/.*\.(js|d\.ts)|dist\/src\/cli\/tkvm(-main)?\.cjs|docs\/.*\.md|images\/.*|README\.md|LICENSE|package\.json)$/, `unexpected file in the tarball: ${f}`);
  }
  for (const f of ['LICENSE', 'README.md', 'docs/api.md', 'dist/src/cli/tkvm.cjs', 'dist/src/cli/tkvm-main.cjs', 'dist/src/platform/node/vcpu-worker.js',
    'images/linux/e500mc.config']) {
    assert.ok(packed.includes(f), `${f} is missing from the tarball`);
  }
  for (const target of Object.values(pkg.exports) as ({ types: string; default: string } | string)[]) {
    for (const f of typeof target === 'string' ? [target] : [target.types, target.default]) {
      assert.ok(packed.includes(f.replace(/^\.\//, '')), `exported ${f} is missing from the tarball`);
    }
  }
  assert.ok(!packed.some((f) => /^dist\/(test|bench)\/|^(test|bench|scripts|guests|src|\.ci)\//.test(f)), 'no tests, benchmarks, scripts, guests or sources');
});

test('the license file is the MIT license the package declares; every dependency is locked', () => {
  assert.equal(pkg.license, 'MIT');
  const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
  assert.match(license, /^MIT License\n\nCopyright \(c\) \d{4} the tkvm developers\n/);
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
    assert.equal(lock.packages[''].dependencies?.[name], range, `${name} is not in package-lock.json as ${range}`);
    assert.ok(lock.packages[`node_modules/${name}`], `${name} is not locked`);
    assert.ok(existsSync(join(project, 'node_modules', name)), `${name} was not installed with tkvm`);
  }
});

test("the README's example runs, as written, against the installed package", () => {
  const { code, shown } = readmeExample();
  writeFileSync(join(project, 'example.mjs'), code);
  const r = sh(process.execPath, ['example.mjs'], project);
  const out = ok(r, 'the README example').replace(/\r/g, '');
  assert.equal(r.stderr, '');
  // Every line the README shows, in order (its "..." stands for lines left out).
  const lines = out.split('\n');
  let from = 0;
  for (const line of shown) {
    const k = lines.indexOf(line, from);
    assert.ok(k >= 0, `the README shows '${line}', the example printed:\n${out}`);
    from = k + 1;
  }
});

test('the entry points: tkvm is tkvm/kvm, the VMM and the Node adapters load, internals are not exported', () => {
  writeFileSync(join(project, 'entries.mjs'), `
    import * as api from 'tkvm';
    import * as kvm from 'tkvm/kvm';
    import * as vmm from 'tkvm/vmm';
    import * as node from 'tkvm/node';
    let internal = 'exported';
    try { await import('tkvm/dist/src/core/cpu.js'); } catch (e) { internal = e.code; }
    console.log(JSON.stringify({
      same: api.openKvm === kvm.openKvm, api: typeof api.openKvm, vmm: typeof vmm.Ppce500, boot: typeof vmm.boot,
      node: typeof node.FileStorage, codec: typeof node.zlibCodec.inflate, internal,
    }));
  `);
  const got = JSON.parse(ok(sh(process.execPath, ['entries.mjs'], project), 'importing the entry points'));
  assert.deepEqual(got, {
    same: true, api: 'function', vmm: 'function', boot: 'function', node: 'function', codec: 'function', internal: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
  });
});

test("the declarations type-check a consumer's code (the API and the VMM without Node's types)", () => {
  // The API and the VMM run in browsers: their declarations must stand without @types/node.
  writeFileSync(join(project, 'browser.ts'), `
    import { openKvm, ExitReason, type Vcpu, type KvmRegs } from 'tkvm';
    import { KvmError } from 'tkvm/kvm';
    import { Ppce500, boot, GuestTlbView, type MachineOptions, type Codec } from 'tkvm/vmm';
    const vcpu: Vcpu = openKvm().createVm().createVcpu(0);
    const regs: KvmRegs = vcpu.getRegs();
    const mmio: number = ExitReason.MMIO;
    const opts: MachineOptions = { ramBytes: 64 << 20, output: (byte: number) => void byte };
    const m = new Ppce500(opts);
    boot(m, { kernel: { bytes: new Uint8Array(4), name: 'k' }, bootargs: '' });
    const view: GuestTlbView = m.tlbView;
    const codec: Codec | null = null;
    // @ts-expect-error KVM_CREATE_VM's type is a number: the declarations are real types, not any.
    openKvm().createVm('ppce500');
    void [regs, mmio, view, codec, KvmError];
  `);
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types: [],
      strict: true, noEmit: true, skipLibCheck: false,
    },
    files: ['browser.ts'],
  }));
  ok(sh(process.execPath, [TSC, '-p', 'tsconfig.json'], project), 'tsc (tkvm, tkvm/kvm, tkvm/vmm)');
  // The Node adapters, and the README's example as JavaScript checked against the declarations.
  writeFileSync(join(project, 'node.ts'), `
    import { FileStorage, NodeConsole, VcpuThread, zlibCodec } from 'tkvm/node';
    import type { Codec } from 'tkvm/vmm';
    const codec: Codec = zlibCodec;
    void [FileStorage, NodeConsole, VcpuThread, codec];
  `);
  writeFileSync(join(project, 'tsconfig.node.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'],
      types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')],
      strict: true, noEmit: true, skipLibCheck: false, allowJs: true, checkJs: true,
    },
    files: ['node.ts', 'example.mjs'],
  }));
  writeFileSync(join(project, 'example.mjs'), readmeExample().code);
  ok(sh(process.execPath, [TSC, '-p', 'tsconfig.node.json'], project), 'tsc (tkvm/node and the README example)');
});

test('the tkvm command works from the installed package (npx)', () => {
  // --no: never fetch a package of that name from the registry; only the installed bin.
  const help = ok(sh('npx', ['--no', '--', 'tkvm', '--help'], project), 'npx tkvm --help');
  assert.match(help, /^usage: tkvm run /);
  const run = ok(sh('npx', ['--no', '--', 'tkvm', 'run', '-m', '64', '-nographic', '-kernel', 'guests/bin/hello.elf'], project), 'npx tkvm run');
  assert.match(run, /SUMMARY: PASS 3 tests/);
});
