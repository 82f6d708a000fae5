#!/usr/bin/env node
// Enforces the architecture's boundaries (run by `npm run build`):
//  - userspace (src/vmm, src/cli, src/platform, src/lockstep, tools) reaches the
//    hypervisor only through its public module src/kvm/index.ts, and never
//    imports the core (tests and benchmarks are instruments and may);
//  - the core and the API never import userspace;
//  - the core, the API and the VMM (devices, machine, loaders) never import
//    Node-only modules: those stay behind the adapters in src/platform and
//    src/cli, so the machine can run in a browser.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const NODE_BUILTINS = new Set(['fs', 'path', 'os', 'child_process', 'worker_threads', 'net', 'tty', 'zlib', 'crypto',
  'http', 'https', 'stream', 'readline', 'url', 'util', 'events', 'process', 'buffer', 'dgram', 'dns', 'cluster', 'v8', 'vm']);

function walk(dir) {
  let out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

const layer = (file) => {
  const r = relative(root, file).split('/');
  if (r[0] === 'src') return r[1];
  return r[0]; // tools, bench, test
};

const errors = [];
const importRe = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

for (const top of ['src', 'tools', 'bench']) {
  for (const file of walk(join(root, top))) {
    const src = readFileSync(file, 'utf8');
    const from = layer(file);
    for (const m of src.matchAll(importRe)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const rel = relative(root, file);
      const isNode = spec.startsWith('node:') || NODE_BUILTINS.has(spec.split('/')[0]);
      if (isNode && (from === 'core' || from === 'kvm' || from === 'vmm')) {
        errors.push(`${rel}: imports Node module '${spec}' (only src/platform and src/cli may)`);
        continue;
      }
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      const to = layer(target);
      const targetRel = relative(join(root, 'src'), target);
      const userspace = !['core', 'kvm', 'test', 'bench'].includes(from);
      if (userspace && to === 'core') errors.push(`${rel}: userspace imports the core ('${spec}'); use src/kvm/index.ts`);
      if (userspace && to === 'kvm' && targetRel !== 'kvm/index.js' && targetRel !== 'kvm/index.ts') {
        errors.push(`${rel}: imports '${spec}' from inside the hypervisor; only src/kvm/index.ts is public`);
      }
      if ((from === 'core' || from === 'kvm') && ['vmm', 'cli', 'platform', 'lockstep'].includes(to)) {
        errors.push(`${rel}: the hypervisor imports userspace ('${spec}')`);
      }
      if (from === 'core' && to === 'kvm') errors.push(`${rel}: the core imports the API layer ('${spec}')`);
    }
  }
}

if (errors.length > 0) {
  process.stderr.write(`boundary check failed:\n  ${errors.join('\n  ')}\n`);
  process.exit(1);
}
