// The phone's status line (hal.lcd): one message per stage and per named
// failure, as real phones show them. ASCII in one data segment.
import { lcd } from "../hal";

export const enum Lcd {
  ConfiguringVlan,
  ConfiguringIp,
  RequestingConfig,
  Upgrading,
  Registering,
  Registered,
  NoFactoryData,
  NoTftpServer,
  ConfigNotFound,
  ConfigError,
  NoCallManager,
  UpgradeFailed,
  Rebooting,
  CallManagerDown,
  AddressConflict,
}

// The texts, in the order of enum Lcd:
//   ConfiguringVlan: "Configuring VLAN"
//   ConfiguringIp: "Configuring IP"
//   RequestingConfig: "Requesting configuration"
//   Upgrading: "Upgrading firmware "
//   Registering: "Registering"
//   Registered: "Registered"
//   NoFactoryData: "No factory data"
//   NoTftpServer: "No TFTP server"
//   ConfigNotFound: "Configuration not found"
//   ConfigError: "Configuration error"
//   NoCallManager: "No CallManager configured"
//   UpgradeFailed: "Upgrade failed"
//   Rebooting: "Upgrading firmware: restarting"
//   CallManagerDown: "CallManager down"
//   AddressConflict: "IP address conflict"
const TEXT = memory.data<u8>([67, 111, 110, 102, 105, 103, 117, 114, 105, 110, 103, 32, 86, 76, 65, 78, 67, 111, 110, 102, 105, 103, 117, 114, 105, 110, 103, 32, 73, 80, 82, 101, 113, 117, 101, 115, 116, 105, 110, 103, 32, 99, 111, 110, 102, 105, 103, 117, 114, 97, 116, 105, 111, 110, 85, 112, 103, 114, 97, 100, 105, 110, 103, 32, 102, 105, 114, 109, 119, 97, 114, 101, 32, 82, 101, 103, 105, 115, 116, 101, 114, 105, 110, 103, 82, 101, 103, 105, 115, 116, 101, 114, 101, 100, 78, 111, 32, 102, 97, 99, 116, 111, 114, 121, 32, 100, 97, 116, 97, 78, 111, 32, 84, 70, 84, 80, 32, 115, 101, 114, 118, 101, 114, 67, 111, 110, 102, 105, 103, 117, 114, 97, 116, 105, 111, 110, 32, 110, 111, 116, 32, 102, 111, 117, 110, 100, 67, 111, 110, 102, 105, 103, 117, 114, 97, 116, 105, 111, 110, 32, 101, 114, 114, 111, 114, 78, 111, 32, 67, 97, 108, 108, 77, 97, 110, 97, 103, 101, 114, 32, 99, 111, 110, 102, 105, 103, 117, 114, 101, 100, 85, 112, 103, 114, 97, 100, 101, 32, 102, 97, 105, 108, 101, 100, 85, 112, 103, 114, 97, 100, 105, 110, 103, 32, 102, 105, 114, 109, 119, 97, 114, 101, 58, 32, 114, 101, 115, 116, 97, 114, 116, 105, 110, 103, 67, 97, 108, 108, 77, 97, 110, 97, 103, 101, 114, 32, 100, 111, 119, 110, 73, 80, 32, 97, 100, 100, 114, 101, 115, 115, 32, 99, 111, 110, 102, 108, 105, 99, 116]);
// (offset, length) of each message in TEXT.
const INDEX = memory.data<u16>([0, 16, 16, 14, 30, 24, 54, 19, 73, 11, 84, 10, 94, 15, 109, 14, 123, 23, 146, 19, 165, 25, 190, 14, 204, 30, 234, 16, 250, 19]);
const line = memory.data(40);

export function lcdShow(m: Lcd): void {
  const i = INDEX + (<usize>m << 2);
  lcd(TEXT + <usize>load<u16>(i), <i32>load<u16>(i, 2));
}

/** Copies message `m`'s text to `dst`; returns its length. */
export function lcdCopy(m: Lcd, dst: usize): i32 {
  const i = INDEX + (<usize>m << 2);
  const n = <i32>load<u16>(i, 2);
  memory.copy(dst, TEXT + <usize>load<u16>(i), <usize>n);
  return n;
}

function put(n: i32, c: u32): i32 {
  store<u8>(line + <usize>n, <u8>c);
  return n + 1;
}

/** "Upgrading firmware 42%". */
export function lcdProgress(percent: u32): void {
  let n = lcdCopy(Lcd.Upgrading, line);
  if (percent > 100) percent = 100;
  if (percent >= 100) n = put(n, 0x31);
  if (percent >= 10) n = put(n, 0x30 + (percent / 10) % 10);
  n = put(n, 0x30 + percent % 10);
  lcd(line, put(n, 0x25));
}
