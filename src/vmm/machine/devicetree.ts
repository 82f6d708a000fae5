// The ppce500 device tree, with QEMU's node structure (names, order,
// properties) for the devices both machines have:
//
//   /platform@f00000000            the platform bus: virtio_mmio@N (one per
//                                  virtio device, "virtio,mmio") and
//                                  pvpanic@10000 ("qemu,pvpanic-mmio");
//                                  QEMU's is empty
//   /pci@fe0008000                 PCI host bridge, no devices behind it
//   /soc@fe0000000/power-off       gpio-poweroff on GPIO pin 0
//   /soc@fe0000000/gpio@ff000
//   /soc@fe0000000/msi@41600       the MPIC's MSI block
//   /soc@fe0000000/global-utilities@e0000
//   /soc@fe0000000/i2c@3000/rtc@68 I2C controller and real-time clock
//   /soc@fe0000000/serial@4500     MPIC source 42
//   /soc@fe0000000/pic@40000       the MPIC
//   /aliases, /cpus, /chosen, /memory
//
// Two departures make the tree well-formed where QEMU's is not (dtc warns
// about QEMU's): the I2C bus node has #address-cells = <1> and #size-cells =
// <0>, as the I2C binding requires for its rtc@68 child, and /aliases/rtc is
// an absolute path. /memory keeps QEMU's name (without a unit address; dtc's
// one remaining warning) since firmware looks it up by that name.
//
// /chosen/rng-seed is left out: QEMU fills it with random bytes, tkvm keeps
// boots reproducible.

import { FdtNode } from '../fdt/fdt.js';
import { MSI_SOURCE0 } from '../devices/mpic.js';
import {
  CCSR_BASE, GPIO_OFFSET, GUTS_OFFSET, MPIC_OFFSET, PCI_IO_BASE, PCI_MEM_BASE, PCI_OFFSET, PLATFORM_BASE,
  PLATFORM_SIZE, UART0_OFFSET, UART0_IRQ, GPIO_IRQ, PCI_IRQ, I2C_OFFSET, I2C_IRQ, RTC_I2C_ADDR,
} from './layout.js';

/** A device on the platform bus, as the device tree describes it. */
export interface PlatformDevice {
  /** Node name, with the unit address (the offset in the platform bus). */
  node: string;
  compatible: string;
  offset: number;
  size: number;
  /** MPIC source (level-sensitive, active-high), if it interrupts. */
  irq?: number;
}

export interface TreeOptions {
  /** Devices on the platform bus (none by default, as in QEMU's tree). */
  platform?: PlatformDevice[];
  ramBytes: number;
  bootargs: string;
  initrd?: { start: number; end: number };
  /** The kernel image's location, as QEMU passes it for U-Boot (qemu,boot-kernel). */
  bootKernel?: { base: number; size: number };
  timebaseHz: number;
  clockHz: number;
}

const MPIC_PHANDLE = 0x8003;
const MSI_PHANDLE = 0x8004;
/** The MPIC's MSI block, inside the MPIC's registers. */
const MSI_OFFSET = MPIC_OFFSET + 0x1600;
const GPIO_PHANDLE = 0x8005;
/** Sense of level-sensitive, active-high sources in the MPIC's two-cell specifier. */
const LEVEL_HIGH = 2;

const hi = (v: number) => Math.floor(v / 0x100000000);
const lo = (v: number) => v % 0x100000000;

export function buildTree(o: TreeOptions): FdtNode {
  const root = new FdtNode('');
  root.str('compatible', 'fsl,qemu-e500').str('model', 'QEMU ppce500')
    .u32('#size-cells', 2).u32('#address-cells', 2);

  const platform = root.child(`platform@${PLATFORM_BASE.toString(16)}`)
    .u32('interrupt-parent', MPIC_PHANDLE)
    .u32('ranges', 0, hi(PLATFORM_BASE), lo(PLATFORM_BASE), PLATFORM_SIZE)
    .u32('#address-cells', 1).u32('#size-cells', 1)
    .str('compatible', 'qemu,platform', 'simple-bus');
  for (const d of o.platform ?? []) {
    const n = platform.child(d.node).str('compatible', d.compatible).u32('reg', d.offset, d.size);
    if (d.irq !== undefined) n.u32('interrupts', d.irq, LEVEL_HIGH);
  }

  const pciBase = CCSR_BASE + PCI_OFFSET;
  const pciName = `pci@${pciBase.toString(16)}`;
  root.child(pciName)
    .u32('#address-cells', 3).u32('#size-cells', 2).u32('#interrupt-cells', 1)
    .u32('clock-frequency', 66666666)
    .u32('reg', hi(pciBase), lo(pciBase), 0, 0x1000)
    .u32('ranges',
      0x2000000, 0, 0xe0000000, hi(PCI_MEM_BASE), lo(PCI_MEM_BASE), 0, 0x20000000,
      0x1000000, 0, 0, hi(PCI_IO_BASE), lo(PCI_IO_BASE), 0, 0x10000)
    .u32('fsl,msi', MSI_PHANDLE)
    .u32('bus-range', 0, 255)
    .u32('interrupts', PCI_IRQ, LEVEL_HIGH)
    .u32('interrupt-parent', MPIC_PHANDLE)
    .u32('interrupt-map', ...pciInterruptMap())
    .u32('interrupt-map-mask', 0xf800, 0, 0, 7)
    .str('device_type', 'pci').str('compatible', 'fsl,mpc8540-pci').u32('cell-index', 0);

  const socName = `soc@${CCSR_BASE.toString(16)}`;
  const soc = root.child(socName);
  soc.u32('bus-frequency', 0)
    .u32('ranges', 0, hi(CCSR_BASE), lo(CCSR_BASE), 0x100000)
    .u32('#size-cells', 1).u32('#address-cells', 1)
    .str('compatible', 'fsl,mpc8544-immr', 'simple-bus').str('device_type', 'soc');
  soc.child('power-off').u32('gpios', GPIO_PHANDLE, 0, 0).str('compatible', 'gpio-poweroff');
  soc.child(`gpio@${GPIO_OFFSET.toString(16)}`)
    .u32('linux,phandle', GPIO_PHANDLE).u32('phandle', GPIO_PHANDLE)
    .empty('gpio-controller').u32('#gpio-cells', 2)
    .u32('interrupt-parent', MPIC_PHANDLE).u32('interrupts', GPIO_IRQ, LEVEL_HIGH)
    .u32('reg', GPIO_OFFSET, 0x1000).str('compatible', 'fsl,qoriq-gpio');
  soc.child(`msi@${MSI_OFFSET.toString(16)}`)
    .u32('linux,phandle', MSI_PHANDLE).u32('phandle', MSI_PHANDLE)
    .u32('interrupts', ...Array.from({ length: 8 }, (_, k) => [MSI_SOURCE0 + k, 0]).flat())
    .u32('interrupt-parent', MPIC_PHANDLE)
    .u32('msi-available-ranges', 0, 0x100)
    .u32('reg', MSI_OFFSET, 0x200).str('compatible', 'fsl,mpic-msi');
  soc.child(`global-utilities@${GUTS_OFFSET.toString(16)}`)
    .empty('fsl,has-rstcr').u32('reg', GUTS_OFFSET, 0x1000).str('compatible', 'fsl,mpc8544-guts');
  const i2cName = `i2c@${I2C_OFFSET.toString(16)}`;
  const i2c = soc.child(i2cName)
    .u32('interrupt-parent', MPIC_PHANDLE).u32('interrupts', I2C_IRQ, LEVEL_HIGH)
    .u32('cell-index', 0).u32('reg', I2C_OFFSET, 0x14).str('compatible', 'fsl-i2c').str('device_type', 'i2c')
    .u32('#address-cells', 1).u32('#size-cells', 0);
  i2c.child(`rtc@${RTC_I2C_ADDR.toString(16)}`).u32('reg', RTC_I2C_ADDR).str('compatible', 'pericom,pt7c4338');
  const serial = `serial@${UART0_OFFSET.toString(16)}`;
  soc.child(serial)
    .u32('interrupt-parent', MPIC_PHANDLE).u32('interrupts', UART0_IRQ, LEVEL_HIGH)
    .u32('clock-frequency', o.clockHz).u32('cell-index', 0)
    .u32('reg', UART0_OFFSET, 0x100).str('compatible', 'ns16550').str('device_type', 'serial');
  soc.child(`pic@${MPIC_OFFSET.toString(16)}`)
    .empty('interrupt-controller')
    .u32('linux,phandle', MPIC_PHANDLE).u32('phandle', MPIC_PHANDLE)
    .u32('#interrupt-cells', 2).u32('#address-cells', 0)
    .u32('reg', MPIC_OFFSET, 0x40000)
    .str('compatible', 'fsl,mpic').str('device_type', 'open-pic');

  const serialPath = `/${socName}/${serial}`;
  root.child('aliases').str('pci0', `/${pciName}`)
    .str('rtc', `/${socName}/${i2cName}/rtc@${RTC_I2C_ADDR.toString(16)}`).str('i2c', `/${socName}/${i2cName}`)
    .str('serial0', serialPath);

  const cpus = root.child('cpus');
  cpus.u32('#size-cells', 0).u32('#address-cells', 1);
  cpus.child('PowerPC,8544@0')
    .str('status', 'okay').u32('bus-frequency', 0)
    .u32('i-cache-size', 0x8000).u32('d-cache-size', 0x8000)
    .u32('i-cache-line-size', 64).u32('d-cache-line-size', 64)
    .u32('reg', 0).str('device_type', 'cpu')
    .u32('timebase-frequency', o.timebaseHz).u32('clock-frequency', o.clockHz);

  const chosen = root.child('chosen');
  chosen.str('stdout-path', serialPath).str('linux,stdout-path', serialPath);
  chosen.str('bootargs', o.bootargs);
  if (o.bootKernel) chosen.u64('qemu,boot-kernel', o.bootKernel.base, o.bootKernel.size);
  if (o.initrd) chosen.u32('linux,initrd-end', o.initrd.end).u32('linux,initrd-start', o.initrd.start);

  root.child('memory').u64('reg', 0, o.ramBytes).str('device_type', 'memory');
  return root;
}

/**
 * PCI INTx routing: device `slot` (1..31), pin INTA..INTD go to MPIC
 * sources 1..4, rotated by the slot number (QEMU's swizzle).
 */
function pciInterruptMap(): number[] {
  const cells: number[] = [];
  for (let slot = 1; slot < 32; slot++) {
    for (let pin = 1; pin <= 4; pin++) {
      cells.push(slot << 11, 0, 0, pin, MPIC_PHANDLE, ((slot + pin - 1) % 4) + 1, 1);
    }
  }
  return cells;
}
