// src/k8s/ip.ts and the JSON reader of src/k8s/text.ts.

import { describe, expect, it } from 'vitest';
import {
  canonicalCIDR,
  canonicalIP,
  cidrContains,
  compareIP,
  formatCIDR,
  formatIP,
  isLoopback,
  joinHostPort,
  parseCIDR,
  parseIP,
} from '../src/k8s/ip.js';
import { formatPath, jsonFieldOffsets, JsonSyntaxError, parseJsonStream } from '../src/k8s/text.js';

describe('parseIP / formatIP', () => {
  it('parses IPv4 into 4 network-order bytes', () => {
    expect(parseIP('10.96.0.10')).toEqual({ family: 4, bytes: Uint8Array.from([10, 96, 0, 10]) });
    expect(parseIP('255.255.255.255')?.bytes).toEqual(Uint8Array.from([255, 255, 255, 255]));
  });

  it('parses IPv6, including "::" and an embedded IPv4 tail', () => {
    const b = parseIP('fd00:10:96::a')!.bytes;
    expect([...b]).toEqual([0xfd, 0, 0, 0x10, 0, 0x96, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a]);
    expect([...parseIP('::')!.bytes]).toEqual(new Array(16).fill(0));
    expect([...parseIP('::ffff:192.0.2.1')!.bytes.slice(10)]).toEqual([0xff, 0xff, 192, 0, 2, 1]);
    expect(parseIP('1:2:3:4:5:6:7::')?.family).toBe(6);
  });

  it.each([
    '', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.-4', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4/32', '01.2.3.4',
    ':', ':::', '1:::2', '1::2::3', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::',
    'g::1', '1.2.3.4::', '::1.2.3', 'fe80::1%eth0', '[::1]', '1:2:3:4:5:6:7:8::',
  ])('rejects %j', (text) => {
    expect(parseIP(text)).toBeNull();
  });

  it('accepts IPv4 leading zeros (as decimal) only when sloppy, as Kubernetes does', () => {
    expect(parseIP('010.001.002.003')).toBeNull();
    expect(canonicalIP('010.001.002.003', { sloppy: true })).toBe('10.1.2.3');
  });

  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['fd00:10:244:0001:0000:0000:0000:001e', 'fd00:10:244:1::1e'],
    ['::ffff:c000:0201', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ])('formats %s as %s (RFC 5952)', (text, want) => {
    expect(canonicalIP(text)).toBe(want);
    expect(formatIP(parseIP(want)!)).toBe(want);
  });

  it('joins host and port with brackets for IPv6', () => {
    expect(joinHostPort('10.0.0.1', 80)).toBe('10.0.0.1:80');
    expect(joinHostPort('fd00::1', 80)).toBe('[fd00::1]:80');
  });

  it('orders IPv4 before IPv6, then by bytes; knows loopback', () => {
    const ips = ['fd00::1', '10.0.0.10', '10.0.0.9', '::1'].map((t) => parseIP(t)!);
    expect(ips.sort(compareIP).map(formatIP)).toEqual(['10.0.0.9', '10.0.0.10', '::1', 'fd00::1']);
    expect(isLoopback(parseIP('127.0.0.53')!)).toBe(true);
    expect(isLoopback(parseIP('::1')!)).toBe(true);
    expect(isLoopback(parseIP('::2')!)).toBe(false);
  });
});

describe('parseCIDR / cidrContains', () => {
  it('masks host bits and formats canonically', () => {
    const c = parseCIDR('10.96.7.1/12')!;
    expect(c.prefixLength).toBe(12);
    expect(formatCIDR(c)).toBe('10.96.0.0/12');
    expect(canonicalCIDR('FD00:10:96:0:0:0:0:1/112')).toBe('fd00:10:96::/112');
    expect(canonicalCIDR('0.0.0.0/0')).toBe('0.0.0.0/0');
    expect(canonicalCIDR('::/0')).toBe('::/0');
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '::/129', '10.0.0.0/-1', '10.0.0.0/08', '10.0.0.0/', '/8', 'x/8', '10.0.0.0/8 '])(
    'rejects %j',
    (text) => expect(parseCIDR(text)).toBeNull(),
  );

  it('tests containment by family and prefix', () => {
    const v4 = parseCIDR('203.0.113.0/24')!;
    expect(cidrContains(v4, parseIP('203.0.113.255')!)).toBe(true);
    expect(cidrContains(v4, parseIP('203.0.114.0')!)).toBe(false);
    expect(cidrContains(v4, parseIP('::ffff:203.0.113.1')!)).toBe(false);
    const odd = parseCIDR('10.244.0.0/13')!;
    expect(cidrContains(odd, parseIP('10.247.255.255')!)).toBe(true);
    expect(cidrContains(odd, parseIP('10.248.0.0')!)).toBe(false);
    const v6 = parseCIDR('2001:db8::/32')!;
    expect(cidrContains(v6, parseIP('2001:db8:ffff::1')!)).toBe(true);
    expect(cidrContains(v6, parseIP('2001:db9::1')!)).toBe(false);
    expect(cidrContains(parseCIDR('0.0.0.0/0')!, parseIP('1.2.3.4')!)).toBe(true);
    expect(cidrContains(parseCIDR('fd00::1/128')!, parseIP('fd00::1')!)).toBe(true);
  });
});

describe('JSON reader', () => {
  it('reads a stream of values with their spans, like JSON.parse for each', () => {
    const text = '{"a": [1, -2.5e3, true, null, "x\\u00e9\\n\\"\\/"]}\n{"b":{}}  []';
    const spans = parseJsonStream(text);
    expect(spans.map((s) => s.value)).toEqual([JSON.parse(text.split('\n')[0]), { b: {} }, []]);
    expect(spans.map((s) => [s.start, s.end])).toEqual([[0, 47], [48, 56], [58, 60]]);
  });

  it('keeps a "__proto__" key as a plain property', () => {
    const [{ value }] = parseJsonStream('{"__proto__": {"polluted": true}}');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect((value as Record<string, unknown>).__proto__).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['{"a": 1,}', 8, 'expected a property name in double quotes'],
    ['[1 2]', 3, "expected ',' or ']'"],
    ['{"a" 1}', 5, "expected ':'"],
    ['"abc', 0, 'unterminated string'],
    ['"a\tb"', 2, 'control character'],
    ['"\\x"', 1, 'bad escape'],
    ['01', 1, "unexpected character '1' after a value"],
    ['[truex]', 5, "unexpected character 'x' after a value"],
    ['{"a": tru}', 6, 'expected a JSON value'],
  ])('reports %j at offset %i', (text, offset, message) => {
    try {
      parseJsonStream(text);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(JsonSyntaxError);
      expect((e as JsonSyntaxError).offset).toBe(offset);
      expect((e as Error).message).toContain(message);
    }
  });

  it('finds where each field starts, by path', () => {
    const text = 'xx{"items": [{"spec": {"ports": [{"port": 1}]}}], "odd.key": 2}';
    const offsets = jsonFieldOffsets(text, 2);
    expect(offsets.get('')).toBe(2);
    expect(offsets.get('items[0].spec.ports[0].port')).toBe(text.indexOf('"port"'));
    expect(offsets.get('["odd.key"]')).toBe(text.indexOf('"odd.key"'));
    expect(formatPath(['items', 3, 'metadata', 'labels', 'kubernetes.io/service-name'])).toBe(
      'items[3].metadata.labels["kubernetes.io/service-name"]',
    );
  });
});
