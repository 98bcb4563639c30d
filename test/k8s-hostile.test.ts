// Hostile manifests and --updates files (issue 12, items 5 and 9): every one is
// refused or reported with file:line and the usual problem format, in time and
// memory proportional to its size, and never with a stack overflow, a
// RangeError or an exit 1 from the command line.
//
//   - nesting deeper than MAX_NESTING (JSON and YAML, manifests and --updates);
//   - a List of 130,000 items and an --updates file of 130,000 events;
//   - YAML alias bombs under the alias count (node budget), alias cycles, too many aliases;
//   - "at": 1e300, a missing "at" (warning, or error with strict), plain objects in --updates;
//   - invalid UTF-8 (file, line, column, byte offset);
//   - duplicate keys in JSON and YAML (warning, or error with strict);
//   - IPv4 addresses with leading zeros ("010.1.1.1"), refused as Kubernetes does;
//   - a megabyte-long value quoted in a message is cut short.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  formatProblem,
  ManifestError,
  MAX_AT_SECONDS,
  parseEventsText,
  parseObjectsText,
} from '../src/k8s/load.js';
import { loadClusterObjects } from '../src/k8s/load-files.js';
import { messages, thrown } from './helpers/manifests.js';
import { firstInvalidUtf8, jsonLocator, MAX_NESTING, parseJsonStream, preview } from '../src/k8s/text.js';
import { ALIAS_ALLOWANCE, MAX_ALIASES, readYamlValues, SPLIT_LIST_MIN_CHARS } from '../src/k8s/yaml.js';
import { endpointSlice, list, service } from './fixtures/k8s/builders.js';
import { ensureBuilt, mapLimit, REPO, runCliAsync, type CliResult } from './helpers/cli.js';


const dir = mkdtempSync(join(tmpdir(), 'svcplane-hostile-'));
function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** A ConfigMap whose data holds lists nested so that the whole value is `levels` deep. */
function nestedJson(levels: number): string {
  const inner = '['.repeat(levels - 1) + ']'.repeat(levels - 1);
  return `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "deep"}, "data": ${inner}}`;
}

const svcJson = (name: string) => JSON.stringify(service(name));
const event = (at: unknown, name: string) => JSON.stringify({ at, type: 'ADDED', object: service(name) });

describe('nesting', () => {
  const deep = '['.repeat(4000) + ']'.repeat(4000); // 8 KB

  it('refuses JSON nested 4,000 deep in a manifest with file:line:col, not a stack overflow', () => {
    const e = thrown(() => parseObjectsText(deep, 'deep.json'));
    expect(e.message).toBe(`deep.json:1:${MAX_NESTING + 1}: nesting deeper than ${MAX_NESTING} levels of maps and lists (Kubernetes objects are never this deep)`);
    const objects = thrown(() => parseObjectsText('{"a":'.repeat(4000) + '1' + '}'.repeat(4000), 'deep.json'));
    expect(objects.message).toMatch(/^deep\.json:1:\d+: nesting deeper than 100 levels/);
  });

  it('refuses it in an --updates file too, and inside a watch event line', () => {
    expect(thrown(() => parseEventsText(deep, 'u.jsonl')).message).toMatch(/^u\.jsonl:1:101: nesting deeper than 100 levels/);
    const line = `{"at": 1, "type": "ADDED", "object": {"kind": "Service", "spec": ${deep}}}`;
    expect(thrown(() => parseEventsText(`${event(0, 'ok')}\n${line}\n`, 'u.jsonl')).message).toMatch(/^u\.jsonl:2:\d+: nesting deeper/);
  });

  it('accepts exactly MAX_NESTING levels and refuses one more', () => {
    expect(parseObjectsText(nestedJson(MAX_NESTING), 'ok.json').ignoredKinds).toEqual({ ConfigMap: 1 });
    expect(thrown(() => parseObjectsText(nestedJson(MAX_NESTING + 1), 'no.json')).message).toMatch(/nesting deeper than 100/);
    const yamlOk = `kind: ConfigMap\ndata: ${'['.repeat(MAX_NESTING - 1)}${']'.repeat(MAX_NESTING - 1)}\n`;
    expect(parseObjectsText(yamlOk, 'ok.yaml').ignoredKinds).toEqual({ ConfigMap: 1 });
    const yamlNo = `kind: ConfigMap\ndata: ${'['.repeat(MAX_NESTING)}${']'.repeat(MAX_NESTING)}\n`;
    expect(thrown(() => parseObjectsText(yamlNo, 'no.yaml')).message).toMatch(/^no\.yaml:2:\d+: nesting deeper than 100/);
  });

  it('refuses deep YAML, flow or block style, with a line', () => {
    expect(thrown(() => parseObjectsText(`a: ${deep}\n`, 'deep.yaml')).message).toMatch(/^deep\.yaml:1:\d+: nesting deeper than 100/);
    const block = Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1\n';
    expect(thrown(() => parseObjectsText(block, 'block.yaml')).message).toMatch(/^block\.yaml:\d+:\d+: nesting deeper than 100/);
    const seq = `${'- '.repeat(4000)}x\n`;
    expect(thrown(() => parseObjectsText(seq, 'seq.yaml')).message).toMatch(/^seq\.yaml:1:\d+: nesting deeper than 100/);
    // A deep flow collection in a .yaml file is tried as JSON first: still refused for its depth.
    expect(thrown(() => parseObjectsText(deep, 'flow.yaml')).message).toMatch(/^flow\.yaml:1:\d+: nesting deeper than 100/);
  });

  it('counts what aliases stand for in the depth', () => {
    const text = `a: &a ${'['.repeat(90)}${']'.repeat(90)}\nb: ${'['.repeat(20)}*a${']'.repeat(20)}\n`;
    expect(thrown(() => parseObjectsText(text, 'alias-deep.yaml')).message).toMatch(/^alias-deep\.yaml:2:24: nesting deeper than 100/);
  });
});

describe('large inputs: nothing spreads an input-sized array into arguments', () => {
  it('loads a List of 130,000 items (loadClusterObjects, a file)', () => {
    const items = Array.from({ length: 130_000 }, () => '{"kind":"Pod"}');
    const p = file('list130k.json', `{"apiVersion":"v1","kind":"List","items":[${svcJson('web')},${items.join(',')}]}`);
    const r = loadClusterObjects([p], { strict: true });
    expect(r.ignoredKinds).toEqual({ Pod: 130_000 });
    expect(r.objects.services.size).toBe(1);
  });

  it('reports 130,000 bad items one by one', () => {
    const text = `{"apiVersion":"v1","kind":"List","items":[${Array.from({ length: 130_000 }, () => '{}').join(',')}]}`;
    const r = parseObjectsText(text, 'empty-items.json');
    expect(r.problems).toHaveLength(130_000);
    expect(formatProblem(r.problems[129_999])).toBe(
      `empty-items.json:1:${43 + 3 * 129_999}: object (no name): items[129999].kind: missing kind (Service, EndpointSlice, Endpoints, Node or ServiceCIDR)`,
    );
  });

  it('reads an --updates file of 130,000 events', () => {
    const lines = Array.from({ length: 130_000 }, (_, i) =>
      `{"at":${i / 1000},"type":"DELETED","object":{"apiVersion":"v1","kind":"Service","metadata":{"name":"s${i}"}}}`,
    );
    const r = parseEventsText(lines.join('\n'), 'many.jsonl', { strict: true });
    expect(r.events).toHaveLength(130_000);
    expect(r.events[129_999].source).toEqual({ file: 'many.jsonl', line: 130_000, path: 'object' });
  });

  it('quotes at most a short preview of a huge value', () => {
    const huge = 'x'.repeat(1_000_000);
    const r = parseObjectsText(JSON.stringify({ ...service('big'), spec: { ports: huge } }), 'big.json');
    const m = formatProblem(r.problems[0]);
    expect(m).toMatch(/^big\.json:1:\d+: Service default\/big: spec\.ports: must be a list, not "x+…$/);
    expect(m.length).toBeLessThan(300);
  });
});

describe('YAML aliases', () => {
  /** A List whose items are all the same 2,000-element list: 990 aliases, under MAX_ALIASES. */
  function aliasBomb(): string {
    const lines = ['apiVersion: v1', 'kind: List', 'base: &a'];
    for (let i = 0; i < 2000; i++) lines.push(`  - port-${i}`);
    lines.push('items:');
    for (let i = 0; i < 990; i++) lines.push('  - *a');
    return lines.join('\n') + '\n';
  }

  it('refuses an alias bomb under the alias count, at the alias that crosses the node budget', () => {
    const started = performance.now();
    const e = thrown(() => parseObjectsText(aliasBomb(), 'bomb.yaml'));
    // The document has 2,009 nodes; each alias stands for 2,001 more, and the 50th crosses ALIAS_ALLOWANCE.
    const crossing = Math.floor(ALIAS_ALLOWANCE / 2001) + 1;
    expect(e.message).toBe(
      `bomb.yaml:${2004 + crossing}:5: aliases expand this document from 2009 to 1982999 nodes (at most ${2009 + ALIAS_ALLOWANCE}: an alias bomb?)`,
    );
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('refuses a billion laughs', () => {
    const rows = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (const [prev, name] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'g'], ['g', 'h'], ['h', 'i']]) {
      rows.push(`${name}: &${name} [${Array.from({ length: 10 }, () => `*${prev}`).join(', ')}]`);
    }
    const e = thrown(() => parseObjectsText(rows.join('\n') + '\n', 'laughs.yaml'));
    expect(e.message).toMatch(/^laughs\.yaml:\d+:\d+: aliases expand this document from \d+ to [\d.e+]+ nodes \(at most \d+: an alias bomb\?\)$/);
  });

  it('refuses an alias inside its own anchor, and more than MAX_ALIASES aliases', () => {
    expect(thrown(() => parseObjectsText('a: &a [1, *a]\n', 'cycle.yaml')).message).toBe('cycle.yaml:1:11: alias *a refers to a node that contains it');
    const many = `a: &a x\nb: [${Array.from({ length: MAX_ALIASES + 1 }, () => '*a').join(', ')}]\n`;
    expect(thrown(() => parseObjectsText(many, 'many.yaml')).message).toMatch(/^many\.yaml:2:\d+: more than 1000 aliases in one document$/);
  });

  it('still reads ordinary anchors and aliases', () => {
    const text = [
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: web',
      '  labels: &labels {app: web, tier: front}',
      '  annotations: *labels',
      'spec:',
      '  clusterIP: 10.96.0.10',
      '  ports: [{name: http, port: 80}]',
      '',
    ].join('\n');
    const r = parseObjectsText(text, 'anchors.yaml', { strict: true });
    expect(r.objects.services.get('default/web')?.metadata.annotations).toEqual({ app: 'web', tier: 'front' });
  });
});

describe('a large YAML List, read item by item', () => {
  /** A kubectl-style List (items at column 0) of at least `size` characters, with a few odd items. */
  function bigList(extra: (i: number) => string | undefined = () => undefined, size = SPLIT_LIST_MIN_CHARS * 1.1): string {
    const parts = ['apiVersion: v1', 'items:'];
    let length = 0;
    for (let i = 0; length < size; i++) {
      const item = extra(i) ?? stringify([service(`svc-${i}`, { clusterIP: `10.96.${(i >> 8) & 255}.${i & 255}` })], { indentSeq: false }).trimEnd();
      parts.push(item);
      length += item.length + 1;
      if (i % 100 === 0) parts.push('', '# a comment between items');
    }
    parts.push('kind: List', 'metadata:', '  resourceVersion: ""', '');
    return parts.join('\n');
  }
  const SMALL = 150_000;

  const odd = (i: number) => {
    if (i === 500) return '- apiVersion: v1\n  kind: Service\n  metadata:\n    name: bad\n    annotations:\n      note: |\n        two\n        lines\n  spec:\n    ports:\n    - port: 70000\n      port: 80';
    if (i === 900) return '- apiVersion: v1\n  kind: Service\n  metadata: {name: "quoted", labels: {a: "x y"}}\n  spec: {clusterIP: 010.1.1.1, ports: [{port: 80}]}';
    return undefined;
  };

  it('gives the same values, places and duplicate keys as reading the document whole', () => {
    const text = bigList(odd, SMALL);
    const [pieces] = [...readYamlValues(text, { pieces: true })];
    const [whole] = [...readYamlValues(text, { pieces: false })];
    expect(isDeepStrictEqual(pieces.value, whole.value)).toBe(true);
    expect(pieces.duplicates).toEqual(whole.duplicates);
    for (const path of [[], ['kind'], ['metadata', 'resourceVersion'], ['items', 0], ['items', 500, 'spec', 'ports', 0, 'port'],
      ['items', 500, 'metadata', 'annotations', 'note'], ['items', 900, 'spec', 'clusterIP'], ['items', 1234, 'metadata', 'name']]) {
      expect(pieces.locate(path), JSON.stringify(path)).toBe(whole.locate(path));
    }
  });

  it('reports problems inside items with their lines', () => {
    const text = bigList(odd);
    const lineOf = (needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;
    const r = parseObjectsText(text, 'big.yaml');
    expect(messages(r.problems)).toEqual([
      `big.yaml:${lineOf('    - port: 70000') + 1}:7: warning: Service default/bad: items[500].spec.ports[0].port: duplicate key "port" (the API server refuses it; the last value is used)`,
      `big.yaml:${lineOf('spec: {clusterIP: 010')}:10: Service default/quoted: items[900].spec.clusterIP: "010.1.1.1" is not a valid IP address: must not have leading 0s (write "10.1.1.1")`,
    ]);
    expect(r.objects.services.get('default/svc-1000')).toBeDefined();
    const item7 = text.lastIndexOf('- apiVersion', text.indexOf('name: svc-7\n'));
    expect(r.objects.sources.get('Service default/svc-7')).toEqual({ file: 'big.yaml', line: text.slice(0, item7).split('\n').length, path: 'items[7]' });
  });

  it('falls back to the whole document when an item refers to an anchor outside it, or nests too deep', () => {
    const text = bigList((i) =>
      i === 3 ? '- &first\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: first}' : i === 8 ? '- *first' : undefined,
    SMALL);
    const [pieces] = [...readYamlValues(text, { pieces: true })];
    const items = (pieces.value as { items: unknown[] }).items;
    expect(items[8]).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'first' } });
    expect(parseObjectsText(text, 'alias.yaml').ignoredKinds).toEqual({ ConfigMap: 2 });
    const deep = bigList((i) => (i === 7 ? `- kind: ConfigMap\n  data: ${'['.repeat(200)}${']'.repeat(200)}` : undefined), SMALL);
    expect(() => [...readYamlValues(deep, { pieces: true })]).toThrow(/nesting deeper than 100 levels/);
  });
});

describe('"at" in --updates files', () => {
  it('refuses "at": 1e300 (and anything past MAX_AT_SECONDS) with file:line, never reaching the replay', () => {
    const text = `${event(1.5, 'ok')}\n{"at": 1e300, "type": "ADDED", "object": ${svcJson('huge')}}\n${event(MAX_AT_SECONDS, 'edge')}\n${event(MAX_AT_SECONDS + 1, 'past')}\n`;
    const r = parseEventsText(text, 'u.jsonl');
    expect(messages(r.problems)).toEqual([
      'u.jsonl:2:2: Service default/huge: at: "at" 1e+300 is too large (at most 1000000000 seconds after the first packet)',
      'u.jsonl:4:2: Service default/past: at: "at" 1000000001 is too large (at most 1000000000 seconds after the first packet)',
    ]);
    expect(r.events.map((e) => [e.object.metadata.name, e.at])).toEqual([['ok', 1.5], ['edge', MAX_AT_SECONDS]]);
    expect(() => parseEventsText(text, 'u.jsonl', { strict: true })).toThrow(ManifestError);
    // JSON numbers past the double range read as Infinity: refused the same way.
    expect(messages(parseEventsText(`{"at": 1e400, "type": "ADDED", "object": ${svcJson('inf')}}`, 'u.jsonl').problems)).toEqual([
      'u.jsonl:1:2: Service default/inf: at: "at" Infinity is too large (at most 1000000000 seconds after the first packet)',
    ]);
    expect(messages(parseEventsText(`{"at": "5", "type": "ADDED", "object": ${svcJson('str')}}`, 'u.jsonl').problems)).toEqual([
      'u.jsonl:1:2: Service default/str: at: "at" must be a number of seconds >= 0, not "5"',
    ]);
  });

  it('a missing "at" is a warning (the event is not applied), an error with strict', () => {
    const text = `${event(0.5, 'a')}\n{"type": "MODIFIED", "object": ${svcJson('b')}}\n`;
    const r = parseEventsText(text, 'u.jsonl');
    expect(messages(r.problems)).toEqual([
      'u.jsonl:2:1: warning: Service default/b: missing "at" (the time of the event, in seconds after the first packet); the event is not applied',
    ]);
    expect(r.events.map((e) => e.object.metadata.name)).toEqual(['a']);
    expect(thrown(() => parseEventsText(text, 'u.jsonl', { strict: true })).message).toBe(
      'u.jsonl:2:1: Service default/b: missing "at" (the time of the event, in seconds after the first packet); the event is not applied',
    );
  });

  it('plain objects in an --updates file are reported, not silently dropped', () => {
    const yaml = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: plain\nspec:\n  ports: [{port: 80}]\n';
    expect(messages(parseEventsText(yaml, 'u.yaml').problems)).toEqual([
      'u.yaml:1:1: warning: Service default/plain: not a watch event with "at" ({"at": seconds, "type": "MODIFIED", "object": {...}}); the object is not applied',
    ]);
    expect(() => parseEventsText(yaml, 'u.yaml', { strict: true })).toThrow(/u\.yaml:1:1: Service default\/plain: not a watch event/);
    // Manifests do not need "at": the same text loads as a cluster object.
    expect(parseObjectsText(yaml, 'c.yaml', { strict: true }).objects.services.size).toBe(1);
  });
});

describe('invalid UTF-8', () => {
  const bad = Buffer.concat([
    Buffer.from('apiVersion: v1\nkind: Service\nmetadata:\n  name: café\n  labels: {a: "x'),
    Buffer.from([0xff]),
    Buffer.from('"}\nspec:\n  ports: [{port: 80}]\n'),
  ]);
  const offset = bad.indexOf(0xff);

  it('a manifest: a warning naming file, line, column and byte offset; an error with strict', () => {
    const r = parseObjectsText(bad, 'bad.yaml');
    expect(messages(r.problems)).toEqual([`bad.yaml:5:17: warning: invalid UTF-8 at byte offset ${offset} (0xff); read as U+FFFD`]);
    expect(r.objects.services.get('default/café')?.metadata.labels).toEqual({ a: 'x\ufffd' });
    expect(thrown(() => parseObjectsText(bad, 'bad.yaml', { strict: true })).message).toBe(
      `bad.yaml:5:17: invalid UTF-8 at byte offset ${offset} (0xff); manifests must be UTF-8`,
    );
    const p = file('bad.yaml', bad);
    expect(messages(loadClusterObjects([p]).problems)).toEqual([`${p}:5:17: warning: invalid UTF-8 at byte offset ${offset} (0xff); read as U+FFFD`]);
    expect(() => loadClusterObjects([p], { strict: true })).toThrow(`${p}:5:17: invalid UTF-8 at byte offset ${offset}`);
  });

  it('an --updates file given as bytes', () => {
    const text = Buffer.concat([Buffer.from(`${event(1, 'a')}\n{"at": 2, "type": "ADDED", "object": {"kind": "Pod", "x": "`), Buffer.from([0xc3, 0x28]), Buffer.from('"}}\n')]);
    const at = text.indexOf(0xc3);
    expect(thrown(() => parseEventsText(text, 'u.jsonl', { strict: true })).message).toBe(
      `u.jsonl:2:60: invalid UTF-8 at byte offset ${at} (0xc3); manifests must be UTF-8`,
    );
    expect(parseEventsText(text, 'u.jsonl').events).toHaveLength(1);
  });

  it('finds the first ill-formed sequence as a fatal TextDecoder does', () => {
    const cases: [number[], number][] = [
      [[0x61, 0xc0, 0x80], 1], // overlong
      [[0xe0, 0x80, 0x80], 0], // overlong
      [[0xed, 0xa0, 0x80], 0], // surrogate
      [[0xf4, 0x90, 0x80, 0x80], 0], // past U+10FFFF
      [[0x61, 0xe2, 0x82], 1], // cut short at the end
      [[0xf0, 0x9f, 0x98, 0x80, 0x80], 4], // a stray continuation byte
      [[0xf0, 0x9f, 0x98, 0x80, 0xc3, 0xa9], -1],
    ];
    for (const [bytes, want] of cases) expect(firstInvalidUtf8(Uint8Array.from(bytes))).toBe(want);
    const fatal = new TextDecoder('utf-8', { fatal: true });
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let n = 0; n < 3000; n++) {
      const b = Uint8Array.from({ length: 1 + (n % 9) }, () => (rnd() < 90 ? rnd() & 0x7f : rnd() | 0x80));
      const off = firstInvalidUtf8(b);
      let ok = true;
      try {
        fatal.decode(b);
      } catch {
        ok = false;
      }
      expect(off === -1).toBe(ok);
      if (off >= 0) expect(() => fatal.decode(b.subarray(0, off))).not.toThrow();
    }
  });
});

describe('duplicate keys', () => {
  const dupJson = '{"apiVersion": "v1", "kind": "Service",\n "metadata": {"name": "a", "name": "b"},\n "spec": {"ports": [{"port": 80, "port": 81}]}}';

  it('JSON: a warning with the path and the place of the second key (the last value is used); an error with strict', () => {
    const r = parseObjectsText(dupJson, 'dup.json');
    expect(messages(r.problems)).toEqual([
      'dup.json:2:28: warning: Service default/b: metadata.name: duplicate key "name" (the API server refuses it; the last value is used)',
      'dup.json:3:34: warning: Service default/b: spec.ports[0].port: duplicate key "port" (the API server refuses it; the last value is used)',
    ]);
    expect(r.objects.services.get('default/b')?.spec.ports[0].port).toBe(81);
    expect(thrown(() => parseObjectsText(dupJson, 'dup.json', { strict: true })).problems.map((p) => p.severity)).toEqual([undefined, undefined]);
  });

  it('YAML: the same', () => {
    const text = 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n  spec:\n    ports:\n    - port: 80\n      port: 81\n';
    expect(messages(parseObjectsText(text, 'dup.yaml').problems)).toEqual([
      'dup.yaml:10:7: warning: Service default/a: items[0].spec.ports[0].port: duplicate key "port" (the API server refuses it; the last value is used)',
    ]);
    expect(() => parseObjectsText(text, 'dup.yaml', { strict: true })).toThrow(/^dup\.yaml:10:7: Service default\/a: items\[0\]\.spec\.ports\[0\]\.port: duplicate key "port"/);
  });

  it('outside any object, and in --updates files', () => {
    expect(messages(parseObjectsText(`{"kind": "List", "kind": "List", "items": []}`, 'l.json').problems)).toEqual([
      'l.json:1:18: warning: kind: duplicate key "kind" (the API server refuses it; the last value is used)',
    ]);
    const line = `{"at": 1, "at": 2, "type": "ADDED", "object": ${svcJson('x')}}`;
    expect(() => parseEventsText(line, 'u.jsonl', { strict: true })).toThrow('u.jsonl:1:11: at: duplicate key "at"');
  });
});

describe('IPv4 addresses with leading zeros', () => {
  it('are refused in Service and endpoint address fields, with the field path, as Kubernetes does', () => {
    const text = JSON.stringify(list([
      service('z', { clusterIP: '010.1.1.1' }),
      service('e', { externalIPs: ['192.0.2.01'] }),
      endpointSlice('s', 'web', { endpoints: [{ ip: '10.244.001.5' }], ports: [{ name: '', port: 80 }] }),
      { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'ep' }, subsets: [{ addresses: [{ ip: '10.0.0.010' }], ports: [{ port: 80 }] }] },
    ]), null, 1);
    const r = parseObjectsText(text, 'zeros.json');
    expect(r.problems.map((p) => `${p.object}: ${p.path}: ${p.message}`)).toEqual([
      'Service default/z: items[0].spec.clusterIP: "010.1.1.1" is not a valid IP address: must not have leading 0s (write "10.1.1.1")',
      'Service default/z: items[0].spec.clusterIPs[0]: "010.1.1.1" is not a valid IP address: must not have leading 0s (write "10.1.1.1")',
      'Service default/e: items[1].spec.externalIPs[0]: "192.0.2.01" is not a valid IP address: must not have leading 0s (write "192.0.2.1")',
      'EndpointSlice default/s: items[2].endpoints[0].addresses[0]: "10.244.001.5" is not a valid IP address: must not have leading 0s (write "10.244.1.5")',
      'Endpoints default/ep: items[3].subsets[0].addresses[0].ip: "10.0.0.010" is not a valid IP address: must not have leading 0s (write "10.0.0.10")',
    ]);
    expect(r.problems.every((p) => p.line !== undefined && p.severity === undefined)).toBe(true);
    expect(r.objects.services.size + r.objects.endpointSlices.size + r.objects.endpoints.size).toBe(0);
    expect(() => parseObjectsText(text, 'zeros.json', { strict: true })).toThrow(ManifestError);
  });
});

describe('process.env while reading', () => {
  it('is the real object again after a read, also one that fails', () => {
    const real = process.env;
    parseObjectsText('apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n', 'env.yaml');
    expect(process.env).toBe(real);
    expect(() => parseObjectsText('a: [', 'broken.yaml')).toThrow(ManifestError);
    expect(process.env).toBe(real);
  });
});

describe('JSON reader helpers', () => {
  it('jsonLocator finds fields by path, scanning each container once', () => {
    const text = 'xx{"items": [{"spec": {"ports": [{"port": 1}]}}, 7], "odd.key": 2, "esc\\u0061ped": 3}';
    const at = jsonLocator(text, 2);
    expect(at([])).toBe(2);
    expect(at(['items', 0, 'spec', 'ports', 0, 'port'])).toBe(text.indexOf('"port"'));
    expect(at(['items', 1])).toBe(text.indexOf('7'));
    expect(at(['items', 5, 'x'])).toBe(text.indexOf('"items"')); // the deepest part that exists
    expect(at(['odd.key'])).toBe(text.indexOf('"odd.key"'));
    expect(at(['escaped'])).toBe(text.indexOf('"esc'));
  });

  it('reports duplicate keys with their paths', () => {
    const [span] = parseJsonStream('{"a": [{"b": 1, "b": {"c": 1, "c": 2}}]}');
    expect(span.duplicates).toEqual([
      { key: 'c', offset: 30, path: ['a', 0, 'b', 'c'] },
      { key: 'b', offset: 16, path: ['a', 0, 'b'] },
    ]);
  });

  it('preview cuts long and deep values', () => {
    expect(preview({ a: [1, 'two', null, { b: true }] })).toBe('{"a":[1,"two",null,{"b":true}]}');
    expect(preview('y'.repeat(500), 10)).toBe('"yyyyyyyyy…');
    expect(preview(Array.from({ length: 1000 }, (_, i) => i), 20)).toBe('[0,1,2,3,4,5,6,7,8,9…');
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(preview(deep, 30)).toBe('[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[…');
  });
});

describe('the command line (exit 2, one line, no stack; 10 s per run)', () => {
  const DEMO = join(REPO, 'pcaps', 'demo.pcapng');
  const queued: [string, string[]][] = [];
  const run = (name: string, args: string[]) => queued.push([name, args]);
  const runs: Record<string, CliResult> = {};

  beforeAll(async () => {
    ensureBuilt();
    const deep = file('cli-deep.json', '['.repeat(4000) + ']'.repeat(4000));
    run('deep -c', ['-c', deep]);
    run('deep --updates', ['--updates', deep]);
    const lines = ['apiVersion: v1', 'kind: List', 'base: &a'];
    for (let i = 0; i < 2000; i++) lines.push(`  - port-${i}`);
    lines.push('items:');
    for (let i = 0; i < 990; i++) lines.push('  - *a');
    run('bomb', ['-c', file('cli-bomb.yaml', lines.join('\n') + '\n')]);
    const items = Array.from({ length: 130_000 }, (_, i) => `{"kind":"Pod","metadata":{"name":"p${i}"}}`);
    run('list', ['-c', file('cli-list.json', `{"apiVersion":"v1","kind":"List","items":[${items.join(',')}]}`)]);
    const huge = file('cli-at.jsonl', `{"at": 1e300, "type": "ADDED", "object": ${svcJson('huge')}}\n`);
    run('at strict', ['--updates', huge, '--strict']);
    run('at', ['--updates', huge]);
    const missing = file('cli-missing.jsonl', `{"type": "ADDED", "object": ${svcJson('x')}}\n`);
    run('missing strict', ['--updates', missing, '--strict']);
    run('missing', ['--updates', missing]);
    run('utf8 strict', ['-c', file('cli-bad.yaml', Buffer.concat([Buffer.from('kind: Service\nmetadata: {name: "'), Buffer.from([0xfe]), Buffer.from('"}\n')])), '--strict']);
    const zeros = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'z' }, spec: { clusterIP: '010.1.1.1', ports: [{ port: 80 }] } };
    run('zeros strict', ['-c', file('cli-zeros.json', JSON.stringify(zeros)), '--strict']);
    run('dup strict', ['-c', file('cli-dup.json', '{"kind": "Service", "kind": "Service", "metadata": {"name": "d"}, "spec": {"ports": [{"port": 80}]}}'), '--strict']);
    // Two at a time: each run has its own 10 s limit, which must not be spent waiting for a core.
    const results = await mapLimit(queued, 2, ([, args]) => runCliAsync(['replay', DEMO, ...args], { timeout: 10_000 }));
    results.forEach((r, i) => (runs[queued[i][0]] = r));
  }, 240_000);

  const refused = (name: string, pattern: RegExp) => {
    const r = runs[name];
    expect(r.timedOut, `${r.command} timed out`).toBe(false);
    expect(r.status, `${r.command}: ${r.stderr}`).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at |RangeError|Maximum call stack/);
  };

  it('deep JSON in -c and in --updates', () => {
    refused('deep -c', /^svcplane: .*cli-deep\.json:1:101: nesting deeper than 100 levels/);
    refused('deep --updates', /^svcplane: .*cli-deep\.json:1:101: nesting deeper than 100 levels/);
  });

  it('an alias bomb', () => {
    refused('bomb', /^svcplane: .*cli-bomb\.yaml:2054:5: aliases expand this document from 2009 to \d+ nodes/);
  });

  it('a List of 130,000 items loads', () => {
    const r = runs.list;
    expect(r.timedOut).toBe(false);
    expect(r.status, r.stderr).toBe(0);
  });

  it('"at": 1e300 and a missing "at": errors with --strict, warnings without', () => {
    refused('at strict', /^svcplane: .*cli-at\.jsonl:1:2: Service default\/huge: at: "at" 1e\+300 is too large/);
    refused('missing strict', /^svcplane: .*cli-missing\.jsonl:1:1: Service default\/x: missing "at"/);
    for (const name of ['at', 'missing']) {
      const r = runs[name];
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^svcplane: warning: .*cli-(at|missing)\.jsonl:1:\d+: /);
    }
  });

  it('invalid UTF-8, an address with leading zeros, a duplicate key (--strict)', () => {
    refused('utf8 strict', /^svcplane: .*cli-bad\.yaml:2:19: invalid UTF-8 at byte offset 32 \(0xfe\); manifests must be UTF-8$/);
    refused('zeros strict', /^svcplane: .*cli-zeros\.json:1:\d+: Service default\/z: spec\.clusterIP: "010\.1\.1\.1" is not a valid IP address: must not have leading 0s/);
    refused('dup strict', /^svcplane: .*cli-dup\.json:1:21: Service default\/d: kind: duplicate key "kind"/);
  });
});
