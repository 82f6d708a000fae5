// The virtio-mmio transport, virtio 1.x ("modern", version 2): the register
// file a driver programs, feature negotiation, queue setup, notifications
// and the interrupt line. The device behind it (block, console, entropy) is
// a VirtioBackend. Registers and configuration space are little-endian; the
// MMIO bus hands values over as the big-endian interpretation of the bytes,
// so they are byte-swapped here.

import type { MmioDevice } from '../../bus.js';
import { GuestMemoryError, type GuestMemory } from '../../guest-memory.js';
import { bool, fields, int, obj, str, StateError, type Stateful } from '../../snapshot/state.js';
import { Virtqueue, VirtqueueError } from './queue.js';

export const VIRTIO_F_VERSION_1 = 1n << 32n;
export const VIRTIO_F_INDIRECT_DESC = 1n << 28n;

const MAGIC = 0x74726976; // "virt"
const VENDOR = 0x6d766b74; // "tkvm"

// Device status bits (ACKNOWLEDGE 1 and DRIVER 2 need no action from the device).
const STATUS_DRIVER_OK = 4, STATUS_FEATURES_OK = 8, STATUS_NEEDS_RESET = 0x40;

export const INT_USED = 1, INT_CONFIG = 2;

export interface VirtioContext {
  readonly mem: GuestMemory;
  readonly queues: Virtqueue[];
  /** Signal a used-buffer notification for queue q (unless the driver suppressed it). */
  usedBuffer(q: number): void;
  /** Signal a configuration change. */
  configChanged(): void;
  /** True once the driver set DRIVER_OK. */
  readonly driverOk: boolean;
}

export interface VirtioBackend {
  readonly deviceId: number;
  /** Device-specific feature bits (the transport adds VERSION_1 and INDIRECT_DESC). */
  readonly features: bigint;
  readonly queueSizes: number[];
  /** Configuration space bytes (little-endian fields). */
  readonly config: Uint8Array;
  configWrite?(offset: number, bytes: Uint8Array): void;
  /** The driver notified queue q. May throw VirtqueueError for a malformed queue. */
  notify(q: number, ctx: VirtioContext): void;
  /** The driver finished initialization (DRIVER_OK) with these features. */
  activate?(ctx: VirtioContext, features: bigint): void;
  reset(): void;
  /** Snapshots: the backend's own state (e.g. input not yet delivered); none if absent. */
  saveState?(): unknown;
  loadState?(state: unknown): void;
}

function bswap(v: number, size: number): number {
  switch (size) {
    case 1: return v & 0xff;
    case 2: return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
    default: return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | ((v >>> 24) & 0xff)) >>> 0;
  }
}

export class VirtioMmio implements MmioDevice, VirtioContext, Stateful {
  readonly queues: Virtqueue[];
  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures = 0n;
  private queueSel = 0;
  private interruptStatus = 0;
  private configGeneration = 0;
  private irqLevel = false;
  private readonly offered: bigint;

  constructor(
    readonly mem: GuestMemory,
    readonly backend: VirtioBackend,
    private readonly irq: (level: boolean) => void,
    private readonly log: (msg: string) => void = () => {},
  ) {
    this.queues = backend.queueSizes.map((n) => new Virtqueue(n));
    this.offered = backend.features | VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC;
  }

  get driverOk(): boolean { return (this.status & STATUS_DRIVER_OK) !== 0 && (this.status & STATUS_NEEDS_RESET) === 0; }

  usedBuffer(q: number): void {
    if (this.queues[q].noInterrupt(this.mem)) return;
    this.interruptStatus |= INT_USED;
    this.updateIrq();
  }

  configChanged(): void {
    this.configGeneration = (this.configGeneration + 1) >>> 0;
    this.interruptStatus |= INT_CONFIG;
    this.updateIrq();
  }

  /** Let the backend make progress outside a notification (e.g. console input arrived). */
  kick(q: number): void {
    if (!this.driverOk) return;
    this.guarded(() => this.backend.notify(q, this));
  }

  private updateIrq(): void {
    const level = this.interruptStatus !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
  }

  private fail(msg: string): void {
    this.log(`virtio device ${this.backend.deviceId}: ${msg}; device needs reset`);
    this.status |= STATUS_NEEDS_RESET;
    this.configChanged();
  }

  /** Run f; a malformed queue or a DMA outside RAM marks the device as needing reset instead of throwing. */
  guarded(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (e instanceof VirtqueueError || e instanceof GuestMemoryError) this.fail(e.message);
      else throw e;
    }
  }

  private reset(): void {
    this.status = 0;
    this.deviceFeaturesSel = this.driverFeaturesSel = 0;
    this.driverFeatures = 0n;
    this.queueSel = 0;
    this.interruptStatus = 0;
    for (const q of this.queues) q.reset();
    this.backend.reset();
    this.updateIrq();
  }

  private get q(): Virtqueue | undefined { return this.queues[this.queueSel]; }

  read(offset: number, size: number): number {
    if (offset >= 0x100) {
      const cfg = this.backend.config;
      let v = 0;
      for (let k = size - 1; k >= 0; k--) v = v * 256 + (cfg[offset - 0x100 + k] ?? 0);
      return bswap(v, size);
    }
    if (size !== 4) {
      this.log(`virtio: ${size}-byte read of register 0x${offset.toString(16)} (registers are 32-bit)`);
      return 0;
    }
    return bswap(this.readReg(offset), 4);
  }

  private readReg(offset: number): number {
    switch (offset) {
      case 0x000: return MAGIC;
      case 0x004: return 2;
      case 0x008: return this.backend.deviceId;
      case 0x00c: return VENDOR;
      case 0x010: return Number((this.offered >> BigInt(32 * this.deviceFeaturesSel)) & 0xffffffffn);
      case 0x034: return this.q?.maxSize ?? 0;
      case 0x044: return this.q?.ready ? 1 : 0;
      case 0x060: return this.interruptStatus;
      case 0x070: return this.status;
      case 0x0fc: return this.configGeneration;
      default:
        this.log(`virtio: read of write-only or unknown register 0x${offset.toString(16)}`);
        return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    if (offset >= 0x100) {
      const bytes = new Uint8Array(size);
      const v = bswap(value, size);
      for (let k = 0; k < size; k++) bytes[k] = Math.floor(v / Math.pow(256, k)) & 0xff;
      this.backend.configWrite?.(offset - 0x100, bytes);
      return;
    }
    if (size !== 4) {
      this.log(`virtio: ${size}-byte write of register 0x${offset.toString(16)} ignored (registers are 32-bit)`);
      return;
    }
    this.writeReg(offset, bswap(value, 4));
  }

  private setAddr(which: 'descAddr' | 'availAddr' | 'usedAddr', high: boolean, v: number): void {
    const q = this.q;
    if (!q || q.ready) return; // addresses are fixed while the queue is live
    const cur = q[which];
    q[which] = high ? v * 0x100000000 + (cur % 0x100000000) : Math.floor(cur / 0x100000000) * 0x100000000 + v;
  }

  private writeReg(offset: number, v: number): void {
    switch (offset) {
      case 0x014: this.deviceFeaturesSel = v; return;
      case 0x020:
        if (this.driverFeaturesSel < 2) {
          const sh = BigInt(32 * this.driverFeaturesSel);
          this.driverFeatures = (this.driverFeatures & ~(0xffffffffn << sh)) | (BigInt(v) << sh);
        }
        return;
      case 0x024: this.driverFeaturesSel = v; return;
      case 0x030: this.queueSel = v; return;
      case 0x038: {
        const q = this.q;
        if (q && !q.ready && v > 0 && v <= q.maxSize && (v & (v - 1)) === 0) q.num = v;
        else if (q) this.log(`virtio: bad queue size ${v}`);
        return;
      }
      case 0x044: {
        const q = this.q;
        if (!q) return;
        if (v === 0) q.ready = false;
        else if (q.num > 0) q.ready = true;
        return;
      }
      case 0x050:
        if (this.driverOk && v < this.queues.length) this.guarded(() => this.backend.notify(v, this));
        return;
      case 0x064:
        this.interruptStatus &= ~v;
        this.updateIrq();
        return;
      case 0x070: this.writeStatus(v); return;
      case 0x080: this.setAddr('descAddr', false, v); return;
      case 0x084: this.setAddr('descAddr', true, v); return;
      case 0x090: this.setAddr('availAddr', false, v); return;
      case 0x094: this.setAddr('availAddr', true, v); return;
      case 0x0a0: this.setAddr('usedAddr', false, v); return;
      case 0x0a4: this.setAddr('usedAddr', true, v); return;
      default:
        this.log(`virtio: write to read-only or unknown register 0x${offset.toString(16)}`);
    }
  }

  private writeStatus(v: number): void {
    if (v === 0) {
      this.reset();
      return;
    }
    if ((v & STATUS_FEATURES_OK) !== 0 && (this.status & STATUS_FEATURES_OK) === 0) {
      // Accept only a subset of what we offered, and only the modern interface.
      const ok = (this.driverFeatures & ~this.offered) === 0n && (this.driverFeatures & VIRTIO_F_VERSION_1) !== 0n;
      if (!ok) v &= ~STATUS_FEATURES_OK;
    }
    const becameOk = (v & STATUS_DRIVER_OK) !== 0 && (this.status & STATUS_DRIVER_OK) === 0;
    this.status = (v & 0xff) | (this.status & STATUS_NEEDS_RESET);
    if (becameOk) this.guarded(() => this.backend.activate?.(this, this.driverFeatures));
  }

  // ---- snapshots ----

  /**
   * The transport's registers and each queue's setup and position (the last
   * available index consumed, the used index): requests are served
   * synchronously, so nothing is in flight between two exits, and a restored
   * device goes on from exactly the next request. The backend adds its own.
   */
  saveState(): unknown {
    return {
      deviceId: this.backend.deviceId,
      status: this.status, deviceFeaturesSel: this.deviceFeaturesSel, driverFeaturesSel: this.driverFeaturesSel,
      driverFeatures: this.driverFeatures.toString(16), queueSel: this.queueSel,
      interruptStatus: this.interruptStatus, configGeneration: this.configGeneration,
      queues: this.queues.map((q) => ({
        num: q.num, ready: q.ready, descAddr: q.descAddr, availAddr: q.availAddr, usedAddr: q.usedAddr,
        lastAvail: q.lastAvail, usedIdx: q.usedIdx,
      })),
      backend: this.backend.saveState?.() ?? null,
    };
  }

  loadState(state: unknown): void {
    const w = `virtio device ${this.backend.deviceId}`;
    const o = obj(state, w);
    fields(o, ['deviceId', 'status', 'deviceFeaturesSel', 'driverFeaturesSel', 'driverFeatures', 'queueSel',
      'interruptStatus', 'configGeneration', 'queues', 'backend'], w);
    const id = int(o, 'deviceId', 0, 0xffff, w);
    if (id !== this.backend.deviceId) throw new StateError(`${w}: the snapshot has virtio device ${id} here`);
    this.status = int(o, 'status', 0, 0xff, w);
    this.deviceFeaturesSel = int(o, 'deviceFeaturesSel', 0, 0xffffffff, w);
    this.driverFeaturesSel = int(o, 'driverFeaturesSel', 0, 0xffffffff, w);
    const f = str(o, 'driverFeatures', w);
    if (!/^[0-9a-f]{1,16}$/.test(f)) throw new StateError(`${w}.driverFeatures: expected hex`);
    this.driverFeatures = BigInt('0x' + f);
    this.queueSel = int(o, 'queueSel', 0, 0xffffffff, w);
    this.interruptStatus = int(o, 'interruptStatus', 0, INT_USED | INT_CONFIG, w);
    this.configGeneration = int(o, 'configGeneration', 0, 0xffffffff, w);
    const qs = o.queues;
    if (!Array.isArray(qs) || qs.length !== this.queues.length) throw new StateError(`${w}.queues: expected ${this.queues.length} queues`);
    qs.forEach((qv, k) => {
      const qw = `${w}.queues[${k}]`;
      const qo = obj(qv, qw);
      fields(qo, ['num', 'ready', 'descAddr', 'availAddr', 'usedAddr', 'lastAvail', 'usedIdx'], qw);
      const q = this.queues[k];
      const num = int(qo, 'num', 0, q.maxSize, qw);
      if ((num & (num - 1)) !== 0) throw new StateError(`${qw}.num: ${num} is not a power of 2`);
      q.num = num;
      q.ready = bool(qo, 'ready', qw);
      q.descAddr = int(qo, 'descAddr', 0, Number.MAX_SAFE_INTEGER, qw);
      q.availAddr = int(qo, 'availAddr', 0, Number.MAX_SAFE_INTEGER, qw);
      q.usedAddr = int(qo, 'usedAddr', 0, Number.MAX_SAFE_INTEGER, qw);
      q.lastAvail = int(qo, 'lastAvail', 0, 0xffff, qw);
      q.usedIdx = int(qo, 'usedIdx', 0, 0xffff, qw);
    });
    if (o.backend !== null) {
      if (this.backend.loadState === undefined) throw new StateError(`${w}: the snapshot has backend state this device does not keep`);
      this.backend.loadState(o.backend);
    }
    this.updateIrq();
  }
}
