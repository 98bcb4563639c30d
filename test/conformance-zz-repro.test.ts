import { it } from 'vitest';
import { Harness } from './helpers/harness.js';
import { readFileSync } from 'node:fs';
it('repro', () => {
  const yaml = readFileSync('test/fixtures/conformance/TestClusterIPGeneral.yaml', 'utf8');
  const h0 = Harness.fromManifests(yaml, { nodeName: 'test-node', nodeIPs: ['192.168.0.2'] });
  console.log('first ok', h0.core.scratch.byteLength);
  const h = Harness.fromManifests(yaml, { nodeName: 'test-node', nodeIPs: ['192.168.0.2'] });
  console.log('second ok');
});
