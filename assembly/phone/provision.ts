// Stage 5: the configuration. Pick a TFTP server (every address of DHCP
// option 150 in order, else option 66: an address, or a name resolved by
// DNS), ask for CTLSEP<MAC>.tlv and ITLSEP<MAC>.tlv first as phones on a
// CUCM cluster do (a non-secure cluster has neither: one ERROR 1 each; this
// phone keeps no trust list, so what arrives is read and dropped), fetch
// SEP<MAC>.cnf.xml (XMLDefault.cnf.xml when the server has none),
// read the CallManagers and the load from it, and when the load is not the
// running one, stream <load>.bin into the other flash slot, mark it for
// trial and reset into it. A download that fails leaves the phone to register
// on its load and is tried again in the background, backing off.
import { event, flash_read, random, reset } from "../hal";
import { Ev, ProvisionFail, UpgradeFail } from "../events";
import { bytesEqual, get32 } from "../lib/bytes";
import { tftpCount, tftpServers, tftpName, tftpNameLen, dnsCount, dnsServers, domain, domainLen } from "../client/dhcp";
import { Sink, tftpSetSink, tftpStart, tftpStatus, TftpStatus, tftpSize, tftpTsize, tftpStop } from "../client/tftp";
import { dnsStart, dnsStatus, DnsStatus, dnsAddress, dnsStop } from "../client/dns";
import { ipv4FromText } from "../wire/dns";
import { cnf, cnfBegin, cnfEnd, cnfError, cnfFeed, cnfLoad, CNF_MAX_FILE, CnfErr } from "./config";
import { deviceName, DEVICE_NAME_LEN, loadName, loadNameLength, runningSlot } from "./identity";
import { Lcd, lcdProgress, lcdShow } from "./lcd";
import { slotAddr, IMAGE_MAX } from "../flash/layout";
import { slotMarkPending, slotState, SlotState, trailerSeq } from "../flash/slots";
import { writerAppend, writerBegin, writerBytes, writerFailed, writerFlush } from "../flash/writer";
import { HEADER_SIZE, headerCheck, LOAD_NAME, loadNameLen } from "../boot/image";

const NEVER = i64.MAX_VALUE;
/** A phone that could not get its configuration tries again after this long. */
export const PROVISION_RETRY: i64 = 60_000;
/** A failed image download is tried again after this long, doubling up to UPGRADE_RETRY_MAX (plus up to a quarter more, at random). */
export const UPGRADE_RETRY_MIN: i64 = 60_000;
export const UPGRADE_RETRY_MAX: i64 = 3_600_000;
/** hal.reset reason: a new image waits in the other slot. */
export const RESET_UPGRADE = 1;

export const enum Provision { Idle, Running, Ready, Failed, Resetting }
const enum Step { None, Resolve, Ctl, Itl, Sep, Default, Image, ResolveCm }
/** Largest CTL or ITL file read (and dropped); CUCM's are a few KiB per certificate. */
export const TRUST_LIST_MAX: u32 = 65536;

export let provisionState = Provision.Idle;
/** What went wrong when Failed (ProvisionFail), for the LCD and the host. */
export let provisionFailure = 0;
let step = Step.None;
let next = 0; // the next server to try: option 150 entries, then option 66
let server: u32 = 0;
let lastStatus = 0;
let retryAt: i64 = NEVER;
let cmIndex = 0; // the CallManager whose host name is being resolved
let upgradeRetryAt: i64 = NEVER;
let upgradeRetryWait: i64 = UPGRADE_RETRY_MIN;
let background = false; // the image download under way is a retry, the phone already on its way to register

const fileName = memory.data(128); // TFTP_NAME_MAX
const header = memory.data(<i32>HEADER_SIZE);
let imageSlot: i32 = 0;
let percentShown: u32 = 101;

export function provisionStart(now: i64): void {
  provisionState = Provision.Running;
  provisionFailure = 0;
  retryAt = NEVER;
  upgradeRetryAt = NEVER;
  background = false;
  next = 0;
  lastStatus = 0;
  lcdShow(Lcd.RequestingConfig);
  nextServer(now);
}

/** Stops whatever is under way (the address went away). */
export function provisionStop(): void {
  tftpStop();
  dnsStop();
  step = Step.None;
  provisionState = Provision.Idle;
  retryAt = NEVER;
  upgradeRetryAt = NEVER;
}

export function provisionPoll(now: i64): i64 {
  if (provisionState == Provision.Failed) {
    if (now >= retryAt) provisionStart(now);
    return retryAt;
  }
  if (provisionState == Provision.Ready) return upgradeRetryPoll(now);
  if (provisionState != Provision.Running) return NEVER;
  if (step == Step.Resolve) onResolve(now);
  else if (step == Step.ResolveCm) onResolveCm(now);
  else if (step != Step.None && tftpStatus != TftpStatus.Running) onTransfer(now);
  return NEVER; // the TFTP and DNS clients' own deadlines wake us
}

/** Registered or registering on the running load: the download that failed is due again, or under way. */
function upgradeRetryPoll(now: i64): i64 {
  if (step == Step.Image) {
    if (tftpStatus != TftpStatus.Running) onTransfer(now);
    return NEVER;
  }
  if (now < upgradeRetryAt) return upgradeRetryAt;
  upgradeRetryAt = NEVER;
  background = true;
  if (upgradeWanted()) startImage(now);
  return upgradeRetryAt;
}

function nextServer(now: i64): void {
  if (next < tftpCount) {
    server = get32(tftpServers + (<usize>next << 2));
    next++;
    event(Ev.TftpServer, <i32>server, 150);
    fetch(Step.Ctl, now);
    return;
  }
  if (next == tftpCount && tftpNameLen > 0) {
    next++;
    const addr = ipv4FromText(tftpName, tftpNameLen);
    if (addr != 0) {
      server = addr;
      event(Ev.TftpServer, <i32>server, 66);
      fetch(Step.Ctl, now);
    } else {
      step = Step.Resolve;
      dnsStart(tftpName, tftpNameLen, dnsServers, dnsCount, now, domain, domainLen);
    }
    return;
  }
  // A server that answered with a file too large for the phone was there: the file is what failed.
  if (lastStatus == TftpStatus.Refused) fail(ProvisionFail.ConfigBad, CnfErr.TooLarge, now);
  else fail(next == 0 ? ProvisionFail.NoServer : ProvisionFail.ServersFailed, lastStatus, now);
}

function onResolve(now: i64): void {
  if (dnsStatus == DnsStatus.Running) return;
  if (dnsStatus != DnsStatus.Done) {
    nextServer(now);
    return;
  }
  server = dnsAddress;
  event(Ev.TftpServer, <i32>server, 66);
  fetch(Step.Ctl, now);
}

/** Asks `server` for the file of `s`: the CTL or ITL file, the SEP file, XMLDefault, or the load's image. */
function fetch(s: Step, now: i64): void {
  step = s;
  let n = 0;
  if (s == Step.Ctl || s == Step.Itl) {
    memory.copy(fileName, s == Step.Ctl ? CTL : ITL, 3);
    memory.copy(fileName + 3, deviceName, DEVICE_NAME_LEN);
    n = 3 + DEVICE_NAME_LEN + putText(fileName + 3 + DEVICE_NAME_LEN, TLV, TLV_LEN);
    tftpSetSink(dropSink);
    tftpStart(server, fileName, n, TRUST_LIST_MAX, now);
    return;
  }
  if (s == Step.Sep) {
    memory.copy(fileName, deviceName, DEVICE_NAME_LEN);
    n = DEVICE_NAME_LEN + putText(fileName + DEVICE_NAME_LEN, CNF_XML, CNF_XML_LEN);
  } else if (s == Step.Default) {
    n = putText(fileName, XML_DEFAULT, XML_DEFAULT_LEN);
  } else {
    memory.copy(fileName, cnfLoad, <usize>cnf.loadLen);
    n = cnf.loadLen + putText(fileName + <usize>cnf.loadLen, BIN, BIN_LEN);
  }
  if (s == Step.Image) {
    tftpSetSink(imageSink);
    tftpStart(server, fileName, n, IMAGE_MAX, now);
  } else {
    cnfBegin();
    tftpSetSink(configSink);
    tftpStart(server, fileName, n, CNF_MAX_FILE, now);
  }
}

function onTransfer(now: i64): void {
  const status = tftpStatus;
  const s = step;
  step = Step.None;
  if (s == Step.Image) {
    imageDone(status, now);
    return;
  }
  if (s == Step.Ctl || s == Step.Itl) {
    // Missing is a non-secure cluster; any other failure is the server's.
    if (status == TftpStatus.Done || status == TftpStatus.NotFound) fetch(s == Step.Ctl ? Step.Itl : Step.Sep, now);
    else {
      lastStatus = status;
      nextServer(now);
    }
  } else if (status == TftpStatus.Done || cnfError() != 0) {
    // Read to the end, or stopped at the error the scanner found in it.
    configDone(now);
  } else if (status == TftpStatus.NotFound) {
    // Auto-registration: a phone the CallManager does not know yet gets XMLDefault.
    if (s == Step.Sep) fetch(Step.Default, now);
    else fail(ProvisionFail.NotFound, status, now);
  } else {
    lastStatus = status;
    nextServer(now);
  }
}

function dropSink(offset: u32, p: usize, len: i32): Sink { return Sink.Taken; }

/**
 * The configuration's blocks go to the scanner as they arrive (a transfer
 * started again from its first block, plain after refused options, is read
 * again). An error in the file ends the transfer at once: the sink refuses,
 * the client sends ERROR 0 "File content refused", and the scanner's error
 * is what the phone reports.
 */
function configSink(offset: u32, p: usize, len: i32): Sink {
  if (offset == 0) cnfBegin();
  return cnfFeed(p, len) == CnfErr.Ok ? Sink.Taken : Sink.Refused;
}

function configDone(now: i64): void {
  const err = cnfEnd();
  if (err != CnfErr.Ok) {
    fail(err == CnfErr.NoCallManager ? ProvisionFail.NoCallManager : ProvisionFail.ConfigBad, err, now);
    return;
  }
  event(Ev.ConfigSecurity, <i32>cnf.security, 0);
  // Authenticated or encrypted mode needs the CTL's certificates and TLS to the CallManager:
  // say so rather than register in clear.
  if (cnf.security >= 2) {
    fail(ProvisionFail.SecurityUnsupported, <i32>cnf.security, now);
    return;
  }
  event(Ev.ConfigLoaded, cnf.cmCount, <i32>cnf.protocol);
  if (cnf.dscpGiven) event(Ev.ConfigDscp, <i32>cnf.dscp, <i32>(cnf.dscp << 2));
  for (let i = 0; i < cnf.cmCount; i++) {
    const cm = cnf.cm(i);
    event(Ev.ConfigCallManager, <i32>cm.addr, <i32>(cm.port | (cm.priority << 16)));
  }
  if (cnf.loadLen > 0) event(Ev.ConfigLoad, <i32>cnfLoad, cnf.loadLen);
  if (upgradeWanted()) startImage(now);
  else resolveCallManagers(0, now);
}

/** CallManagers named by host name get their address from DNS, one after the other; then stage 6 may start. */
function resolveCallManagers(from: i32, now: i64): void {
  for (cmIndex = from; cmIndex < cnf.cmCount; cmIndex++) {
    const cm = cnf.cm(cmIndex);
    if (cm.addr == 0 && cm.hostLen > 0) {
      step = Step.ResolveCm;
      dnsStart(cm.host(), cm.hostLen, dnsServers, dnsCount, now, domain, domainLen);
      return;
    }
  }
  step = Step.None;
  provisionState = Provision.Ready;
}

function onResolveCm(now: i64): void {
  if (dnsStatus == DnsStatus.Running) return;
  // A name that does not resolve leaves that CallManager out (address 0).
  if (dnsStatus == DnsStatus.Done) cnf.cm(cmIndex).addr = dnsAddress;
  resolveCallManagers(cmIndex + 1, now);
}

/** True when the configuration names a load other than the running one, not already refused. */
function upgradeWanted(): bool {
  const n = cnf.loadLen;
  if (n == 0 || (n == loadNameLength && bytesEqual(cnfLoad, loadName, n))) return false;
  imageSlot = 1 - runningSlot;
  const state = slotState(imageSlot);
  if (state == SlotState.Empty) return true;
  // The other slot holds that load already and the bootloader did not keep it: it was refused.
  if (flash_read(slotAddr(imageSlot), header, <i32>HEADER_SIZE) != 0 || headerCheck(header) != 0) return true;
  if (loadNameLen(header) != n || !bytesEqual(header + LOAD_NAME, cnfLoad, n)) return true;
  event(Ev.UpgradeSkipped, imageSlot, state);
  return false;
}

function startImage(now: i64): void {
  percentShown = 101;
  if (writerBegin(imageSlot) != 0) {
    upgradeFailed(UpgradeFail.Flash, 0, now);
    return;
  }
  event(Ev.UpgradeStart, imageSlot, 0);
  if (!background) lcdProgress(0);
  fetch(Step.Image, now);
}

/** The image's blocks go to flash as they arrive. */
function imageSink(offset: u32, p: usize, len: i32): Sink {
  if (!writerAppend(offset, p, len)) return Sink.Full;
  showProgress();
  return Sink.Taken;
}

function showProgress(): void {
  const total = tftpTsize;
  if (total == 0 || background) return; // a retry in the background leaves the display to registration
  const pct = <u32>((<u64>writerBytes() * 100) / <u64>total);
  if (pct / 10 != percentShown / 10) {
    percentShown = pct;
    lcdProgress(pct);
  }
}

function imageDone(status: i32, now: i64): void {
  if (status != TftpStatus.Done) {
    upgradeFailed(writerFailed ? UpgradeFail.Flash : UpgradeFail.Download, status, now);
    return;
  }
  if (!writerFlush()) {
    upgradeFailed(UpgradeFail.Flash, 0, now);
    return;
  }
  // The bootloader checks the signature; here, that it is an image of the load asked for.
  if (flash_read(slotAddr(imageSlot), header, <i32>HEADER_SIZE) != 0 || headerCheck(header) != 0) {
    upgradeFailed(UpgradeFail.BadHeader, 0, now);
    return;
  }
  const n = cnf.loadLen;
  if (loadNameLen(header) != n || !bytesEqual(header + LOAD_NAME, cnfLoad, n)) {
    upgradeFailed(UpgradeFail.WrongLoad, 0, now);
    return;
  }
  slotState(runningSlot);
  if (slotMarkPending(imageSlot, trailerSeq + 1) != 0) {
    upgradeFailed(UpgradeFail.Flash, 1, now);
    return;
  }
  event(Ev.UpgradeReady, imageSlot, <i32>tftpSize);
  lcdShow(Lcd.Rebooting);
  provisionState = Provision.Resetting;
  reset(RESET_UPGRADE);
}

/**
 * A failed upgrade leaves the phone on its load: it goes on to register. A
 * download that failed (the server, the network) is tried again later; an
 * image that arrived but is wrong would only arrive wrong again.
 */
function upgradeFailed(why: UpgradeFail, detail: i32, now: i64): void {
  event(Ev.UpgradeFailed, why, detail);
  if (why == UpgradeFail.Download) scheduleUpgradeRetry(now);
  if (background) return;
  lcdShow(Lcd.UpgradeFailed);
  resolveCallManagers(0, now);
}

function scheduleUpgradeRetry(now: i64): void {
  const wait = upgradeRetryWait + <i64>(random() % <u32>(upgradeRetryWait / 4 + 1));
  upgradeRetryAt = now + wait;
  upgradeRetryWait = min(upgradeRetryWait * 2, UPGRADE_RETRY_MAX);
  event(Ev.UpgradeRetry, <i32>(wait / 1000), 0);
}

function fail(why: ProvisionFail, detail: i32, now: i64): void {
  event(Ev.ConfigFailed, why, detail);
  lcdShow(why == ProvisionFail.NoServer || why == ProvisionFail.ServersFailed ? Lcd.NoTftpServer
    : why == ProvisionFail.NotFound ? Lcd.ConfigNotFound
    : why == ProvisionFail.NoCallManager ? Lcd.NoCallManager : Lcd.ConfigError);
  provisionFailure = why;
  provisionState = Provision.Failed;
  step = Step.None;
  retryAt = now + PROVISION_RETRY;
}

function putText(dst: usize, src: usize, n: i32): i32 {
  memory.copy(dst, src, <usize>n);
  return n;
}

// "CTL", "ITL", ".tlv", ".cnf.xml", "XMLDefault.cnf.xml", ".bin"
const CTL = memory.data<u8>([67, 84, 76]);
const ITL = memory.data<u8>([73, 84, 76]);
const TLV = memory.data<u8>([46, 116, 108, 118]);
const TLV_LEN = 4;
const CNF_XML = memory.data<u8>([46, 99, 110, 102, 46, 120, 109, 108]);
const CNF_XML_LEN = 8;
const XML_DEFAULT = memory.data<u8>([88, 77, 76, 68, 101, 102, 97, 117, 108, 116, 46, 99, 110, 102, 46, 120, 109, 108]);
const XML_DEFAULT_LEN = 18;
const BIN = memory.data<u8>([46, 98, 105, 110]);
const BIN_LEN = 4;
