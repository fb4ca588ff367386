// TFTP packets (RFC 1350) with the option extension's OACK (RFC 2347):
// requests, DATA, ACK, ERROR. Options are (name, value) pairs in wire order.

import { bytesToAscii } from './bytes.js';

export const TFTP_PORT = 69;
export const TftpOp = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;
export const TftpError = {
  UNDEFINED: 0, NOT_FOUND: 1, ACCESS: 2, DISK_FULL: 3, ILLEGAL: 4, UNKNOWN_TID: 5, EXISTS: 6, NO_USER: 7, OPTIONS: 8,
} as const;

export type TftpPacket =
  | { op: 1 | 2; file: string; mode: string; options: Array<[string, string]> }
  | { op: 3; block: number; data: Uint8Array }
  | { op: 4; block: number }
  | { op: 5; code: number; message: string }
  | { op: 6; options: Array<[string, string]> };

/** NUL-terminated strings from `at` to the end; null when the last one is not terminated. */
function strings(b: Uint8Array, at: number): string[] | null {
  const out: string[] = [];
  let start = at;
  for (let i = at; i < b.length; i++) {
    if (b[i] === 0) {
      out.push(bytesToAscii(b.subarray(start, i)));
      start = i + 1;
    }
  }
  return start === b.length ? out : null;
}

function pairs(list: string[]): Array<[string, string]> | null {
  if (list.length % 2 !== 0) return null;
  const out: Array<[string, string]> = [];
  for (let i = 0; i < list.length; i += 2) out.push([list[i], list[i + 1]]);
  return out;
}

/** A TFTP packet, or null when malformed. Never throws. */
export function decodeTftp(b: Uint8Array): TftpPacket | null {
  if (b.length < 2) return null;
  const op = (b[0] << 8) | b[1];
  if (op === TftpOp.RRQ || op === TftpOp.WRQ) {
    const s = strings(b, 2);
    if (s === null || s.length < 2) return null;
    const options = pairs(s.slice(2));
    return options === null ? null : { op, file: s[0], mode: s[1], options };
  }
  if (op === TftpOp.DATA || op === TftpOp.ACK) {
    if (b.length < 4) return null;
    const block = (b[2] << 8) | b[3];
    return op === TftpOp.DATA ? { op, block, data: b.subarray(4) } : { op, block };
  }
  if (op === TftpOp.ERROR) {
    if (b.length < 4) return null;
    let end = 4;
    while (end < b.length && b[end] !== 0) end++;
    return { op, code: (b[2] << 8) | b[3], message: bytesToAscii(b.subarray(4, end)) };
  }
  if (op === TftpOp.OACK) {
    const s = strings(b, 2);
    const options = s === null ? null : pairs(s);
    return options === null ? null : { op, options };
  }
  return null;
}

function bytesOf(...parts: Array<string | Uint8Array | number[]>): Uint8Array {
  const chunks = parts.map((p) => (typeof p === 'string' ? Uint8Array.from(p, (c) => c.charCodeAt(0)) : Uint8Array.from(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

function u16(v: number): number[] { return [(v >>> 8) & 0xff, v & 0xff]; }

export function encodeRrq(file: string, options: Array<[string, string | number]> = [], mode = 'octet'): Uint8Array {
  return bytesOf(u16(TftpOp.RRQ), file, [0], mode, [0], ...options.flatMap(([k, v]) => [k, [0], String(v), [0]]));
}
export function encodeData(block: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + data.length);
  out.set(u16(TftpOp.DATA), 0);
  out.set(u16(block & 0xffff), 2);
  out.set(data, 4);
  return out;
}
export function encodeAck(block: number): Uint8Array { return Uint8Array.from([...u16(TftpOp.ACK), ...u16(block & 0xffff)]); }
export function encodeError(code: number, message: string): Uint8Array { return bytesOf(u16(TftpOp.ERROR), u16(code), message, [0]); }
export function encodeOack(options: Array<[string, string | number]>): Uint8Array {
  return bytesOf(u16(TftpOp.OACK), ...options.flatMap(([k, v]) => [k, [0], String(v), [0]]));
}
