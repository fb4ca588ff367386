// The retransmission timeout of RFC 6298 for the simulated hosts' TCP: SRTT
// and RTTVAR from round-trip samples, RTO = SRTT + max(1 ms, 4 RTTVAR) within
// [1 s, 60 s], doubled on each timeout. (The firmware's own is lib/rto.ts.)
const RTO_INITIAL_MS = 1000;
const RTO_MIN_MS = 1000;
const RTO_MAX_MS = 60_000;

export class Rto {
  /** The current timeout, ms. */
  ms = RTO_INITIAL_MS;
  private srtt = 0;
  private rttvar = 0;

  /** A round trip of `ms` (under 1 ms counts as 1). */
  sample(ms: number): void {
    const r = Math.max(ms, 1);
    if (this.srtt === 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.ms = Math.min(Math.max(Math.ceil(this.srtt + Math.max(1, 4 * this.rttvar)), RTO_MIN_MS), RTO_MAX_MS);
  }

  /** A timeout: back off (RFC 6298 5.5). */
  backoff(): void {
    this.ms = Math.min(this.ms * 2, RTO_MAX_MS);
  }
}
