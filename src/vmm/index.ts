// The public module of the VMM (the package's `tkvm/vmm`): the ppce500
// machine and what a program needs to build, boot, drive and save one, on
// the hypervisor API only and without Node-only modules (it runs in a
// browser too). The CLI and the Node adapters (`tkvm/node`) are built from
// these. Other files of src/vmm are internal: their names may change.

// The machine, and a session around it (run state, reset, snapshots, panics).
export {
  Ppce500, MAX_VIRTIO_DEVICES, CCSR_BASE, CCSR_SIZE, UART0_OFFSET, GUTS_OFFSET, GPIO_OFFSET, PVR_E500MC,
  type MachineOptions, type MachineEvent, type RtcOptions,
} from './machine/ppce500.js';
export {
  Session, TKVM_VERSION,
  type SessionHost, type SessionListener, type SessionEnd, type RunState, type PanicAction, type StopCause,
} from './machine/session.js';
export { buildTree, type TreeOptions, type PlatformDevice } from './machine/devicetree.js';

// Loaders: boot as QEMU's ppce500 does (ELF, uImage, raw firmware, initrd, device tree), or parse images.
export { boot, EPAPR_MAGIC, KERNEL_LOAD_ADDR, RAW_FIRMWARE_ADDR, type BootOptions, type BootInfo, type InputFile } from './loaders/boot.js';
export { directBoot, type DirectBootOptions } from './loaders/direct.js';
export { parseElf, isElf, ImageError, type ElfImage, type ElfSegment } from './loaders/elf.js';
export { parseUImage, isUImage, UIMAGE_MAGIC, type UImage } from './loaders/uimage.js';
export { gunzip, isGzip, InflateError } from './loaders/inflate.js';
export { FdtNode, toDtb, isDtb, type PropValue, type DtbOptions } from './fdt/fdt.js';

// Devices, the MMIO bus they sit on, and guest memory as they see it (DMA).
export { MmioBus, type MmioDevice } from './bus.js';
export { GuestMemory, GuestMemoryError } from './guest-memory.js';
export { Uart16550 } from './devices/uart16550.js';
export { Mpic, type MpicOutputs, type MpicClock } from './devices/mpic.js';
export { QoriqGpio } from './devices/qoriq-gpio.js';
export { Guts } from './devices/guts.js';
export { FslI2c, type I2cDevice } from './devices/fsl-i2c.js';
export { RtcDs1338 } from './devices/rtc-ds1338.js';
export { FslPciHost } from './devices/fsl-pci.js';
export { Pvpanic } from './devices/pvpanic.js';
export { VirtioMmio, type VirtioBackend, type VirtioContext } from './devices/virtio/mmio.js';
export { VirtioBlk, type BlockStorage } from './devices/virtio/blk.js';
export { VirtioConsole } from './devices/virtio/console.js';
export { VirtioRng } from './devices/virtio/rng.js';

// The guest's TLB and memory as a debugger sees them (through the shared TLB).
export { GuestTlbView, formatEntry, type TlbEntry, type Translation, type SyncPolicy } from './debug/tlb.js';
export { translateDebug, readVirtual, writeVirtual } from './debug/memory.js';

// Snapshots: the container (with the platform's compression) and whole machines.
export {
  readSnapshot, writeSnapshot, SnapshotError, InflateLimitError, SNAPSHOT_MAGIC, SNAPSHOT_VERSION, type Codec, type Section,
} from './snapshot/format.js';
export {
  prepareSnapshot, parseSnapshot, readChain, restoreChain, checkCompatible,
  type SnapshotRef, type SnapshotMeta, type SaveStats, type PreparedSnapshot, type ParsedSnapshot,
} from './snapshot/machine.js';
export { StateError, type Stateful } from './snapshot/state.js';

// QEMU's monitor (HMP), QMP and the GDB stub, over byte streams the platform provides.
export { Hmp, HMP_PROMPT, HMP_BANNER } from './monitor/hmp.js';
export { QmpConnection } from './monitor/qmp.js';
export { GdbStub, type GdbTarget } from './gdb/stub.js';
export { MachineGdbTarget } from './gdb/target.js';
