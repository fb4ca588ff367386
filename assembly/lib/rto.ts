// The retransmission timeout of RFC 6298: SRTT and RTTVAR kept in eighths
// and quarters of a millisecond (as BSD keeps them), RTO = SRTT + max(1 ms,
// 4 RTTVAR), bounded; doubled on each timeout (Karn). TCP and TFTP use it.
@unmanaged export class Rto {
  srtt8: i32;
  rttvar4: i32;
  sampled: bool;
  /** The current timeout, ms. */
  rto: i32;
  lo: i32;
  hi: i32;

  init(initial: i32, lo: i32, hi: i32): void {
    this.srtt8 = 0;
    this.rttvar4 = 0;
    this.sampled = false;
    this.rto = initial;
    this.lo = lo;
    this.hi = hi;
  }

  /** A round trip of `r` ms (RFC 6298 2.2, 2.3). */
  sample(r: i32): void {
    if (!this.sampled) {
      this.srtt8 = r << 3;
      this.rttvar4 = r << 1; // RTTVAR = R/2
      this.sampled = true;
    } else {
      let err = r - (this.srtt8 >> 3);
      this.srtt8 += err; // SRTT += (R - SRTT) / 8
      if (err < 0) err = -err;
      this.rttvar4 += err - (this.rttvar4 >> 2); // RTTVAR += (|R - SRTT| - RTTVAR) / 4
    }
    this.rto = min(max((this.srtt8 >> 3) + max(1, this.rttvar4), this.lo), this.hi);
  }

  /** A timeout: double, up to the ceiling (RFC 6298 5.5). */
  backoff(): void { this.rto = min(this.rto << 1, this.hi); }

  @inline get srtt(): i32 { return this.srtt8 >> 3; }
  @inline get rttvar(): i32 { return this.rttvar4 >> 2; }
}
