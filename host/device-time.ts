// The time a phone's own hardware takes between power-good and its first
// poll: the bootloader's verify of the image it starts, the firmware's start,
// and the Ethernet PHY's auto-negotiation. The switch's PoE sequence before
// power-good is host/poe.ts's (POE_TIMING). This file is the one place the
// simulation takes these figures from.

/**
 * Instructions the board port counts (tests/bench/board-bench.ts, QEMU
 * mps2-an386 under `-icount shift=0`: one instruction per ns of virtual
 * time, read from the LAN9118's 25 MHz counter, exact to 40 instructions).
 * Measured 2026-12-03 on the board images of that day (RAM-load: the
 * resident bootloader verifies the slot, copies the payload to RAM and
 * calls it), after the signature became one of the image's SHA-256 digest
 * (MCUboot's TLV 0x24) instead of the whole image; the same in repeated runs:
 *   verify of the default board image, 104,132 signed bytes:  25,918,440
 *   the same with 524,288 bytes of padding (628,420 bytes):   108,387,560
 *   the firmware's start: reset to the phone's first poll less the verify
 *   (drivers, copy to RAM, the image's start):                   191,760
 * Verify is linear in the bytes hashed: 157.3 instructions a signed byte
 * (SHA-256, flash reads through the hal) plus 9.54 M fixed (the key hash,
 * and Ed25519 of the digest: one SHA-512 block of R, key and digest, the
 * point decompression and the double scalar multiplication). Before, with
 * Ed25519 over the whole image (its SHA-512 a second pass): 323.8 a byte
 * plus 9.57 M, 43,280,240 for the default board image; before the field
 * multiplication was unrolled: 411.0 a byte plus 44.1 M.
 * To measure again: `npm run build && node -e "import('./dist/tests/bench/board-bench.js').then(async m => console.log(await m.measureBoot(), await m.measureBoot(m.paddedImage(524288))))"`
 * (needs qemu-system-arm, gcc-arm-none-eabi, wabt), then update the three numbers below.
 */
export const BOOT_INSTRUCTIONS = {
  verifyPerSignedByte: 157.3,
  verifyFixed: 9_540_000,
  firmwareStart: 191_760,
} as const;

/**
 * The phone CPU's clock when the scenario sets none: 168 MHz, an STM32F407's
 * Cortex-M4 (ST datasheet DS8626, "up to 168 MHz"), the core the counts above
 * are Thumb-2 instructions of. Cisco publishes no clock for its phones' SoCs
 * (a 7961G's is a Broadcom BCM1100, MIPS32). One cycle an instruction: a
 * Cortex-M4 runs most in one (loads and taken branches take more), so the
 * charged time is a lower bound.
 */
export const DEFAULT_CPU_MHZ = 168;

/**
 * IEEE 802.3 clause 28 auto-negotiation to a 100BASE-TX link, µs: Fast Link
 * Pulse bursts every 16 ms (8-24 ms; Micrel KSZ8041 datasheet, table 14);
 * the arbitration needs 3 matching bursts to detect abilities, 3 more
 * acknowledged, and 6 to 8 more in COMPLETE ACKNOWLEDGE, so about 13 bursts
 * after the first; then the 100BASE-TX descrambler must stay locked about
 * 50 ms (Intel LXT9785 datasheet, 4.6.1.4) before the link is up. The PHY
 * starts at power-good, in hardware, while the bootloader runs.
 */
export const AUTONEG_US = 14 * 16_000 + 50_000;

/** A phone's hardware timing in the simulation. */
export interface DeviceTiming {
  /** CPU clock, MHz (one instruction a cycle). */
  cpuMhz: number;
  /** Auto-negotiation after power-good, µs (default AUTONEG_US). */
  autonegUs?: number;
}

export function deviceTiming(cpuMhz = DEFAULT_CPU_MHZ): DeviceTiming {
  return { cpuMhz, autonegUs: AUTONEG_US };
}

/** µs for `instructions` at `cpuMhz` (whole µs, rounded up: a deterministic integer clock). */
export function instructionsUs(instructions: number, cpuMhz: number): number {
  return Math.ceil(instructions / cpuMhz);
}

/** The bootloader's verify: every hashed byte of every slot it checked, and the fixed signature check of each that got that far. */
export function verifyInstructions(signedBytesHashed: number, signatureChecks: number): number {
  return signedBytesHashed * BOOT_INSTRUCTIONS.verifyPerSignedByte + signatureChecks * BOOT_INSTRUCTIONS.verifyFixed;
}
