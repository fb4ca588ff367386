// The phone configuration files a CallManager's TFTP service serves, for the
// simulated TFTP server: SEP<MAC>.cnf.xml (root <device>, the CallManager
// group inside <devicePool>) and XMLDefault.cnf.xml for auto-registration
// (root <Default>, the group directly under it, one loadInformation<type>
// per phone model). The element layout follows files CUCM writes; the
// elements the phone does not read are a representative few, not all.
//
// A SEP file may carry the device's lines: <lines>, one <line button="N">
// each with its directory number (<name>) and display name
// (<displayName>), laid out as CUCM's <sipLines> entries. CUCM keeps an
// SCCP phone's lines in its database and the phone learns them from
// LineStat; here the file is that database: the simulated CallManager
// answers LineStat (and builds the button template) from the lines of the
// file the TFTP server serves the device (cnfLines), the firmware skips
// the element.
//
// A SIP phone's file (protocol 'SIP') has CUCM's SIP layout instead: a
// sipPort in each member's ports, <sipProfile> with <sipProxies>,
// <sipCallFeatures>, <sipStack> (the timers, timerRegisterExpires given)
// and <sipLines>, one line button per line with its name, display name,
// auth name and password, and <transportLayerProtocol> under the root
// (1 TCP, 2 UDP: see assembly/phone/config.ts for where that comes from).

export interface CnfCallManager {
  /** processNodeName: an IPv4 address or a host name. */
  host: string;
  /** ethernetPhonePort (SCCP), default 2000. */
  port?: number;
  /** The member's priority attribute, default its index (0 is tried first). */
  priority?: number;
  /** The CallManager's name in the group, default CM_<host>. */
  name?: string;
  /** sipPort, default 5060. */
  sipPort?: number;
}

export interface CnfOptions {
  callManagers: CnfCallManager[];
  /** The image the phone must run (loadInformation); omitted: an empty element. */
  load?: string;
  protocol?: 'SCCP' | 'SIP';
  /** Write XMLDefault.cnf.xml instead of a SEP<MAC> file. */
  xmlDefault?: boolean;
  /** deviceSecurityMode of a SEP file: 1 non-secure (default), 2 authenticated, 3 encrypted. */
  securityMode?: 1 | 2 | 3;
  /**
   * dscpForCm2Dvce of a SEP file, the TOS byte of call control (DSCP << 2: 96 is CS3); given, the file
   * has CUCM's three DSCP elements (dscpForSCCPPhoneConfig 96, dscpForSCCPPhoneServices 0, this one).
   */
  dscpForCm2Dvce?: number;
  /** The device's lines, in button order: a SEP file's <lines>, or <sipLines> when the protocol is SIP. */
  lines?: CnfLine[];
  /** A SIP file's transportLayerProtocol, default 'tcp'. */
  sipTransport?: 'tcp' | 'udp';
  /** A SIP file's timerRegisterExpires in seconds (60 to 86400, the phone's range), default 3600. */
  sipExpires?: number;
  /**
   * Grow a SEP file to at least this many bytes with what CUCM writes for a
   * phone with many settings and services: a <vendorConfig> of many
   * elements, <phoneServices> with attributes and URLs, comments and a CDATA
   * section (none of it read by the phone).
   */
  size?: number;
}

/**
 * One line of a device: directory number (LineStat's 24-byte lineDirNumber) and display name (40 bytes);
 * for a SIP phone the line's name and display name (up to 32 bytes), and its digest credentials.
 */
export interface CnfLine {
  dirNumber: string;
  displayName: string;
  /** SIP: the digest user name (authName, up to 32 bytes), default the directory number. */
  authName?: string;
  /** SIP: the digest password (authPassword, up to 64 bytes), default none. */
  password?: string;
}

/** What the phone keeps of a SIP line (CNF_SIP_NAME_MAX and CNF_SIP_PASS_MAX in assembly/phone/config.ts). */
const SIP_NAME_MAX = 32;
const SIP_PASS_MAX = 64;
/** transportLayerProtocol's values for TCP and UDP. */
const TRANSPORT = { tcp: 1, udp: 2 } as const;

/** The device type CUCM numbers the Cisco 7960 with, as in loadInformation7. */
export const CP7960_DEVICE_TYPE = 7;

/** Escapes the five characters XML reserves. */
export function xmlEscape(s: string): string {
  let out = '';
  for (const c of s) {
    if (c === '&') out += '&amp;';
    else if (c === '<') out += '&lt;';
    else if (c === '>') out += '&gt;';
    else if (c === '"') out += '&quot;';
    else if (c === "'") out += '&apos;';
    else out += c;
  }
  return out;
}

function el(name: string, text: string | number): string {
  return `<${name}>${xmlEscape(String(text))}</${name}>`;
}

function member(cm: CnfCallManager, index: number): string {
  const port = cm.port ?? 2000;
  const sipPort = cm.sipPort ?? 5060;
  const priority = cm.priority ?? index;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`ethernetPhonePort ${port}`);
  if (!Number.isInteger(sipPort) || sipPort < 1 || sipPort > 65535) throw new RangeError(`sipPort ${sipPort}`);
  if (!Number.isInteger(priority) || priority < 0) throw new RangeError(`priority ${priority}`);
  if (cm.host === '') throw new RangeError('empty processNodeName');
  return [
    `<member priority="${priority}">`,
    '<callManager>',
    el('name', cm.name ?? `CM_${cm.host}`),
    el('description', cm.host),
    '<ports>',
    el('ethernetPhonePort', port),
    el('sipPort', sipPort),
    el('securedSipPort', 5061),
    '<mgcpPorts>', el('listen', 2427), el('keepAlive', 2428), '</mgcpPorts>',
    '</ports>',
    el('processNodeName', cm.host),
    '</callManager>',
    '</member>',
  ].join('\n');
}

function line(l: CnfLine, index: number): string {
  if (!/^[0-9*#+]{1,24}$/.test(l.dirNumber)) throw new RangeError(`line ${index + 1}: directory number '${l.dirNumber}' (1 to 24 of 0-9 * # +)`);
  if (utf8Length(l.displayName) > 39) throw new RangeError(`line ${index + 1}: display name longer than 39 bytes`);
  return [`<line button="${index + 1}">`, el('featureID', 9), el('featureLabel', l.dirNumber), el('name', l.dirNumber), el('displayName', l.displayName), '</line>'].join('\n');
}

function utf8Length(s: string): number { return new TextEncoder().encode(s).length; }

/** A <sipLines> line button as CUCM writes it: registered with the CallManagers (USECALLMANAGER). */
function sipLine(l: CnfLine, index: number): string {
  line(l, index); // the same directory number rules
  const auth = l.authName ?? l.dirNumber;
  const what = `line ${index + 1}:`;
  if (utf8Length(l.displayName) > SIP_NAME_MAX) throw new RangeError(`${what} display name longer than ${SIP_NAME_MAX} bytes`);
  if (auth === '' || utf8Length(auth) > SIP_NAME_MAX) throw new RangeError(`${what} auth name empty or longer than ${SIP_NAME_MAX} bytes`);
  if (utf8Length(l.password ?? '') > SIP_PASS_MAX) throw new RangeError(`${what} password longer than ${SIP_PASS_MAX} bytes`);
  return [
    `<line button="${index + 1}" lineIndex="${index + 1}">`,
    el('featureID', 9), el('featureLabel', l.dirNumber), el('proxy', 'USECALLMANAGER'), el('port', 5060),
    el('name', l.dirNumber), el('displayName', l.displayName),
    '<autoAnswer>', el('autoAnswerEnabled', 2), '</autoAnswer>', el('callWaiting', 3),
    el('authName', auth), el('authPassword', l.password ?? ''), el('sharedLine', 'false'),
    el('messageWaitingLampPolicy', 3), el('ringSettingIdle', 4), el('ringSettingActive', 5), el('contact', l.dirNumber),
    '</line>',
  ].join('\n');
}

/** <sipProfile>: CUCM's standard SIP profile with the given expiry, and the lines. */
function sipProfile(lines: CnfLine[], expires: number): string {
  if (!Number.isInteger(expires) || expires < 60 || expires > 86400) throw new RangeError(`timerRegisterExpires ${expires} (60 to 86400)`);
  return [
    '<sipProfile>',
    '<sipProxies>', '<backupProxy></backupProxy>', '<backupProxyPort></backupProxyPort>', '<emergencyProxy></emergencyProxy>',
    '<emergencyProxyPort></emergencyProxyPort>', '<outboundProxy></outboundProxy>', '<outboundProxyPort></outboundProxyPort>',
    el('registerWithProxy', 'true'), '</sipProxies>',
    '<sipCallFeatures>', el('cnfJoinEnabled', 'true'), el('callForwardURI', 'x-cisco-serviceuri-cfwdall'),
    el('callPickupURI', 'x-cisco-serviceuri-pickup'), el('meetMeServiceURI', 'x-cisco-serviceuri-meetme'),
    el('rfc2543Hold', 'false'), el('remoteCcEnable', 'true'), '</sipCallFeatures>',
    '<sipStack>', el('sipInviteRetx', 6), el('sipRetx', 10), el('timerInviteExpires', 180), el('timerRegisterExpires', expires),
    el('timerRegisterDelta', 5), el('timerKeepAliveExpires', 120), el('timerSubscribeExpires', 120), el('timerSubscribeDelta', 5),
    el('timerT1', 500), el('timerT2', 4000), el('maxRedirects', 70), el('remotePartyID', 'true'), el('userInfo', 'None'), '</sipStack>',
    el('autoAnswerTimer', 1), el('enableVad', 'false'), el('dtmfAvtPayload', 101), el('dtmfOutofBand', 'avt'),
    '<sipLines>', ...lines.map(sipLine), '</sipLines>',
    el('voipControlPort', 5060), el('startMediaPort', 16384), el('stopMediaPort', 32766), el('dscpForAudio', 184),
    '</sipProfile>',
  ].join('\n');
}

/**
 * The lines of a SEP file written by cnfXml (or laid out the same way), in button order: its <lines>, or
 * for a SIP phone its <sipLines> (line buttons, featureID 9 or none, with a name; authName and password as
 * written, authName given only when it differs from the name); null when it has neither.
 */
export function cnfLines(file: string | Uint8Array): CnfLine[] | null {
  const xml = typeof file === 'string' ? file : new TextDecoder().decode(file);
  const block = /<lines>([\s\S]*?)<\/lines>/.exec(xml);
  const sip = block === null ? /<sipLines>([\s\S]*?)<\/sipLines>/.exec(xml) : null;
  if (block === null && sip === null) return null;
  const text = (body: string, name: string): string | null => {
    const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(body);
    return m === null ? null : xmlUnescape(m[1]);
  };
  const out: CnfLine[] = [];
  for (const m of (block ?? sip)![1].matchAll(/<line\b[^>]*>([\s\S]*?)<\/line>/g)) {
    const name = text(m[1], 'name')?.trim();
    if (name === undefined || name === '') continue;
    const l: CnfLine = { dirNumber: name, displayName: text(m[1], 'displayName')?.trim() ?? '' };
    if (sip !== null) {
      const feature = text(m[1], 'featureID');
      if (feature !== null && feature.trim() !== '9') continue;
      const auth = text(m[1], 'authName')?.trim();
      if (auth !== undefined && auth !== '' && auth !== name) l.authName = auth;
      const password = text(m[1], 'authPassword');
      if (password !== null) l.password = password;
    }
    out.push(l);
  }
  return out;
}

function xmlUnescape(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
    e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'"
      : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)));
}

function group(cms: CnfCallManager[]): string {
  return [
    '<callManagerGroup>',
    el('name', 'Default'),
    el('tftpDefault', 'true'),
    '<members>',
    ...cms.map(member),
    '</members>',
    '</callManagerGroup>',
  ].join('\n');
}

/** A CUCM-style SEP<MAC>.cnf.xml (or XMLDefault.cnf.xml) naming the given CallManagers. */
export function cnfXml(opts: CnfOptions): string {
  const load = opts.load ?? '';
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  if (opts.xmlDefault) {
    lines.push(
      '<Default>',
      group(opts.callManagers),
      `<loadInformation${CP7960_DEVICE_TYPE} model="IP Phone 7960">${xmlEscape(load)}</loadInformation${CP7960_DEVICE_TYPE}>`,
      '<loadInformation8 model="IP Phone 7940"></loadInformation8>',
      '<authenticationURL></authenticationURL>',
      '<directoryURL></directoryURL>',
      '<idleURL></idleURL>',
      '<informationURL></informationURL>',
      '<messagesURL></messagesURL>',
      '<servicesURL></servicesURL>',
      '</Default>',
    );
  } else {
    const protocol = opts.protocol ?? 'SCCP';
    lines.push(
      '<device xsi:type="axl:XIPPhone" ctiid="1">',
      el('fullConfig', 'true'),
      el('deviceProtocol', protocol),
      '<sshUserId></sshUserId>',
      '<sshPassword></sshPassword>',
      '<devicePool>',
      el('revertPriority', 0),
      el('name', 'Default'),
      '<dateTimeSetting>',
      el('name', 'CMLocal'),
      el('dateTemplate', 'M/D/Y'),
      el('timeZone', 'Greenwich Standard Time'),
      '</dateTimeSetting>',
      group(opts.callManagers),
      '<srstInfo>',
      el('name', 'Disable'),
      el('srstOption', 'Disable'),
      '</srstInfo>',
      el('connectionMonitorDuration', 120),
      '</devicePool>',
      ...(protocol === 'SIP' ? [sipProfile(opts.lines ?? [], opts.sipExpires ?? 3600)] : []),
      el('loadInformation', load),
      ...(protocol === 'SIP' || opts.lines === undefined ? [] : ['<lines>', ...opts.lines.map(line), '</lines>']),
      el('versionStamp', '1700000000-00000000-0000-0000-0000-000000000000'),
      el('idleTimeout', 0),
      '<authenticationURL></authenticationURL>',
      '<directoryURL></directoryURL>',
      '<servicesURL></servicesURL>',
      el('deviceSecurityMode', opts.securityMode ?? 1),
      ...(opts.dscpForCm2Dvce === undefined ? [] : [
        el('dscpForSCCPPhoneConfig', 96), el('dscpForSCCPPhoneServices', 0), el('dscpForCm2Dvce', opts.dscpForCm2Dvce),
      ]),
      ...(protocol === 'SIP' ? [el('transportLayerProtocol', TRANSPORT[opts.sipTransport ?? 'tcp'])] : []),
    );
    if (opts.size !== undefined) lines.push(...bulk(opts.size - lines.join('\n').length - '\n</device>\n'.length));
    lines.push('</device>');
  }
  return lines.join('\n') + '\n';
}

// vendorConfig settings of 79xx and 88xx SEP files.
const VENDOR_SETTINGS = [
  'disableSpeaker', 'disableSpeakerAndHeadset', 'pcPort', 'settingsAccess', 'garp', 'voiceVlanAccess', 'videoCapability',
  'autoSelectLineEnable', 'webAccess', 'daysDisplayNotActive', 'displayOnTime', 'displayOnDuration', 'displayIdleTimeout',
  'spanToPCPort', 'loggingDisplay', 'loadServer', 'recordingTone', 'moreKeyReversionTimer', 'sshAccess', 'g722CodecSupport',
];

/** About `budget` bytes of elements the phone skips: half vendorConfig, half phone services. */
function bulk(budget: number): string[] {
  const out = ['<!-- vendor settings: <x>  & "quotes" are fine in a comment -->', '<vendorConfig>'];
  let n = out.join('\n').length;
  const half = budget / 2;
  for (let i = 0; n < half; i++) {
    const name = VENDOR_SETTINGS[i % VENDOR_SETTINGS.length] + (i < VENDOR_SETTINGS.length ? '' : String(i));
    const e = `<${name}>${i % 3 === 0 ? 'true' : i % 3 === 1 ? '0' : 'Disabled'}</${name}>`;
    out.push(e);
    n += e.length + 1;
  }
  out.push('</vendorConfig>', '<informationURL><![CDATA[http://cucm1.voice.example:8080/ccmcip/GetTelecasterHelpText.jsp?a=1&b=<2>]]></informationURL>', '<phoneServices useHTTPS="false">', el('provisioning', 2));
  n += 200;
  for (let i = 0; n < budget - 20; i++) {
    const e = `<phoneService type="1" category="0"><name>Service ${i} &amp; more</name><url>http://apps.voice.example/svc/${i}?x=${i}&amp;y=z</url><vendor></vendor><version></version></phoneService>`;
    out.push(e);
    n += e.length + 1;
  }
  out.push('</phoneServices>');
  return out;
}
