// Floating-point instructions (placeholder until the FPU lands).
import type { InsnDef } from './decode.js';

export const fpuInsns: InsnDef[] = [];
