// Puts the firmware's network state back to power-on between spec groups,
// so that no group depends on what an earlier one left behind.
import { resetCounters } from "../counters";
import { netifReset } from "../net/netif";
import { arpReset } from "../net/arp";
import { acdReset } from "../net/acd";
import { tcpReset } from "../net/tcp";
import { dhcpReset } from "../client/dhcp";
import { dnsReset } from "../client/dns";
import { tftpReset } from "../client/tftp";

export function resetFirmware(): void {
  tcpReset();
  tftpReset();
  dnsReset();
  dhcpReset();
  acdReset();
  arpReset();
  netifReset();
  resetCounters();
}
