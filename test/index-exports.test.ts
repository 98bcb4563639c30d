// What an embedder gets from the package's entry point, used as an embedder would use it: a
// Dataplane built from the demo cluster, packets through it, counters read back, a watch event,
// the capture reader and writer around the zero-copy batch call, replay, and every error class
// from the input that causes it.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  replay, replayAsync, formatSummary, Dataplane, openCaptureReader, openCaptureWriter, CaptureBatch, linkTypeName,
  loadClusterObjects, parseObjectsText, parseEventsText, VERDICT_NAMES, REASON_NAMES, reasonName, abi,
  CaptureFormatError, ManifestError, CapacityError, CoreError, TableError, LiveClusterError, loadFromKubeconfig,
} from '../src/node.js';
import { REPO, tempDir } from './helpers/cli.js';
import { buildPacket } from './helpers/packets.js';
import { concat, pcapHeader, pcapRecord } from './helpers/capture-builders.js';

const CLUSTER = path.join(REPO, 'pcaps', 'demo-cluster.yaml');
const NODE = { nodeName: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'], serviceCIDRs: ['10.96.0.0/16'] };
const syn = (dst: string, dport: number, sport: number) =>
  buildPacket({ proto: 'TCP', src: '10.244.1.20', dst, sport, dport, flags: 0x02 });
// web (10.96.0.10:80) has endpoints, empty (10.96.0.99:80) has none, 10.96.0.200 is held by no Service.
const WEB = syn('10.96.0.10', 80, 40000);
const EMPTY = syn('10.96.0.99', 80, 40001);
const UNALLOCATED = syn('10.96.0.200', 80, 40002);
const dir = tempDir('svcplane-index-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function capture(name: string, ...frames: Uint8Array[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, concat(pcapHeader(), ...frames.map((data, i) => pcapRecord({ sec: 100 + i, frac: 0, data }))));
  return file;
}

describe('the package entry point', () => {
  it('a Dataplane from the demo cluster: verdicts, names and counters', () => {
    const loaded = loadClusterObjects([CLUSTER]);
    expect(loaded.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const dp = new Dataplane({ ...NODE, objects: loaded.objects });
    const [web, empty, unallocated] = dp.process([{ data: WEB, time: 1 }, { data: EMPTY, time: 1 }, { data: UNALLOCATED, time: 1 }]);
    expect(web!.verdict).toBe('translated');
    expect(web!.service).toBe('default/web:http');
    expect(web!.backend).toMatch(/^10\.244\.\d+\.\d+:8080$/);
    expect(empty!.verdict).toBe('rejected');
    expect(empty!.reject).toBeInstanceOf(Uint8Array);
    expect(unallocated!).toMatchObject({ verdict: 'dropped', reason: 'SERVICE_IP_UNALLOCATED' });
    // Names: the same lists, from the module and from the class, numbered as the core counts.
    expect(Dataplane.verdictNames).toBe(VERDICT_NAMES);
    expect(Dataplane.reasonNames).toBe(REASON_NAMES);
    expect(VERDICT_NAMES[abi.VERDICT_DROP]).toBe('dropped');
    expect(reasonName(REASON_NAMES.indexOf(empty!.reason!))).toBe(empty!.reason);

    const c = dp.counters();
    expect(c.packets).toEqual({ in: 3, translated: 1, reversed: 0, passed: 0, dropped: 1, rejected: 1 });
    expect(c.drops).toEqual({ SERVICE_IP_UNALLOCATED: 1, [empty!.reason!]: 1 });
    const webReport = c.services.find((s) => s.service === 'default/web:http')!;
    expect(webReport).toMatchObject({ packets: 1, connections: 1 });
    expect(webReport.backends.find((b) => b.backend === web!.backend)).toMatchObject({ packets: 1, connections: 1 });
    expect(c.conntrack.entries).toBe(1);
  });

  it('watch events and --updates lines: parsed, applied, refused', () => {
    const { objects } = parseObjectsText(fs.readFileSync(CLUSTER), CLUSTER);
    const dp = new Dataplane({ ...NODE, objects });
    const web = objects.services.get('default/web')!;
    const { events, problems } = parseEventsText(JSON.stringify({ at: 1, type: 'DELETED', object: web }) + '\n', 'updates.jsonl');
    expect(problems).toEqual([]);
    dp.event(events[0]!);
    // The ClusterIP is no longer allocated: inside the Service CIDR, it is dropped.
    expect(dp.process([{ data: WEB, time: 2 }])[0]).toMatchObject({ verdict: 'dropped', reason: 'SERVICE_IP_UNALLOCATED' });
    const bad = { type: 'ADDED', object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { ports: 'none' } } };
    expect(() => dp.event(bad as never)).toThrow(ManifestError);
    expect(dp.update(bad as never).problems.length).toBeGreaterThan(0);
  });

  it('the capture reader and writer around the zero-copy batch call', () => {
    const input = capture('three.pcap', WEB, EMPTY, UNALLOCATED);
    const output = path.join(dir, 'out.pcap');
    const dp = new Dataplane({ ...NODE, objects: loadClusterObjects([CLUSTER]).objects });
    const reader = openCaptureReader(input);
    const writer = openCaptureWriter(output, reader);
    const batch = new CaptureBatch(dp.core.input, dp.core.desc);
    const verdicts: string[] = [];
    for (let n; (n = reader.readBatch(batch)) > 0;) {
      dp.run(n);
      for (let i = 0; i < n; i++) {
        const d = i * abi.DESC_WORDS;
        const r = dp.result(i, dp.core.desc[d + abi.D_CAPLEN]);
        verdicts.push(r.verdict);
        if (r.data) writer.writePacket(batch, i, dp.core.input, dp.core.desc[d + abi.D_OFFSET], r.data.length);
      }
    }
    writer.close();
    expect(linkTypeName(reader.linkTypes()[0]!)).toBe('EN10MB');
    reader.close();
    expect(verdicts).toEqual(['translated', 'rejected', 'dropped']);
    const back = openCaptureReader(output);
    expect(back.readBatch(new CaptureBatch(new Uint8Array(1 << 16), new Uint32Array(64 * abi.DESC_WORDS)))).toBe(1);
    back.close();
  });

  it('replay and replayAsync give the Dataplane\'s answers', async () => {
    const input = capture('replay.pcap', WEB, EMPTY, UNALLOCATED);
    const opts = { capture: input, cluster: [CLUSTER], node: NODE.nodeName, ...NODE };
    const report = replay(opts);
    expect(report.packets).toMatchObject({ in: 3, translated: 1, rejected: 1, dropped: 1 });
    expect(formatSummary(report)).toContain('Actual: 3 packets');
    expect((await replayAsync(opts)).drops).toEqual(report.drops);
  });

  it('errors, each from the input that causes it', async () => {
    const notCapture = path.join(dir, 'not.pcap');
    fs.writeFileSync(notCapture, 'this is not a capture file at all');
    expect(() => replay({ capture: notCapture })).toThrow(CaptureFormatError);
    expect(() => parseObjectsText('kind: [', 'bad.yaml', { strict: true })).toThrow(ManifestError);
    const { objects } = parseObjectsText(fs.readFileSync(CLUSTER), CLUSTER);
    const tooSmall = () => new Dataplane({ objects, maxServicePorts: 1 });
    expect(tooSmall).toThrow(CapacityError);
    expect(tooSmall).toThrow(CoreError);
    expect(() => new Dataplane({ nodeIPs: ['not-an-address'] })).toThrow(TableError);
    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config',
      'clusters:', '- name: c', '  cluster:', '    server: http://127.0.0.1:1',
      'users:', '- name: u', '  user: {}',
      'contexts:', '- name: x', '  context:', '    cluster: c', '    user: u',
      'current-context: x', '',
    ].join('\n'));
    const err = await loadFromKubeconfig(kubeconfig, undefined, { requestTimeoutMs: 2000, connectTimeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LiveClusterError);
  });
});
