// Device state for snapshots: every device of a machine that holds state
// implements Stateful. Its state is plain JSON data (numbers, booleans,
// strings, arrays, objects; byte arrays as hex strings), written by
// saveState and checked field by field by loadState, which throws
// StateError naming the field for anything malformed, so a snapshot that
// passed its checksums but was not written by tkvm (or by another version
// of a device) is refused with one clear message.
//
// A snapshot is restored into a freshly built machine and swapped in only if
// everything loaded, so loadState may assume power-on state and need not be
// atomic. Times are passed in: `nowNs` is the machine's clock at the save
// and at the restore (the same value when the clock is the instruction
// count), so a device keeps times relative to it.
//
// Devices with work in flight save that too, so a restored guest sees its
// requests completed exactly once. A virtio device joins by implementing
// Stateful for its transport (status, features, queue selection, interrupt
// status, config generation), its queues (sizes, ring addresses, enabled,
// the last available index seen and the used index) and its backend (e.g.
// virtio-console's pending input), doing its DMA through the machine's
// `dma` GuestMemory (whose writes the next incremental snapshot includes),
// and registering itself in `Ppce500.devices` under a stable name. The
// snapshot then refuses to restore into a machine without that device, and
// vice versa.

export class StateError extends Error {
  override name = 'StateError';
}

export interface StateContext {
  /** The machine's clock (ns): at the save, or at the restore. */
  nowNs: number;
}

export interface Stateful {
  saveState(ctx: StateContext): unknown;
  /** Restore into a device at power-on state; throws StateError if `state` is malformed. */
  loadState(state: unknown, ctx: StateContext): void;
}

export type Obj = Record<string, unknown>;

export function obj(v: unknown, what: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new StateError(`${what}: expected an object`);
  return v as Obj;
}

/** Reject fields the reader does not know (a state from another version of the device). */
export function fields(o: Obj, known: readonly string[], what: string): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new StateError(`${what}: unknown field '${k}'`);
  for (const k of known) if (!(k in o)) throw new StateError(`${what}: missing field '${k}'`);
}

export function int(o: Obj, key: string, min: number, max: number, what: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new StateError(`${what}.${key}: expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

/** A finite number (times in ns may be fractional on a wall clock). */
export function num(o: Obj, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new StateError(`${what}.${key}: expected a number, got ${JSON.stringify(v)}`);
  return v;
}

export function bool(o: Obj, key: string, what: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new StateError(`${what}.${key}: expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

export function str(o: Obj, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new StateError(`${what}.${key}: expected a string`);
  return v;
}

export function intArray(o: Obj, key: string, len: number | null, min: number, max: number, what: string): number[] {
  const v = o[key];
  if (!Array.isArray(v) || (len !== null && v.length !== len)) {
    throw new StateError(`${what}.${key}: expected an array${len !== null ? ` of ${len} integers` : ''}`);
  }
  for (const x of v) {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
      throw new StateError(`${what}.${key}: element ${JSON.stringify(x)} is not an integer in [${min}, ${max}]`);
    }
  }
  return v as number[];
}

export function hexBytes(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function bytes(o: Obj, key: string, len: number, what: string): Uint8Array {
  const v = o[key];
  if (typeof v !== 'string' || v.length !== len * 2 || !/^[0-9a-f]*$/.test(v)) {
    throw new StateError(`${what}.${key}: expected ${len} bytes as hex`);
  }
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = parseInt(v.substr(2 * i, 2), 16);
  return out;
}
