// Firmware images on the host: build one from a .wasm, sign it with Ed25519
// (Node's crypto), parse and verify it, and put it into a flash slot with its
// trailer as a factory programmer would. The byte layout is the firmware's
// (assembly/boot/image.ts, assembly/flash/slots.ts) and README "Firmware images".
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import { Flash, FLASH_OK, LAYOUT, toSectors } from "./flash.js";
import { valueOf, type Mirror } from "./mirror.js";

export const IMAGE_MAGIC = 0x49505049; // "IPPI"
export const HEADER_VERSION = 1;
export const HEADER_SIZE = 64;
export const TARGET_OFFSET = 20;
export const LOAD_ADDR_OFFSET = 24;
export const LOAD_NAME_OFFSET = 32;
export const LOAD_NAME_MAX = 32;
export const TLV_INFO_MAGIC = 0x6907;
export const TLV_INFO_SIZE = 4;
export const TLV_MAX = 1024;
/** The largest image (header, payload and TLVs) a slot holds: all but its trailer sector. */
export const IMAGE_MAX = LAYOUT.trailerOffset;

/**
 * What a payload is (enum Target in assembly/boot/image.ts): WebAssembly for
 * any runtime, or the phone's native code for one board, linked to run at the
 * header's load address. A bootloader refuses an image of another target.
 */
export const TARGETS = ["wasm", "mps2-an386"] as const;
export type TargetName = (typeof TARGETS)[number];
export const targetName = (code: number): string => TARGETS[code] ?? `unknown target ${code}`;

export const TLV = { PUBKEY: 0x02, SHA256: 0x10, ED25519: 0x24 } as const;
export const TLV_NAMES: Record<number, string> = { [TLV.PUBKEY]: "ED25519_PUBKEY", [TLV.SHA256]: "SHA256", [TLV.ED25519]: "ED25519_SIGNATURE" };

/** The bootloader's reasons to refuse an image (enum ImageErr in assembly/boot/image.ts), by code. */
export const IMAGE_ERRORS = [
  { name: "ok", text: "valid" },
  { name: "read", text: "flash read failed" },
  { name: "magic", text: "no image header (bad magic)" },
  { name: "header", text: "unknown header version or header size" },
  { name: "size", text: "payload size runs past the end of the slot" },
  { name: "truncated", text: "no TLV area after the payload (truncated image?)" },
  { name: "no-hash", text: "no SHA-256 TLV" },
  { name: "unsigned", text: "not signed (no Ed25519 signature or public key TLV)" },
  { name: "key", text: "signed with a key the factory data does not name" },
  { name: "downgrade", text: "security counter below the one recorded (downgrade)" },
  { name: "hash", text: "SHA-256 of header and payload does not match (corrupt image)" },
  { name: "signature", text: "Ed25519 signature does not verify" },
  { name: "target", text: "built for another target (native code for a WebAssembly runtime, or the reverse)" },
] as const;
export type ImageErrorName = (typeof IMAGE_ERRORS)[number]["name"];

export function imageErrorText(code: number): string {
  return IMAGE_ERRORS[code]?.text ?? `error ${code}`;
}

export interface ImageHeader {
  magic: number;
  headerVersion: number;
  headerSize: number;
  payloadSize: number;
  securityCounter: number;
  flags: number;
  /** TARGETS' index: 0 WebAssembly, 1 mps2-an386. */
  target: number;
  /** Where a board copies the payload and runs it (0 for WebAssembly). */
  loadAddr: number;
  loadName: string;
}

export interface ImageTlv {
  type: number;
  name: string;
  offset: number;
  value: Uint8Array;
}

export interface ParsedImage {
  header: ImageHeader;
  payload: Uint8Array;
  tlvs: ImageTlv[];
  /** Where the TLV area starts, and its total length from its info (0 when absent). */
  tlvOffset: number;
  tlvLength: number;
  /** Bytes of the whole image: header, payload, TLV area. */
  length: number;
}

export interface BuildOptions {
  loadName: string;
  securityCounter?: number;
  /** Default "wasm". */
  target?: TargetName;
  /** A board image's RAM-load address. */
  loadAddr?: number;
}

const enc = new TextEncoder();

function checkLoadName(name: string): void {
  if (!/^[\x21-\x7e]{1,32}$/.test(name)) throw new RangeError(`load name ${JSON.stringify(name)}: 1 to ${LOAD_NAME_MAX} printable ASCII characters, no spaces`);
}

function checkU32(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`${what} must be an integer 0..4294967295, got ${n}`);
}

export function encodeHeader(payloadSize: number, opts: BuildOptions): Uint8Array {
  checkLoadName(opts.loadName);
  const counter = opts.securityCounter ?? 0;
  checkU32("security counter", counter);
  const h = new Uint8Array(HEADER_SIZE);
  const v = new DataView(h.buffer);
  v.setUint32(0, IMAGE_MAGIC);
  v.setUint16(4, HEADER_VERSION);
  v.setUint16(6, HEADER_SIZE);
  v.setUint32(8, payloadSize);
  v.setUint32(12, counter);
  v.setUint32(TARGET_OFFSET, TARGETS.indexOf(opts.target ?? "wasm"));
  checkU32("load address", opts.loadAddr ?? 0);
  v.setUint32(LOAD_ADDR_OFFSET, opts.loadAddr ?? 0);
  h.set(enc.encode(opts.loadName), LOAD_NAME_OFFSET);
  return h;
}

function encodeTlvs(tlvs: readonly { type: number; value: Uint8Array }[]): Uint8Array {
  const total = TLV_INFO_SIZE + tlvs.reduce((n, t) => n + 4 + t.value.length, 0);
  if (total > TLV_MAX) throw new RangeError(`TLV area of ${total} bytes exceeds ${TLV_MAX}`);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint16(0, TLV_INFO_MAGIC);
  v.setUint16(2, total);
  let at = TLV_INFO_SIZE;
  for (const t of tlvs) {
    v.setUint16(at, t.type);
    v.setUint16(at + 2, t.value.length);
    out.set(t.value, at + 4);
    at += 4 + t.value.length;
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** An unsigned image: header, payload, and a TLV area with the SHA-256 of header + payload. */
export function buildImage(payload: Uint8Array, opts: BuildOptions): Uint8Array {
  const header = encodeHeader(payload.length, opts);
  const image = concat(header, payload, encodeTlvs([{ type: TLV.SHA256, value: sha256(header, payload) }]));
  if (image.length > IMAGE_MAX) throw new RangeError(`image of ${image.length} bytes does not fit a slot (${IMAGE_MAX} bytes)`);
  return image;
}

/** Decodes and checks the 64-byte header as the bootloader does (magic, version, size, bounds). */
export function parseHeader(bytes: Uint8Array): ImageHeader {
  if (bytes.length < HEADER_SIZE) throw new ImageError("truncated", `${bytes.length} bytes: shorter than the ${HEADER_SIZE}-byte header`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nameBytes = bytes.subarray(LOAD_NAME_OFFSET, LOAD_NAME_OFFSET + LOAD_NAME_MAX);
  const nul = nameBytes.indexOf(0);
  const header: ImageHeader = {
    magic: v.getUint32(0),
    headerVersion: v.getUint16(4),
    headerSize: v.getUint16(6),
    payloadSize: v.getUint32(8),
    securityCounter: v.getUint32(12),
    flags: v.getUint32(16),
    target: v.getUint32(TARGET_OFFSET),
    loadAddr: v.getUint32(LOAD_ADDR_OFFSET),
    loadName: String.fromCharCode(...nameBytes.subarray(0, nul < 0 ? LOAD_NAME_MAX : nul)),
  };
  if (header.magic !== IMAGE_MAGIC) throw new ImageError("magic", `magic 0x${header.magic.toString(16).padStart(8, "0")}, expected 0x${IMAGE_MAGIC.toString(16)} ("IPPI")`);
  if (header.headerVersion !== HEADER_VERSION || header.headerSize !== HEADER_SIZE) {
    throw new ImageError("header", `header version ${header.headerVersion} size ${header.headerSize}, expected version ${HEADER_VERSION} size ${HEADER_SIZE}`);
  }
  if (HEADER_SIZE + header.payloadSize + TLV_INFO_SIZE > IMAGE_MAX) {
    throw new ImageError("size", `payload size ${header.payloadSize} runs past the slot (at most ${IMAGE_MAX - HEADER_SIZE - TLV_INFO_SIZE})`);
  }
  return header;
}

/** Parses the image's structure (no hash or signature checks); throws an ImageError with the reason when it has none. */
export function parseImage(bytes: Uint8Array): ParsedImage {
  const header = parseHeader(bytes);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const signed = HEADER_SIZE + header.payloadSize;
  if (bytes.length < signed + TLV_INFO_SIZE) throw new ImageError("truncated", `${bytes.length} bytes, but header and payload alone take ${signed}`);
  const magic = v.getUint16(signed);
  const total = v.getUint16(signed + 2);
  if (magic !== TLV_INFO_MAGIC) throw new ImageError("truncated", `no TLV area after the payload (found 0x${magic.toString(16).padStart(4, "0")})`);
  if (total < TLV_INFO_SIZE || total > TLV_MAX || signed + total > IMAGE_MAX) throw new ImageError("truncated", `TLV area length ${total} out of range`);
  if (bytes.length < signed + total) throw new ImageError("truncated", `TLV area of ${total} bytes runs past the end (${bytes.length} bytes)`);
  const tlvs: ImageTlv[] = [];
  for (let at = signed + TLV_INFO_SIZE; at < signed + total;) {
    if (at + 4 > signed + total) throw new ImageError("truncated", `TLV at ${at} cut short`);
    const type = v.getUint16(at);
    const len = v.getUint16(at + 2);
    if (at + 4 + len > signed + total) throw new ImageError("truncated", `TLV 0x${type.toString(16)} at ${at} runs past the TLV area`);
    tlvs.push({ type, name: TLV_NAMES[type] ?? `unknown 0x${type.toString(16).padStart(4, "0")}`, offset: at, value: bytes.slice(at + 4, at + 4 + len) });
    at += 4 + len;
  }
  return { header, payload: bytes.subarray(HEADER_SIZE, signed), tlvs, tlvOffset: signed, tlvLength: total, length: signed + total };
}

export class ImageError extends Error {
  constructor(readonly reason: ImageErrorName, detail: string) {
    super(`${reason}: ${detail}`);
    this.name = "ImageError";
  }
}

/** The first TLV of `type` with the expected length, as the bootloader finds it. */
function findTlv(img: ParsedImage, type: number, len: number): Uint8Array | null {
  return img.tlvs.find((t) => t.type === type && t.value.length === len)?.value ?? null;
}

/**
 * Signs the image with an Ed25519 private key: the signature is of the
 * SHA-256 digest of header + payload, as MCUboot's TLV 0x24 ("ed25519 of
 * hash output"). Replaces any key and signature TLVs.
 */
export function signImage(bytes: Uint8Array, privateKey: KeyObject): Uint8Array {
  const img = parseImage(bytes);
  const signed = bytes.subarray(0, img.tlvOffset);
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  const digest = sha256(signed);
  const signature = new Uint8Array(sign(null, digest, privateKey));
  const kept = img.tlvs.filter((t) => t.type !== TLV.PUBKEY && t.type !== TLV.ED25519);
  if (!kept.some((t) => t.type === TLV.SHA256)) kept.push({ type: TLV.SHA256, name: "SHA256", offset: 0, value: digest });
  const tlvs = encodeTlvs([...kept, { type: TLV.PUBKEY, value: publicKey }, { type: TLV.ED25519, value: signature }]);
  return concat(signed, tlvs);
}

export interface VerifyOptions {
  /** SHA-256 of the trusted public key (what factory data holds); null = trust the key in the image. */
  keyHash?: Uint8Array | null;
  /** The recorded security counter: lower is a downgrade. */
  minCounter?: number;
  /** The target the device starts; undefined = any. */
  target?: TargetName;
}

export interface VerifyResult {
  ok: boolean;
  reason: ImageErrorName;
  detail: string;
}

/** The bootloader's checks, in its order, done with Node's crypto. */
export function verifyImage(bytes: Uint8Array, opts: VerifyOptions = {}): VerifyResult {
  let img: ParsedImage;
  try {
    img = parseImage(bytes);
  } catch (e) {
    if (e instanceof ImageError) return { ok: false, reason: e.reason, detail: e.message };
    throw e;
  }
  const fail = (reason: ImageErrorName, detail: string): VerifyResult => ({ ok: false, reason, detail: `${reason}: ${detail}` });
  if (opts.target !== undefined && img.header.target !== TARGETS.indexOf(opts.target)) {
    return fail("target", `an image for ${targetName(img.header.target)}, the device starts ${opts.target}`);
  }
  const hash = findTlv(img, TLV.SHA256, 32);
  const key = findTlv(img, TLV.PUBKEY, 32);
  const sig = findTlv(img, TLV.ED25519, 64);
  if (!hash) return fail("no-hash", "no SHA-256 TLV");
  if (!key || !sig) return fail("unsigned", `no ${key ? "" : "public key "}${!key && !sig ? "or " : ""}${sig ? "" : "signature "}TLV`);
  const min = opts.minCounter ?? 0;
  if (img.header.securityCounter < min) return fail("downgrade", `security counter ${img.header.securityCounter} below ${min}`);
  const keyHash = sha256(key);
  if (opts.keyHash && !Buffer.from(keyHash).equals(Buffer.from(opts.keyHash))) {
    return fail("key", `image signed by key ${hex(keyHash).slice(0, 16)}..., trusted key is ${hex(opts.keyHash).slice(0, 16)}...`);
  }
  const signed = bytes.subarray(0, img.tlvOffset);
  const actual = sha256(signed);
  if (!Buffer.from(actual).equals(Buffer.from(hash))) return fail("hash", `SHA-256 is ${hex(actual)}, the TLV says ${hex(hash)}`);
  const publicKey = publicKeyFromRaw(key);
  if (!verify(null, actual, publicKey, sig)) {
    const pure = verify(null, signed, publicKey, sig);
    return fail("signature", pure
      ? "Ed25519 signature is of the whole image, not of its SHA-256 (the format before images were signed as MCUboot's TLV 0x24): sign it again with ipphone image sign"
      : "Ed25519 signature does not verify");
  }
  return { ok: true, reason: "ok", detail: `valid, signed by key ${hex(keyHash)}` };
}

// ---------------------------------------------------------------- keys

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

/** The 32 raw bytes of an Ed25519 public key. */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: "jwk" });
  if (jwk.crv !== "Ed25519" || typeof jwk.x !== "string") throw new Error("not an Ed25519 key");
  return new Uint8Array(Buffer.from(jwk.x, "base64url"));
}

export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(raw).toString("base64url") }, format: "jwk" });
}

/** What factory data holds: SHA-256 of the raw public key. */
export function keyHashOf(key: KeyObject): Uint8Array {
  return sha256(rawPublicKey(key.type === "private" ? createPublicKey(key) : key));
}

/** Reads a PEM key file: a private key (PKCS#8) or a public one (SPKI). */
export function readKey(path: string): KeyObject {
  const pem = readFileSync(path, "utf8");
  const key = pem.includes("PRIVATE KEY") ? createPrivateKey(pem) : createPublicKey(pem);
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`${path}: not an Ed25519 key (${key.asymmetricKeyType})`);
  return key;
}

export function generateKeys(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

/** The development signing key, committed for tests and the simulation only (README). */
export const DEV_KEY_PATH = fileURLToPath(new URL("../../tests/keys/dev-ed25519.pem", import.meta.url));
let devKeyCache: KeyObject | null = null;
export function devKey(): KeyObject {
  return (devKeyCache ??= readKey(DEV_KEY_PATH));
}

// ---------------------------------------------------------------- slots and trailers

export const TRAILER_MAGIC = 0x49505054; // "IPPT"
export const TRAILER_SIZE = 64;
export const SLOT_STATES = ["empty", "pending", "trial", "confirmed", "rejected"] as const;
export type SlotStateName = (typeof SLOT_STATES)[number];
/** Offsets of the trailer's flags (enum Flag in the firmware). */
export const FLAG_OFFSET = { trial: 16, confirmed: 32, rejected: 48 } as const;

/** The trailer's first field: "installed, may be tried", with its sequence number. */
export function encodeTrailerRecord(seq: number): Uint8Array {
  checkU32("sequence", seq);
  const r = new Uint8Array(LAYOUT.writeUnit).fill(0xff);
  const v = new DataView(r.buffer);
  v.setUint32(0, TRAILER_MAGIC);
  v.setUint32(4, seq);
  v.setUint32(8, crc32(r.subarray(0, 8)) >>> 0);
  return r;
}

/** The 64 bytes of a trailer in `state` (what the bootloader and firmware would have written by then). */
export function encodeTrailer(seq: number, state: Exclude<SlotStateName, "empty">): Uint8Array {
  const t = new Uint8Array(TRAILER_SIZE).fill(0xff);
  t.set(encodeTrailerRecord(seq));
  const zero = (at: number) => t.fill(0, at, at + LAYOUT.writeUnit);
  if (state !== "pending") zero(FLAG_OFFSET.trial);
  if (state === "confirmed") zero(FLAG_OFFSET.confirmed);
  if (state === "rejected") zero(FLAG_OFFSET.rejected);
  return t;
}

/** Decodes a trailer as the bootloader does (assembly/flash/slots.ts trailerState). */
export function decodeTrailer(t: Uint8Array): { state: SlotStateName; seq: number } {
  const v = new DataView(t.buffer, t.byteOffset, t.byteLength);
  if (v.getUint32(0) !== TRAILER_MAGIC || (crc32(t.subarray(0, 8)) >>> 0) !== v.getUint32(8)) return { state: "empty", seq: 0 };
  const set = (at: number) => t.subarray(at, at + LAYOUT.writeUnit).every((b) => b === 0);
  const seq = v.getUint32(4);
  if (set(FLAG_OFFSET.rejected)) return { state: "rejected", seq };
  if (set(FLAG_OFFSET.confirmed)) return { state: "confirmed", seq };
  if (set(FLAG_OFFSET.trial)) return { state: "trial", seq };
  return { state: "pending", seq };
}

export function slotAddress(slot: number): number {
  const a = LAYOUT.slots[slot];
  if (a === undefined) throw new RangeError(`slot ${slot}: 0 (A) or 1 (B)`);
  return a;
}

export const slotName = (slot: number): string => "AB"[slot] ?? String(slot);

/** The state of a slot's trailer, its image header when it has one, and the image's bytes when it parses whole. */
export function readSlot(flash: Flash, slot: number): { state: SlotStateName; seq: number; header: ImageHeader | null; bytes: Uint8Array | null } {
  const base = slotAddress(slot);
  const t = new Uint8Array(TRAILER_SIZE);
  flash.copyOut(base + LAYOUT.trailerOffset, t);
  const head = new Uint8Array(HEADER_SIZE);
  flash.copyOut(base, head);
  let header: ImageHeader | null = null;
  let bytes: Uint8Array | null = null;
  try {
    header = parseHeader(head);
    const all = new Uint8Array(Math.min(HEADER_SIZE + header.payloadSize + TLV_MAX, IMAGE_MAX));
    flash.copyOut(base, all);
    bytes = all.slice(0, parseImage(all).length);
  } catch (e) {
    if (!(e instanceof ImageError)) throw e;
  }
  return { ...decodeTrailer(t), header, bytes };
}

export interface FlashImageOptions {
  state?: Exclude<SlotStateName, "empty">;
  seq?: number;
  /** Share the sectors with every flash given the same image (copy on write); needs an erased slot. */
  shared?: boolean;
}

const sharedSectors = new WeakMap<Uint8Array, { image: Uint8Array[]; trailers: Map<string, Uint8Array[]> }>();

/**
 * Puts `image` into `slot` as a factory programmer would: erases the trailer
 * and the sectors the image needs, programs the image and a trailer in `state`
 * (default "confirmed", sequence 1).
 */
export function flashImage(flash: Flash, slot: number, image: Uint8Array, opts: FlashImageOptions = {}): void {
  const base = slotAddress(slot);
  if (image.length > IMAGE_MAX) throw new RangeError(`image of ${image.length} bytes does not fit a slot`);
  const seq = opts.seq ?? 1;
  const state = opts.state ?? "confirmed";
  const trailer = encodeTrailer(seq, state);
  if (opts.shared) {
    let s = sharedSectors.get(image);
    if (!s) sharedSectors.set(image, (s = { image: toSectors(image), trailers: new Map() }));
    let t = s.trailers.get(`${seq}/${state}`);
    if (!t) {
      t = toSectors(trailer);
      s.trailers.set(`${seq}/${state}`, t);
    }
    flash.programShared(base + LAYOUT.trailerOffset, t);
    flash.programShared(base, s.image);
    return;
  }
  const check = (rc: number, what: string) => {
    if (rc !== FLASH_OK) throw new Error(`flashing slot ${slotName(slot)}: ${what} failed (${rc})`);
  };
  check(flash.erase(base + LAYOUT.trailerOffset), "erasing the trailer");
  for (let off = 0; off < image.length; off += LAYOUT.sectorSize) check(flash.erase(base + off), "erase");
  const padded = new Uint8Array(Math.ceil(image.length / LAYOUT.writeUnit) * LAYOUT.writeUnit).fill(0xff);
  padded.set(image);
  check(flash.program(base, padded), "programming the image");
  check(flash.program(base + LAYOUT.trailerOffset, trailer), "programming the trailer");
}

const devImages = new Map<string, { mtimeMs: number; image: Uint8Array }>();

/**
 * The image the default simulated phone boots: `wasmPath` (build/phone.wasm)
 * as load `loadName`, security counter 1, signed with the development key.
 * Built once per file version.
 */
export function devImage(wasmPath: string, loadName = DEFAULT_LOAD_NAME): Uint8Array {
  const mtimeMs = statSync(wasmPath).mtimeMs;
  const key = `${wasmPath}\n${loadName}`;
  const cached = devImages.get(key);
  if (cached && cached.mtimeMs === mtimeMs) return cached.image;
  const image = signImage(buildImage(new Uint8Array(readFileSync(wasmPath)), { loadName, securityCounter: 1 }), devKey());
  devImages.set(key, { mtimeMs, image });
  return image;
}

export const DEFAULT_LOAD_NAME = "P0030801SR01";

/** boot()'s negative results: enum FactoryErr (but Ok) and enum BootErr of the firmware. */
export const BOOT_ERRORS: Mirror = {
  Read: [-1, "factory data unreadable"],
  Magic: [-2, "no factory data (bad magic)"],
  Length: [-3, "factory data of the wrong length"],
  Crc: [-4, "factory data corrupt (CRC)"],
  NoImage: [-10, "no valid image in either slot"],
};

export function bootErrorText(code: number): string {
  return valueOf(BOOT_ERRORS, code) ?? `error ${code}`;
}
