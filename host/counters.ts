// Names of the firmware's frame counters, in the order of enum Ctr in
// assembly/counters.ts (tests/registries.test.ts checks that they agree).
export const COUNTER_NAMES = [
  "rx_frames",
  "tx_frames",
  "accepted",
  "drop_oversize",
  "drop_eth_truncated",
  "drop_eth_not_for_us",
  "drop_eth_type",
  "drop_arp_malformed",
  "drop_arp_not_for_us",
  "drop_ip_truncated",
  "drop_ip_version",
  "drop_ip_header_length",
  "drop_ip_total_length",
  "drop_ip_checksum",
  "drop_ip_fragment",
  "drop_ip_not_for_us",
  "drop_ip_protocol",
  "drop_icmp_malformed",
  "drop_icmp_checksum",
  "drop_icmp_type",
  "drop_udp_malformed",
  "drop_udp_checksum",
  "drop_udp_port",
  "drop_dhcp_malformed",
  "drop_dhcp_not_for_us",
  "drop_dhcp_unexpected",
  "drop_vlan_other",
  "drop_cdp_malformed",
  "drop_cdp_checksum",
  "drop_lldp_malformed",
  "drop_llc_other",
  "drop_not_running",
  "drop_ip_source",
  "tx_arp_pending",
  "arp_conflicts",
  "drop_tcp_malformed",
  "drop_tcp_checksum",
  "drop_tcp_no_connection",
  "drop_tcp_out_of_window",
  "drop_tcp_out_of_order",
  "drop_tcp_challenge",
  "drop_tcp_unexpected",
  "tcp_retransmits",
  "sccp_malformed",
  "drop_tftp_malformed",
  "drop_tftp_tid",
  "drop_tftp_duplicate",
  "drop_tftp_out_of_order",
  "drop_tftp_unexpected",
  "drop_dns_malformed",
  "drop_dns_unexpected",
  "dhcp_option_malformed",
  "icmp_errors",
  "drop_icmp_error",
  "drop_sip_malformed",
  "drop_sip_too_long",
  "drop_sip_unexpected",
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];
export type Counters = Record<CounterName, number>;

/** The counters report: frames in and out, and the drops by reason (only those that happened). */
export function summarizeCounters(c: Counters): { frames_in: number; frames_out: number; accepted: number; dropped: Record<string, number> } {
  const dropped: Record<string, number> = {};
  for (const name of COUNTER_NAMES) {
    if (name.startsWith("drop_") && c[name] > 0) dropped[name.slice(5)] = c[name];
  }
  return { frames_in: c.rx_frames, frames_out: c.tx_frames, accepted: c.accepted, dropped };
}
