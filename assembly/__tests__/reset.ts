// Puts the firmware's network state back to power-on between spec groups,
// so that no group depends on what an earlier one left behind, and makes
// the registrations the phone makes at start.
import { resetCounters } from "../counters";
import { netifReset } from "../net/netif";
import { arpReset } from "../net/arp";
import { acdReset } from "../net/acd";
import { stackReset } from "../net/stack";
import { tcpInit, tcpReset } from "../net/tcp";
import { dhcpInit, dhcpReset } from "../client/dhcp";
import { dnsInit, dnsReset } from "../client/dns";
import { tftpInit, tftpReset } from "../client/tftp";
import { discoveryInit } from "../phone/discovery";

export function resetFirmware(): void {
  tcpReset();
  tftpReset();
  dnsReset();
  dhcpReset();
  acdReset();
  arpReset();
  netifReset();
  resetCounters();
  // The registrations the phone makes at start, in its order.
  stackReset();
  dhcpInit();
  tftpInit();
  dnsInit();
  tcpInit();
  discoveryInit();
}
