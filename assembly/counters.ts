// Frame counters: every received frame ends in exactly one of Accepted or a
// Drop* reason, so the host can prove nothing is lost silently. The host's
// names (host/counters.ts) follow this order; a test checks they agree.

export const enum Ctr {
  RxFrames,
  TxFrames,
  Accepted,
  DropOversize,
  DropEthTruncated,
  DropEthNotForUs,
  DropEthType,
  DropArpMalformed,
  DropArpNotForUs,
  DropIpTruncated,
  DropIpVersion,
  DropIpHeaderLength,
  DropIpTotalLength,
  DropIpChecksum,
  DropIpFragment,
  DropIpNotForUs,
  DropIpProtocol,
  DropIcmpMalformed,
  DropIcmpChecksum,
  DropIcmpType,
  DropUdpMalformed,
  DropUdpChecksum,
  DropUdpPort,
  DropDhcpMalformed,
  DropDhcpNotForUs,
  DropDhcpUnexpected,
  DropVlanOther,
  DropCdpMalformed,
  DropCdpChecksum,
  DropLldpMalformed,
  DropLlcOther,
  DropNotRunning,
  DropIpSource,
  TxArpPending,
  ArpConflicts,
  DropTcpMalformed,
  DropTcpChecksum,
  DropTcpNoConnection,
  DropTcpOutOfWindow,
  DropTcpOutOfOrder,
  DropTcpChallenge,
  DropTcpUnexpected,
  TcpRetransmits,
  SccpMalformed,
  DropTftpMalformed,
  DropTftpTid,
  DropTftpDuplicate,
  DropTftpOutOfOrder,
  DropTftpUnexpected,
  DropDnsMalformed,
  DropDnsUnexpected,
  DhcpOptionMalformed,
  IcmpErrors,
  DropIcmpError,
  DropSipMalformed,
  DropSipTooLong,
  DropSipUnexpected,
  Count,
}

const table = memory.data(<i32>Ctr.Count * 4);

@inline export function count(c: Ctr): void {
  const p = table + (<usize>c << 2);
  store<u32>(p, load<u32>(p) + 1);
}
/** Count a received frame as dropped for `reason`; returns false for use in `return drop(...)`. */
export function drop(reason: Ctr): bool {
  count(reason);
  return false;
}
export function counterValue(c: Ctr): u32 { return load<u32>(table + (<usize>c << 2)); }
export function countersPtr(): usize { return table; }
export function resetCounters(): void { memory.fill(table, 0, <i32>Ctr.Count * 4); }
