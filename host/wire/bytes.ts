// Shared by the codecs in this folder: range checks for what encoders are
// given (our own values, so a bad one is a bug and throws) and big-endian
// fields read and written in place.

export function checkU(name: string, value: number, bits: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new RangeError(`${name} must be a ${bits}-bit unsigned integer, got ${value}`);
  }
}

export function checkMac(name: string, mac: Uint8Array): void {
  if (mac.length !== 6) throw new RangeError(`${name} must be a 6-byte MAC, got ${mac.length} bytes`);
}

// Big-endian fields read and written in place: a DataView per packet cost an allocation on every hop of the storm.
export function getU16(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

export function getU32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** Stores the low 16 bits, as DataView.setUint16 does. */
export function setU16(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 8;
  b[at + 1] = v;
}

/** Stores the low 32 bits, as DataView.setUint32 does. */
export function setU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}

/** Byte-per-char string. */
export function bytesToAscii(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

export function asciiBytes(name: string, s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7e || c < 0x20) throw new RangeError(`${name}: only printable ASCII allowed, got code ${c} at ${i}`);
    out[i] = c;
  }
  return out;
}
