// Guest physical memory as devices see it for DMA: RAM regions backed by the
// buffers the VMM gave the hypervisor. Out-of-range accesses throw
// GuestMemoryError, which a device turns into its own error state (never a
// host crash).

export class GuestMemoryError extends Error {
  override name = 'GuestMemoryError';
}

interface Region {
  base: number;
  size: number;
  u8: Uint8Array;
  dv: DataView;
}

export class GuestMemory {
  private regions: Region[] = [];
  /**
   * Called after every write through this object (device DMA), so the
   * machine can count the pages in its next incremental snapshot (the KVM
   * dirty log sees only the vCPU's stores).
   */
  onWrite: ((pa: number, len: number) => void) | null = null;

  addRegion(base: number, u8: Uint8Array): void {
    this.regions.push({ base, size: u8.length, u8, dv: new DataView(u8.buffer, u8.byteOffset, u8.byteLength) });
  }

  private region(pa: number, len: number): Region {
    for (const r of this.regions) {
      if (pa >= r.base && pa + len <= r.base + r.size) return r;
    }
    throw new GuestMemoryError(`guest physical range 0x${pa.toString(16)}+${len} is not RAM`);
  }

  /** A view of guest memory [pa, pa + len) (must lie within one RAM region). */
  slice(pa: number, len: number): Uint8Array {
    const r = this.region(pa, len);
    return r.u8.subarray(pa - r.base, pa - r.base + len);
  }

  read(pa: number, len: number): Uint8Array {
    return this.slice(pa, len).slice();
  }

  write(pa: number, data: Uint8Array): void {
    this.slice(pa, data.length).set(data);
    this.onWrite?.(pa, data.length);
  }

  u16le(pa: number): number { const r = this.region(pa, 2); return r.dv.getUint16(pa - r.base, true); }
  u32le(pa: number): number { const r = this.region(pa, 4); return r.dv.getUint32(pa - r.base, true); }
  u64le(pa: number): number {
    const r = this.region(pa, 8);
    return Number(r.dv.getBigUint64(pa - r.base, true));
  }
  setU16le(pa: number, v: number): void {
    const r = this.region(pa, 2);
    r.dv.setUint16(pa - r.base, v, true);
    this.onWrite?.(pa, 2);
  }
  setU32le(pa: number, v: number): void {
    const r = this.region(pa, 4);
    r.dv.setUint32(pa - r.base, v >>> 0, true);
    this.onWrite?.(pa, 4);
  }
}
