// Maglev tables are built when an update is committed, so the packet path only reads them:
// after a load or an update, the tables a packet can read are all built (cpBuildTables, which
// builds whatever is not, finds none of them left), and packets then build nothing.

import { describe, it, expect } from 'vitest';
import { Harness, backend, servicePort } from './helpers/harness.js';
import { buildPacket } from './helpers/packets.js';
import type { ClusterState } from '../src/k8s/model.js';

const local = (ip: string) => backend(ip, 8080, { isLocal: true });
const remote = (ip: string) => backend(ip, 8080);

/** Four service ports, each with a local and a remote backend; the host stages a local set where a Local policy reads it. */
function state(webBackends = [local('10.244.0.5'), remote('10.244.1.5')]): ClusterState {
  return {
    allocatedClusterIPs: [],
    servicePorts: [
      // Cluster policy: only the cluster set is read.
      servicePort({ key: 'default/web:http', clusterIP: '10.96.0.10', port: 80, clusterSet: webBackends }),
      // internalTrafficPolicy Local: ClusterIP traffic reads the local set.
      servicePort({ key: 'default/int:http', clusterIP: '10.96.0.11', port: 80, internalLocal: true,
        clusterSet: [local('10.244.0.6'), remote('10.244.1.6')] }),
      // externalTrafficPolicy Local: both sets are read (pods and nodes keep the cluster set).
      servicePort({ key: 'default/ext:http', clusterIP: '10.96.0.12', port: 80, externalLocal: true, externalIPs: ['203.0.113.7'],
        clusterSet: [local('10.244.0.7'), remote('10.244.1.7')] }),
      servicePort({ key: 'default/v6:http', family: 6, clusterIP: 'fd00::10', port: 80,
        clusterSet: [backend('fd00:244::5', 8080, { isLocal: true }), backend('fd00:244:1::5', 8080)] }),
    ],
  };
}

describe('Maglev tables are built at commit', () => {
  it('after a load, no table is left to build', () => {
    const h = new Harness(state());
    expect(h.core.exports.cpBuildTables()).toBe(0);
  });

  it('after an update, the changed sets\' tables are built before the generation is published', () => {
    const h = new Harness(state());
    h.dp.apply(state([local('10.244.0.5'), remote('10.244.1.5'), remote('10.244.2.5')]));
    expect(h.core.exports.cpBuildTables()).toBe(0);
    h.dp.apply(state([remote('10.244.3.5')]));
    expect(h.core.exports.cpBuildTables()).toBe(0);
  });

  it('packets build no table: the table bytes a SYN reads are the same before and after it', () => {
    const h = new Harness(state());
    h.core.exports.cpBuildTables();
    const syn = (dst: string, sport: number) => buildPacket({ proto: 'TCP', src: '10.0.0.1', dst, sport, dport: 80, flags: 0x02 });
    const out = h.run([syn('10.96.0.10', 1000), syn('10.96.0.11', 1001), syn('10.96.0.12', 1002)].map((bytes, t) => ({ bytes, t })));
    expect(out.map((o) => o.verdict)).toEqual(['translated', 'translated', 'translated']);
    expect(h.core.exports.cpBuildTables()).toBe(0);
  });

  it('random choice reads no table, so the commit builds none', () => {
    const h = new Harness(state(), { lb: 'random' });
    // Every staged set is left: 4 cluster sets and the local sets of the two Local policies.
    expect(h.core.exports.cpBuildTables()).toBe(6);
  });
});
