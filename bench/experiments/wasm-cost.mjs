// What a WebAssembly back end for the translator would cost and give
// (docs/jit.md, "Where to go next"): compile time per region and speed of
// translated guest code, against the JavaScript the translator makes today.
//
//   node bench/experiments/wasm-cost.mjs
//
// The module bodies are synthetic but shaped like translated PowerPC code:
// guest registers in locals, big-endian loads and stores through a
// translation-cache tag check in linear memory, CR computed by compares,
// forward branches as br_if, one loop. Nothing here is used by tkvm.

// ---- a minimal wasm encoder ----
const uleb = (n) => { const o = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };
const sleb = (n) => { const o = []; for (;;) { const b = n & 0x7f; n >>= 7; if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) { o.push(b); return o; } o.push(b | 0x80); } };
const vec = (items) => [...uleb(items.length), ...items.flat()];
const section = (id, body) => [id, ...uleb(body.length), ...body];
const I32 = 0x7f;
const op = {
  block: 0x02, loop: 0x03, end: 0x0b, br: 0x0c, br_if: 0x0d, ret: 0x0f,
  lget: 0x20, lset: 0x21, ltee: 0x22, i32load: 0x28, i32store: 0x36, load8u: 0x2d,
  const: 0x41, eqz: 0x45, eq: 0x46, ne: 0x47, lts: 0x48, ltu: 0x49, gts: 0x4a, gtu: 0x4b,
  add: 0x6a, sub: 0x6b, mul: 0x6c, and: 0x71, or: 0x72, xor: 0x73, shl: 0x74, shru: 0x76, rotl: 0x77, rotr: 0x78,
  select: 0x1b,
};
function module(funcs, memPages) {
  const type = [0x60, ...vec([[I32]]), ...vec([[I32]])]; // (i32) -> i32
  const types = section(1, vec([type]));
  const imports = section(2, vec([[...vec([...'m'].map((c) => c.charCodeAt(0))), ...vec([...'mem'].map((c) => c.charCodeAt(0))), 0x02, 0x00, ...uleb(memPages)]]));
  const fsec = section(3, vec(funcs.map(() => [0])));
  const exp = section(7, vec(funcs.map((_, i) => [...vec([...`f${i}`].map((c) => c.charCodeAt(0))), 0x00, ...uleb(i)])));
  const code = section(10, vec(funcs.map((f) => { const body = [...vec([[...uleb(40), I32]]), ...f, op.end]; return [...uleb(body.length), ...body]; })));
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...types, ...imports, ...fsec, ...exp, ...code]);
}
const L = (i) => [op.lget, ...uleb(i)], S = (i) => [op.lset, ...uleb(i)], K = (v) => [op.const, ...sleb(v | 0)];
const bswap = (x) => [ // x: local index; byte swap of an i32 with rotations and masks
  ...L(x), ...K(0x00ff00ff), op.and, ...K(8), op.rotr, ...L(x), ...K(0xff00ff00), op.and, ...K(8), op.rotl, op.or];
// locals: 0 = param (budget), 1..32 GPRs, 33 CR, 34 count, 35 tmp, 36 addr
const R = (n) => 1 + n, CR = 33, N = 34, T = 35, A = 36;

// ---- the LCG loop of guests/bin/bench-lcg.elf (9 instructions a trip) ----
function lcg() {
  const one = [...L(R(4)), ...L(R(5)), op.mul, ...S(R(4)), ...L(R(4)), ...K(12345), op.add, ...S(R(4)),
    ...L(R(4)), ...K(16), op.rotl, ...K(0xffff), op.and, ...S(R(7)), ...L(R(6)), ...L(R(7)), op.add, ...S(R(6))];
  return [...K(0x12345), ...S(R(4)), ...K(1103515245), ...S(R(5)), ...L(0), ...S(N),
    op.loop, 0x40, ...one, ...one, ...L(N), ...K(1), op.sub, op.ltee, ...uleb(N), op.br_if, 0, op.end, ...L(R(6))];
}

// ---- a synthetic region of `n` instructions in the translated-code shape ----
function region(n, seed) {
  let s = seed;
  const rnd = (k) => { s = (Math.imul(s, 1103515245) + 12345) | 0; return (s >>> 8) % k; };
  const out = [op.block, 0x40];
  for (let i = 0; i < n; i++) {
    const k = rnd(10), d = 1 + rnd(31), a = 1 + rnd(31), b = 1 + rnd(31);
    if (k < 3) out.push(...L(R(a)), ...L(R(b)), op.add, ...S(R(d)));
    else if (k < 4) out.push(...L(R(a)), ...K(rnd(32)), op.rotl, ...K(0x0ffffff0), op.and, ...S(R(d)));
    else if (k < 6) { // lwz: TC tag check, big-endian load
      out.push(...L(R(a)), ...K(rnd(64) * 4), op.add, ...S(A),
        op.block, 0x40, ...L(A), ...K(-4096), op.and, ...L(A), ...K(12), op.shru, ...K(1023), op.and, ...K(2), op.shl, op.i32load, 2, ...uleb(0x100000), op.ne, op.br_if, 0,
        ...L(A), ...K(0xfffff), op.and, op.i32load, 0, 0, ...S(T), ...bswap(T), ...S(R(d)), op.end);
    } else if (k < 7) { // stw
      out.push(...L(R(a)), ...K(rnd(64) * 4), op.add, ...K(0xfffff), op.and, ...S(A), ...L(A), ...L(R(b)), ...S(T), ...bswap(T), op.i32store, 0, 0);
    } else if (k < 9) { // cmp: CR0
      out.push(...L(CR), ...K(0x0fffffff), op.and, ...K(0x80000000), ...K(0x40000000), ...L(R(a)), ...L(R(b)), op.lts, op.select, op.or, ...S(CR));
    } else out.push(...L(CR), ...K(0x20000000), op.and, op.br_if, 0); // a forward branch out of the block
  }
  out.push(op.end, ...L(R(3)));
  return out;
}

// ---- the same shapes in JavaScript, as the translator emits them today ----
function regionJs(n, seed, name) {
  let s = seed;
  const rnd = (k) => { s = (Math.imul(s, 1103515245) + 12345) | 0; return (s >>> 8) % k; };
  let body = '';
  for (let i = 0; i < n; i++) {
    const k = rnd(10), d = 1 + rnd(31), a = 1 + rnd(31), b = 1 + rnd(31);
    if (k < 3) body += `{ $r${d} = ($r${a} + $r${b}) | 0; }\n`;
    else if (k < 4) body += `{ const r = rotl($r${a}, ${rnd(32)}) & 268435440; $r${d} = r; }\n`;
    else if (k < 6) body += `{ const ea = ($r${a} + ${rnd(64) * 4}) | 0; let v; { const $a = ea, $i = ($a >>> 12) & 1023;
      if ($rTag[$i] === (($a & -4096) | $dctx) && ($a & 4095) <= 4092) v = $rView[$i].getInt32($rOff[$i] + ($a & 4095)); else { $x = ${i}; break $out; } } $r${d} = v; }\n`;
    else if (k < 7) body += `{ const ea = ($r${a} + ${rnd(64) * 4}) | 0; { const $a = ea, $i = ($a >>> 12) & 1023;
      if ($wTag[$i] === (($a & -4096) | $dctx) && ($a & 4095) <= 4092) $wView[$i].setInt32($wOff[$i] + ($a & 4095), $r${b}); else { $x = ${i}; break $out; } } }\n`;
    else if (k < 9) body += `{ const a = $r${a}, b = $r${b}; $cr = ($cr & 268435455) | (((a < b ? 8 : a > b ? 4 : 2) | $so) << 28); }\n`;
    else body += `{ if ((($cr >>> 29) & 1) === 1) { $x = ${i}; break $out; } }\n`;
  }
  let decl = 'const $g = c.gpr;\n';
  for (let r = 0; r < 32; r++) decl += `let $r${r} = $g[${r}];\n`;
  return `return function ${name}(c, $budget) {\n${decl}let $cr = c.cr, $so = c.xerSo, $x = 0;\nconst $tc = c.tc, $dctx = $tc.dctx, $rTag = $tc.rTag, $rOff = $tc.rOff, $rView = $tc.rView, $wTag = $tc.wTag, $wOff = $tc.wOff, $wView = $tc.wView;\n` +
    `$out: {\n${body}}\nfor (let r = 0; r < 32; r++) $g[r] = 0; c.cr = $cr; return $x;\n};`;
}

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const mem = new WebAssembly.Memory({ initial: 32 });

// 1. Speed: the LCG loop.
{
  const m = new WebAssembly.Instance(new WebAssembly.Module(module([lcg()], 32)), { m: { mem } });
  const trips = 20_000_000, f = m.exports.f0;
  f(1000); // compile
  const mips = [];
  for (let r = 0; r < 5; r++) { const t0 = performance.now(); f(trips); mips.push(trips * 9 / (performance.now() - t0) / 1e3); }
  console.log(`LCG loop as wasm: ${median(mips).toFixed(0)} MIPS (median of 5; first call after compile included in warm-up)`);
}

// 2. Compile cost per region: wasm (Liftoff at once, optimized in the background) vs new Function (+ first call).
for (const n of [16, 64, 256]) {
  const R = 200;
  const wasmMs = [], jsMs = [];
  for (let rep = 0; rep < 3; rep++) {
    const mods = [];
    for (let i = 0; i < R; i++) mods.push(module([region(n, i + rep * 1000)], 32));
    let t0 = performance.now();
    // Instantiated and called once (V8 may compile a function when it is first called).
    for (let i = 0; i < R; i++) new WebAssembly.Instance(new WebAssembly.Module(mods[i]), { m: { mem } }).exports.f0(0);
    wasmMs.push((performance.now() - t0) / R);
    t0 = performance.now();
    const rotl = (v, k) => (k === 0 ? v : (v << k) | (v >>> (32 - k)));
    for (let i = 0; i < R; i++) {
      const fn = new Function('rotl', regionJs(n, i + rep * 1000, `r${i}_${rep}`))(rotl);
      // Its first call compiles the inner function (V8 compiles it lazily).
      try { fn({ gpr: new Int32Array(32), cr: 0, xerSo: 0, tc: { dctx: 0, rTag: new Int32Array(1024), rOff: new Int32Array(1024), rView: [], wTag: new Int32Array(1024), wOff: new Int32Array(1024), wView: [] } }, 0); } catch { /* a miss path */ }
    }
    jsMs.push((performance.now() - t0) / R);
  }
  const wasmBytes = module([region(n, 1)], 32).length, jsBytes = regionJs(n, 1, 'x').length;
  console.log(`region of ${String(n).padStart(3)} instructions: wasm ${median(wasmMs).toFixed(3)} ms (${wasmBytes} bytes), JavaScript ${median(jsMs).toFixed(3)} ms (${jsBytes} bytes) to compile and first run`);
}

// 3. Batching: one module of many regions (the per-module cost is shared).
for (const [count, n] of [[50, 64], [200, 16]]) {
  const times = [];
  for (let rep = 0; rep < 3; rep++) {
    // Different code each time (V8 keeps compiled modules by their bytes).
    const funcs = [];
    for (let i = 0; i < count; i++) funcs.push(region(n, 7000 + i + rep * 100000));
    const bytes = module(funcs, 32);
    const t0 = performance.now();
    const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { m: { mem } }).exports;
    for (let i = 0; i < count; i++) ex[`f${i}`](0);
    times.push(performance.now() - t0);
  }
  console.log(`one module of ${count} regions of ${n} instructions: ${median(times).toFixed(2)} ms (${(median(times) / count).toFixed(3)} ms a region)`);
}
