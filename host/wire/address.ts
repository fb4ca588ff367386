// MAC and IPv4 addresses: text forms and comparisons. An IPv4 address is a
// number (host order, unsigned); a MAC is 6 bytes.

export type Mac = Uint8Array;
/** An IPv4 address as configured: a number, or dotted-quad text. */
export type Ip = number | string;

export function broadcastMac(): Mac {
  return new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
}

export function macToString(mac: Uint8Array): string {
  if (mac.length !== 6) throw new RangeError(`macToString: a MAC has 6 bytes, got ${mac.length}`);
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Accepts "00:1b:54:aa:bb:cc", "00-1B-54-AA-BB-CC" and "001b54aabbcc". */
export function parseMac(text: string): Mac {
  const hex = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i.test(text) ? text.replace(/[:-]/g, '') : text;
  if (!/^[0-9a-f]{12}$/i.test(hex)) throw new Error(`parseMac: not a MAC address: "${text}"`);
  const mac = new Uint8Array(6);
  for (let i = 0; i < 6; i++) mac[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return mac;
}

export function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The group bit: broadcast and multicast. */
export function isMulticastMac(mac: Uint8Array): boolean {
  return (mac[0] & 1) === 1;
}

export function isBroadcastMac(mac: Uint8Array): boolean {
  return mac.length === 6 && mac.every((b) => b === 0xff);
}

/** 48-bit MAC as a number, for use as a Map key (exact: < 2^53). */
export function macToNumber(mac: Uint8Array, offset = 0): number {
  let n = 0;
  for (let i = 0; i < 6; i++) n = n * 256 + mac[offset + i];
  return n;
}

export function ipToString(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff].join('.');
}

export function parseIp(text: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  const parts = m === null ? [] : m.slice(1).map(Number);
  if (parts.length !== 4 || parts.some((p) => p > 255)) throw new Error(`parseIp: not an IPv4 address: "${text}"`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function ipOf(v: Ip): number {
  return typeof v === 'string' ? parseIp(v) : v;
}

export function macOf(v: Mac | string): Mac {
  return typeof v === 'string' ? parseMac(v) : v;
}
