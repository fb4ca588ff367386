// A strict NOR flash model: erase sets a whole sector to 0xFF, program can
// only clear bits. Programming a 0 back to 1 is reported (a real part would
// silently leave the bit at 0 and corrupt the data), and counted.
//
// A power cut can be armed at the Nth operation that changes the flash
// (program or erase; reads change nothing, so a cut "during" one is the same
// as a cut before the next write). That operation is torn, as on a real part:
// a program writes only a prefix of its bytes, the byte at the cut with only
// some of its bits cleared; an erase sets only a prefix of the sector to 0xFF.
// The operation then throws PowerCut and every access fails until
// restorePower(), as the device is off.
//
// Sectors are stored only once written, and a sector can be shared between
// flashes (copy on write): 10,000 phones with the same image in slot A hold
// one copy of it. An erased sector's buffer stays with its flash for the
// next write (new memory is slow to touch the first time), and a block
// written into the erased tail of a sector is copied without a bit check.

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

/**
 * The flash map of assembly/flash/layout.ts, mirrored here and nowhere else on
 * the host. README "Firmware images" draws it.
 */
export const LAYOUT = {
  sectorSize: 0x1000,
  writeUnit: 16,
  factory: 0x000000,
  prefs: 0x001000,
  bootRecord: 0x003000,
  slots: [0x010000, 0x410000] as const,
  slotSize: 0x400000,
  /** Offset of the trailer (the slot's last sector) in a slot; also the largest image. */
  trailerOffset: 0x400000 - 0x1000,
} as const;

/** Thrown by the operation a power cut interrupted, and by every access until power returns. */
export class PowerCut extends Error {
  constructor(readonly op: number, readonly detail: string) {
    super(`power cut at flash operation ${op} (${detail})`);
    this.name = "PowerCut";
  }
}

export interface PowerCutPlan {
  /** Cut during the Nth program or erase from now (1 = the next one). */
  atOp: number;
  /** How much of that operation happens before the cut, 0 to 1 (a program always leaves its last byte short); default 0.5. */
  tear?: number;
}

export class Flash {
  /** Sector contents by index; absent = erased (all 0xFF). A Map, not an array: a phone's flash holds a few of its 4096 sectors. */
  private readonly sectors = new Map<number, Uint8Array>();
  /** Sectors this flash may modify in place; the others are shared and copied on write. */
  private readonly owned = new Set<number>();
  /**
   * For owned sectors, where their erased tail begins: every byte from there
   * to the sector's end is 0xFF. A program that starts at or past it needs
   * no bit check (an image arrives block after block into erased sectors).
   */
  private readonly erasedFrom = new Map<number, number>();
  /** Sector buffers no sector uses (erased ones, reserve()), taken before new memory. */
  private readonly spare: Uint8Array[] = [];
  private readonly sectorCount: number;
  private readonly erases = new Map<number, number>();
  private readonly blank: Uint8Array;
  /** Program attempts that tried to turn a 0 into a 1. */
  violations = 0;
  /** Programs and erases so far (torn ones included). */
  ops = 0;
  private cut: { atOp: number; tear: number } | null = null;
  private off = false;

  constructor(readonly geometry: FlashGeometry = DEFAULT_GEOMETRY) {
    const { size, sectorSize, programUnit } = geometry;
    if (size <= 0 || sectorSize <= 0 || size % sectorSize !== 0 || programUnit <= 0 || sectorSize % programUnit !== 0) {
      throw new RangeError(`Flash: bad geometry ${JSON.stringify(geometry)}`);
    }
    this.sectorCount = size / sectorSize;
    this.blank = blankSector(sectorSize);
  }

  get size(): number {
    return this.geometry.size;
  }

  /** Erase count of the sector holding `addr`. */
  eraseCount(addr: number): number {
    return this.erases.get(Math.floor(addr / this.geometry.sectorSize)) ?? 0;
  }

  /** Erase counts of every sector ever erased, by sector index. */
  eraseCounts(): Map<number, number> {
    return new Map(this.erases);
  }

  /** Arms a power cut (see the file's comment); `null` disarms. */
  armPowerCut(plan: PowerCutPlan | null): void {
    if (plan && (!Number.isInteger(plan.atOp) || plan.atOp < 1)) throw new RangeError("armPowerCut: atOp must be 1 or more");
    this.cut = plan ? { atOp: this.ops + plan.atOp, tear: Math.min(Math.max(plan.tear ?? 0.5, 0), 1) } : null;
  }

  /** True after a power cut, until restorePower(). */
  get poweredOff(): boolean {
    return this.off;
  }

  restorePower(): void {
    this.off = false;
    this.cut = null;
  }

  private inRange(addr: number, len: number): boolean {
    return Number.isInteger(addr) && Number.isInteger(len) && addr >= 0 && len >= 0 && addr + len <= this.geometry.size;
  }

  private checkPower(): void {
    if (this.off) throw new PowerCut(this.ops, "the device is off");
  }

  /** Reads flash at `addr` into all of `out`; 0 or FLASH_ERR_RANGE. */
  readInto(addr: number, out: Uint8Array): number {
    this.checkPower();
    if (!this.inRange(addr, out.length)) return FLASH_ERR_RANGE;
    this.copyOut(addr, out);
    return FLASH_OK;
  }

  /** A copy of `len` bytes at `addr` (never a view: callers may keep it). */
  read(addr: number, len: number): Uint8Array | number {
    this.checkPower();
    if (!this.inRange(addr, len)) return FLASH_ERR_RANGE;
    const out = new Uint8Array(len);
    this.copyOut(addr, out);
    return out;
  }

  /** Copies flash at `addr` into `out` (no power or range check: the host's own inspection). */
  copyOut(addr: number, out: Uint8Array): void {
    const ss = this.geometry.sectorSize;
    for (let done = 0; done < out.length;) {
      const a = addr + done;
      const sector = Math.floor(a / ss);
      const at = a - sector * ss;
      const n = Math.min(ss - at, out.length - done);
      const data = this.sectors.get(sector);
      if (data) out.set(data.subarray(at, at + n), done);
      else out.fill(0xff, done, done + n);
      done += n;
    }
  }

  /**
   * The sectors holding [addr, addr + len) when every one is shared (held
   * by other flashes too and never written in place: see flashImage), or
   * null. Two flashes with the same list hold the same bytes there.
   */
  sharedSectors(addr: number, len: number): Uint8Array[] | null {
    const ss = this.geometry.sectorSize;
    const out: Uint8Array[] = [];
    for (let sector = Math.floor(addr / ss); sector * ss < addr + len; sector++) {
      const data = this.sectors.get(sector);
      if (!data || this.owned.has(sector)) return null;
      out.push(data);
    }
    return out;
  }

  /** A view of the sector holding `addr` that this flash may write. */
  private writable(sector: number): Uint8Array {
    const data = this.sectors.get(sector);
    if (data && this.owned.has(sector)) return data;
    this.erasedFrom.set(sector, data ? this.geometry.sectorSize : 0);
    const own = this.spare.pop() ?? new Uint8Array(this.geometry.sectorSize);
    own.set(data ?? this.blank);
    this.sectors.set(sector, own);
    this.owned.add(sector);
    return own;
  }

  /**
   * Sets aside room for `bytes` of sectors this flash will write, already
   * touched: a download into new memory otherwise pays the system's page
   * faults (some 10 us per 4 KiB here) block by block, mid-transfer.
   */
  reserve(bytes: number): void {
    const ss = this.geometry.sectorSize;
    for (let n = Math.ceil(bytes / ss); n > 0; n--) this.spare.push(new Uint8Array(ss).fill(0xff));
  }

  /** Counts an operation; returns how many of `len` units it gets to do before a cut (len = no cut). */
  private begin(len: number): number {
    this.checkPower();
    this.ops++;
    if (!this.cut || this.ops !== this.cut.atOp) return len;
    return Math.min(len - 1, Math.floor(len * this.cut.tear));
  }

  private powerCut(what: string): never {
    this.off = true;
    this.cut = null;
    throw new PowerCut(this.ops, what);
  }

  program(addr: number, bytes: Uint8Array): number {
    this.checkPower();
    if (!this.inRange(addr, bytes.length)) return FLASH_ERR_RANGE;
    const unit = this.geometry.programUnit;
    if (addr % unit !== 0 || bytes.length % unit !== 0) return FLASH_ERR_ALIGN;
    const done = this.begin(bytes.length);
    const ss = this.geometry.sectorSize;
    let result = FLASH_OK;
    // A sector at a time: one lookup per sector, not per byte (a TFTP block is programmed per packet).
    for (let i = 0; i < bytes.length;) {
      const sector = Math.floor((addr + i) / ss);
      const at = addr + i - sector * ss;
      const n = Math.min(ss - at, bytes.length - i);
      const old = this.sectors.get(sector);
      if (i + n <= done && (old === undefined || at >= (this.erasedFrom.get(sector) ?? ss))) {
        // Erased bytes take any value: one copy, no bit to check.
        this.writable(sector).set(bytes.subarray(i, i + n), at);
        this.erasedFrom.set(sector, at + n);
        i += n;
        continue;
      }
      let target: Uint8Array | null = null;
      const was0 = old ?? this.blank;
      for (let j = 0; j < n; j++, i++) {
        const was = was0[at + j];
        if ((bytes[i] & ~was & 0xff) !== 0) result = FLASH_ERR_NOT_ERASED;
        if (i > done) continue;
        // At the cut, the byte being written keeps some of the bits it should have lost.
        const value = i === done ? was & (bytes[i] | 0x0f) : was & bytes[i];
        if (value !== was) (target ??= this.writable(sector))[at + j] = value;
      }
      if (target) this.erasedFrom.set(sector, Math.max(this.erasedFrom.get(sector) ?? ss, at + n));
    }
    if (done < bytes.length) this.powerCut(`program of ${bytes.length} bytes at 0x${addr.toString(16)} torn after ${done}`);
    if (result !== FLASH_OK) this.violations++;
    return result;
  }

  erase(addr: number): number {
    this.checkPower();
    if (!this.inRange(addr, 1)) return FLASH_ERR_RANGE;
    const ss = this.geometry.sectorSize;
    const sector = Math.floor(addr / ss);
    this.erases.set(sector, (this.erases.get(sector) ?? 0) + 1);
    const done = this.begin(ss);
    if (done >= ss) {
      if (this.owned.has(sector)) this.spare.push(this.sectors.get(sector)!);
      this.sectors.delete(sector);
      this.owned.delete(sector);
      this.erasedFrom.delete(sector);
      return FLASH_OK;
    }
    if (this.sectors.has(sector)) this.writable(sector).fill(0xff, 0, done);
    this.powerCut(`erase of sector 0x${(sector * ss).toString(16)} torn after ${done} bytes`);
  }

  /**
   * Puts `data` at sector-aligned `addr` as a factory programmer would, by
   * reference: the sectors are shared with every flash given the same array
   * and copied on their first write. The sectors must be erased.
   */
  programShared(addr: number, data: readonly Uint8Array[]): void {
    const ss = this.geometry.sectorSize;
    if (addr % ss !== 0) throw new RangeError("programShared: address must start a sector");
    data.forEach((sector, i) => {
      const index = addr / ss + i;
      if (sector.length !== ss || index >= this.sectorCount) throw new RangeError("programShared: whole sectors inside the flash");
      if (this.sectors.has(index)) throw new Error(`programShared: sector 0x${(index * ss).toString(16)} is not erased`);
      this.sectors.set(index, sector);
      this.owned.delete(index);
      this.erasedFrom.delete(index);
    });
  }

  /** Bytes of sector storage this flash holds on its own, spare buffers included (shared sectors not counted). */
  ownedBytes(): number {
    return (this.owned.size + this.spare.length) * this.geometry.sectorSize;
  }
}

const blanks = new Map<number, Uint8Array>();

/** An erased sector (all 0xFF), shared by every flash of that sector size: only ever read or copied. */
function blankSector(size: number): Uint8Array {
  let b = blanks.get(size);
  if (!b) blanks.set(size, (b = new Uint8Array(size).fill(0xff)));
  return b;
}

/** Cuts `bytes` into whole sectors, the last padded with 0xFF, for Flash.programShared. */
export function toSectors(bytes: Uint8Array, sectorSize = LAYOUT.sectorSize): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += sectorSize) {
    const s = new Uint8Array(sectorSize).fill(0xff);
    s.set(bytes.subarray(at, Math.min(at + sectorSize, bytes.length)));
    out.push(s);
  }
  return out;
}
