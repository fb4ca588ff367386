// Record instances for the specs: one of each wire record, to build frames
// the phone receives and to read back the frames it sent (txBuf). The
// firmware's own instances are private to the modules that use them.
import { ArpRepr } from "../wire/arp";
import { CdpRepr } from "../wire/cdp";
import { DhcpRepr } from "../wire/dhcp";
import { DnsRepr } from "../wire/dns";
import { EthernetRepr } from "../wire/ethernet";
import { IcmpRepr } from "../wire/icmp";
import { Ipv4Repr } from "../wire/ipv4";
import { LldpRepr } from "../wire/lldp";
import { SccpRepr } from "../wire/sccp";
import { TcpRepr } from "../wire/tcp";
import { TftpRepr } from "../wire/tftp";
import { UdpRepr } from "../wire/udp";
import { VlanRepr } from "../wire/vlan";

export const arp = changetype<ArpRepr>(memory.data(offsetof<ArpRepr>()));
export const cdp = changetype<CdpRepr>(memory.data(offsetof<CdpRepr>()));
export const dhcp = changetype<DhcpRepr>(memory.data(offsetof<DhcpRepr>()));
export const dns = changetype<DnsRepr>(memory.data(offsetof<DnsRepr>()));
export const eth = changetype<EthernetRepr>(memory.data(offsetof<EthernetRepr>()));
export const icmp = changetype<IcmpRepr>(memory.data(offsetof<IcmpRepr>()));
export const ipv4 = changetype<Ipv4Repr>(memory.data(offsetof<Ipv4Repr>()));
export const lldp = changetype<LldpRepr>(memory.data(offsetof<LldpRepr>()));
export const sccp = changetype<SccpRepr>(memory.data(offsetof<SccpRepr>()));
export const tcp = changetype<TcpRepr>(memory.data(offsetof<TcpRepr>()));
export const tftp = changetype<TftpRepr>(memory.data(offsetof<TftpRepr>()));
export const udp = changetype<UdpRepr>(memory.data(offsetof<UdpRepr>()));
export const vlan = changetype<VlanRepr>(memory.data(offsetof<VlanRepr>()));
