// The firmware's only door to the outside. Every import takes and returns
// numbers (pointers and lengths into linear memory), so any WebAssembly
// runtime on a device can host the firmware. Documented in README "The hal ABI".

/** Transmit one Ethernet frame (no FCS) of `len` bytes at `ptr`. */
@external("hal", "mac_tx") export declare function mac_tx(ptr: usize, len: i32): void;
/** Read `len` bytes of flash at `addr` into memory at `ptr`; returns 0 or a negative error. */
@external("hal", "flash_read") export declare function flash_read(addr: u32, ptr: usize, len: i32): i32;
/** Program (clear bits of) flash at `addr` from `ptr`; returns 0 or a negative error. */
@external("hal", "flash_program") export declare function flash_program(addr: u32, ptr: usize, len: i32): i32;
/** Erase the sector holding `addr` to 0xFF; returns 0 or a negative error. */
@external("hal", "flash_erase") export declare function flash_erase(addr: u32): i32;
/** A random 32-bit number (hardware RNG on a device, a seeded PRNG in the simulation). */
@external("hal", "random") export declare function random(): u32;
/** One step of the boot timeline: `code` from events.ts, two numeric arguments. */
@external("hal", "event") export declare function event(code: i32, a: i32, b: i32): void;
/** Show a status line (ASCII) on the phone's display. */
@external("hal", "lcd") export declare function lcd(ptr: usize, len: i32): void;
/** A log line (ASCII) at `level` (0 debug .. 3 error). */
@external("hal", "log") export declare function log(level: i32, ptr: usize, len: i32): void;
@external("hal", "watchdog_kick") export declare function watchdog_kick(): void;
/** Reset the device; the host re-runs the bootloader. */
@external("hal", "reset") export declare function reset(reason: i32): void;

// Debug builds route AssemblyScript's abort here (asconfig "use"), so that
// even a failed assertion leaves the module only through `hal`.
export function halAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  event(0x7fff, <i32>line, <i32>column);
  unreachable();
}
