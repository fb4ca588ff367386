// Who the phone is: its MAC and the device name `SEP<MAC>` that DHCP
// (option 12), CDP, the config file name and SCCP registration all use.
import { put8 } from "../lib/bytes";

export const DEVICE_NAME_LEN = 15;
/** "SEP" followed by the MAC in upper-case hex, ASCII. */
export const deviceName = memory.data(DEVICE_NAME_LEN);

export function setDeviceName(mac: u64): void {
  put8(deviceName, 0x53); // S
  put8(deviceName + 1, 0x45); // E
  put8(deviceName + 2, 0x50); // P
  for (let i = 0; i < 12; i++) {
    const nibble = <u32>(mac >> (<u64>(44 - 4 * i))) & 0xf;
    put8(deviceName + 3 + <usize>i, nibble < 10 ? 0x30 + nibble : 0x37 + nibble);
  }
}

// The running load, as CDP's Software Version and LLDP's inventory report it.
// "P0030801SR01"; the image header will supply it once images carry one.
export const LOAD_NAME = memory.data<u8>([80, 48, 48, 51, 48, 56, 48, 49, 83, 82, 48, 49]);
export const LOAD_NAME_LEN = 12;
