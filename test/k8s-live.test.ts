// loadFromKubeconfig against a fake API server on 127.0.0.1 that answers the
// list paths kube-proxy's objects come from, with fixture JSON.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFromKubeconfig, LiveClusterError } from '../src/k8s/live.js';
import { formatProblem, ManifestError } from '../src/k8s/load.js';
import { computeClusterState } from '../src/k8s/rules.js';
import { runCliAsync, ensureBuilt } from './helpers/cli.js';

const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/k8s/list.json', import.meta.url)), 'utf8')) as {
  items: { kind: string; apiVersion: string }[];
};

/** What the API server sends: a typed list whose items carry no kind/apiVersion. */
function typedList(kind: string, apiVersion: string, items: unknown[], cont?: string) {
  const bare = items.map((i) => {
    const { kind: _k, apiVersion: _a, ...rest } = i as Record<string, unknown>;
    return rest;
  });
  return { kind, apiVersion, metadata: { resourceVersion: '9100', ...(cont ? { continue: cont } : {}) }, items: bare };
}

const NODE = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name: 'node-a',
    uid: '0b6f1f6e-1b1a-4c55-9d0e-6f1c2a9e0c01',
    resourceVersion: '5012',
    creationTimestamp: '2025-03-01T10:00:00Z',
    labels: { 'kubernetes.io/hostname': 'node-a', 'topology.kubernetes.io/zone': 'zone-a' },
  },
  spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] },
  status: { addresses: [{ type: 'InternalIP', address: '192.168.49.2' }, { type: 'Hostname', address: 'node-a' }] },
};

interface Fake {
  server: Server;
  url: string;
  requests: string[];
  serviceCIDRs: 'ok' | 'missing';
  badSliceIP: boolean;
}

function startFake(): Promise<Fake> {
  const fake: Fake = { server: undefined as unknown as Server, url: '', requests: [], serviceCIDRs: 'ok', badSliceIP: false };
  const services = fixture.items.filter((i) => i.kind === 'Service');
  const slices = fixture.items.filter((i) => i.kind === 'EndpointSlice');
  fake.server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    fake.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== 'Bearer test-token') {
      send(401, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
      return;
    }
    const cont = url.searchParams.get('continue');
    switch (url.pathname) {
      case '/api/v1/services':
        // Two pages: one Service each.
        if (!cont) send(200, typedList('ServiceList', 'v1', services.slice(0, 1), 'page-2'));
        else send(200, typedList('ServiceList', 'v1', services.slice(1)));
        return;
      case '/apis/discovery.k8s.io/v1/endpointslices': {
        let items: unknown[] = slices;
        if (fake.badSliceIP) {
          items = JSON.parse(JSON.stringify(slices));
          (items[1] as { endpoints: { addresses: string[] }[] }).endpoints[0].addresses[0] = '10.244.2.500';
        }
        send(200, typedList('EndpointSliceList', 'discovery.k8s.io/v1', items));
        return;
      }
      case '/api/v1/nodes':
        send(200, typedList('NodeList', 'v1', [NODE]));
        return;
      case '/apis/networking.k8s.io/v1/servicecidrs':
        if (fake.serviceCIDRs === 'missing') {
          send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 });
        } else {
          send(200, typedList('ServiceCIDRList', 'networking.k8s.io/v1', [
            { apiVersion: 'networking.k8s.io/v1', kind: 'ServiceCIDR', metadata: { name: 'kubernetes', uid: 'c1', resourceVersion: '200' }, spec: { cidrs: ['10.96.0.0/16'] } },
          ]));
        }
        return;
      default:
        send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'not found', reason: 'NotFound', code: 404 });
    }
  });
  return new Promise((resolve) => {
    fake.server.listen(0, '127.0.0.1', () => {
      fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
      resolve(fake);
    });
  });
}

function kubeconfig(server: string, token = 'test-token'): string {
  const dir = mkdtempSync(join(tmpdir(), 'svcplane-kubeconfig-'));
  const path = join(dir, 'config');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: ${server}`,
      // The client only speaks plain HTTP (our fake server) with this set.
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: reader',
      '  user:',
      `    token: ${token}`,
      'contexts:',
      '- name: fake-ctx',
      '  context:',
      '    cluster: fake',
      '    user: reader',
      '- name: other',
      '  context:',
      '    cluster: fake',
      '    user: reader',
      'current-context: other',
      '',
    ].join('\n'),
  );
  return path;
}

describe('loadFromKubeconfig (live cluster, read-only)', () => {
  let fake: Fake;
  beforeAll(async () => {
    fake = await startFake();
  });
  afterAll(() => new Promise<void>((resolve) => fake.server.close(() => resolve())));

  it('lists Services (paged), EndpointSlices, Nodes and ServiceCIDRs into the same objects as files', async () => {
    fake.requests.length = 0;
    const path = kubeconfig(fake.url);
    const r = await loadFromKubeconfig(path, 'fake-ctx', { pageSize: 1 });
    expect(r.problems).toEqual([]);
    expect([...r.objects.services.keys()]).toEqual(['shop/cart', 'shop/checkout']);
    expect([...r.objects.endpointSlices.keys()]).toEqual(['shop/cart-kx7vb', 'shop/checkout-9wq2r']);
    expect([...r.objects.nodes.keys()]).toEqual(['node-a']);
    expect(r.files).toEqual([`${path}#fake-ctx`]);
    expect(fake.requests.every((q) => q.startsWith('GET '))).toBe(true);
    const servicePages = fake.requests.filter((q) => q.startsWith('GET /api/v1/services?'));
    expect(servicePages.map((q) => new URLSearchParams(q.split('?')[1]).get('continue'))).toEqual([null, 'page-2']);
    const state = computeClusterState(r.objects, { nodeName: 'node-a' });
    expect(state.serviceCIDRs).toEqual(['10.96.0.0/16']);
    expect(state.servicePorts.map((sp) => [sp.key, sp.localSet.map((b) => b.ip)])).toEqual([
      ['shop/cart:http', ['10.244.1.40']],
      ['shop/checkout:http', []],
    ]);
  });

  it('treats a missing ServiceCIDR API as none', async () => {
    fake.serviceCIDRs = 'missing';
    try {
      const r = await loadFromKubeconfig(kubeconfig(fake.url), 'fake-ctx');
      expect(r.objects.serviceCIDRs.size).toBe(0);
      expect(r.objects.services.size).toBe(2);
    } finally {
      fake.serviceCIDRs = 'ok';
    }
  });

  it('validates what the API returns, naming the context and the item path', async () => {
    fake.badSliceIP = true;
    try {
      const path = kubeconfig(fake.url);
      const r = await loadFromKubeconfig(path, 'fake-ctx');
      expect(r.problems.map(formatProblem)).toEqual([
        `${path}#fake-ctx: EndpointSlice shop/checkout-9wq2r: items[1].endpoints[0].addresses[0]: "10.244.2.500" is not a valid IP address`,
      ]);
      await expect(loadFromKubeconfig(path, 'fake-ctx', { strict: true })).rejects.toBeInstanceOf(ManifestError);
    } finally {
      fake.badSliceIP = false;
    }
  });

  it('fails clearly on a refused request, an unknown context, or a missing kubeconfig', async () => {
    const err = await loadFromKubeconfig(kubeconfig(fake.url, 'wrong'), 'fake-ctx').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LiveClusterError);
    expect((err as LiveClusterError).status).toBe(401);
    expect((err as Error).message).toMatch(/^cannot list .* \(not authenticated\)/);
    await expect(loadFromKubeconfig(kubeconfig(fake.url), 'nope')).rejects.toThrow(/no context named "nope" \(contexts: fake-ctx, other\)/);
    await expect(loadFromKubeconfig('/nonexistent/kubeconfig')).rejects.toBeInstanceOf(ManifestError);
  });

  it('the command reads a live cluster with --kubeconfig and --context', async () => {
    ensureBuilt();
    fake.serviceCIDRs = 'ok';
    fake.badSliceIP = false;
    const r = await runCliAsync(['replay', 'pcaps/demo.pcapng', '--kubeconfig', kubeconfig(fake.url), '--context', 'fake-ctx',
      '--node', 'node-a', '--json', '-q']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { services: { service: string; backends: unknown[] }[] };
    expect(report.services.map((s) => s.service)).toEqual(['shop/cart:http', 'shop/checkout:http']);
    // A context the kubeconfig does not have: exit 2 with a message.
    const bad = await runCliAsync(['replay', 'pcaps/demo.pcapng', '--kubeconfig', kubeconfig(fake.url), '--context', 'nope', '-q']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/nope/);
  });
});
