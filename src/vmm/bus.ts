// The MMIO bus of a machine: maps guest-physical ranges to devices and
// dispatches the vCPU's MMIO exits to them. Accesses nobody claims are
// reported (never silently dropped) and read as zero.

export interface MmioDevice {
  /** Read `size` (1, 2, 4 or 8) bytes at `offset`; the value is the big-endian interpretation. */
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
}

interface Mapping {
  base: number;
  size: number;
  name: string;
  device: MmioDevice;
}

export class MmioBus {
  private maps: Mapping[] = [];
  private last: Mapping | null = null;
  /** Called for an access that no device claims. */
  onUnhandled: (pa: number, size: number, isWrite: boolean, value: number) => void = () => {};

  map(base: number, size: number, name: string, device: MmioDevice): void {
    for (const m of this.maps) {
      if (base < m.base + m.size && m.base < base + size) throw new Error(`MMIO range of ${name} overlaps ${m.name}`);
    }
    this.maps.push({ base, size, name, device });
    this.maps.sort((a, b) => a.base - b.base);
  }

  private find(pa: number): Mapping | null {
    const l = this.last;
    if (l !== null && pa >= l.base && pa < l.base + l.size) return l;
    for (const m of this.maps) {
      if (pa >= m.base && pa < m.base + m.size) {
        this.last = m;
        return m;
      }
    }
    return null;
  }

  read(pa: number, size: number): number {
    const m = this.find(pa);
    if (m === null) {
      this.onUnhandled(pa, size, false, 0);
      return 0;
    }
    return m.device.read(pa - m.base, size);
  }

  write(pa: number, size: number, value: number): void {
    const m = this.find(pa);
    if (m === null) {
      this.onUnhandled(pa, size, true, value);
      return;
    }
    m.device.write(pa - m.base, size, value);
  }

  /** The memory map, for `info mtree` and traces. */
  list(): { base: number; size: number; name: string }[] {
    return this.maps.map(({ base, size, name }) => ({ base, size, name }));
  }
}
