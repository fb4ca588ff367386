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

export interface CnfCallManager {
  /** processNodeName: an IPv4 address or a host name. */
  host: string;
  /** ethernetPhonePort (SCCP), default 2000. */
  port?: number;
  /** The member's priority attribute, default its index (0 is tried first). */
  priority?: number;
  /** The CallManager's name in the group, default CM_<host>. */
  name?: string;
}

export interface CnfOptions {
  callManagers: CnfCallManager[];
  /** The image the phone must run (loadInformation); omitted: an empty element. */
  load?: string;
  protocol?: 'SCCP' | 'SIP';
  /** A SIP phone's transport to its proxies (default: what the phone chooses). */
  sipTransport?: 'tcp' | 'udp';
  /** Write XMLDefault.cnf.xml instead of a SEP<MAC> file. */
  xmlDefault?: boolean;
  /** deviceSecurityMode of a SEP file: 1 non-secure (default), 2 authenticated, 3 encrypted. */
  securityMode?: 1 | 2 | 3;
  /**
   * dscpForCm2Dvce of a SEP file, the TOS byte of call control (DSCP << 2: 96 is CS3); given, the file
   * has CUCM's three DSCP elements (dscpForSCCPPhoneConfig 96, dscpForSCCPPhoneServices 0, this one).
   */
  dscpForCm2Dvce?: number;
  /** The device's lines (a SEP file's <lines>), in button order. */
  lines?: CnfLine[];
  /**
   * Grow a SEP file to at least this many bytes with what CUCM writes for a
   * phone with many settings and services: a <vendorConfig> of many
   * elements, <phoneServices> with attributes and URLs, comments and a CDATA
   * section (none of it read by the phone).
   */
  size?: number;
}

/** One line of a device: directory number (LineStat's 24-byte lineDirNumber) and display name (40 bytes). */
export interface CnfLine {
  dirNumber: string;
  displayName: string;
  /** A SIP line's digest user name and password (CUCM's <authName>, <authPassword>). */
  authName?: string;
  password?: string;
}

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
  const priority = cm.priority ?? index;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`ethernetPhonePort ${port}`);
  if (!Number.isInteger(priority) || priority < 0) throw new RangeError(`priority ${priority}`);
  if (cm.host === '') throw new RangeError('empty processNodeName');
  return [
    `<member priority="${priority}">`,
    '<callManager>',
    el('name', cm.name ?? `CM_${cm.host}`),
    el('description', cm.host),
    '<ports>',
    el('ethernetPhonePort', port),
    el('sipPort', 5060),
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
  if (new TextEncoder().encode(l.displayName).length > 39) throw new RangeError(`line ${index + 1}: display name longer than 39 bytes`);
  return [`<line button="${index + 1}">`, el('featureID', 9), el('featureLabel', l.dirNumber), el('name', l.dirNumber), el('displayName', l.displayName),
    ...(l.authName === undefined ? [] : [el('authName', l.authName)]), ...(l.password === undefined ? [] : [el('authPassword', l.password)]), '</line>'].join('\n');
}

/** The lines of a SEP file written by cnfXml (or laid out the same way), in button order; null when it has no <lines>. */
export function cnfLines(file: string | Uint8Array): CnfLine[] | null {
  const xml = typeof file === 'string' ? file : new TextDecoder().decode(file);
  // An SCCP file's <lines>, a SIP file's <sipLines> (CUCM's name inside <sipProfile>).
  const block = /<(lines|sipLines)>([\s\S]*?)<\/\1>/.exec(xml);
  if (block === null) return null;
  const out: CnfLine[] = [];
  for (const m of block[2].matchAll(/<line\b[^>]*>([\s\S]*?)<\/line>/g)) {
    const name = /<name>([^<]*)<\/name>/.exec(m[1]);
    const display = /<displayName>([^<]*)<\/displayName>/.exec(m[1]);
    if (name === null) continue;
    const authName = /<authName>([^<]*)<\/authName>/.exec(m[1]);
    const password = /<authPassword>([^<]*)<\/authPassword>/.exec(m[1]);
    out.push({
      dirNumber: xmlUnescape(name[1].trim()), displayName: display === null ? '' : xmlUnescape(display[1].trim()),
      ...(authName === null ? {} : { authName: xmlUnescape(authName[1].trim()) }), ...(password === null ? {} : { password: xmlUnescape(password[1]) }),
    });
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
    lines.push(
      '<device xsi:type="axl:XIPPhone" ctiid="1">',
      el('fullConfig', 'true'),
      el('deviceProtocol', opts.protocol ?? 'SCCP'),
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
      el('loadInformation', load),
      ...(opts.lines === undefined ? [] : ['<lines>', ...opts.lines.map(line), '</lines>']),
      el('versionStamp', '1700000000-00000000-0000-0000-0000-000000000000'),
      el('idleTimeout', 0),
      '<authenticationURL></authenticationURL>',
      '<directoryURL></directoryURL>',
      '<servicesURL></servicesURL>',
      el('deviceSecurityMode', opts.securityMode ?? 1),
      ...(opts.dscpForCm2Dvce === undefined ? [] : [
        el('dscpForSCCPPhoneConfig', 96), el('dscpForSCCPPhoneServices', 0), el('dscpForCm2Dvce', opts.dscpForCm2Dvce),
      ]),
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
