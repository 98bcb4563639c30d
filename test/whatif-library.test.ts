// whatif from the package's Node entry, as the README shows it: the same document as
// `svcplane whatif --json` for the same inputs.

import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { whatif, withReplicas, loadClusterObjects } from '../src/node.js';
import { REPO, ensureBuilt, runCli } from './helpers/cli.js';

const CAPTURE = path.join(REPO, 'pcaps', 'demo.pcapng');
const CLUSTER = path.join(REPO, 'pcaps', 'demo-cluster.yaml');

describe('whatif in the library', () => {
  beforeAll(() => ensureBuilt());

  it('gives the command\'s --json document', async () => {
    const current = loadClusterObjects([CLUSTER]).objects;
    const { objects: next, effects } = withReplicas(current, [{ service: 'default/web', replicas: 5 }]);
    const r = await whatif({ capture: CAPTURE, current, next, lb: 'maglev', nextLb: 'random', replicas: effects, nodeName: 'node-a' });
    const cli = runCli(['whatif', CAPTURE, '-c', CLUSTER, '--node', 'node-a', '--next-replicas', 'web=5', '--next-lb', 'random', '--json']);
    expect(cli.status, cli.stderr).toBe(0);
    expect(JSON.parse(JSON.stringify(r))).toEqual(JSON.parse(cli.stdout));
    expect(r.services.find((s) => s.service === 'default/web:http')!.backends.filter((b) => !b.inCurrent && b.next.connections > 0)).toHaveLength(2);
  });
});
