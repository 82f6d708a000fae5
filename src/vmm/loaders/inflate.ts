// The gzip container (RFC 1952) around fflate's DEFLATE decoder, for
// gzip-compressed uImages. fflate rather than node:zlib because the VMM runs
// without Node-only modules (it must run in a browser); rather than our own
// decoder because fflate is maintained and twice as fast (a 1.6 MB Linux
// uImage: 38 ms against 75-105 ms; node:zlib takes 14 ms).
//
// What this file adds to fflate:
//  - a bound: the caller says how much output it can take (a uImage's
//    decompressed data must fit in RAM), and a stream that inflates to more
//    is refused as soon as it passes the bound, not after it has filled
//    gigabytes (see gunzip);
//  - the checks fflate leaves out: the header's method and flags, the CRC-32
//    and length in the trailer (fflate checks neither), so corrupt data is
//    one clear error and never a guest that runs garbage;
//  - one-line messages instead of fflate's error codes.

import { Inflate, type FlateError } from 'fflate';
import { crc32 } from '../crc32.js';

export class InflateError extends Error {
  override name = 'InflateError';
}

/** gzip header flags (RFC 1952 2.3.1). */
const FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16, FRESERVED = 0xe0;

/**
 * The most bytes one byte of DEFLATE data can produce: a length-258 match
 * whose literal/length and distance codes are one bit each (258 bytes per 2
 * bits). Used to size input slices so that output past the bound stays small.
 */
const MAX_RATIO = 1032;
/** Input is pushed in slices of at most this size (fflate is as fast with 64 KiB slices as in one piece). */
const MAX_SLICE = 1 << 16;
/** ... and at least this size, so that a nearly exhausted bound does not mean one push per byte. */
const MIN_SLICE = 1 << 12;

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Where the compressed data of a gzip member starts (after the optional fields). */
function headerEnd(src: Uint8Array): number {
  if (src.length < 18 || !isGzip(src)) throw new InflateError('not gzip data');
  if (src[2] !== 8) throw new InflateError(`unknown gzip compression method ${src[2]}`);
  const flg = src[3];
  if ((flg & FRESERVED) !== 0) throw new InflateError('gzip header has reserved flags set');
  let p = 10;
  if (flg & FEXTRA) p += 2 + (src[p] | (src[p + 1] << 8));
  const skipString = () => {
    while (p < src.length && src[p] !== 0) p++;
    p++;
  };
  if (flg & FNAME) skipString();
  if (flg & FCOMMENT) skipString();
  if (flg & FHCRC) p += 2;
  // The trailer (8 bytes) follows the compressed data.
  if (p + 8 > src.length) throw new InflateError('gzip header is truncated');
  return p;
}

/** fflate's error codes (FlateErrorCode) as the messages this VMM gives for corrupt images. */
function describe(e: FlateError): string {
  switch (e.code) {
    case 0: return 'compressed data is truncated';
    case 1: return 'invalid block type in compressed data';
    case 2: return 'invalid literal/length code in compressed data';
    case 3: return 'invalid distance in compressed data';
    default: return `corrupt compressed data (${e.message})`;
  }
}

/** A size for a message: in MiB when it is a whole number of them (the RAM sizes boot passes), else in bytes. */
const size = (n: number): string => (n >= 1 << 20 && n % (1 << 20) === 0 ? `${n / (1 << 20)} MiB` : `${n} bytes`);

const isFlateError = (e: unknown): e is FlateError => e instanceof Error && typeof (e as FlateError).code === 'number';

/**
 * Decompress a gzip file of one member (what gzip(1) and mkimage write):
 * header, DEFLATE data, then CRC-32 and length as the last 8 bytes. Refuses,
 * with an InflateError, anything that inflates to more than `limit` bytes:
 * input goes to fflate in slices no bigger than could produce the bytes
 * still allowed, so a stream that explodes (1 GiB of zeros is 1 MiB of
 * DEFLATE) is stopped a few MiB past the limit at most.
 */
export function gunzip(src: Uint8Array, limit: number): Uint8Array {
  const start = headerEnd(src);
  const body = src.subarray(start, src.length - 8);
  const trailer = new DataView(src.buffer, src.byteOffset + src.length - 8, 8);
  const wantCrc = trailer.getUint32(0, true), wantLen = trailer.getUint32(4, true);
  if (body.length === 0) throw new InflateError('compressed data is truncated');
  // The trailer's length (mod 2^32) sizes the output: exact for an intact
  // file; for a forged one no more than the data could produce.
  let out = new Uint8Array(Math.min(wantLen, limit, body.length * MAX_RATIO));
  let len = 0;
  const inflater = new Inflate((chunk) => {
    if (len + chunk.length > limit) throw new InflateError(`decompressed data is larger than ${size(limit)}`);
    if (len + chunk.length > out.length) {
      const grown = new Uint8Array(Math.min(limit, Math.max(out.length * 2, len + chunk.length)));
      grown.set(out.subarray(0, len));
      out = grown;
    }
    out.set(chunk, len);
    len += chunk.length;
  });
  try {
    for (let p = 0; p < body.length;) {
      const room = Math.floor((limit - len) / MAX_RATIO);
      const end = Math.min(body.length, p + Math.max(MIN_SLICE, Math.min(MAX_SLICE, room)));
      inflater.push(body.subarray(p, end), end === body.length);
      p = end;
    }
  } catch (e) {
    if (isFlateError(e)) throw new InflateError(describe(e));
    throw e;
  }
  // Bytes between the end of the DEFLATE data and the trailer (another gzip
  // member, padding) are not read; the trailer check below refuses such a file.
  const data = len === out.length ? out : out.slice(0, len);
  if (crc32(data) !== wantCrc) throw new InflateError('gzip CRC mismatch (corrupt data)');
  if ((len >>> 0) !== wantLen) throw new InflateError('gzip length mismatch (corrupt data)');
  return data;
}
