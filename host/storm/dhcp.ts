// The building's one DHCP server, behind the routers' relays: a scope per
// voice subnet (chosen by giaddr, as ISC dhcpd and Windows do), and a limit
// on how fast it answers. Requests queue in a backlog (a socket buffer's
// worth) and are served one every 1/answersPerSecond seconds; a request that
// finds the backlog full is dropped unanswered, as by an overloaded server,
// and the phone's own DHCP backoff (4, 8, 16 s...) decides when it asks again.
//
// Each scope's server identifier (option 54) is its subnet's gateway, which
// is what a relay with RFC 5107's server-id-override (Cisco: `ip dhcp relay
// information option server-id-override`) makes the phones see.
import { DhcpServer } from "../sim/dhcp-server.js";
import type { Scheduler } from "../sim/scheduler.js";
import { DOMAIN, SERVERS, TFTP_NAME, maskOf, type StormPlan } from "./plan.js";

export function buildingDhcp(scheduler: Scheduler, plan: StormPlan): DhcpServer {
  return new DhcpServer(scheduler, {
    ...SERVERS.dhcp,
    backlog: { answersPerSecond: plan.dhcp.answersPerSecond, depth: plan.dhcp.backlog },
    scopes: plan.cells.map((c) => ({
      serverId: c.gateway, poolStart: c.poolStart, poolEnd: c.poolEnd, subnetMask: maskOf(c.prefix),
      router: c.gateway, dnsServers: [SERVERS.dns.ip], domainName: DOMAIN, leaseTimeS: plan.dhcp.leaseS,
      tftpServers: [SERVERS.tftp.ip], tftpServerName: TFTP_NAME,
    })),
  });
}
