// The phone's preferences (user settings): small values under one-byte keys
// in the power-safe log store (flash/log.ts) at PREFS_ADDR. A power cut
// during prefsSet leaves the old value or the new one, whole.
import { logGet, logSet } from "./log";
import { PREFS_ADDR } from "./layout";

/** Keys 0..254; the firmware assigns them. */
export const PREFS_KEY_MAX = 254;

/** The keys the firmware uses. */
export const enum Pref {
  /** The last DHCP lease (client/dhcp.ts): address, voice VLAN, expiry; for INIT-REBOOT after a restart. */
  DhcpLease = 1,
  /** RFC 2131 4.4.1's wait before the first DISCOVER (client/dhcp.ts): least and most ms, u32 each; a storm's setting. */
  DhcpInitialDelay = 2,
}

/** Copies the value of `key` (at most `cap` bytes) to `dst`; returns its length, or -1 when unset. */
export function prefsGet(key: i32, dst: usize, cap: i32): i32 { return logGet(PREFS_ADDR, key, dst, cap); }

/** Sets `key` to `len` (0..255) bytes at `src`; length 0 removes it. Returns 0 or a negative error. */
export function prefsSet(key: i32, src: usize, len: i32): i32 { return logSet(PREFS_ADDR, key, src, len); }
