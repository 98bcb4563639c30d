// Loading cluster objects: every input form, watch semantics, and the
// validation messages (file:line, JSON path, object, what is wrong).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  formatProblem,
  ManifestError,
  parseEventsText,
  parseObjectsText,
  withEvents,
} from '../src/k8s/load.js';
import { loadClusterObjects } from '../src/k8s/load-files.js';
import { messages, thrown } from './helpers/manifests.js';
import { countObjects, emptyClusterObjects, type ClusterObjects } from '../src/k8s/objects.js';
import { computeClusterState } from '../src/k8s/rules.js';
import { endpointSlice, service } from './fixtures/k8s/builders.js';

const dir = fileURLToPath(new URL('./fixtures/k8s/', import.meta.url));
const fx = (name: string) => join(dir, name);

function endpointIPs(objects: ClusterObjects, key: string): string[] {
  const s = objects.endpointSlices.get(key);
  return s ? s.endpoints.map((e) => e.addresses[0]) : [];
}


describe('input forms', () => {
  it('reads multi-document YAML (kubectl get -o yaml, split into documents)', () => {
    const r = loadClusterObjects([fx('cluster.yaml')]);
    expect(r.problems).toEqual([]);
    expect(countObjects(r.objects)).toEqual({ Service: 6, EndpointSlice: 5, Endpoints: 0, Node: 2, ServiceCIDR: 1 });
    expect(r.objects.sources.get('Service default/web')).toEqual({ file: fx('cluster.yaml'), line: 66 });
    expect(r.objects.nodes.get('node-a')?.metadata.labels?.['topology.kubernetes.io/zone']).toBe('zone-a');
  });

  it('reads a YAML List (kubectl get a,b -o yaml) with legacy Endpoints', () => {
    const r = loadClusterObjects([fx('endpoints-legacy.yaml')]);
    expect(r.problems).toEqual([]);
    expect(countObjects(r.objects)).toMatchObject({ Service: 1, Endpoints: 1 });
    expect(r.objects.sources.get('Endpoints default/legacy')).toEqual({ file: fx('endpoints-legacy.yaml'), line: 39, path: 'items[1]' });
  });

  it('reads a JSON List as kubectl prints it', () => {
    const r = loadClusterObjects([fx('list.json')]);
    expect(r.problems).toEqual([]);
    expect([...r.objects.services.keys()]).toEqual(['shop/cart', 'shop/checkout']);
    expect(endpointIPs(r.objects, 'shop/cart-kx7vb')).toEqual(['10.244.1.40', '10.244.2.41']);
  });

  it('reads a typed list as the API serves it (ServiceList items without kind)', () => {
    const r = loadClusterObjects([fx('servicelist.json')]);
    expect(r.problems).toEqual([]);
    expect([...r.objects.services.keys()]).toEqual(['shop/cart', 'shop/checkout']);
    expect(r.objects.services.get('shop/cart')?.apiVersion).toBe('v1');
  });

  it('applies a watch-event stream (NDJSON) in order: MODIFIED replaces, DELETED removes, BOOKMARK and other kinds skipped', () => {
    const r = loadClusterObjects([fx('watch-events.json')]);
    expect(r.problems).toEqual([]);
    expect([...r.objects.services.keys()]).toEqual(['shop/cart']);
    expect(endpointIPs(r.objects, 'shop/cart-kx7vb')).toEqual(['10.244.1.40', '10.244.2.41']);
    expect(r.objects.endpointSlices.get('shop/cart-kx7vb')?.metadata.resourceVersion).toBe('9021');
    expect(r.ignoredKinds).toEqual({ Pod: 1 });
    expect(r.objects.sources.get('EndpointSlice shop/cart-kx7vb')).toEqual({ file: fx('watch-events.json'), line: 4, path: 'object' });
  });

  it('applies the concatenated pretty-printed objects of kubectl get -w -o json', () => {
    const r = loadClusterObjects([fx('watch-plain.json')]);
    expect(r.problems).toEqual([]);
    expect(endpointIPs(r.objects, 'shop/cart-kx7vb')).toEqual(['10.244.1.40', '10.244.2.41', '10.244.2.42']);
  });

  it('reads a directory: *.yaml, *.yml and *.json files in name order, nothing else', () => {
    const r = loadClusterObjects([fx('dir')]);
    expect(r.files.map((f) => f.slice(dir.length))).toEqual([
      'dir/00-nodes.yaml',
      'dir/10-cart.yml',
      'dir/20-cart-slice.json',
      'dir/30-cart-slice-update.json',
    ]);
    expect(r.problems).toEqual([]);
    expect(endpointIPs(r.objects, 'shop/cart-kx7vb')).toEqual(['10.244.2.41']);
    const state = computeClusterState(r.objects, { nodeName: 'node-b' });
    expect(state.servicePorts.map((sp) => [sp.key, sp.localSet.map((b) => `${b.ip}:${b.port}`)])).toEqual([
      ['shop/cart:http', ['10.244.2.41:8080']],
    ]);
  });

  it('applies several paths in the order given (a later version wins)', () => {
    const r = loadClusterObjects([fx('list.json'), fx('watch-plain.json')]);
    expect(endpointIPs(r.objects, 'shop/cart-kx7vb')).toHaveLength(3);
    const back = loadClusterObjects([fx('watch-plain.json'), fx('list.json')]);
    expect(endpointIPs(back.objects, 'shop/cart-kx7vb')).toHaveLength(2);
  });

  it('reads JSON from a file without a telling extension, and YAML flow style in a .yaml file', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'svcplane-k8s-'));
    writeFileSync(join(tmp, 'events.ndjson'), readFileSync(fx('watch-events.json')));
    writeFileSync(join(tmp, 'flow.yaml'), '{apiVersion: v1, kind: Service, metadata: {name: f, namespace: x}, spec: {clusterIP: 10.96.9.9, ports: [{port: 80}]}}\n');
    const r = loadClusterObjects([join(tmp, 'events.ndjson'), join(tmp, 'flow.yaml')]);
    expect(r.problems).toEqual([]);
    expect([...r.objects.services.keys()]).toEqual(['shop/cart', 'x/f']);
    expect(r.objects.services.get('x/f')?.spec.ports).toEqual([{ port: 80, protocol: 'TCP' }]);
  });

  it('fills in API defaults: namespace "default", type ClusterIP, protocol TCP', () => {
    const yaml = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: bare\nspec:\n  clusterIP: 10.96.0.5\n  ports:\n  - port: 80\n';
    const svc = parseObjectsText(yaml, 'bare.yaml', { strict: true }).objects.services.get('default/bare');
    expect(svc?.spec).toEqual({ type: 'ClusterIP', clusterIP: '10.96.0.5', ports: [{ port: 80, protocol: 'TCP' }] });
  });

  it('reads an empty file and comment-only documents as nothing', () => {
    expect(countObjects(parseObjectsText('', 'empty.yaml').objects)).toMatchObject({ Service: 0 });
    expect(parseObjectsText('# nothing\n---\n---\n', 'c.yaml').problems).toEqual([]);
    expect(parseObjectsText('\n', 'e.json').problems).toEqual([]);
  });
});

const BAD_YAML = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  clusterIP: 10.96.0.10
  ports:
  - name: http
    port: 70000
    protocol: TCP
  - name: dns
    port: 53
    protocol: ICMP
  loadBalancerSourceRanges:
  - 10.0.0.0/33
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc
  namespace: default
addressType: IPv4
endpoints:
- addresses:
  - 10.0.0.300
ports:
- name: http
  port: 8080
  protocol: TCP
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-def
  namespace: default
  labels:
    kubernetes.io/service-name: web
addressType: IPv5
endpoints: []
---
apiVersion: v1
kind: Service
metadata:
  name: ok
  namespace: default
spec:
  clusterIP: 10.96.0.11
  ports:
  - name: http
    port: 80
`;

describe('validation messages', () => {
  it('names file:line:column, the object, the field path and what is wrong (YAML)', () => {
    const r = parseObjectsText(BAD_YAML, 'bad.yaml');
    expect(messages(r.problems)).toEqual([
      'bad.yaml:10:5: Service default/web: spec.ports[0].port: port 70000 is out of range (1-65535)',
      'bad.yaml:14:5: Service default/web: spec.ports[1].protocol: unknown protocol "ICMP" (expected TCP, UDP or SCTP)',
      'bad.yaml:16:5: Service default/web: spec.loadBalancerSourceRanges[0]: "10.0.0.0/33" is not a valid CIDR in loadBalancerSourceRanges (expected address/prefix, e.g. 203.0.113.0/24)',
      'bad.yaml:20:1: EndpointSlice default/web-abc: metadata.labels: missing label kubernetes.io/service-name (kube-proxy cannot tell which Service this slice belongs to)',
      'bad.yaml:26:5: EndpointSlice default/web-abc: endpoints[0].addresses[0]: "10.0.0.300" is not a valid IP address',
      'bad.yaml:39:1: EndpointSlice default/web-def: addressType: unknown addressType "IPv5" (expected IPv4, IPv6 or FQDN)',
    ]);
    // Bad objects are skipped, good ones kept.
    expect([...r.objects.services.keys()]).toEqual(['default/ok']);
    expect(r.objects.endpointSlices.size).toBe(0);
  });

  it('gives the JSON path inside a List, with the line', () => {
    const text = JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'List',
        items: [
          service('web', { namespace: 'shop', clusterIP: '10.96.7.7' }),
          endpointSlice('web-1', 'web', { namespace: 'shop', endpoints: [{ ip: '10.244.1.1' }] }),
          endpointSlice('web-2', 'web', { namespace: 'shop', endpoints: [{ ip: '10.244.1.2' }] }),
          endpointSlice('web-3', 'web', { namespace: 'shop', endpoints: [{ ip: '10.244.1.3' }, { ip: 'fd00::4' }] }),
        ],
      },
      null,
      4,
    );
    const r = parseObjectsText(text, 'list.json');
    expect(r.problems).toHaveLength(1);
    const p = r.problems[0];
    expect(p.path).toBe('items[3].endpoints[1].addresses[0]');
    expect(p.object).toBe('EndpointSlice shop/web-3');
    expect(p.message).toBe('"fd00::4" is an IPv6 address, expected IPv4');
    const line = text.split('\n').findIndex((l) => l.includes('"fd00::4"')) + 1;
    expect(formatProblem(p)).toBe(`list.json:${line}:25: EndpointSlice shop/web-3: items[3].endpoints[1].addresses[0]: "fd00::4" is an IPv6 address, expected IPv4`);
  });

  it('reports bad values in watch events with the object. prefix and the line of the event', () => {
    const events = [
      JSON.stringify({ type: 'ADDED', object: service('a', { clusterIP: '10.96.0.1' }) }),
      JSON.stringify({ type: 'ADDED', object: service('b', { clusterIP: '10.96.0.2', ports: [{ name: 'x', port: -1, targetPort: 8080 }] }) }),
    ].join('\n');
    const r = parseObjectsText(events, 'events.json');
    expect(messages(r.problems)).toEqual([
      expect.stringMatching(/^events\.json:2:\d+: Service default\/b: object\.spec\.ports\[0\]\.port: port -1 is out of range \(1-65535\)$/),
    ]);
    expect([...r.objects.services.keys()]).toEqual(['default/a']);
  });

  it('quotes label keys with dots in paths and rejects an unsupported apiVersion', () => {
    const slice = endpointSlice('old', 'web', { endpoints: [{ ip: '10.244.1.1' }] });
    const r = parseObjectsText(JSON.stringify({ ...slice, apiVersion: 'discovery.k8s.io/v1beta1' }), 'old.json');
    expect(r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'apiVersion: apiVersion "discovery.k8s.io/v1beta1" is not supported for EndpointSlice (expected discovery.k8s.io/v1)',
    ]);
    const labels = { ...service('l'), metadata: { name: 'l', labels: { 'app.kubernetes.io/name': 5 } } };
    expect(parseObjectsText(JSON.stringify(labels), 'l.json').problems[0].path).toBe('metadata.labels["app.kubernetes.io/name"]');
  });

  it('reports a watch ERROR event', () => {
    const text = JSON.stringify({
      type: 'ERROR',
      object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'too old resource version: 100 (9000)', reason: 'Expired', code: 410 },
    });
    expect(messages(parseObjectsText(text, 'w.json').problems)).toEqual([
      'w.json:1:1: the watch stream reported an error: too old resource version: 100 (9000) (events after this point may be missing)',
    ]);
  });

  it('strict: throws one ManifestError carrying every problem', () => {
    const e = thrown(() => parseObjectsText(BAD_YAML, 'bad.yaml', { strict: true }));
    expect(e.problems).toHaveLength(6);
    expect(e.code).toBe('EMANIFEST');
    expect(e.message.split('\n')[0]).toBe('6 problems in cluster objects:');
    expect(e.message).toContain('  bad.yaml:10:5: Service default/web: spec.ports[0].port: port 70000 is out of range (1-65535)');
  });

  it('strict: warnings do not fail the load', () => {
    const text = JSON.stringify(endpointSlice('w', 'web', { endpoints: [{ ip: '10.244.1.1' }], ports: [{ port: 80 }] }));
    const r = parseObjectsText(text, 'w.json', { strict: true });
    expect(r.problems.map((p) => p.severity)).toEqual(['warning']);
    expect(r.objects.endpointSlices.size).toBe(1);
  });

  it('a YAML syntax error always fails, naming file, line and column', () => {
    const text = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n   namespace: default\n';
    const e = thrown(() => parseObjectsText(text, 'broken.yaml'));
    expect(e.problems).toHaveLength(1);
    expect(e.message).toMatch(/^broken\.yaml:4:\d+: syntax error: /);
  });

  it('a JSON syntax error always fails, naming file, line and column', () => {
    const text = '{\n    "apiVersion": "v1",\n    "kind": "Service"\n    "metadata": {}\n}\n';
    const e = thrown(() => parseObjectsText(text, 'broken.json'));
    expect(e.message).toBe("broken.json:4:5: syntax error: expected ',' or '}' after a property value, found '\"'");
    const trunc = thrown(() => parseObjectsText('{"type":"ADDED","object":{"kind":"Service"', 'cut.json'));
    expect(trunc.message).toBe("cut.json:1:43: syntax error: expected ',' or '}' after a property value, found end of input");
  });

  it('an unreadable path fails the load', () => {
    const e = thrown(() => loadClusterObjects([fx('no-such-file.yaml')]));
    expect(e.message).toBe(`${fx('no-such-file.yaml')}: cannot read: ENOENT`);
  });

  it('reports values that are not objects, and unknown watch event types', () => {
    const r = parseObjectsText('[1, 2]\n{"type": "UPSERT", "object": {}}\n', 'odd.json');
    expect(messages(r.problems)).toEqual([
      'odd.json:1:1: expected a Kubernetes object, a List or a watch event, not a list',
      'odd.json:2:2: type: unknown watch event type "UPSERT" (expected ADDED, MODIFIED, DELETED, BOOKMARK or ERROR)',
    ]);
  });
});

describe('applyEvent (used for --updates during a replay)', () => {
  const base = () => loadClusterObjects([fx('list.json')]).objects;

  it('adds, replaces and deletes by kind + namespace + name', () => {
    const objects = base();
    const slice = endpointSlice('cart-kx7vb', 'cart', { namespace: 'shop', endpoints: [{ ip: '10.244.3.3' }] });
    expect(applyEvent(objects, { type: 'MODIFIED', object: slice })).toEqual({ changed: true, problems: [] });
    expect(endpointIPs(objects, 'shop/cart-kx7vb')).toEqual(['10.244.3.3']);
    // DELETED needs only the identity: a stale or partial body is fine.
    const del = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'checkout', namespace: 'shop' } };
    expect(applyEvent(objects, { type: 'DELETED', object: del }).changed).toBe(true);
    expect(applyEvent(objects, { type: 'DELETED', object: del }).changed).toBe(false);
    expect([...objects.services.keys()]).toEqual(['shop/cart']);
    expect(applyEvent(objects, { type: 'BOOKMARK', object: { kind: 'Service', metadata: { resourceVersion: '1' } } }).changed).toBe(false);
  });

  it('leaves the objects untouched when the event is bad (or throws with strict)', () => {
    const objects = base();
    const before = JSON.stringify([...objects.endpointSlices.entries()]);
    const bad = endpointSlice('cart-kx7vb', 'cart', { namespace: 'shop', endpoints: [{ ip: '10.244.300.3' }] });
    const r = applyEvent(objects, { type: 'MODIFIED', object: bad }, { file: 'updates.jsonl' });
    expect(r.changed).toBe(false);
    expect(messages(r.problems)).toEqual([
      'updates.jsonl: EndpointSlice shop/cart-kx7vb: object.endpoints[0].addresses[0]: "10.244.300.3" is not a valid IP address',
    ]);
    expect(JSON.stringify([...objects.endpointSlices.entries()])).toBe(before);
    expect(() => applyEvent(objects, { type: 'MODIFIED', object: bad }, { strict: true })).toThrow(ManifestError);
    expect(JSON.stringify([...objects.endpointSlices.entries()])).toBe(before);
  });

  it('parseEventsText reads an --updates file (with "at") without applying it; withEvents copies', () => {
    const lines = [
      JSON.stringify({ at: 0.5, type: 'MODIFIED', object: endpointSlice('cart-kx7vb', 'cart', { namespace: 'shop', endpoints: [{ ip: '10.244.3.3' }] }) }),
      JSON.stringify({ at: 1.5, type: 'DELETED', object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'cart', namespace: 'shop' } } }),
    ].join('\n');
    const { events, problems } = parseEventsText(lines, 'updates.jsonl', { strict: true });
    expect(problems).toEqual([]);
    expect(events.map((e) => [e.at, e.type, e.object.kind, e.source.line])).toEqual([
      [0.5, 'MODIFIED', 'EndpointSlice', 1],
      [1.5, 'DELETED', 'Service', 2],
    ]);
    const objects = base();
    const after = withEvents(objects, events);
    expect(after.problems).toEqual([]);
    expect([...after.objects.services.keys()]).toEqual(['shop/checkout']);
    expect([...objects.services.keys()]).toEqual(['shop/cart', 'shop/checkout']);
    expect(endpointIPs(objects, 'shop/cart-kx7vb')).toEqual(['10.244.1.40', '10.244.2.41']);
  });

  it('rejects a negative "at"', () => {
    const line = JSON.stringify({ at: -1, type: 'ADDED', object: service('x') });
    expect(() => parseEventsText(line, 'u.jsonl', { strict: true })).toThrow(/u\.jsonl:1:\d+: Service default\/x: at: "at" must be a number of seconds >= 0, not -1/);
  });

  it('starts from an empty set', () => {
    const objects = emptyClusterObjects();
    applyEvent(objects, { type: 'ADDED', object: service('x') });
    expect(countObjects(objects).Service).toBe(1);
  });
});
