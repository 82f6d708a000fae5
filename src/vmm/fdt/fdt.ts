// Flattened device tree: a small node/property model and the writer that
// produces the binary blob (version 17) a guest reads at boot.

const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1, FDT_END_NODE = 2, FDT_PROP = 3, FDT_END = 9;

export type PropValue = Uint8Array;

export class FdtNode {
  readonly props = new Map<string, PropValue>();
  readonly children: FdtNode[] = [];
  constructor(readonly name: string) {}

  child(name: string): FdtNode {
    const n = new FdtNode(name);
    this.children.push(n);
    return n;
  }
  find(name: string): FdtNode | undefined {
    return this.children.find((c) => c.name === name);
  }
  /** Node at a path like "/soc@fe0000000/serial@4500". */
  at(path: string): FdtNode | undefined {
    let n: FdtNode | undefined = this;
    for (const part of path.split('/').filter((p) => p !== '')) {
      n = n?.find(part);
      if (!n) return undefined;
    }
    return n;
  }

  empty(name: string): this { this.props.set(name, new Uint8Array(0)); return this; }
  str(name: string, ...values: string[]): this {
    const enc = new TextEncoder();
    const parts = values.map((v) => enc.encode(v + '\0'));
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    this.props.set(name, out);
    return this;
  }
  u32(name: string, ...cells: number[]): this {
    const out = new Uint8Array(cells.length * 4);
    const dv = new DataView(out.buffer);
    cells.forEach((c, i) => dv.setUint32(i * 4, c >>> 0));
    this.props.set(name, out);
    return this;
  }
  /** 64-bit values as pairs of cells. */
  u64(name: string, ...values: number[]): this {
    const cells: number[] = [];
    for (const v of values) cells.push(Math.floor(v / 0x100000000), v % 0x100000000);
    return this.u32(name, ...cells);
  }
  bytes(name: string, value: Uint8Array): this { this.props.set(name, value.slice()); return this; }
}

export interface DtbOptions {
  bootCpuId?: number;
  /** Memory reservation map entries (address, size). */
  reserve?: [number, number][];
  /** Extra free space at the end, for the guest to edit the tree in place (U-Boot, Linux fixups). */
  padding?: number;
  /** Total size of the blob (free space at the end); overrides `padding`. */
  totalSize?: number;
}

export function toDtb(root: FdtNode, opts: DtbOptions = {}): Uint8Array {
  const strings: number[] = [];
  const strOff = new Map<string, number>();
  const enc = new TextEncoder();
  const nameOffset = (s: string): number => {
    let o = strOff.get(s);
    if (o === undefined) {
      o = strings.length;
      strOff.set(s, o);
      for (const b of enc.encode(s)) strings.push(b);
      strings.push(0);
    }
    return o;
  };
  const struct: number[] = [];
  const word = (v: number) => struct.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  const pad = () => { while (struct.length % 4 !== 0) struct.push(0); };
  const emit = (n: FdtNode) => {
    word(FDT_BEGIN_NODE);
    for (const b of enc.encode(n.name)) struct.push(b);
    struct.push(0);
    pad();
    for (const [k, v] of n.props) {
      word(FDT_PROP);
      word(v.length);
      word(nameOffset(k));
      for (const b of v) struct.push(b);
      pad();
    }
    for (const c of n.children) emit(c);
    word(FDT_END_NODE);
  };
  emit(root);
  word(FDT_END);

  const reserve = opts.reserve ?? [];
  const rsvOff = 48; // 8-byte aligned after the header
  const rsvSize = (reserve.length + 1) * 16;
  const structOff = rsvOff + rsvSize;
  const stringsOff = structOff + struct.length;
  const used = stringsOff + strings.length;
  if (opts.totalSize !== undefined && opts.totalSize < used) throw new RangeError(`device tree needs ${used} bytes, more than ${opts.totalSize}`);
  const total = opts.totalSize ?? ((used + (opts.padding ?? 0) + 7) & ~7);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, FDT_MAGIC);
  dv.setUint32(4, out.length);
  dv.setUint32(8, structOff);
  dv.setUint32(12, stringsOff);
  dv.setUint32(16, rsvOff);
  dv.setUint32(20, 17);
  dv.setUint32(24, 16);
  dv.setUint32(28, opts.bootCpuId ?? 0);
  dv.setUint32(32, strings.length);
  dv.setUint32(36, struct.length);
  reserve.forEach(([a, s], i) => {
    dv.setBigUint64(rsvOff + i * 16, BigInt(a));
    dv.setBigUint64(rsvOff + i * 16 + 8, BigInt(s));
  });
  out.set(struct, structOff);
  out.set(strings, stringsOff);
  return out;
}

/** True if `bytes` starts like a device tree blob. */
export function isDtb(bytes: Uint8Array): boolean {
  return bytes.length >= 40 && new DataView(bytes.buffer, bytes.byteOffset).getUint32(0) === FDT_MAGIC;
}
