import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers/tools.js';
import { cnfXml, xmlEscape } from '../host/sim/cnf.js';
import type { CnfOptions } from '../host/sim/cnf.js';

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

test("the firmware's CNF_SIM fixture is still what cnfXml writes", () => {
  const opts: CnfOptions = {
    callManagers: [{ host: '192.0.2.11' }, { host: 'cucm2.voice.example', port: 2002, name: 'CM_B&C' }],
    load: 'P0030801SR02',
  };
  const src = readFileSync(join(ROOT, 'assembly/__tests__/config-fixtures.ts'), 'utf8');
  const start = src.indexOf('export const CNF_SIM = ');
  assert.notEqual(start, -1, 'CNF_SIM in config-fixtures.ts');
  const line = src.slice(start + 'export const CNF_SIM = '.length, src.indexOf('\n', start));
  assert.ok(line.endsWith(';'));
  assert.equal(JSON.parse(line.slice(0, -1)), cnfXml(opts));
});
