// The physical memory map of the ppce500 machine (QEMU's), and the MPIC
// source numbers of its devices.

/** CCSR: the SoC's configuration registers, 1 MiB at 0xf_e000_0000. */
export const CCSR_BASE = 0xfe0000000;
export const CCSR_SIZE = 0x100000;
export const I2C_OFFSET = 0x3000;
export const UART0_OFFSET = 0x4500;
export const LBC_OFFSET = 0x5000;
export const PCI_OFFSET = 0x8000;
export const MPIC_OFFSET = 0x40000;
export const GUTS_OFFSET = 0xe0000;
export const GPIO_OFFSET = 0xff000;
/** The platform bus (QEMU's dynamic sysbus devices; empty here). */
export const PLATFORM_BASE = 0xf00000000;
export const PLATFORM_SIZE = 0x8000000;
/** PCI memory and I/O windows (in the device tree; no device decodes them). */
export const PCI_MEM_BASE = 0xc00000000;
export const PCI_IO_BASE = 0xfe1000000;

/** MPIC sources (internal interrupt n is source 16 + n). */
export const UART0_IRQ = 42;
export const I2C_IRQ = 43;
/** The real-time clock on the I2C bus. */
export const RTC_I2C_ADDR = 0x68;
export const GPIO_IRQ = 47;
export const PCI_IRQ = 24;

export const PVR_E500MC = 0x80230020;

/**
 * Devices on the platform bus (offsets from PLATFORM_BASE). QEMU's ppce500
 * gives its platform bus MPIC external sources 5 to 14; tkvm puts its
 * virtio-mmio transports there, 0x200 bytes each (the register file and the
 * configuration space), one source each, in command-line order: the drives,
 * then the console, then the entropy source.
 */
export const VIRTIO_MMIO_OFFSET = 0x0;
export const VIRTIO_MMIO_STRIDE = 0x200;
export const PLATFORM_IRQ_FIRST = 5;
export const PLATFORM_IRQ_COUNT = 10;
/** The pvpanic register (one byte: reads the supported events, a write reports one). */
export const PVPANIC_OFFSET = 0x10000;
