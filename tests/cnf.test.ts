import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers/tools.js';
import { cnfLines, cnfXml, xmlEscape } from '../host/sim/cnf.js';
import type { CnfOptions } from '../host/sim/cnf.js';
import { FuzzInstance, target } from '../host/fuzz/targets.js';

// A small, strict XML reader for checking what cnfXml() writes: elements,
// quoted attributes, the five entities and character references, comments
// and processing instructions. It throws on anything not well-formed.
interface Element {
  name: string;
  attrs: Map<string, string>;
  children: Element[];
  text: string;
}

function isSpace(c: string): boolean { return c === ' ' || c === '\n' || c === '\r' || c === '\t'; }
function isNameChar(c: string): boolean {
  return c !== '' && !isSpace(c) && !'<>/="\'&'.includes(c);
}

function decode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '<') throw new Error('"<" in character data');
    if (s[i] !== '&') { out += s[i]; continue; }
    const end = s.indexOf(';', i);
    if (end < 0) throw new Error('unterminated entity');
    const ref = s.slice(i + 1, end);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (ref in named) out += named[ref];
    else if (ref.startsWith('#x')) out += String.fromCodePoint(parseInt(ref.slice(2), 16));
    else if (ref.startsWith('#')) out += String.fromCodePoint(parseInt(ref.slice(1), 10));
    else throw new Error(`unknown entity &${ref};`);
    i = end;
  }
  return out;
}

function parseXml(xml: string): Element {
  let i = 0;
  const stack: Element[] = [];
  let root: Element | null = null;
  const name = (): string => {
    const s = i;
    while (i < xml.length && isNameChar(xml[i])) i++;
    if (i === s) throw new Error(`name expected at ${s}`);
    return xml.slice(s, i);
  };
  const skipSpace = (): boolean => {
    const s = i;
    while (i < xml.length && isSpace(xml[i])) i++;
    return i > s;
  };
  const skipPast = (lit: string): void => {
    const at = xml.indexOf(lit, i);
    if (at < 0) throw new Error(`unterminated, ${lit} expected`);
    i = at + lit.length;
  };
  while (i < xml.length) {
    if (xml[i] !== '<') {
      const s = i;
      while (i < xml.length && xml[i] !== '<') i++;
      const text = decode(xml.slice(s, i));
      if (stack.length === 0) {
        if (text.trim() !== '') throw new Error('text outside the root');
      } else stack[stack.length - 1].text += text;
      continue;
    }
    i++;
    if (xml.startsWith('?', i)) { skipPast('?>'); continue; }
    if (xml.startsWith('!--', i)) { skipPast('-->'); continue; }
    if (xml[i] === '/') {
      i++;
      const n = name();
      skipSpace();
      if (xml[i++] !== '>') throw new Error('">" expected');
      const open = stack.pop();
      if (open?.name !== n) throw new Error(`</${n}> closes <${open?.name}>`);
      continue;
    }
    const el: Element = { name: name(), attrs: new Map(), children: [], text: '' };
    if (stack.length > 0) stack[stack.length - 1].children.push(el);
    else if (root) throw new Error('second root element');
    else root = el;
    stack.push(el);
    for (;;) {
      const spaced = skipSpace();
      if (i >= xml.length) throw new Error('truncated tag');
      if (xml[i] === '>') { i++; break; }
      if (xml.startsWith('/>', i)) { i += 2; stack.pop(); break; }
      if (!spaced) throw new Error('space expected before an attribute');
      const a = name();
      skipSpace();
      if (xml[i++] !== '=') throw new Error('"=" expected');
      skipSpace();
      const q = xml[i++];
      if (q !== '"' && q !== "'") throw new Error('quote expected');
      const end = xml.indexOf(q, i);
      if (end < 0) throw new Error('unterminated attribute');
      if (el.attrs.has(a)) throw new Error(`attribute ${a} twice`);
      el.attrs.set(a, decode(xml.slice(i, end)));
      i = end + 1;
    }
  }
  if (stack.length > 0 || !root) throw new Error('unclosed elements');
  return root;
}

function child(el: Element, name: string): Element {
  const found = el.children.filter((c) => c.name === name);
  assert.equal(found.length, 1, `one <${name}> in <${el.name}>`);
  return found[0];
}
function path(el: Element, ...names: string[]): Element {
  return names.reduce(child, el);
}

/** The CallManagers as the phone reads them: members of the group, in file order. */
function members(group: Element): { host: string; port: number; priority: number; name: string }[] {
  return child(group, 'members').children.map((m) => {
    assert.equal(m.name, 'member');
    const cm = child(m, 'callManager');
    return {
      host: child(cm, 'processNodeName').text,
      port: Number(path(cm, 'ports', 'ethernetPhonePort').text),
      priority: Number(m.attrs.get('priority')),
      name: child(cm, 'name').text,
    };
  });
}

test('the reader itself rejects what is not well-formed', () => {
  for (const bad of ['<a>', '<a></b>', '<a x=1/>', '<a x="1"y="2"/>', '<a/><b/>', 'x<a/>', '<a>&nbsp;</a>', '<a>&amp</a>', '<a><!-- x </a>']) {
    assert.throws(() => parseXml(bad), Error, bad);
  }
  assert.equal(parseXml('<?xml version="1.0"?><a k=\'&lt;\'>x&amp;y<!-- c --><b/></a>').text, 'x&y');
});

test('cnfXml writes a well-formed CUCM-style SEP file', () => {
  const xml = cnfXml({
    callManagers: [{ host: '192.0.2.11' }, { host: 'cucm2.voice.example', port: 2002 }, { host: '192.0.2.13', priority: 5 }],
    load: 'P0030801SR02',
  });
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<device '));
  const root = parseXml(xml);
  assert.equal(root.name, 'device');
  assert.equal(root.attrs.get('xsi:type'), 'axl:XIPPhone');
  assert.equal(child(root, 'deviceProtocol').text, 'SCCP');
  assert.equal(child(root, 'loadInformation').text, 'P0030801SR02');
  const group = path(root, 'devicePool', 'callManagerGroup');
  assert.equal(child(group, 'tftpDefault').text, 'true');
  assert.deepEqual(members(group), [
    { host: '192.0.2.11', port: 2000, priority: 0, name: 'CM_192.0.2.11' },
    { host: 'cucm2.voice.example', port: 2002, priority: 1, name: 'CM_cucm2.voice.example' },
    { host: '192.0.2.13', port: 2000, priority: 5, name: 'CM_192.0.2.13' },
  ]);
});

test('cnfXml escapes names, and an absent load is an empty loadInformation', () => {
  const name = `R&D <"lab"> 'A'`;
  const xml = cnfXml({ callManagers: [{ host: 'cm.example', name, priority: 2 }], protocol: 'SIP' });
  assert.ok(xml.includes('<name>R&amp;D &lt;&quot;lab&quot;&gt; &apos;A&apos;</name>'));
  const root = parseXml(xml);
  assert.equal(child(root, 'deviceProtocol').text, 'SIP');
  assert.equal(child(root, 'loadInformation').text, '');
  assert.deepEqual(members(path(root, 'devicePool', 'callManagerGroup')), [{ host: 'cm.example', port: 2000, priority: 2, name }]);
  assert.equal(xmlEscape(`a&<>"'b`), 'a&amp;&lt;&gt;&quot;&apos;b');
});

test('cnfXml writes XMLDefault.cnf.xml: the group under <Default>, the 7960 load as loadInformation7', () => {
  const root = parseXml(cnfXml({ callManagers: [{ host: '203.0.113.5' }], load: 'P00308010200', xmlDefault: true }));
  assert.equal(root.name, 'Default');
  assert.deepEqual(members(child(root, 'callManagerGroup')).map((m) => m.host), ['203.0.113.5']);
  const load = child(root, 'loadInformation7');
  assert.equal(load.text, 'P00308010200');
  assert.equal(load.attrs.get('model'), 'IP Phone 7960');
  assert.equal(child(root, 'loadInformation8').text, '');
  assert.equal(root.children.filter((c) => c.name === 'devicePool').length, 0);
});

test('cnfXml may write no CallManager (the phone then reports NoCallManager), and refuses bad ports and priorities', () => {
  const root = parseXml(cnfXml({ callManagers: [] }));
  assert.equal(path(root, 'devicePool', 'callManagerGroup', 'members').children.length, 0);
  assert.throws(() => cnfXml({ callManagers: [{ host: 'a', port: 0 }] }), RangeError);
  assert.throws(() => cnfXml({ callManagers: [{ host: 'a', port: 70000 }] }), RangeError);
  assert.throws(() => cnfXml({ callManagers: [{ host: 'a', priority: -1 }] }), RangeError);
  assert.throws(() => cnfXml({ callManagers: [{ host: '' }] }), RangeError);
});

/** A one-line fixture of assembly/__tests__/config-fixtures.ts (export const NAME = "...";). */
function fixture(name: string): string {
  const src = readFileSync(join(ROOT, 'assembly/__tests__/config-fixtures.ts'), 'utf8');
  const head = `export const ${name} = `;
  const start = src.indexOf(head);
  assert.notEqual(start, -1, `${name} in config-fixtures.ts`);
  const line = src.slice(start + head.length, src.indexOf('\n', start));
  assert.ok(line.endsWith(';'));
  return JSON.parse(line.slice(0, -1)) as string;
}

test("the firmware's CNF_SIM fixture is still what cnfXml writes", () => {
  const opts: CnfOptions = {
    callManagers: [{ host: '192.0.2.11' }, { host: 'cucm2.voice.example', port: 2002, name: 'CM_B&C' }],
    load: 'P0030801SR02',
  };
  assert.equal(fixture('CNF_SIM'), cnfXml(opts));
});

// ---- a SIP phone's file (issue 23) ----

/** CNF_SIM_SIP of config-fixtures.ts: two CallManagers (one on sipPort 5070), UDP, expires 600, two lines. */
const SIM_SIP: CnfOptions = {
  callManagers: [{ host: '192.0.2.11' }, { host: '192.0.2.12', sipPort: 5070 }],
  load: 'SIP45.9-4-2SR3-1S',
  protocol: 'SIP',
  sipTransport: 'udp',
  sipExpires: 600,
  lines: [
    { dirNumber: '1001', displayName: 'Alice & Co', password: 's3cr&t<1>' },
    { dirNumber: '1002', displayName: 'Bob', authName: 'bob.auth', password: `"quoted" 'pw'` },
  ],
};

test('cnfXml writes a CUCM-style SIP SEP file: sipPorts, sipProfile with sipStack and sipLines, transportLayerProtocol', () => {
  const xml = cnfXml(SIM_SIP);
  const root = parseXml(xml);
  assert.equal(child(root, 'deviceProtocol').text, 'SIP');
  const ms = child(path(root, 'devicePool', 'callManagerGroup'), 'members').children;
  assert.deepEqual(ms.map((m) => path(m, 'callManager', 'ports', 'sipPort').text), ['5060', '5070']);
  assert.deepEqual(root.children.map((c) => c.name).slice(3, 6), ['sshPassword', 'devicePool', 'sipProfile'], 'sipProfile follows devicePool, as CUCM writes it');
  const stack = path(root, 'sipProfile', 'sipStack');
  assert.deepEqual(['timerRegisterExpires', 'timerT1', 'timerT2'].map((n) => child(stack, n).text), ['600', '500', '4000']);
  const lines = path(root, 'sipProfile', 'sipLines').children;
  assert.deepEqual(lines.map((l) => [l.attrs.get('button'), ...['featureID', 'proxy', 'name', 'displayName', 'authName', 'authPassword'].map((n) => child(l, n).text)]), [
    ['1', '9', 'USECALLMANAGER', '1001', 'Alice & Co', '1001', 's3cr&t<1>'],
    ['2', '9', 'USECALLMANAGER', '1002', 'Bob', 'bob.auth', `"quoted" 'pw'`],
  ]);
  assert.equal(child(root, 'transportLayerProtocol').text, '2');
  assert.equal(root.children.filter((c) => c.name === 'lines').length, 0, 'no SCCP <lines>');
  assert.deepEqual(cnfLines(xml), SIM_SIP.lines, 'cnfLines reads the lines back, credentials included');
  // TCP unless told; no lines, no expiry given: an empty sipLines, 3600 s.
  const plain = parseXml(cnfXml({ callManagers: [{ host: '192.0.2.11' }], protocol: 'SIP' }));
  assert.equal(child(plain, 'transportLayerProtocol').text, '1');
  assert.equal(path(plain, 'sipProfile', 'sipStack', 'timerRegisterExpires').text, '3600');
  assert.equal(path(plain, 'sipProfile', 'sipLines').children.length, 0);
  // An SCCP file keeps its <lines> and has no SIP profile.
  const sccp = parseXml(cnfXml({ callManagers: [{ host: '192.0.2.11' }], lines: [{ dirNumber: '2001', displayName: 'Desk' }] }));
  assert.deepEqual(['lines', 'sipProfile', 'transportLayerProtocol'].map((n) => sccp.children.filter((c) => c.name === n).length), [1, 0, 0]);
});

test('cnfXml refuses SIP lines and timers the phone would refuse', () => {
  const sip = (o: Partial<CnfOptions>): string => cnfXml({ callManagers: [{ host: '192.0.2.11' }], protocol: 'SIP', ...o });
  const line = { dirNumber: '1001', displayName: 'A' };
  assert.ok(sip({ lines: [{ ...line, displayName: 'd'.repeat(32), authName: 'a'.repeat(32), password: '&'.repeat(64) }] }).includes('&amp;'.repeat(64)));
  assert.throws(() => sip({ lines: [{ ...line, password: 'p'.repeat(65) }] }), RangeError);
  assert.throws(() => sip({ lines: [{ ...line, password: 'é'.repeat(33) }] }), RangeError, '66 bytes of UTF-8');
  assert.throws(() => sip({ lines: [{ ...line, displayName: 'd'.repeat(33) }] }), RangeError);
  assert.throws(() => sip({ lines: [{ ...line, authName: 'a'.repeat(33) }] }), RangeError);
  assert.throws(() => sip({ lines: [{ ...line, authName: '' }] }), RangeError);
  assert.throws(() => sip({ lines: [{ ...line, dirNumber: 'alice' }] }), RangeError);
  assert.throws(() => sip({ sipExpires: 59 }), RangeError);
  assert.throws(() => sip({ sipExpires: 86401 }), RangeError);
  assert.throws(() => sip({ callManagers: [{ host: '192.0.2.11', sipPort: 0 }] }), RangeError);
});

test("the firmware's CNF_SIM_SIP fixture is still what cnfXml writes", () => {
  assert.equal(fixture('CNF_SIM_SIP'), cnfXml(SIM_SIP));
});

test("the firmware's scanner (build/fuzz.wasm) takes every SIP file cnfXml writes, and refuses what it must", () => {
  const fi = new FuzzInstance();
  const cnf = target('cnf');
  const read = (xml: string): number => fi.run(cnf, new TextEncoder().encode(xml));
  const OK = 0;
  const BAD_VALUE = 5;
  // Passwords up to the 64 bytes the phone keeps, with every character XML escapes; no line to six (two past the four kept); both transports.
  for (let lines = 0; lines <= 6; lines++) {
    for (const sipTransport of ['tcp', 'udp'] as const) {
      const ls = Array.from({ length: lines }, (_, i) => ({
        dirNumber: `10${i}`, displayName: `Line <${i}> & "co"`, authName: i % 2 === 0 ? undefined : `user${i}`,
        password: `&<>"'${'x'.repeat(i * 12)}`.slice(0, 64),
      }));
      const xml = cnfXml({ callManagers: [{ host: '192.0.2.11', sipPort: 5062 }], protocol: 'SIP', sipTransport, sipExpires: 60 + lines, lines: ls });
      assert.equal(read(xml), OK, `${lines} lines, ${sipTransport}`);
    }
  }
  const xml = cnfXml(SIM_SIP);
  assert.equal(read(xml), OK);
  assert.equal(read(xml.replace('<authPassword>', `<authPassword>${'p'.repeat(56)}`)), BAD_VALUE, 'a 65-byte password is refused, not cut');
  assert.equal(read(xml.replace('<proxy>USECALLMANAGER</proxy>', '<proxy>registrar.voice.example</proxy>')), BAD_VALUE);
  assert.equal(read(xml.replace('<timerRegisterExpires>600<', '<timerRegisterExpires>59<')), BAD_VALUE);
  assert.equal(read(xml.replace('<transportLayerProtocol>2<', '<transportLayerProtocol>9<')), BAD_VALUE);
  assert.equal(read(cnfXml({ ...SIM_SIP, protocol: 'SCCP' })), OK);
});

test('scenarios/sip-phone.cnf.xml: a CUCM-style SIP SEP file with two lines, documentation addresses only, that the firmware takes', () => {
  const xml = readFileSync(join(ROOT, 'scenarios/sip-phone.cnf.xml'), 'utf8');
  const root = parseXml(xml);
  assert.equal(child(root, 'deviceProtocol').text, 'SIP');
  assert.equal(child(root, 'transportLayerProtocol').text, '1');
  assert.deepEqual(cnfLines(xml), [
    { dirNumber: '1001', displayName: 'Alice', password: 's3cr&t<1>' },
    { dirNumber: '1002', displayName: 'Bob', password: "b0b's pass" },
  ]);
  const addresses = xml.match(/\b\d+\.\d+\.\d+\.\d+\b/g) ?? [];
  assert.ok(addresses.length > 0 && addresses.every((a) => a.startsWith('192.0.2.')), addresses.join(' '));
  assert.equal(new FuzzInstance().run(target('cnf'), new TextEncoder().encode(xml)), 0, 'CnfErr.Ok');
});
