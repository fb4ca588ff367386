// A NOR flash model: erase sets a whole sector to 0xFF, program can only
// clear bits. Programming a 0 back to 1 is reported, as a real part would
// silently leave the bit at 0 and corrupt the data.

export const FLASH_OK = 0;
export const FLASH_ERR_RANGE = -1;
export const FLASH_ERR_ALIGN = -2;
export const FLASH_ERR_NOT_ERASED = -3;

export interface FlashGeometry {
  /** Total size in bytes (a multiple of sectorSize). */
  size: number;
  sectorSize: number;
  /** Program granularity: addresses and lengths must be multiples of it. */
  programUnit: number;
}

export const DEFAULT_GEOMETRY: FlashGeometry = { size: 16 * 1024 * 1024, sectorSize: 4096, programUnit: 1 };

export class Flash {
  readonly data: Uint8Array;
  readonly eraseCounts: Uint32Array;
  /** Program attempts that tried to turn a 0 into a 1. */
  violations = 0;

  constructor(readonly geometry: FlashGeometry = DEFAULT_GEOMETRY) {
    const { size, sectorSize, programUnit } = geometry;
    if (size <= 0 || sectorSize <= 0 || size % sectorSize !== 0 || sectorSize % programUnit !== 0) {
      throw new RangeError(`Flash: bad geometry ${JSON.stringify(geometry)}`);
    }
    this.data = new Uint8Array(size).fill(0xff);
    this.eraseCounts = new Uint32Array(size / sectorSize);
  }

  private inRange(addr: number, len: number): boolean {
    return Number.isInteger(addr) && Number.isInteger(len) && addr >= 0 && len >= 0 && addr + len <= this.data.length;
  }

  read(addr: number, len: number): Uint8Array | number {
    if (!this.inRange(addr, len)) return FLASH_ERR_RANGE;
    return this.data.subarray(addr, addr + len);
  }

  program(addr: number, bytes: Uint8Array): number {
    if (!this.inRange(addr, bytes.length)) return FLASH_ERR_RANGE;
    const unit = this.geometry.programUnit;
    if (addr % unit !== 0 || bytes.length % unit !== 0) return FLASH_ERR_ALIGN;
    let result = FLASH_OK;
    for (let i = 0; i < bytes.length; i++) {
      const old = this.data[addr + i];
      if ((bytes[i] & ~old) !== 0) result = FLASH_ERR_NOT_ERASED;
      this.data[addr + i] = old & bytes[i];
    }
    if (result !== FLASH_OK) this.violations++;
    return result;
  }

  erase(addr: number): number {
    if (!this.inRange(addr, 1)) return FLASH_ERR_RANGE;
    const sector = Math.floor(addr / this.geometry.sectorSize);
    const start = sector * this.geometry.sectorSize;
    this.data.fill(0xff, start, start + this.geometry.sectorSize);
    this.eraseCounts[sector]++;
    return FLASH_OK;
  }
}
