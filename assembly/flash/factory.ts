// The factory data record, written at manufacture into the first sector:
//   0 magic "IPPF" | 4 version u16 | 6 length u16 | 8 MAC[6] | 14 reserved[2]
//  16 serial[16] | 32 model[16] | 48 key hash[32] | 80 CRC-32 of bytes 0..79
// Big-endian numbers; text is ASCII padded with zeros.
import { flash_read } from "../hal";
import { get16, get32, getMac } from "../lib/bytes";
import { crc32 } from "../lib/crc32";
import { FACTORY_ADDR } from "./layout";

export const FACTORY_MAGIC: u32 = 0x49505046;
export const FACTORY_LEN = 84;
export const FACTORY_MAC = 8;
export const FACTORY_SERIAL = 16;
export const FACTORY_MODEL = 32;
export const FACTORY_KEY_HASH = 48;

export const enum FactoryErr { Ok = 0, Read = -1, Magic = -2, Length = -3, Crc = -4 }

/** The record as read from flash; valid after factoryLoad() returned Ok. */
export const factory = memory.data(FACTORY_LEN);

export function factoryLoad(): i32 {
  if (flash_read(FACTORY_ADDR, factory, FACTORY_LEN) != 0) return FactoryErr.Read;
  if (get32(factory) != FACTORY_MAGIC) return FactoryErr.Magic;
  if (get16(factory + 6) != FACTORY_LEN) return FactoryErr.Length;
  if (crc32(factory, FACTORY_LEN - 4) != get32(factory + FACTORY_LEN - 4)) return FactoryErr.Crc;
  return FactoryErr.Ok;
}

export function factoryMac(): u64 { return getMac(factory + FACTORY_MAC); }
