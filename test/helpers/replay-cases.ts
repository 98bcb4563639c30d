// Inputs the replay tests share: the demo, its cluster and node options, the capture fixtures, and
// the report without what may differ between two runs of the same replay (timings, and fastPath,
// which depends on where batches end).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ReplayOptions } from '../../src/replay/replay.js';
import { REPO } from './cli.js';

export const DEMO = path.join(REPO, 'pcaps', 'demo.pcapng');
export const DEMO_CLUSTER = path.join(REPO, 'pcaps', 'demo-cluster.yaml');
export const FIXTURES = path.join(REPO, 'test', 'fixtures', 'captures');
export const NODE: Partial<ReplayOptions> = {
  cluster: [DEMO_CLUSTER], node: 'node-a', nodeIPs: ['192.168.49.2'], podCIDRs: ['10.244.0.0/16'], serviceCIDRs: ['10.96.0.0/16'],
};

export function normalise(report: any): unknown {
  if (!report) return report;
  const { seconds, packetsPerSecond, fastPath, ...rest } = report;
  void seconds; void packetsPerSecond; void fastPath;
  return rest;
}

/** The capture extension of a file name ('' when neither). */
export function ext(file: string): string {
  return file.endsWith('.pcapng') ? '.pcapng' : file.endsWith('.pcap') ? '.pcap' : '';
}

/** The demo's EndpointSlice of web, and a copy with its first endpoint only (for --updates files). */
export function demoWebSlices(): { slice: any; fewer: any } {
  const docs = parseAllDocuments(fs.readFileSync(DEMO_CLUSTER, 'utf8')).map((d) => d.toJS());
  const items = docs.flatMap((d: any) => (d?.kind === 'List' ? d.items : [d]));
  const slice = items.find((o: any) => o?.kind === 'EndpointSlice' && o.metadata?.labels?.['kubernetes.io/service-name'] === 'web');
  const fewer = slice === undefined ? undefined : structuredClone(slice);
  if (fewer) fewer.endpoints = fewer.endpoints.slice(0, 1);
  return { slice, fewer };
}

const DEMO_UPDATE_TIMES = [3, 6];

/**
 * An --updates file for the demo: web's slice web-2xk7p (demoWebSlices) loses 10.244.2.6 three
 * seconds into the capture, and gains 10.244.1.50 three seconds later.
 */
export function demoUpdates(): string {
  const { slice } = demoWebSlices();
  const s1 = structuredClone(slice);
  s1.endpoints = s1.endpoints.filter((e: any) => e.addresses[0] !== '10.244.2.6');
  const s2 = structuredClone(s1);
  s2.endpoints.push({ ...structuredClone(s1.endpoints[0]), addresses: ['10.244.1.50'], nodeName: 'node-a' });
  return [
    JSON.stringify({ at: DEMO_UPDATE_TIMES[0], type: 'MODIFIED', object: s1 }),
    JSON.stringify({ at: DEMO_UPDATE_TIMES[1], type: 'MODIFIED', object: s2 }),
  ].join('\n') + '\n';
}
