// The ppce500 device tree, with QEMU's node structure for the devices both
// machines have.

import { FdtNode } from '../fdt/fdt.js';
import { CCSR_BASE, GPIO_OFFSET, GUTS_OFFSET, UART0_OFFSET } from './ppce500.js';

export interface TreeOptions {
  ramBytes: number;
  bootargs: string;
  initrd?: { start: number; end: number };
  /** The kernel image's location, as QEMU passes it for U-Boot (qemu,boot-kernel). */
  bootKernel?: { base: number; size: number };
  timebaseHz: number;
  clockHz: number;
}

export function buildTree(o: TreeOptions): FdtNode {
  const root = new FdtNode('');
  root.u32('#address-cells', 2).u32('#size-cells', 2)
    .str('model', 'QEMU ppce500').str('compatible', 'fsl,qemu-e500');

  root.child('memory').str('device_type', 'memory').u64('reg', 0, o.ramBytes);

  const cpus = root.child('cpus');
  cpus.u32('#address-cells', 1).u32('#size-cells', 0);
  cpus.child('PowerPC,8544@0')
    .str('device_type', 'cpu').u32('reg', 0)
    .u32('clock-frequency', o.clockHz).u32('timebase-frequency', o.timebaseHz)
    .u32('d-cache-line-size', 64).u32('i-cache-line-size', 64)
    .u32('d-cache-size', 0x8000).u32('i-cache-size', 0x8000)
    .u32('bus-frequency', 0).str('status', 'okay');

  const socName = `soc@${CCSR_BASE.toString(16)}`;
  const soc = root.child(socName);
  soc.str('device_type', 'soc').str('compatible', 'fsl,mpc8544-immr', 'simple-bus')
    .u32('#address-cells', 1).u32('#size-cells', 1)
    .u32('ranges', 0, Math.floor(CCSR_BASE / 0x100000000), CCSR_BASE % 0x100000000, 0x100000)
    .u32('bus-frequency', 0);
  const serial = `serial@${UART0_OFFSET.toString(16)}`;
  soc.child(serial).str('device_type', 'serial').str('compatible', 'ns16550')
    .u32('reg', UART0_OFFSET, 0x100).u32('cell-index', 0).u32('clock-frequency', o.clockHz);
  soc.child(`global-utilities@${GUTS_OFFSET.toString(16)}`).str('compatible', 'fsl,mpc8544-guts')
    .u32('reg', GUTS_OFFSET, 0x1000).empty('fsl,has-rstcr');
  const GPIO_PHANDLE = 0x8005;
  soc.child(`gpio@${GPIO_OFFSET.toString(16)}`).str('compatible', 'fsl,qoriq-gpio')
    .u32('reg', GPIO_OFFSET, 0x1000).u32('#gpio-cells', 2).empty('gpio-controller')
    .u32('phandle', GPIO_PHANDLE).u32('linux,phandle', GPIO_PHANDLE);
  soc.child('power-off').str('compatible', 'gpio-poweroff').u32('gpios', GPIO_PHANDLE, 0, 0);

  const serialPath = `/${socName}/${serial}`;
  root.child('aliases').str('serial0', serialPath);

  const chosen = root.child('chosen');
  chosen.str('bootargs', o.bootargs);
  chosen.str('stdout-path', serialPath).str('linux,stdout-path', serialPath);
  if (o.initrd) chosen.u32('linux,initrd-start', o.initrd.start).u32('linux,initrd-end', o.initrd.end);
  if (o.bootKernel) chosen.u64('qemu,boot-kernel', o.bootKernel.base, o.bootKernel.size);
  return root;
}
