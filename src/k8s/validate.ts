// Validation of the objects svcplane reads. Each validator takes what the
// manifest said (already decoded from YAML/JSON), checks the fields the proxy
// uses, and returns a fresh, normalized copy carrying the API server's
// defaults — or the list of what is wrong, each with the field path, so the
// loader can point at file:line. Nothing passed in is modified.

import { canonicalCIDR, canonicalIP, formatIP, parseCIDR, parseIP } from './ip.js';
import {
  KNOWN_KINDS,
  LABEL_SERVICE_NAME,
  NAMESPACED_KINDS,
  objectId,
  type Endpoint,
  type EndpointAddress,
  type EndpointPort,
  type EndpointSlice,
  type Endpoints,
  type KubeKind,
  type KubeObject,
  type LoadBalancerIngress,
  type Node,
  type ObjectMeta,
  type Protocol,
  type Service,
  type ServiceCIDR,
  type ServicePortSpec,
} from './objects.js';
import { preview, pushAll, type PathSeg } from './text.js';

export interface Issue {
  /** Path of the field inside the object. */
  path: PathSeg[];
  message: string;
  /** Errors make the object unusable; warnings are reported and the object is kept. */
  severity: 'error' | 'warning';
}

export interface ValidationResult {
  /** The normalized object, or null when an error was found. */
  object: KubeObject | null;
  issues: Issue[];
  /** "Service default/web" (as far as the object says), for messages. */
  label: string;
}

/** apiVersions accepted per kind. */
const API_VERSIONS: Record<KubeKind, readonly string[]> = {
  Service: ['v1'],
  Endpoints: ['v1'],
  Node: ['v1'],
  EndpointSlice: ['discovery.k8s.io/v1'],
  ServiceCIDR: ['networking.k8s.io/v1', 'networking.k8s.io/v1beta1'],
};

const PROTOCOLS: readonly string[] = ['TCP', 'UDP', 'SCTP'];
const MAX_AFFINITY_SECONDS = 86400;

type Rec = Record<string, unknown>;

function isRecord(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as quoted in a message: JSON, cut short (a manifest may hold megabytes in one field). */
function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  return preview(v);
}

class Checker {
  readonly issues: Issue[] = [];

  error(path: PathSeg[], message: string): void {
    this.issues.push({ path, message, severity: 'error' });
  }

  warn(path: PathSeg[], message: string): void {
    this.issues.push({ path, message, severity: 'warning' });
  }

  get failed(): boolean {
    return this.issues.some((i) => i.severity === 'error');
  }

  /** Optional string field; wrong type is an error. */
  str(obj: Rec, key: string, path: PathSeg[]): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      this.error([...path, key], `must be a string, not ${show(v)}`);
      return undefined;
    }
    return v;
  }

  /** Optional boolean field (null counts as absent). */
  bool(obj: Rec, key: string, path: PathSeg[]): boolean | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      this.error([...path, key], `must be true or false, not ${show(v)}`);
      return undefined;
    }
    return v;
  }

  /** Optional enum field. */
  oneOf<T extends string>(obj: Rec, key: string, path: PathSeg[], allowed: readonly T[], what: string): T | undefined {
    const v = this.str(obj, key, path);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) {
      this.error([...path, key], `unknown ${what} ${show(v)} (expected ${listWords(allowed)})`);
      return undefined;
    }
    return v as T;
  }

  /** Optional integer field within [min, max]. */
  int(obj: Rec, key: string, path: PathSeg[], min: number, max: number, what: string): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.error([...path, key], `${what} must be a whole number, not ${show(v)}`);
      return undefined;
    }
    if (v < min || v > max) {
      this.error([...path, key], `${what} ${v} is out of range (${min}-${max})`);
      return undefined;
    }
    return v;
  }

  /** Optional array field; each element goes through `each`. Returns [] when absent. */
  list<T>(obj: Rec, key: string, path: PathSeg[], each: (v: unknown, p: PathSeg[]) => T | undefined): T[] {
    const v = obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.error([...path, key], `must be a list, not ${show(v)}`);
      return [];
    }
    const out: T[] = [];
    v.forEach((item, i) => {
      const r = each(item, [...path, key, i]);
      if (r !== undefined) out.push(r);
    });
    return out;
  }

  /** Optional map of strings (labels, selector). */
  stringMap(obj: Rec, key: string, path: PathSeg[]): Record<string, string> | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (!isRecord(v)) {
      this.error([...path, key], `must be a map of strings, not ${show(v)}`);
      return undefined;
    }
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== 'string') {
        this.error([...path, key, k], `must be a string, not ${show(val)} (quote it in YAML)`);
        continue;
      }
      out[k] = val;
    }
    return out;
  }

  /** An IP address string (any family unless `family` is given); returns it unchanged. */
  ip(v: unknown, path: PathSeg[], family?: 4 | 6): string | undefined {
    if (typeof v !== 'string') {
      this.error(path, `must be an IP address string, not ${show(v)}`);
      return undefined;
    }
    const ip = parseIP(v);
    if (!ip) {
      // Kubernetes' strict IP validation (IsValidIPForLegacyField with StrictIPCIDRValidation)
      // refuses IPv4 parts with leading zeros: libc reads them as octal, ParseIPSloppy as decimal.
      const sloppy = parseIP(v, { sloppy: true });
      this.error(path, sloppy
        ? `${show(v)} is not a valid IP address: must not have leading 0s (write ${show(formatIP(sloppy))})`
        : `${show(v)} is not a valid IP address`);
      return undefined;
    }
    if (family !== undefined && ip.family !== family) {
      this.error(path, `${show(v)} is an IPv${ip.family} address, expected IPv${family}`);
      return undefined;
    }
    return v;
  }

  protocol(obj: Rec, path: PathSeg[]): Protocol | undefined {
    const v = obj.protocol;
    if (v === undefined || v === null) return 'TCP';
    if (typeof v !== 'string' || !PROTOCOLS.includes(v)) {
      this.error([...path, 'protocol'], `unknown protocol ${show(v)} (expected TCP, UDP or SCTP)`);
      return undefined;
    }
    return v as Protocol;
  }
}

function listWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

function metadata(raw: Rec, c: Checker, kind: KubeKind): ObjectMeta | null {
  const m = raw.metadata;
  if (!isRecord(m)) {
    c.error(['metadata'], 'missing metadata (every object needs metadata.name)');
    return null;
  }
  const name = c.str(m, 'name', ['metadata']);
  if (!name) {
    c.error(['metadata', 'name'], 'missing metadata.name');
    return null;
  }
  const meta: ObjectMeta = { name };
  if (NAMESPACED_KINDS.has(kind)) meta.namespace = c.str(m, 'namespace', ['metadata']) || 'default';
  const uid = c.str(m, 'uid', ['metadata']);
  if (uid !== undefined) meta.uid = uid;
  const rv = m.resourceVersion;
  if (typeof rv === 'string') meta.resourceVersion = rv;
  const labels = c.stringMap(m, 'labels', ['metadata']);
  if (labels) meta.labels = labels;
  const annotations = c.stringMap(m, 'annotations', ['metadata']);
  if (annotations) meta.annotations = annotations;
  return meta;
}

function servicePort(v: unknown, p: PathSeg[], c: Checker): ServicePortSpec | undefined {
  if (!isRecord(v)) {
    c.error(p, `a port must be a map, not ${show(v)}`);
    return undefined;
  }
  const port = c.int(v, 'port', p, 1, 65535, 'port');
  if (v.port === undefined || v.port === null) c.error([...p, 'port'], 'missing port number');
  const protocol = c.protocol(v, p);
  const name = c.str(v, 'name', p);
  const nodePort = c.int(v, 'nodePort', p, 0, 65535, 'nodePort');
  let targetPort: number | string | undefined;
  if (typeof v.targetPort === 'number') targetPort = c.int(v, 'targetPort', p, 1, 65535, 'targetPort');
  else if (typeof v.targetPort === 'string') targetPort = v.targetPort;
  const appProtocol = c.str(v, 'appProtocol', p);
  if (port === undefined || protocol === undefined) return undefined;
  const out: ServicePortSpec = { protocol, port };
  if (name !== undefined) out.name = name;
  if (targetPort !== undefined) out.targetPort = targetPort;
  if (nodePort) out.nodePort = nodePort;
  if (appProtocol !== undefined) out.appProtocol = appProtocol;
  return out;
}

function validateService(raw: Rec, c: Checker): Service | null {
  const meta = metadata(raw, c, 'Service');
  const spec = raw.spec;
  if (!isRecord(spec)) {
    c.error(['spec'], 'missing spec');
    return null;
  }
  const S = ['spec'];
  const type = c.oneOf(spec, 'type', S, ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const, 'Service type') ?? 'ClusterIP';

  const clusterIP = c.str(spec, 'clusterIP', S);
  if (clusterIP !== undefined && clusterIP !== '' && clusterIP !== 'None') c.ip(clusterIP, ['spec', 'clusterIP']);
  const clusterIPs = c.list(spec, 'clusterIPs', S, (v, p) => {
    if (v === 'None') return v;
    return c.ip(v, p);
  });
  const ipFamilies = c.list(spec, 'ipFamilies', S, (v, p) => {
    if (v === 'IPv4' || v === 'IPv6') return v;
    c.error(p, `unknown IP family ${show(v)} (expected IPv4 or IPv6)`);
    return undefined;
  });
  const same = (a: string, b: string) => a === b || (canonicalIP(a, { sloppy: true }) ?? a) === (canonicalIP(b, { sloppy: true }) ?? b);
  if (clusterIPs.length > 0 && clusterIP !== undefined && clusterIP !== '' && !same(clusterIPs[0], clusterIP)) {
    c.error(['spec', 'clusterIPs', 0], `clusterIPs[0] ${show(clusterIPs[0])} differs from clusterIP ${show(clusterIP)}`);
  }
  clusterIPs.forEach((ipText, i) => {
    if (ipText === 'None' || i >= ipFamilies.length) return;
    const fam = parseIP(ipText, { sloppy: true })?.family;
    const want = ipFamilies[i] === 'IPv6' ? 6 : 4;
    if (fam !== undefined && fam !== want) {
      c.error(['spec', 'clusterIPs', i], `${show(ipText)} is IPv${fam} but spec.ipFamilies[${i}] is ${ipFamilies[i]}`);
    }
  });

  const ports = c.list(spec, 'ports', S, (v, p) => servicePort(v, p, c));
  // Port names identify service ports; the API refuses duplicates, the proxy would merge them.
  const seenNames = new Map<string, number>();
  const seenPorts = new Map<string, number>();
  const rawPorts = Array.isArray(spec.ports) ? spec.ports : [];
  rawPorts.forEach((rp: unknown, i: number) => {
    if (!isRecord(rp)) return;
    const nm = typeof rp.name === 'string' ? rp.name : '';
    if (seenNames.has(nm)) {
      c.error(['spec', 'ports', i, 'name'], nm === ''
        ? `more than one port without a name (every port needs a name when there are several)`
        : `duplicate port name ${show(nm)} (also ports[${seenNames.get(nm)}])`);
    } else seenNames.set(nm, i);
    const pk = `${rp.port}/${rp.protocol ?? 'TCP'}`;
    if (seenPorts.has(pk)) c.error(['spec', 'ports', i], `duplicate port ${pk} (also ports[${seenPorts.get(pk)}])`);
    else seenPorts.set(pk, i);
  });

  const externalIPs = c.list(spec, 'externalIPs', S, (v, p) => c.ip(v, p));
  const sourceRanges = c.list(spec, 'loadBalancerSourceRanges', S, (v, p) => {
    if (typeof v !== 'string') {
      c.error(p, `must be a CIDR string, not ${show(v)}`);
      return undefined;
    }
    // kube-proxy trims spaces here (validation used to let them through).
    if (!parseCIDR(v.trim(), { sloppy: true })) {
      c.error(p, `${show(v)} is not a valid CIDR in loadBalancerSourceRanges (expected address/prefix, e.g. 203.0.113.0/24)`);
      return undefined;
    }
    return v;
  });

  const sessionAffinity = c.oneOf(spec, 'sessionAffinity', S, ['None', 'ClientIP'] as const, 'sessionAffinity');
  let timeoutSeconds: number | undefined;
  const sac = spec.sessionAffinityConfig;
  if (isRecord(sac) && isRecord(sac.clientIP)) {
    timeoutSeconds = c.int(sac.clientIP, 'timeoutSeconds', ['spec', 'sessionAffinityConfig', 'clientIP'], 1, MAX_AFFINITY_SECONDS, 'timeoutSeconds');
  }
  const externalTrafficPolicy = c.oneOf(spec, 'externalTrafficPolicy', S, ['Cluster', 'Local'] as const, 'externalTrafficPolicy');
  const internalTrafficPolicy = c.oneOf(spec, 'internalTrafficPolicy', S, ['Cluster', 'Local'] as const, 'internalTrafficPolicy');
  const healthCheckNodePort = c.int(spec, 'healthCheckNodePort', S, 0, 65535, 'healthCheckNodePort');
  const selector = c.stringMap(spec, 'selector', S);
  const externalName = c.str(spec, 'externalName', S);
  const ipFamilyPolicy = c.str(spec, 'ipFamilyPolicy', S);
  const allocateLoadBalancerNodePorts = c.bool(spec, 'allocateLoadBalancerNodePorts', S);
  const trafficDistribution = c.str(spec, 'trafficDistribution', S);

  const ingress: LoadBalancerIngress[] = [];
  const status = raw.status;
  if (isRecord(status) && isRecord(status.loadBalancer)) {
    const lb = status.loadBalancer;
    pushAll(
      ingress,
      c.list(lb, 'ingress', ['status', 'loadBalancer'], (v, p) => {
        if (!isRecord(v)) {
          c.error(p, `must be a map, not ${show(v)}`);
          return undefined;
        }
        const ipText = c.str(v, 'ip', p);
        if (ipText) c.ip(ipText, [...p, 'ip']);
        const hostname = c.str(v, 'hostname', p);
        const ipMode = c.oneOf(v, 'ipMode', p, ['VIP', 'Proxy'] as const, 'ipMode');
        const out: LoadBalancerIngress = {};
        if (ipText !== undefined) out.ip = ipText;
        if (hostname !== undefined) out.hostname = hostname;
        if (ipMode !== undefined) out.ipMode = ipMode;
        return out;
      }),
    );
  }

  if (!meta || c.failed) return null;
  const svc: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta as Service['metadata'],
    spec: { type, ports },
  };
  const o = svc.spec;
  if (clusterIP !== undefined) o.clusterIP = clusterIP;
  if (clusterIPs.length) o.clusterIPs = clusterIPs;
  if (ipFamilies.length) o.ipFamilies = ipFamilies as ('IPv4' | 'IPv6')[];
  if (ipFamilyPolicy !== undefined) o.ipFamilyPolicy = ipFamilyPolicy;
  if (selector) o.selector = selector;
  if (externalIPs.length) o.externalIPs = externalIPs;
  if (externalName !== undefined) o.externalName = externalName;
  if (sourceRanges.length) o.loadBalancerSourceRanges = sourceRanges;
  if (sessionAffinity !== undefined) o.sessionAffinity = sessionAffinity;
  if (timeoutSeconds !== undefined) o.sessionAffinityConfig = { clientIP: { timeoutSeconds } };
  if (externalTrafficPolicy !== undefined) o.externalTrafficPolicy = externalTrafficPolicy;
  if (internalTrafficPolicy !== undefined) o.internalTrafficPolicy = internalTrafficPolicy;
  if (healthCheckNodePort) o.healthCheckNodePort = healthCheckNodePort;
  if (allocateLoadBalancerNodePorts !== undefined) o.allocateLoadBalancerNodePorts = allocateLoadBalancerNodePorts;
  if (trafficDistribution !== undefined) o.trafficDistribution = trafficDistribution;
  if (ingress.length) svc.status = { loadBalancer: { ingress } };
  return svc;
}

function hintList(v: unknown, key: string, p: PathSeg[], c: Checker): { name: string }[] | undefined {
  if (!isRecord(v)) return undefined;
  const names = c.list(v, key, p, (item, ip) => {
    if (!isRecord(item) || typeof item.name !== 'string') {
      c.error(ip, `a hint must be a map with a name, not ${show(item)}`);
      return undefined;
    }
    return { name: item.name };
  });
  return v[key] === undefined || v[key] === null ? undefined : names;
}

function validateEndpointSlice(raw: Rec, c: Checker): EndpointSlice | null {
  const meta = metadata(raw, c, 'EndpointSlice');
  if (meta && !meta.labels?.[LABEL_SERVICE_NAME]) {
    c.error(['metadata', 'labels'], `missing label ${LABEL_SERVICE_NAME} (kube-proxy cannot tell which Service this slice belongs to)`);
  }
  if (raw.addressType === undefined || raw.addressType === null) c.error(['addressType'], 'missing addressType (IPv4, IPv6 or FQDN)');
  const addressType = c.oneOf(raw, 'addressType', [], ['IPv4', 'IPv6', 'FQDN'] as const, 'addressType');
  const family = addressType === 'IPv4' ? 4 : addressType === 'IPv6' ? 6 : undefined;

  const endpoints = c.list(raw, 'endpoints', [], (v, p): Endpoint | undefined => {
    if (!isRecord(v)) {
      c.error(p, `an endpoint must be a map, not ${show(v)}`);
      return undefined;
    }
    const addresses = c.list(v, 'addresses', p, (a, ap) => {
      if (addressType === 'FQDN') {
        if (typeof a !== 'string') c.error(ap, `must be a string, not ${show(a)}`);
        return typeof a === 'string' ? a : undefined;
      }
      return c.ip(a, ap, family);
    });
    if (!Array.isArray(v.addresses) || v.addresses.length === 0) c.error([...p, 'addresses'], 'an endpoint needs at least one address');
    const ep: Endpoint = { addresses };
    if (isRecord(v.conditions)) {
      const cp = [...p, 'conditions'];
      const ready = c.bool(v.conditions, 'ready', cp);
      const serving = c.bool(v.conditions, 'serving', cp);
      const terminating = c.bool(v.conditions, 'terminating', cp);
      ep.conditions = {};
      if (ready !== undefined) ep.conditions.ready = ready;
      if (serving !== undefined) ep.conditions.serving = serving;
      if (terminating !== undefined) ep.conditions.terminating = terminating;
    } else if (v.conditions !== undefined && v.conditions !== null) {
      c.error([...p, 'conditions'], `must be a map, not ${show(v.conditions)}`);
    }
    const nodeName = c.str(v, 'nodeName', p);
    if (nodeName !== undefined) ep.nodeName = nodeName;
    const zone = c.str(v, 'zone', p);
    if (zone !== undefined) ep.zone = zone;
    const hostname = c.str(v, 'hostname', p);
    if (hostname !== undefined) ep.hostname = hostname;
    if (v.hints !== undefined && v.hints !== null) {
      if (!isRecord(v.hints)) c.error([...p, 'hints'], `must be a map, not ${show(v.hints)}`);
      const forZones = hintList(v.hints, 'forZones', [...p, 'hints'], c);
      const forNodes = hintList(v.hints, 'forNodes', [...p, 'hints'], c);
      ep.hints = {};
      if (forZones) ep.hints.forZones = forZones;
      if (forNodes) ep.hints.forNodes = forNodes;
    }
    if (isRecord(v.targetRef)) {
      const t = v.targetRef;
      ep.targetRef = {};
      if (typeof t.kind === 'string') ep.targetRef.kind = t.kind;
      if (typeof t.namespace === 'string') ep.targetRef.namespace = t.namespace;
      if (typeof t.name === 'string') ep.targetRef.name = t.name;
      if (typeof t.uid === 'string') ep.targetRef.uid = t.uid;
    }
    return ep;
  });

  const ports = c.list(raw, 'ports', [], (v, p): EndpointPort | undefined => {
    if (!isRecord(v)) {
      c.error(p, `a port must be a map, not ${show(v)}`);
      return undefined;
    }
    const port = c.int(v, 'port', p, 0, 65535, 'port');
    const protocol = c.protocol(v, p);
    const name = v.name === null ? null : c.str(v, 'name', p);
    if (!('name' in v) || v.name === null) {
      c.warn([...p], 'port has no name field, so kube-proxy ignores it (the API server would have set name: ""; write name: "" for an unnamed Service port)');
    }
    const appProtocol = c.str(v, 'appProtocol', p);
    if (protocol === undefined) return undefined;
    const out: EndpointPort = { protocol };
    if (name !== undefined) out.name = name;
    if (port !== undefined) out.port = port;
    if (appProtocol !== undefined) out.appProtocol = appProtocol;
    return out;
  });

  if (!meta || !addressType || c.failed) return null;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: meta as EndpointSlice['metadata'],
    addressType,
    endpoints,
    ports,
  };
}

function endpointAddress(v: unknown, p: PathSeg[], c: Checker): EndpointAddress | undefined {
  if (!isRecord(v)) {
    c.error(p, `an address must be a map, not ${show(v)}`);
    return undefined;
  }
  if (v.ip === undefined) {
    c.error([...p, 'ip'], 'missing ip');
    return undefined;
  }
  const ip = c.ip(v.ip, [...p, 'ip']);
  if (ip === undefined) return undefined;
  const out: EndpointAddress = { ip };
  const nodeName = c.str(v, 'nodeName', p);
  if (nodeName !== undefined) out.nodeName = nodeName;
  const hostname = c.str(v, 'hostname', p);
  if (hostname !== undefined) out.hostname = hostname;
  return out;
}

function validateEndpoints(raw: Rec, c: Checker): Endpoints | null {
  const meta = metadata(raw, c, 'Endpoints');
  const subsets = c.list(raw, 'subsets', [], (v, p) => {
    if (!isRecord(v)) {
      c.error(p, `a subset must be a map, not ${show(v)}`);
      return undefined;
    }
    return {
      addresses: c.list(v, 'addresses', p, (a, ap) => endpointAddress(a, ap, c)),
      notReadyAddresses: c.list(v, 'notReadyAddresses', p, (a, ap) => endpointAddress(a, ap, c)),
      ports: c.list(v, 'ports', p, (pv, pp) => {
        if (!isRecord(pv)) {
          c.error(pp, `a port must be a map, not ${show(pv)}`);
          return undefined;
        }
        if (pv.port === undefined || pv.port === null) c.error([...pp, 'port'], 'missing port number');
        const port = c.int(pv, 'port', pp, 1, 65535, 'port');
        const protocol = c.protocol(pv, pp);
        const name = c.str(pv, 'name', pp);
        if (port === undefined || protocol === undefined) return undefined;
        const out: Endpoints['subsets'][number]['ports'][number] = { port, protocol };
        if (name !== undefined) out.name = name;
        return out;
      }),
    };
  });
  if (!meta || c.failed) return null;
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: meta as Endpoints['metadata'], subsets };
}

function validateNode(raw: Rec, c: Checker): Node | null {
  const meta = metadata(raw, c, 'Node');
  const node: Partial<Node> = { apiVersion: 'v1', kind: 'Node' };
  if (isRecord(raw.spec)) {
    const spec: NonNullable<Node['spec']> = {};
    const podCIDR = c.str(raw.spec, 'podCIDR', ['spec']);
    if (podCIDR !== undefined) spec.podCIDR = podCIDR;
    const podCIDRs = c.list(raw.spec, 'podCIDRs', ['spec'], (v, p) => {
      if (typeof v === 'string' && parseCIDR(v)) return v;
      c.error(p, `${show(v)} is not a valid CIDR`);
      return undefined;
    });
    if (podCIDRs.length) spec.podCIDRs = podCIDRs;
    node.spec = spec;
  }
  if (isRecord(raw.status)) {
    const addresses = c.list(raw.status, 'addresses', ['status'], (v, p) => {
      if (!isRecord(v) || typeof v.type !== 'string' || typeof v.address !== 'string') {
        c.error(p, `a node address must be a map with type and address, not ${show(v)}`);
        return undefined;
      }
      return { type: v.type, address: v.address };
    });
    node.status = { addresses };
  }
  if (!meta || c.failed) return null;
  node.metadata = meta;
  return node as Node;
}

function validateServiceCIDR(raw: Rec, c: Checker, apiVersion: string): ServiceCIDR | null {
  const meta = metadata(raw, c, 'ServiceCIDR');
  const spec = isRecord(raw.spec) ? raw.spec : {};
  const cidrs = c.list(spec, 'cidrs', ['spec'], (v, p) => {
    if (typeof v === 'string' && canonicalCIDR(v)) return v;
    c.error(p, `${show(v)} is not a valid CIDR (expected address/prefix, e.g. 10.96.0.0/12)`);
    return undefined;
  });
  if (!meta || c.failed) return null;
  return { apiVersion: apiVersion as ServiceCIDR['apiVersion'], kind: 'ServiceCIDR', metadata: meta, spec: { cidrs } };
}

/** "Service default/web" from whatever the raw object says, for messages. */
export function describeRaw(raw: unknown, kindHint?: string): string {
  if (!isRecord(raw)) return kindHint ?? 'object';
  const kind = typeof raw.kind === 'string' ? raw.kind : kindHint ?? 'object';
  const m = isRecord(raw.metadata) ? raw.metadata : {};
  const name = typeof m.name === 'string' ? m.name : '(no name)';
  const ns = typeof m.namespace === 'string' && m.namespace ? m.namespace : undefined;
  return objectId(kind, ns, name);
}

/**
 * Validates one object whose kind is one svcplane reads. With
 * `identityOnly`, only kind and metadata are checked (enough for a DELETED
 * watch event, whose body is the last state and does not matter).
 */
export function validateObject(raw: unknown, opts: { identityOnly?: boolean } = {}): ValidationResult {
  const c = new Checker();
  const label = describeRaw(raw);
  if (!isRecord(raw)) {
    c.error([], `expected a Kubernetes object (a map with apiVersion, kind and metadata), not ${show(raw)}`);
    return { object: null, issues: c.issues, label };
  }
  const kind = raw.kind;
  if (kind === undefined || kind === null || kind === '') {
    c.error(['kind'], 'missing kind (Service, EndpointSlice, Endpoints, Node or ServiceCIDR)');
    return { object: null, issues: c.issues, label };
  }
  if (typeof kind !== 'string' || !KNOWN_KINDS.has(kind)) {
    c.error(['kind'], `kind ${show(kind)} is not one svcplane reads (Service, EndpointSlice, Endpoints, Node, ServiceCIDR)`);
    return { object: null, issues: c.issues, label };
  }
  const k = kind as KubeKind;
  const apiVersion = raw.apiVersion;
  if (apiVersion !== undefined && !API_VERSIONS[k].includes(apiVersion as string)) {
    c.error(['apiVersion'], `apiVersion ${show(apiVersion)} is not supported for ${k} (expected ${listWords(API_VERSIONS[k])})`);
    return { object: null, issues: c.issues, label };
  }
  if (opts.identityOnly) {
    const meta = metadata(raw, c, k);
    if (!meta) return { object: null, issues: c.issues, label };
    // A stand-in that carries the identity only; never stored.
    return { object: { kind: k, metadata: meta } as KubeObject, issues: c.issues, label };
  }
  let object: KubeObject | null;
  switch (k) {
    case 'Service':
      object = validateService(raw, c);
      break;
    case 'EndpointSlice':
      object = validateEndpointSlice(raw, c);
      break;
    case 'Endpoints':
      object = validateEndpoints(raw, c);
      break;
    case 'Node':
      object = validateNode(raw, c);
      break;
    case 'ServiceCIDR':
      object = validateServiceCIDR(raw, c, (apiVersion as string | undefined) ?? 'networking.k8s.io/v1');
      break;
  }
  return { object: c.failed ? null : object, issues: c.issues, label };
}
