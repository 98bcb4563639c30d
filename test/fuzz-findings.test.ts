// Bugs the fuzzer (bench/fuzz.ts) found, each as the smallest batch that shows it.

import { describe, it, expect, vi } from 'vitest';
import { Composer } from 'yaml';
import { parseObjectsText, ManifestError } from '../src/k8s/load.js';
import { Harness, backend, servicePort } from './helpers/harness.js';
import { buildPacket } from './helpers/packets.js';
import { DESC_WORDS, D_OFFSET, D_CAPLEN, D_WIRELEN, D_LINKTYPE, D_L3_OFF, D_L4_OFF, D_REASON, LINK_EN10MB, LINK_LINUX_SLL,
  REASON_L4_TRUNCATED, NO_OFFSET } from '../src/core/abi.js';

const state = {
  allocatedClusterIPs: ['10.96.0.10'], serviceCIDRs: [],
  servicePorts: [servicePort({ key: 'default/web:http', clusterIP: '10.96.0.10', port: 80, clusterSet: [backend('10.244.1.5', 8080)] })],
};

describe('packets dropped in the transport header', () => {
  it('report their own IP header offset, not the previous packet\'s', () => {
    for (const fastPath of [true, false]) {
      const h = new Harness(state, { fastPath });
      const c = h.core;
      const eth = buildPacket({ proto: 'TCP', src: '10.0.0.1', dst: '10.96.0.10', sport: 1000, dport: 80 });
      // Linux cooked header (16 bytes) and an IPv4 packet holding 16 of the 20 bytes of a TCP header.
      const ip = buildPacket({ proto: 'TCP', src: '10.0.0.1', dst: '10.96.0.10', sport: 1000, dport: 80, link: 'raw' }).slice(0, 36);
      ip[2] = 0; ip[3] = 36;
      const sll = new Uint8Array(16 + ip.length);
      sll.set([0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 9, 0, 0, 0x08, 0x00]);
      sll.set(ip, 16);
      c.refresh();
      c.input.set(eth, 0);
      c.input.set(sll, 256);
      for (const [i, p, off, link] of [[0, eth, 0, LINK_EN10MB], [1, sll, 256, LINK_LINUX_SLL]] as const) {
        const d = i * DESC_WORDS;
        c.desc[d + D_OFFSET] = off; c.desc[d + D_CAPLEN] = p.length; c.desc[d + D_WIRELEN] = p.length; c.desc[d + D_LINKTYPE] = link;
      }
      c.process(2);
      expect(c.desc[DESC_WORDS + D_REASON]).toBe(REASON_L4_TRUNCATED);
      expect(c.desc[DESC_WORDS + D_L3_OFF], `fastPath ${fastPath}`).toBe(16);
      expect(c.desc[DESC_WORDS + D_L4_OFF]).toBe(NO_OFFSET);
    }
  });
});

describe('a manifest with a YAML syntax error followed by deep nesting', () => {
  it('is refused at its first error, without composing every token after it', () => {
    // A JSON line, then YAML the JSON reader refuses: the file is read again as YAML, where
    // the first document ends after line 1 and each of the 80,000 tokens after it was an error.
    const text = `{"kind":"Service"}\ndeep: ${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}\n`;
    const next = vi.spyOn(Composer.prototype, 'next');
    try {
      expect(() => parseObjectsText(text, 'deep.yaml')).toThrow(ManifestError);
      expect(() => parseObjectsText(text, 'deep.yaml')).toThrow(/^deep\.yaml:2:1: syntax error: /);
      expect(next.mock.calls.length).toBeLessThan(100);
    } finally {
      next.mockRestore();
    }
  });
});
