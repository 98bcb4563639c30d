// An --updates file for the demo: default/web's slice web-2xk7p loses 10.244.2.6 three seconds
// into the capture, and gains 10.244.1.50 three seconds later.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { REPO } from './cli.js';

export const DEMO_UPDATE_TIMES = [3, 6];

export function demoUpdates(): string {
  const list = parseDocument(readFileSync(path.join(REPO, 'pcaps', 'demo-cluster.yaml'), 'utf8')).toJS() as { items: Record<string, any>[] };
  const slice = list.items.find((o) => o.kind === 'EndpointSlice' && o.metadata.name === 'web-2xk7p')!;
  const s1 = structuredClone(slice);
  s1.endpoints = s1.endpoints.filter((e: any) => e.addresses[0] !== '10.244.2.6');
  const s2 = structuredClone(s1);
  s2.endpoints.push({ ...structuredClone(s1.endpoints[0]), addresses: ['10.244.1.50'], nodeName: 'node-a' });
  return [
    JSON.stringify({ at: DEMO_UPDATE_TIMES[0], type: 'MODIFIED', object: s1 }),
    JSON.stringify({ at: DEMO_UPDATE_TIMES[1], type: 'MODIFIED', object: s2 }),
  ].join('\n') + '\n';
}
