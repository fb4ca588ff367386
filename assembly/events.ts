// Boot timeline events reported through hal.event(code, a, b). The host
// formats them (host/events.ts, same codes; a test checks they agree).
// Addresses are IPv4 as u32; "ptr,len" arguments point into linear memory.

export const enum Ev {
  Stage = 1,          // a = Stage
  FactoryBad = 2,     // a = error: factory data missing or corrupt
  LinkUp = 3,
  LinkDown = 4,
  DhcpDiscover = 10,  // a = xid, b = attempt
  DhcpOffer = 11,     // a = offered address, b = server
  DhcpRequest = 12,   // a = requested address, b = DhcpState
  DhcpAck = 13,       // a = address, b = lease seconds
  DhcpNak = 14,       // a = server
  DhcpDecline = 15,   // a = address
  DhcpBound = 16,     // a = address, b = prefix length
  DhcpRouter = 17,    // a = router
  DhcpDns = 18,       // a = server, b = index
  DhcpTftp = 19,      // a = TFTP server from option 150, b = index
  DhcpTftpName = 20,  // a = ptr, b = len: option 66 text
  DhcpRenew = 21,     // a = server
  DhcpRebind = 22,
  DhcpExpired = 23,   // a = address
  DhcpGiveUp = 24,    // a = DhcpState that gave up, falling back to INIT
  DhcpLease = 25,     // a = T1 seconds, b = T2 seconds
  DhcpDomain = 26,    // a = ptr, b = len: option 15 text
  DhcpOptionMalformed = 27, // a = option code, b = its length: not the shape its RFC gives, refused
  ArpProbe = 30,      // a = address, b = probe number
  ArpAnnounce = 31,   // a = address, b = announcement number
  ArpConflict = 32,   // a = address, b = low 32 bits of the other MAC
  ArpDefend = 33,     // a = address
  VlanLearned = 40,   // a = voice VLAN id, b = VlanSource
  VlanNone = 41,      // a = ms waited: no voice VLAN announced, staying untagged
  VlanChanged = 42,   // a = new VLAN id (0 = untagged), b = old
  BootSlot = 50,      // a = slot (0 = A), b = SlotState of its trailer
  BootReject = 51,    // a = slot, b = ImageErr: its image is not started
  BootRevert = 52,    // a = slot: its trial ended unconfirmed; marked rejected
  BootLoad = 53,      // a = ptr, b = len: load name of the image about to start
  BootImage = 54,     // a = slot started, b = 1 on trial (a new image's first start), 0 confirmed
  BootCounter = 55,   // a = security counter now recorded, b = the one before
  BootNoImage = 56,   // a = error: no slot holds a valid image
  BootFlashError = 57, // a = flash address (0: boot record), b = error: a bootloader write failed
  ImageConfirmed = 58, // a = slot: the running image confirmed itself
  TftpFile = 70,      // a = ptr, b = len: the file name asked for
  TftpRequest = 71,   // a = server, b = 1 with options, 0 plain RFC 1350
  TftpOptions = 72,   // a = blksize, b = windowsize accepted from the OACK
  TftpSize = 73,      // a = tsize announced, b = capacity of the destination
  TftpPlain = 74,     // a = server, b = 0 it ignored the options, 1 it refused them (ERROR 8)
  TftpRetransmit = 75, // a = block ACKed again (-1: the RRQ), b = timeouts in a row
  TftpStranger = 76,  // a = address, b = port: a packet from another TID got ERROR 5 (first one)
  TftpDone = 77,      // a = bytes, b = ms since the first RRQ
  TftpNotFound = 78,  // a = server: ERROR 1
  TftpError = 79,     // a = error code from the server, b = server
  TftpAbort = 80,     // a = error code we sent (3 too large, 8 options), b = bytes received
  TftpTimeout = 81,   // a = server, b = bytes received
  DnsQuery = 82,      // a = server, b = query number
  DnsAnswer = 83,     // a = address, b = TTL seconds
  DnsNotFound = 84,   // a = rcode (3 NXDOMAIN, 0 no A record), b = server
  DnsTimeout = 85,    // a = queries sent
  TftpUnreachable = 86, // a = server, b = ICMP code (1 host, 3 port): the transfer ends at once
  TftpServer = 140,   // a = server tried for the configuration, b = 150 or 66 (the DHCP option it came from)
  ConfigLoaded = 141, // a = CallManagers, b = CnfProto
  ConfigCallManager = 142, // a = address (0: a host name), b = port | priority << 16
  ConfigLoad = 143,   // a = ptr, b = len: the load the configuration names
  ConfigFailed = 144, // a = ProvisionFail, b = detail (CnfErr or TftpStatus)
  UpgradeStart = 145, // a = slot written, b = image size announced (tsize)
  UpgradeReady = 146, // a = slot, b = bytes: marked pending; the phone resets into it
  UpgradeFailed = 147, // a = UpgradeFail, b = detail
  UpgradeSkipped = 148, // a = slot that already holds the load, b = its SlotState: it was refused before
  UpgradeRetry = 149, // a = seconds until the failed download is tried again
  ConfigSecurity = 150, // a = deviceSecurityMode (1 non-secure, 2 authenticated, 3 encrypted; 0 absent)
  ConfigDscp = 151,   // a = DSCP for SCCP signalling, b = dscpForCm2Dvce as written (the TOS byte): only when the file gives it
  RegNoCallManager = 100, // the configuration lists no CallManager
  RegConnecting = 101, // a = CallManager address, b = index (0 = primary) | port << 8
  RegConnected = 102, // a = address, b = index | port << 8: TCP is up, StationRegister sent
  RegRegistered = 103, // a = index, b = keepalive interval (s): the station set-up completed
  RegRejected = 104,  // a = ptr, b = len: RegisterReject's text
  RegFailed = 105,    // a = index, b = RegFail: why the phone leaves that CallManager
  RegFailover = 106,  // a = index left, b = index tried next (| 0x100: over the standby connection)
  RegAllDown = 107,   // a = ms until the next round, b = round: every CallManager failed
  RegProbe = 108,     // a = address, b = index | port << 8: on a backup, trying a higher CallManager
  RegFallback = 109,  // a = index now registered with, b = the backup left
  RegReset = 110,     // a = SCCP resetType (1 reset, 2 restart), b = index: the CallManager resets the phone
  RegUnregistered = 111, // a = index
  RegAck = 112,       // a = index, b = keepalive interval (s): RegisterAck, the station set-up begins
  RegCapabilities = 113, // a = index, b = codecs offered: CapabilitiesReq answered with CapabilitiesRes
  RegLine = 114,      // a = ptr, b = len | line << 16: LineStat's directory number (and display name)
  RegTime = 115,      // a = yyyymmdd, b = seconds into the day: DefineTimeDate
  RegDisplay = 116,   // a = ptr, b = len: a text the CallManager displays (DisplayText, DisplayNotify, DisplayPromptStatus)
  RegStandby = 117,   // a = address, b = index | port << 8: registered, opening the standby connection to the next CallManager
  RegStandbyConnected = 118, // a = index, b = standby keepalive interval (s): the standby CallManager acknowledged a KeepAlive
  RegStandbyLost = 119, // a = index, b = RegFail: the standby connection failed or was refused (opened again later)
  SipRegister = 160,  // a = line, b = CSeq (low 16 bits) | 0x10000 with credentials | 0x20000 Expires: 0 (leaving a backup): a REGISTER transaction begins
  SipLineRegistered = 161, // a = line, b = expires granted (s): the line has a binding
  SipChallenge = 162, // a = line, b = status (401, 407): answered with digest credentials
  SipAuthFailed = 163, // a = line, b = status: the same nonce refused again (wrong password), 403, or a challenge that cannot be answered
  SipLineRejected = 164, // a = line, b = status (0: the REGISTER does not fit a message): another final refusal
  SipIntervalTooBrief = 165, // a = line, b = Min-Expires (s): 423, asked again for that long
  SipRetryAfter = 166, // a = proxy index, b = seconds: its 5xx asked for a pause
  SipBindingRemoved = 168, // a = line, b = status | proxy << 16: the REGISTER with Expires: 0 at the backup left was answered
  SipAnswered = 167,  // a = SipMethod of a request from the proxy (2 OPTIONS), b = status answered
  Abort = 0x7fff,     // a = line, b = column (debug builds only)
}

/** Why stage 5 (the configuration) failed (Ev.ConfigFailed's a). */
export const enum ProvisionFail { NoServer = 1, ServersFailed = 2, NotFound = 3, ConfigBad = 4, NoCallManager = 5, SecurityUnsupported = 6 }

/** Why an image download failed (Ev.UpgradeFailed's a). */
export const enum UpgradeFail { Download = 1, Flash = 2, BadHeader = 3, WrongLoad = 4 }

/** Which protocol told the phone its voice VLAN. */
export const enum VlanSource { Cdp = 1, Lldp = 2 }

/** The six stages of the startup, in order. */
export const enum Stage { Power = 0, Boot = 1, Vlan = 2, Dhcp = 3, Tftp = 4, Register = 5 }
