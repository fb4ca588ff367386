// Who the phone is: its MAC and the device name `SEP<MAC>` that DHCP
// (option 12), CDP, the config file name and SCCP registration all use.
import { flash_read } from "../hal";
import { put8 } from "../lib/bytes";
import { setHostName } from "../net/netif";
import { bootrecLoad, bootrecSlot } from "../flash/bootrec";
import { slotAddr } from "../flash/layout";
import { HEADER_SIZE, headerCheck, LOAD_NAME, LOAD_NAME_MAX, loadNameLen } from "../boot/image";

export const DEVICE_NAME_LEN = 15;
/** "SEP" followed by the MAC in upper-case hex, ASCII. */
export const deviceName = memory.data(DEVICE_NAME_LEN);

/** Writes SEP<MAC> into deviceName, and makes it the interface's host name. */
export function setDeviceName(mac: u64): void {
  put8(deviceName, 0x53); // S
  put8(deviceName + 1, 0x45); // E
  put8(deviceName + 2, 0x50); // P
  for (let i = 0; i < 12; i++) {
    const nibble = <u32>(mac >> (<u64>(44 - 4 * i))) & 0xf;
    put8(deviceName + 3 + <usize>i, nibble < 10 ? 0x30 + nibble : 0x37 + nibble);
  }
  setHostName(deviceName, DEVICE_NAME_LEN);
}

// The running load, as CDP's Software Version and LLDP's inventory report it:
// the load name in the header of the image the bootloader started.
export const loadName = memory.data(LOAD_NAME_MAX);
export let loadNameLength = 0;
/** The slot the phone runs from (0 = A, 1 = B); the other one takes a new image. */
export let runningSlot: i32 = 0;
const header = memory.data(<i32>HEADER_SIZE);

export function identityLoad(): void {
  bootrecLoad();
  runningSlot = bootrecSlot == 1 ? 1 : 0;
  loadNameLength = 0;
  if (flash_read(slotAddr(runningSlot), header, <i32>HEADER_SIZE) != 0 || headerCheck(header) != 0) return;
  loadNameLength = loadNameLen(header);
  memory.copy(loadName, header + LOAD_NAME, <usize>loadNameLength);
}
