// Instruction fields, declared once (as decodetree's %fields): where each
// operand sits in the instruction word. The decoder's reserved-bit masks,
// the semantics (both the interpreter's handlers and the translator's
// specialised code, see sem.ts), and the disassembler's operands all come
// from this table.
//
// Bit positions are LSB-0 shifts (the ISA numbers bits MSB-0: ISA bits
// 6..10, rT, are shift 21, 5 bits).

export interface Field {
  readonly shift: number;
  readonly bits: number;
  /** Sign-extended from its top bit. */
  readonly signed?: boolean;
  /** The value is the field times 4 (branch displacements: the low two bits are AA and LK). */
  readonly word?: boolean;
  /** The SPR number: two 5-bit halves, swapped (the spr/tbr fields of mfspr, mtspr, mftb). */
  readonly swapped?: boolean;
}

const f = (shift: number, bits: number, extra: Partial<Field> = {}): Field => ({ shift, bits, ...extra });

/** Every field by the name the operand syntax and the semantics use. */
export const FIELDS = {
  // registers (GPR, FPR) and 5-bit fields in the same places
  rt: f(21, 5), rs: f(21, 5), frt: f(21, 5), frs: f(21, 5),
  ra: f(16, 5), fra: f(16, 5),
  rb: f(11, 5), frb: f(11, 5),
  frc: f(6, 5),
  // branch and condition fields
  bo: f(21, 5), bi: f(16, 5), bc: f(6, 5),
  bd: f(2, 14, { signed: true, word: true }), li: f(2, 24, { signed: true, word: true }),
  bf: f(23, 3), bfa: f(18, 3),
  cbt: f(21, 5), cba: f(16, 5), cbb: f(11, 5), bt: f(21, 5),
  // immediates
  si: f(0, 16, { signed: true }), ui: f(0, 16), d: f(0, 16, { signed: true }),
  sh: f(11, 5), mb: f(6, 5), me: f(1, 5),
  to: f(21, 5),
  // system
  spr: f(11, 10, { swapped: true }), tbr: f(11, 10, { swapped: true }),
  lev: f(5, 7), fxm: f(12, 8), flm: f(17, 8), u: f(12, 4), e: f(15, 1), oc: f(11, 15),
  l: f(21, 2), ct: f(21, 5), t: f(21, 5), mo: f(21, 5),
  /** mfocrf/mtocrf rather than mfcr/mtcrf (one CR field). */
  ocrf: f(20, 1),
  // mode bits
  rc: f(0, 1), oe: f(10, 1), lk: f(0, 1), aa: f(1, 1),
} as const satisfies Record<string, Field>;

export type FieldName = keyof typeof FIELDS;

export function isFieldName(s: string): s is FieldName {
  return Object.prototype.hasOwnProperty.call(FIELDS, s);
}

/** The bits of the word a field occupies. */
export function fieldMask(name: FieldName): number {
  const fd: Field = FIELDS[name];
  return (((2 ** fd.bits) - 1) * 2 ** fd.shift) | 0;
}

/** The field's value in instruction word `w`. */
export function fieldValue(name: FieldName, w: number): number {
  const fd: Field = FIELDS[name];
  let v = (w >>> fd.shift) & ((2 ** fd.bits) - 1);
  if (fd.swapped) v = ((v & 0x1f) << 5) | (v >>> 5);
  if (fd.signed) v = (v << (32 - fd.bits)) >> (32 - fd.bits);
  if (fd.word) v *= 4;
  return v;
}

/** A JavaScript expression for the field's value, from the instruction word in variable `w`. */
export function fieldExpr(name: FieldName, w = 'w'): string {
  const fd: Field = FIELDS[name];
  const mask = (2 ** fd.bits) - 1;
  if (fd.swapped) return `(((${w} >>> ${fd.shift + 5}) & 0x1f) | (((${w} >>> ${fd.shift}) & 0x1f) << 5))`;
  if (fd.word) {
    // Sign-extend the displacement in place (the two low bits are AA and LK).
    const top = 32 - (fd.shift + fd.bits);
    return `(((${w} << ${top}) >> ${top}) & ~3)`;
  }
  if (fd.signed) {
    const top = 32 - (fd.shift + fd.bits);
    return fd.shift === 0 ? `((${w} << ${top}) >> ${top})` : `((${w} << ${top}) >> ${top + fd.shift})`;
  }
  if (fd.shift === 0) return `(${w} & ${mask})`;
  if (fd.shift + fd.bits === 32) return `(${w} >>> ${fd.shift})`;
  return `((${w} >>> ${fd.shift}) & ${mask})`;
}

/**
 * The fields of an operand syntax ('rt,ra0,si', 'rs,d(ra0)', 'bo,bi,bd'):
 * 'ra0' is the ra field read as 0 when it names r0; 'd(ra)' is two fields.
 */
export function operandFields(args: string): FieldName[] {
  const out: FieldName[] = [];
  for (const tok of args === '' ? [] : args.split(',')) {
    const m = /^d\((ra0?)\)$/.exec(tok);
    const names = m ? ['d', 'ra'] : [tok === 'ra0' ? 'ra' : tok];
    for (const n of names) {
      if (!isFieldName(n)) throw new Error(`operand syntax '${args}': unknown field '${n}'`);
      out.push(n);
    }
  }
  return out;
}
