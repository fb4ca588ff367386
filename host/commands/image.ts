// `ipphone image keygen|build|sign|inspect|verify`: firmware images for the
// bootloader (format in README "Firmware images", code in host/image.ts).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import {
  buildImage, generateKeys, hex, TARGETS, targetName, type TargetName, ImageError, keyHashOf, parseHeader, parseImage, readKey, sha256, signImage, TLV,
  verifyImage, type ImageHeader, type ParsedImage,
} from "../image.js";
import { boardToolsMissing } from "../device/board-phone.js";
import { buildBoardCode, checkVersion } from "../device/board-image.js";
import { checkInputFile, checkOutputFile, parseCommandArgs, parseIntArg, UsageError } from "./args.js";

export const IMAGE_USAGE = `  image   firmware images for the bootloader (Ed25519-signed; README "Firmware images")
          image keygen --out PREFIX [--force]      write PREFIX.pem (private) and PREFIX.pub.pem
          image build --wasm FILE --load NAME --out FILE [--counter N] [--key KEY.pem]
                      [--target wasm|mps2-an386] [--version TEXT]
                                                   header + payload + SHA-256 (signed when --key)
          image sign --key KEY.pem FILE [--out FILE]
          image inspect FILE [--json]              every header field and TLV
          image verify FILE [--key KEY.pem | --key-hash HEX] [--min-counter N] [--json]
                                                   the bootloader's checks; exit 1 with the reason`;

const IMAGE_EXIT = `exit status: 0 done (verify: the image is valid); 1 the input is not a usable image or key,
or the image is invalid (the reason on stderr); 2 bad usage: a missing option or input file, an output
directory that does not exist (one line, nothing written).`;

const SUBCOMMAND_HELP: Record<string, string> = {
  keygen: `usage: ipphone image keygen --out PREFIX [--force]

Writes a new Ed25519 key pair: PREFIX.pem (private, mode 0600) and PREFIX.pub.pem, and prints the key
hash that goes into a phone's factory data.
  --out PREFIX  where to write the two files (its directory must exist)
  --force       overwrite existing files

${IMAGE_EXIT}`,
  build: `usage: ipphone image build --wasm FILE --load NAME --out FILE [--counter N] [--key KEY.pem]
                          [--target wasm|mps2-an386] [--version TEXT]

Wraps a WebAssembly module in a firmware image: header, payload, SHA-256 (and an Ed25519 signature with --key).
  --wasm FILE    the phone firmware (e.g. build/phone.wasm)
  --target T     wasm (default): the payload is the module, for any WebAssembly runtime. mps2-an386:
                 the module translated by wasm2c and compiled for QEMU's mps2-an386 board (needs wabt and
                 gcc-arm-none-eabi), linked to run at the board's RAM-load address; the same header,
                 load name and signature, the header's target and load address set. A bootloader refuses
                 an image of another target
  --version TEXT mps2-an386: the version string compiled into the image, which it prints when it
                 starts (default: the load name)
  --load NAME    the load name, 1-32 printable ASCII characters (e.g. P0030801SR02)
  --out FILE     the image to write (its directory must exist)
  --counter N    security counter 0..4294967295 (default 0). A phone's bootloader refuses as a downgrade an image whose
                 counter is below the one it recorded (the factory image records 1): give --counter 1 or
                 more for an image a phone should accept
  --key KEY.pem  sign with this private key

${IMAGE_EXIT}`,
  sign: `usage: ipphone image sign --key KEY.pem FILE [--out FILE]

Signs FILE (an image) with the private key: adds or replaces its signature and key TLVs.
  --key KEY.pem  the private key
  --out FILE     where to write the signed image (default: FILE itself)

${IMAGE_EXIT}`,
  inspect: `usage: ipphone image inspect FILE [--json]

Prints every header field and TLV of an image, and the error if it does not parse.
  --json  one JSON object

${IMAGE_EXIT}`,
  verify: `usage: ipphone image verify FILE [--key KEY.pem | --key-hash HEX] [--min-counter N] [--json]

Runs the bootloader's checks on FILE: header, SHA-256, signature, key, security counter.
  --key KEY.pem      require this key (public or private)
  --key-hash HEX     require the key with this SHA-256 hash (64 hex digits, as in factory data)
  --min-counter N    refuse a security counter below N (a downgrade)
  --json             one JSON object: valid, reason, detail

${IMAGE_EXIT}`,
};

export const IMAGE_SUBCOMMANDS = Object.keys(SUBCOMMAND_HELP);

export const IMAGE_HELP = `usage: ipphone image keygen|build|sign|inspect|verify ...

${IMAGE_USAGE}

ipphone image SUBCOMMAND --help: that subcommand's options.
${IMAGE_EXIT}`;

/** The help of one subcommand, or of `image` as a whole. */
export function imageHelp(sub: string | undefined): string {
  return (sub !== undefined && SUBCOMMAND_HELP[sub]) || IMAGE_HELP;
}

const isWasm = (b: Uint8Array) => WebAssembly.validate(b as Uint8Array<ArrayBuffer>);

/** Thrown for a file the command cannot use: exit status 1 with the message. */
class Failure extends Error {}

function readInput(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new Failure(`cannot read ${path}: ${(e as Error).message}`);
  }
}

function key(path: string) {
  try {
    return readKey(path);
  } catch (e) {
    throw new Failure(`cannot use key ${path}: ${(e as Error).message}`);
  }
}

function one(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`image ${what} takes one image file, got ${positionals.length}`);
  return positionals[0];
}

function required(name: string, value: string | undefined): string {
  if (value === undefined) throw new UsageError(`${name} is required`);
  return value;
}

function keygen(args: string[]): number {
  const { values, positionals } = parseCommandArgs(args, { out: { type: "string" }, force: { type: "boolean", default: false } }, true);
  if (positionals.length) throw new UsageError(`image keygen takes no file arguments`);
  const prefix = required("--out", values.out);
  checkOutputFile("--out", `${prefix}.pem`);
  const files = [`${prefix}.pem`, `${prefix}.pub.pem`];
  for (const f of files) if (existsSync(f) && !values.force) throw new Failure(`${f} exists; --force to overwrite it`);
  const { privatePem, publicPem } = generateKeys();
  writeFileSync(files[0], privatePem, { mode: 0o600 });
  writeFileSync(files[1], publicPem);
  console.log(`wrote ${files[0]} (private: keep it secret) and ${files[1]}`);
  console.log(`key hash (factory data): ${hex(keyHashOf(readKey(files[1])))}`);
  return 0;
}

function build(args: string[]): number {
  const { values, positionals } = parseCommandArgs(args, {
    wasm: { type: "string" }, load: { type: "string" }, counter: { type: "string" }, key: { type: "string" }, out: { type: "string" },
    target: { type: "string" }, version: { type: "string" },
  }, true);
  if (positionals.length) throw new UsageError(`image build takes its files as --wasm and --out`);
  const wasmPath = checkInputFile("--wasm", required("--wasm", values.wasm))!;
  const out = checkOutputFile("--out", required("--out", values.out))!;
  const loadName = required("--load", values.load);
  if (!/^[\x21-\x7e]{1,32}$/.test(loadName)) throw new UsageError(`--load must be 1 to 32 printable ASCII characters with no spaces, got '${loadName}'`);
  const securityCounter = parseIntArg("--counter", values.counter, 0, 0xffffffff, 0);
  const target = values.target ?? "wasm";
  if (!(TARGETS as readonly string[]).includes(target)) throw new UsageError(`--target must be ${TARGETS.join(" or ")}, got '${target}'`);
  if (values.version !== undefined && target === "wasm") throw new UsageError("--version goes with --target mps2-an386 (it is compiled into native code)");
  if (values.version !== undefined) {
    try {
      checkVersion(values.version);
    } catch (e) {
      throw new UsageError(`--version: ${(e as Error).message}`);
    }
  }
  if (values.key !== undefined) checkInputFile("--key", values.key);
  const wasm = readInput(wasmPath);
  if (!isWasm(wasm)) throw new Failure(`${wasmPath} is not a valid WebAssembly module`);
  let image: Uint8Array;
  try {
    if (target === "wasm") {
      image = buildImage(wasm, { loadName, securityCounter });
    } else {
      const missing = boardToolsMissing();
      if (missing) throw new Error(`--target ${target}: ${missing}`);
      const { code, loadAddr } = buildBoardCode(wasmPath, values.version ?? loadName);
      image = buildImage(code, { loadName, securityCounter, target: target as TargetName, loadAddr });
    }
  } catch (e) {
    throw new Failure((e as Error).message);
  }
  if (values.key !== undefined) image = signImage(image, privateKey(values.key));
  writeFileSync(out, image);
  console.log(`wrote ${out}: ${loadName}, ${target}, ${image.length} bytes, security counter ${securityCounter}, ${values.key !== undefined ? "signed" : "unsigned"}`);
  if (securityCounter === 0) console.log("note: security counter 0: a phone whose bootloader recorded a higher counter (the factory image records 1) refuses this image as a downgrade; --counter N sets it");
  return 0;
}

function privateKey(path: string) {
  const k = key(path);
  if (k.type !== "private") throw new Failure(`${path} is a public key; signing needs the private one`);
  return k;
}

function signCommand(args: string[]): number {
  const { values, positionals } = parseCommandArgs(args, { key: { type: "string" }, out: { type: "string" } }, true);
  const file = checkInputFile("image", one(positionals, "sign"))!;
  const k = privateKey(checkInputFile("--key", required("--key", values.key))!);
  checkOutputFile("--out", values.out);
  let signed: Uint8Array;
  try {
    signed = signImage(readInput(file), k);
  } catch (e) {
    if (e instanceof ImageError) throw new Failure(`${file}: cannot sign: ${e.message}`);
    throw e;
  }
  const out = values.out ?? file;
  writeFileSync(out, signed);
  console.log(`wrote ${out}: signed by key ${hex(keyHashOf(k))}`);
  return 0;
}

function headerJson(h: ImageHeader) {
  return {
    magic: `0x${h.magic.toString(16).padStart(8, "0")}`,
    header_version: h.headerVersion,
    header_size: h.headerSize,
    payload_size: h.payloadSize,
    security_counter: h.securityCounter,
    flags: h.flags,
    target: targetName(h.target),
    load_address: `0x${h.loadAddr.toString(16).padStart(8, "0")}`,
    load_name: h.loadName,
  };
}

function tlvDetail(type: number, value: Uint8Array): string | undefined {
  if (type === TLV.PUBKEY && value.length === 32) return `key hash ${hex(sha256(value))}`;
  return undefined;
}

function inspect(args: string[]): number {
  const { values, positionals } = parseCommandArgs(args, { json: { type: "boolean", default: false } }, true);
  const file = checkInputFile("image", one(positionals, "inspect"))!;
  const bytes = readInput(file);
  let img: ParsedImage | null = null;
  let header: ImageHeader | null = null;
  let error: ImageError | null = null;
  try {
    img = parseImage(bytes);
    header = img.header;
  } catch (e) {
    if (!(e instanceof ImageError)) throw e;
    error = e;
    try {
      header = parseHeader(bytes);
    } catch {
      header = null;
    }
  }
  const payload = img?.payload ?? null;
  if (values.json) {
    console.log(JSON.stringify({
      file,
      length: bytes.length,
      header: header ? headerJson(header) : null,
      payload: payload ? { size: payload.length, sha256: hex(sha256(payload)), webassembly: isWasm(payload) } : null,
      tlv_area: img ? { offset: img.tlvOffset, length: img.tlvLength } : null,
      tlvs: img ? img.tlvs.map((t) => ({ type: t.type, name: t.name, length: t.value.length, value: hex(t.value), ...(tlvDetail(t.type, t.value) ? { detail: tlvDetail(t.type, t.value) } : {}) })) : [],
      error: error ? { reason: error.reason, detail: error.message } : null,
    }, null, 2));
    return error ? 1 : 0;
  }
  console.log(`${file}: ${bytes.length} bytes`);
  if (header) {
    const h = headerJson(header);
    console.log("header");
    console.log(`  magic             ${h.magic} ("IPPI")`);
    console.log(`  header version    ${h.header_version}`);
    console.log(`  header size       ${h.header_size}`);
    console.log(`  payload size      ${h.payload_size}`);
    console.log(`  security counter  ${h.security_counter}`);
    console.log(`  flags             0x${h.flags.toString(16).padStart(8, "0")}`);
    console.log(`  target            ${h.target}${header.target === 0 ? "" : ` (native code, load address ${h.load_address})`}`);
    console.log(`  load name         ${h.load_name}`);
  }
  if (img && payload) {
    const kind = header?.target !== 0 ? "native code" : isWasm(payload) ? "a valid WebAssembly module" : "NOT a valid WebAssembly module";
    console.log(`payload             ${payload.length} bytes at 64, ${kind}`);
    console.log(`TLV area            ${img.tlvLength} bytes at ${img.tlvOffset}, ${img.tlvs.length} TLVs`);
    for (const t of img.tlvs) {
      const extra = tlvDetail(t.type, t.value);
      console.log(`  0x${t.type.toString(16).padStart(4, "0")} ${t.name.padEnd(18)} ${String(t.value.length).padStart(3)} bytes  ${hex(t.value)}${extra ? `\n${" ".repeat(35)}${extra}` : ""}`);
    }
  }
  if (error) {
    console.log(`error: ${error.message}`);
    return 1;
  }
  return 0;
}

function verifyCommand(args: string[]): number {
  const { values, positionals } = parseCommandArgs(args, { key: { type: "string" }, "key-hash": { type: "string" }, "min-counter": { type: "string" }, json: { type: "boolean", default: false } }, true);
  const file = checkInputFile("image", one(positionals, "verify"))!;
  if (values.key !== undefined && values["key-hash"] !== undefined) throw new UsageError("give --key or --key-hash, not both");
  let keyHash: Uint8Array | null = null;
  if (values.key !== undefined) keyHash = keyHashOf(key(checkInputFile("--key", values.key)!));
  if (values["key-hash"] !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(values["key-hash"])) throw new UsageError(`--key-hash must be 64 hex digits (SHA-256 of the public key), got '${values["key-hash"]}'`);
    keyHash = new Uint8Array(Buffer.from(values["key-hash"], "hex"));
  }
  const minCounter = parseIntArg("--min-counter", values["min-counter"], 0, 0xffffffff, 0);
  const bytes = readInput(file);
  const r = verifyImage(bytes, { keyHash, minCounter });
  if (values.json) {
    console.log(JSON.stringify({ file, valid: r.ok, reason: r.reason, detail: r.detail, key_checked: keyHash !== null }, null, 2));
  } else if (r.ok) {
    const h = parseImage(bytes).header;
    console.log(`${file}: ${r.detail}; load ${h.loadName}, security counter ${h.securityCounter}`);
    if (!keyHash) console.log("the key itself was not checked: give --key or --key-hash to require a trusted one");
  } else {
    console.error(`${file}: invalid: ${r.detail}`);
  }
  return r.ok ? 0 : 1;
}

export function imageCommand(args: string[]): number {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case "keygen": return keygen(rest);
      case "build": return build(rest);
      case "sign": return signCommand(rest);
      case "inspect": return inspect(rest);
      case "verify": return verifyCommand(rest);
      default: throw new UsageError(sub === undefined ? "image needs a subcommand: keygen, build, sign, inspect or verify" : `unknown image subcommand '${sub}' (the subcommands are ${IMAGE_SUBCOMMANDS.join(", ")})`);
    }
  } catch (e) {
    if (e instanceof Failure) {
      console.error(`ipphone image ${sub}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
