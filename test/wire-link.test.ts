// wire/link.ts byte by byte: each link type's header parsed to its network header's offset and
// ethertype, as one value (reason, offset, type), and truncated headers dropped with their reason.

import { describe, it, expect, beforeAll } from 'vitest';
import { wire, hex, type Wire } from './helpers/wire.js';
import {
  LINK_EN10MB, LINK_LINUX_SLL, LINK_LINUX_SLL2, LINK_NULL, LINK_LOOP, LINK_RAW, LINK_IPV4, REASON_LINK_TRUNCATED,
  REASON_VLAN_TRUNCATED,
} from '../src/core/abi.js';

let w: Wire;
beforeAll(async () => { w = await wire(); });

const ETH = hex('02 00 00 00 00 02 02 00 00 00 00 01 08 00');
const ETH_VLAN = hex('02 00 00 00 00 02 02 00 00 00 00 01 81 00 00 64 86 dd');
const QINQ = hex('02 00 00 00 00 02 02 00 00 00 00 01 88 a8 00 0a 81 00 00 64 08 00');
const SLL = hex('00 00 00 01 00 06 02 00 00 00 00 01 00 00 08 00');
const SLL2 = hex('86 dd 00 00 00 00 00 02 00 01 00 06 02 00 00 00 00 01 00 00');
const NULL_LE = hex('02 00 00 00');
const LOOP_V6 = hex('00 00 00 1e');

function parse(bytes: Uint8Array, link: number, caplen = bytes.length): { reason: number; l3: number; type: number } {
  const p = w.put(0, bytes, 64);
  const r = w.x.linkParse(p, caplen, link) as bigint;
  return { reason: w.x.linkResultReason(r), l3: w.x.linkResultL3(r), type: w.x.linkResultType(r) >>> 0 };
}

describe('link headers', () => {
  it('Ethernet II, one 802.1Q tag, 802.1ad + 802.1Q', () => {
    expect(parse(ETH, LINK_EN10MB)).toEqual({ reason: 0, l3: 14, type: 0x0800 });
    expect(parse(ETH_VLAN, LINK_EN10MB)).toEqual({ reason: 0, l3: 18, type: 0x86dd });
    expect(parse(QINQ, LINK_EN10MB)).toEqual({ reason: 0, l3: 22, type: 0x0800 });
    expect(w.x.linkEthTypeIs(w.put(0, ETH), 0x0800)).toBe(1);
    expect(w.x.linkEthTypeIs(w.put(0, ETH_VLAN), 0x86dd)).toBe(0); // the first type field only
  });

  it('Linux cooked SLL and SLL2, BSD NULL (host order) and LOOP (network order), raw IP', () => {
    expect(parse(SLL, LINK_LINUX_SLL)).toEqual({ reason: 0, l3: 16, type: 0x0800 });
    expect(parse(SLL2, LINK_LINUX_SLL2)).toEqual({ reason: 0, l3: 20, type: 0x86dd });
    expect(parse(NULL_LE, LINK_NULL)).toEqual({ reason: 0, l3: 4, type: 0x0800 });
    expect(parse(LOOP_V6, LINK_LOOP)).toEqual({ reason: 0, l3: 4, type: 0x86dd });
    expect(parse(hex('45'), LINK_RAW)).toEqual({ reason: 0, l3: 0, type: 0xffff });
    expect(parse(hex('45'), LINK_IPV4)).toEqual({ reason: 0, l3: 0, type: 0x0800 });
    expect(parse(hex('45'), 9999)).toEqual({ reason: 0, l3: 0, type: 0 }); // unknown: passes
  });

  it('truncated headers are dropped with their reason', () => {
    expect(parse(ETH, LINK_EN10MB, 13).reason).toBe(REASON_LINK_TRUNCATED);
    expect(parse(ETH_VLAN, LINK_EN10MB, 17).reason).toBe(REASON_VLAN_TRUNCATED);
    expect(parse(SLL, LINK_LINUX_SLL, 15).reason).toBe(REASON_LINK_TRUNCATED);
    expect(parse(SLL2, LINK_LINUX_SLL2, 19).reason).toBe(REASON_LINK_TRUNCATED);
    expect(parse(NULL_LE, LINK_NULL, 3).reason).toBe(REASON_LINK_TRUNCATED);
  });
});
