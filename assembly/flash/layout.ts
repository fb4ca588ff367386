// Where things live in the phone's NOR flash (16 MiB, 4 KiB sectors). The
// host mirrors these addresses in one place, host/flash.ts (LAYOUT), and the
// README's "Firmware images" section draws the map.
//
//   0x000000  factory data        1 sector   MAC, serial, model, signing-key hash
//   0x001000  preferences         2 sectors  log store (flash/log.ts): user settings
//   0x003000  boot state          2 sectors  log store: running slot, security counter
//   0x005000  (free)
//   0x010000  slot A              4 MiB      image, then its trailer in the last sector
//   0x410000  slot B              4 MiB
//   0x810000  (free, to 16 MiB)
//
// Everything the firmware programs is laid out in 16-byte units, so the same
// code works on parts whose program granularity is 1, 2, 4, 8 or 16 bytes.
export const SECTOR_SIZE: u32 = 4096;
/** Every record, flag and trailer field starts and ends on this boundary. */
export const WRITE_UNIT: u32 = 16;

/** Factory data: MAC, serial, model, signing-key hash; written once at manufacture. */
export const FACTORY_ADDR: u32 = 0;
/** User preferences: a two-sector log store (flash/prefs.ts). */
export const PREFS_ADDR: u32 = 0x001000;
/** What the bootloader remembers: a two-sector log store (flash/bootrec.ts). */
export const BOOTREC_ADDR: u32 = 0x003000;

export const SLOT_A_ADDR: u32 = 0x010000;
export const SLOT_B_ADDR: u32 = 0x410000;
export const SLOT_SIZE: u32 = 0x400000;
/** The slot's last sector holds its trailer; the image may fill the rest. */
export const TRAILER_OFFSET: u32 = SLOT_SIZE - SECTOR_SIZE;
export const IMAGE_MAX: u32 = TRAILER_OFFSET;

@inline export function slotAddr(slot: i32): u32 { return slot == 0 ? SLOT_A_ADDR : SLOT_B_ADDR; }
@inline export function trailerAddr(slot: i32): u32 { return slotAddr(slot) + TRAILER_OFFSET; }
