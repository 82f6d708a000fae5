// The system handle (KVM: the /dev/kvm file descriptor).

import { KVM_API_VERSION } from './constants.js';
import { fail } from './errors.js';
import { RUN_SIZE } from './run.js';
import { checkExtension, Vm } from './vm.js';

export class Kvm {
  apiVersion(): number { return KVM_API_VERSION; }
  checkExtension(cap: number): number {
    if (!Number.isInteger(cap)) fail('EINVAL', 'capability must be an integer');
    return checkExtension(cap);
  }
  /** KVM_CREATE_VM; type 0 is the only machine type. */
  createVm(type = 0): Vm {
    if (type !== 0) fail('EINVAL', `unknown VM type ${type}`);
    return new Vm();
  }
  /** KVM_GET_VCPU_MMAP_SIZE: bytes of the run structure. */
  vcpuMmapSize(): number { return RUN_SIZE; }
}

export function openKvm(): Kvm {
  return new Kvm();
}
