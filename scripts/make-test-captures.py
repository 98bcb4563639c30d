#!/usr/bin/python3
"""Write the capture fixtures of the test suite into test/fixtures/captures/:

  three-services.pcap (+ .json)   >=100 connections to web (TCP), kube-dns (UDP), api6 (IPv6 TCP)
  replies.pcap (+ replies.json, replies-cluster.yaml)
                                  connections with their replies from known backends
  sll2-dns.pcap                   LINKTYPE_LINUX_SLL2: DNS to 10.96.0.53
  raw-ipv6.pcap                   LINKTYPE_RAW: IPv6 to fd00:10:96::20 (DNS: rejected, TCP 443: translated)
  vlan-qinq-web.pcap              802.1Q, 802.1ad QinQ and double 802.1Q tagged TCP to 10.96.0.10:80

Deterministic (fixed seeds and times). Uses the helpers of scripts/make-demo-capture.py and the
cluster of scripts/make-demo-cluster.py. Run with Debian's scapy:

    /usr/bin/python3 scripts/make-test-captures.py
"""
import importlib.util
import json
import os
import random
import struct
import sys

from scapy.layers.inet import ICMP, TCP, UDP
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether
from scapy.layers.sctp import (SCTP, SCTPChunkCookieAck, SCTPChunkCookieEcho, SCTPChunkData, SCTPChunkInit,
                               SCTPChunkInitAck, SCTPChunkParamStateCookie, SCTPChunkSACK, SCTPChunkShutdown,
                               SCTPChunkShutdownAck, SCTPChunkShutdownComplete)

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


D = _load("make_demo_capture", "make-demo-capture.py")
C = _load("make_demo_cluster", "make-demo-cluster.py")
MS, US = D.MS, D.US
OUT = os.path.join(D.ROOT, "test", "fixtures", "captures")


def ep(ip, port=None):
    a = f"[{ip}]" if ":" in ip else ip
    return a if port is None else f"{a}:{port}"


def flow_str(proto, src, sport, dst, dport):
    return f"{proto} {ep(src, sport)} > {ep(dst, dport)}"


def finish(tl):
    """Timeline -> packets with absolute times, the first at T0."""
    pkts = tl.packets()
    first = pkts[0][0]
    return [(D.T0_NS + t - first, f) for t, f in pkts]


def report(path, pkts):
    print(f"{os.path.relpath(path, D.ROOT)}: {len(pkts)} packets, {os.path.getsize(path)} bytes", file=sys.stderr)


# --- (a) three-services.pcap ---------------------------------------------------------
def three_services():
    rng = random.Random(31337)
    tl = D.Timeline()
    port = D.PortAllocator(rng)
    pods_a = D.pod_pool(rng, 1, 30, set())
    pods_b = D.pod_pool(rng, 2, 30, {11})
    pods = pods_a + pods_b
    v6_pods = [D.v6_of(p) for p in pods_a[:12] + pods_b[:12]]
    dur = 5_000 * MS
    stats = {"default/web:http": [0, 0], "kube-system/kube-dns:dns": [0, 0], "default/api6:https": [0, 0]}

    def counted(key, fn):
        n0 = len(tl.items)
        fn()
        stats[key][0] += 1
        stats[key][1] += len(tl.items) - n0

    def rtt(ip):
        return rng.randrange(40 * US, 400 * US) if (ip.startswith("10.244.1.") or ip.startswith("fd00:10:244:1::")) \
            else rng.randrange(150 * US, 900 * US)

    for i in range(60):                       # web: 2-4 requests per connection (7-11 packets)
        ip = rng.choice(pods)
        reqs = [(D.http_get(rng), rng.randrange(180, 1400)) for _ in range(rng.randrange(2, 5))]
        counted("default/web:http", lambda: D.tcp_client_conversation(
            tl, rng, rng.randrange(0, dur), D.host(ip), port(ip), D.WEB_VIP, D.WEB_PORT, reqs, rtt(ip)))

    for i in range(50):                       # kube-dns: A + AAAA from one socket, some retried
        ip = rng.choice(pods)

        def dns_flow():
            h, sp = D.host(ip), port(ip)
            t = rng.randrange(0, dur)
            name = rng.choice(D.CLUSTER_NAMES + D.EXTERNAL_NAMES)
            name = name + "." if name.endswith(".cluster.local") else name + ".default.svc.cluster.local."
            ip_id = rng.getrandbits(16)
            qids = []
            for qt in ("A", "AAAA"):
                qid = rng.getrandbits(16)
                qids.append((qid, qt))
                tl.add(t, D.udp_frame(h, D.DNS_VIP, sp, D.DNS_PORT, D.dns_query(qid, name, qt), ip_id))
                ip_id += 1
                t += rng.randrange(20 * US, 90 * US)
            if rng.random() < 0.3:            # no answer yet: ask again on the same socket
                t += rng.randrange(300 * MS, 1_000 * MS)
                qid, qt = qids[1]
                tl.add(t, D.udp_frame(h, D.DNS_VIP, sp, D.DNS_PORT, D.dns_query(qid, name, qt), ip_id))
        counted("kube-system/kube-dns:dns", dns_flow)

    for i in range(40):                       # api6: TLS over IPv6 (7 packets)
        ip = rng.choice(v6_pods)

        def api6_flow():
            h = D.host(ip)
            t = rng.randrange(0, dur)
            r = rtt(ip)
            c = D.TcpSide(rng, h, D.API6_VIP, port(ip), D.API6_PORT)
            tl.add(t, c.frame(t, "S", syn_opts=True)); t += r
            c.peer_sent(0, syn=True)
            tl.add(t, c.frame(t, "A")); t += rng.randrange(100 * US, 400 * US)
            tl.add(t, c.frame(t, "PA", D.tls_client_hello(rng, "api6.default.svc.cluster.local"))); t += r + 500 * US
            c.peer_sent(rng.randrange(1300, 2600))
            tl.add(t, c.frame(t, "PA", b"\x14\x03\x03\x00\x01\x01" + D.tls_record(rng, 0x17, 53))); t += 60 * US
            tl.add(t, c.frame(t, "PA", D.tls_record(rng, 0x17, rng.randrange(90, 260)))); t += r + 2 * MS
            c.peer_sent(rng.randrange(200, 1200))
            tl.add(t, c.frame(t, "FA")); t += r
            c.peer_sent(0, fin=True)
            tl.add(t, c.frame(t, "A"))
        counted("default/api6:https", api6_flow)

    pkts = finish(tl)
    path = os.path.join(OUT, "three-services.pcap")
    D.write_pcap(path, pkts)
    report(path, pkts)
    meta = {
        "capture": "three-services.pcap",
        "cluster": "../../../pcaps/demo-cluster.yaml",
        "note": "client side only, all clients are pods (10.244.0.0/16, fd00:10:244::/56): every packet goes to "
                "a Service VIP and must leave with a backend of that Service as destination; every packet of a "
                "connection (same 5-tuple) must keep the backend its first packet got",
        "packets": len(pkts),
        "connections": sum(v[0] for v in stats.values()),
        "services": [{"service": k, "vip": vip, "connections": v[0], "packets": v[1], "backends": be}
                     for (k, v), vip, be in zip(stats.items(),
                                                [ep(D.WEB_VIP, 80), ep(D.DNS_VIP, 53), ep(D.API6_VIP, 443)],
                                                [[ep(b, 8080) for b in D.BACKENDS["web"]],
                                                 [ep(b, 53) for b in D.BACKENDS["kube-dns"]],
                                                 [ep(b, 8443) for b in D.BACKENDS["api6"]]])],
    }
    with open(os.path.join(OUT, "three-services.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")


# --- (b) replies.pcap -------------------------------------------------------------------
class Flows:
    """Records each packet's expected trace line alongside the timeline."""

    def __init__(self):
        self.tl = D.Timeline()
        self.notes = []          # parallel to tl.items: (flow name, expectation)

    def add(self, t, frame, flow, verdict, proto, src, sport, dst, dport, out):
        self.tl.add(t, frame)
        exp = {"verdict": verdict, "in": flow_str(proto, src, sport, dst, dport)}
        exp["out"] = flow_str(proto, *out) if out else exp["in"]
        self.notes.append((flow, exp))


def backend_host(ip):
    return D.host(ip)


def replies():
    rng = random.Random(4242)
    fl = Flows()
    flows = []
    t = 0

    # 1. TCP web: 10.244.1.20 (node-a) -> 10.96.0.10:80, backend 10.244.2.6:8080 (node-b)
    def tcp_flow(name, service, client_ip, vip, vport, backend, bport, exchanges, t):
        cl, be = D.host(client_ip), backend_host(backend)
        sp = 40000 + len(flows) * 1111
        c = D.TcpSide(rng, cl, vip, sp, vport)
        s = D.TcpSide(rng, be, client_ip, bport, sp, isn=c.peer_isn, peer_isn=c.isn)
        rtt = 400 * US
        fwd = ("TCP", client_ip, sp, vip, vport)
        fwd_out = (client_ip, sp, backend, bport)
        rev = ("TCP", backend, bport, client_ip, sp)
        rev_out = (vip, vport, client_ip, sp)

        def C_(flags, payload=b"", **kw):
            fl.add(t, c.frame(t, flags, payload, **kw), name, "translated", *fwd, fwd_out)

        def S_(flags, payload=b"", **kw):
            fl.add(t, s.frame(t, flags, payload, **kw), name, "reversed", *rev, rev_out)
        C_("S", syn_opts=True); t += rtt // 2
        s.peer_sent(0, syn=True)
        S_("SA", syn_opts=True, window=65160); t += rtt // 2
        c.peer_sent(0, syn=True)
        C_("A"); t += 30 * US
        for req, resp in exchanges:
            C_("PA", req); t += rtt // 2
            s.peer_sent(len(req))
            S_("A"); t += 200 * US
            S_("PA", resp); t += rtt // 2
            c.peer_sent(len(resp))
            C_("A"); t += 2 * MS
        C_("FA"); t += rtt // 2
        s.peer_sent(0, fin=True)
        S_("FA"); t += rtt // 2
        c.peer_sent(0, fin=True)
        C_("A")
        flows.append({"name": name, "protocol": "TCP", "service": service, "client": ep(client_ip, sp),
                      "vip": ep(vip, vport), "backend": ep(backend, bport)})
        return t + 50 * MS

    body = b'{"items":[]}\n'
    t = tcp_flow("web-tcp", "default/web:http", "10.244.1.20", D.WEB_VIP, 80, "10.244.2.6", 8080,
                 [(D.http_get(rng, path="/api/v1/items", ua="curl/8.5.0"),
                   b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)],
                 t)

    # 2. UDP DNS: 10.244.2.30 (node-b) -> 10.96.0.53:53, backend 10.244.1.3:53 (node-a)
    name = "web.default.svc.cluster.local."
    cl, be = D.host("10.244.2.30"), backend_host("10.244.1.3")
    sp = 51515
    for qt, ans in (("A", "10.96.0.10"), ("AAAA", None)):
        qid = rng.getrandbits(16)
        fl.add(t, D.udp_frame(cl, D.DNS_VIP, sp, 53, D.dns_query(qid, name, qt), 100 + len(fl.notes)), "dns-udp",
               "translated", "UDP", cl.ip, sp, D.DNS_VIP, 53, (cl.ip, sp, be.ip, 53))
        t += 300 * US
        if ans:
            payload = D.dns_answer(qid, name, qt, ans, ttl=30)
        else:   # NOERROR, no AAAA record: the SOA in the authority section
            from scapy.layers.dns import DNS, DNSQR, DNSRRSOA
            payload = bytes(DNS(id=qid, qr=1, aa=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype="AAAA"),
                                ns=DNSRRSOA(rrname="cluster.local.", ttl=30, mname="ns.dns.cluster.local.",
                                            rname="hostmaster.cluster.local.", serial=1741944000, refresh=7200,
                                            retry=1800, expire=86400, minimum=30)))
        fl.add(t, D.udp_frame(be, cl.ip, 53, sp, payload, 0), "dns-udp", "reversed", "UDP", be.ip, 53, cl.ip, sp,
               (D.DNS_VIP, 53, cl.ip, sp))
        t += 100 * US
    flows.append({"name": "dns-udp", "protocol": "UDP", "service": "kube-system/kube-dns:dns",
                  "client": ep(cl.ip, sp), "vip": ep(D.DNS_VIP, 53), "backend": ep(be.ip, 53)})
    t += 50 * MS

    # 3. TCP DNS: 10.244.1.31 -> 10.96.0.53:53/TCP, backend 10.244.2.3:53
    qid = rng.getrandbits(16)
    q = D.dns_query(qid, "kube-dns.kube-system.svc.cluster.local.", "A")
    a = D.dns_answer(qid, "kube-dns.kube-system.svc.cluster.local.", "A", "10.96.0.53", ttl=30)
    t = tcp_flow("dns-tcp", "kube-system/kube-dns:dns-tcp", "10.244.1.31", D.DNS_VIP, 53, "10.244.2.3", 53,
                 [(struct.pack(">H", len(q)) + q, struct.pack(">H", len(a)) + a)], t)

    # 4. IPv6 TCP: fd00:10:244:1::1e -> [fd00:10:96::20]:443, backend [fd00:10:244:2::9]:8443
    t = tcp_flow("api6-tcp", "default/api6:https", "fd00:10:244:1::1e", D.API6_VIP, 443, "fd00:10:244:2::9", 8443,
                 [(D.tls_client_hello(rng, "api6.default.svc.cluster.local"), D.tls_record(rng, 0x16, 1200)),
                  (D.tls_record(rng, 0x17, 120), D.tls_record(rng, 0x17, 300))], t)

    # 5. SCTP: 10.244.1.32 -> 10.96.0.77:7777, backend 10.244.2.11:7777 (unnamed port)
    cl, be = D.host("10.244.1.32"), backend_host("10.244.2.11")
    sp = 37777
    ctag, stag = rng.getrandbits(32), rng.getrandbits(32)
    ctsn, stsn = rng.getrandbits(32), rng.getrandbits(32)
    cookie = rng.randbytes(64)
    ids = {"c": 1, "s": 1}

    def sc(t, vtag, *chunks):
        p = SCTP(sport=sp, dport=7777, tag=vtag)
        for ch in chunks:
            p = p / ch
        ids["c"] += 1
        fl.add(t, D.l3(cl, D.SCTP_VIP, 0x3000 + ids["c"], p), "sctp", "translated", "SCTP", cl.ip, sp,
               D.SCTP_VIP, 7777, (cl.ip, sp, be.ip, 7777))

    def ss(t, vtag, *chunks):
        p = SCTP(sport=7777, dport=sp, tag=vtag)
        for ch in chunks:
            p = p / ch
        ids["s"] += 1
        fl.add(t, D.l3(be, cl.ip, 0x5000 + ids["s"], p), "sctp", "reversed", "SCTP", be.ip, 7777, cl.ip, sp,
               (D.SCTP_VIP, 7777, cl.ip, sp))
    msg = b"hello sctp-echo\n"
    sc(t, 0, SCTPChunkInit(init_tag=ctag, a_rwnd=106496, n_out_streams=10, n_in_streams=65535, init_tsn=ctsn)); t += 200 * US
    ss(t, ctag, SCTPChunkInitAck(init_tag=stag, a_rwnd=106496, n_out_streams=10, n_in_streams=10, init_tsn=stsn,
                                 params=[SCTPChunkParamStateCookie(cookie=cookie)])); t += 200 * US
    sc(t, stag, SCTPChunkCookieEcho(cookie=cookie)); t += 200 * US
    ss(t, ctag, SCTPChunkCookieAck()); t += 200 * US
    sc(t, stag, SCTPChunkData(tsn=ctsn, stream_id=0, stream_seq=0, proto_id=0, beginning=1, ending=1, data=msg)); t += 200 * US
    ss(t, ctag, SCTPChunkSACK(cumul_tsn_ack=ctsn, a_rwnd=106496, n_gap_ack=0, n_dup_tsn=0),
       SCTPChunkData(tsn=stsn, stream_id=0, stream_seq=0, proto_id=0, beginning=1, ending=1, data=msg)); t += 200 * US
    sc(t, stag, SCTPChunkSACK(cumul_tsn_ack=stsn, a_rwnd=106496, n_gap_ack=0, n_dup_tsn=0)); t += 5 * MS
    sc(t, stag, SCTPChunkShutdown(cumul_tsn_ack=stsn)); t += 200 * US
    ss(t, ctag, SCTPChunkShutdownAck()); t += 200 * US
    sc(t, stag, SCTPChunkShutdownComplete()); t += 50 * MS
    flows.append({"name": "sctp", "protocol": "SCTP", "service": "default/sctp-echo",
                  "client": ep(cl.ip, sp), "vip": ep(D.SCTP_VIP, 7777), "backend": ep(be.ip, 7777)})

    # 6. untracked: a web backend answering a connection nobody opened through the Service (passed as is)
    s = D.TcpSide(rng, backend_host("10.244.2.7"), "10.244.1.40", 8080, 50000)
    s.peer_sent(0, syn=True)
    fl.add(t, s.frame(t, "PA", b"HTTP/1.1 204 No Content\r\n\r\n"), "untracked", "passed", "TCP", "10.244.2.7",
           8080, "10.244.1.40", 50000, None)
    t += 1 * MS
    fl.add(t, D.udp_frame(backend_host("10.244.1.3"), "10.244.2.99", 53, 40000,
                          D.dns_answer(0x1234, "web.default.svc.cluster.local.", "A", "10.96.0.10"), 0),
           "untracked", "passed", "UDP", "10.244.1.3", 53, "10.244.2.99", 40000, None)
    flows.append({"name": "untracked", "protocol": "TCP/UDP", "service": None,
                  "note": "packets from backends with no tracked connection: written unchanged"})

    # order by time; remember each packet's index
    order = sorted(range(len(fl.tl.items)), key=lambda i: (fl.tl.items[i][0], i))
    pkts = [(D.T0_NS + fl.tl.items[i][0], fl.tl.items[i][2]) for i in order]
    path = os.path.join(OUT, "replies.pcap")
    D.write_pcap(path, pkts)
    report(path, pkts)
    byname = {f["name"]: f for f in flows}
    for f in flows:
        f["packets"] = []
    for idx, i in enumerate(order):
        name, exp = fl.notes[i]
        byname[name]["packets"].append(dict(index=idx, **exp))
    meta = {
        "capture": "replies.pcap",
        "cluster": "replies-cluster.yaml",
        "node": "node-a",
        "clusterCIDR": ["10.244.0.0/16", "fd00:10:244::/56"],
        "note": "each flow assumes the backend listed. replies-cluster.yaml is the demo cluster with only that "
                "backend in each Service, so any balancing choice picks it. 'in'/'out' use the --trace format; "
                "pod clients are not masqueraded.",
        "flows": flows,
    }
    with open(os.path.join(OUT, "replies.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    # the cluster with one backend per Service
    keep = {"web": "10.244.2.6", "kube-dns": "10.244.2.3", "api6": "fd00:10:244:2::9", "sctp-echo": "10.244.2.11"}
    # kube-dns: UDP flow assumes 10.244.1.3, TCP flow 10.244.2.3: split them over two slices with one port each
    items = []
    for it in C.build_items():
        if it["kind"] != "EndpointSlice":
            items.append(it)
            continue
        svc = it["metadata"]["labels"]["kubernetes.io/service-name"]
        if svc == "kube-dns":
            udp = json.loads(json.dumps(it))
            udp["endpoints"] = [e for e in it["endpoints"] if e["addresses"][0] == "10.244.1.3"]
            udp["ports"] = [p for p in it["ports"] if p["protocol"] == "UDP"]
            tcp = json.loads(json.dumps(it))
            tcp["metadata"]["name"] = "kube-dns-tcp9x"
            tcp["metadata"]["uid"] = C.uid("EndpointSlice", "kube-system", "kube-dns-tcp9x")
            tcp["endpoints"] = [e for e in it["endpoints"] if e["addresses"][0] == "10.244.2.3"]
            tcp["ports"] = [p for p in it["ports"] if p["protocol"] == "TCP"]
            items += [udp, tcp]
            continue
        if it["endpoints"]:
            it["endpoints"] = [e for e in it["endpoints"] if e["addresses"][0] == keep.get(svc)] or None
        items.append(it)
    with open(os.path.join(OUT, "replies-cluster.yaml"), "w") as f:
        f.write("# The demo cluster (pcaps/demo-cluster.yaml) with one backend per service port: the one each flow\n"
                "# of replies.pcap assumes. Generated by scripts/make-test-captures.py.\n")
        f.write(C.to_yaml(C.build_list(items)))


# --- (c) link types ------------------------------------------------------------------------
def sll2(proto, ifindex, pkttype, mac, payload):
    m = bytes(int(x, 16) for x in mac.split(":"))
    return struct.pack(">HHIHBB8s", proto, 0, ifindex, 1, pkttype, 6, m) + payload


def sll2_dns():
    rng = random.Random(2718)
    tl = D.Timeline()
    port = D.PortAllocator(rng)
    t = 0
    # pods on node-a, captured on "any": packets arrive from each pod's veth (PACKET_HOST)
    pods = [("10.244.1.41", 11), ("10.244.1.42", 12), ("10.244.1.43", 13)]
    for k in range(4):
        for ip, ifindex in pods:
            h = D.host(ip)
            sp = port(ip)
            ip_id = rng.getrandbits(16)
            name = rng.choice(["web.default.svc.cluster.local.", "api6.default.svc.cluster.local.",
                               "example.com.default.svc.cluster.local.", "kube-dns.kube-system.svc.cluster.local."])
            for qt in ("A", "AAAA"):
                ipb = bytes(D.l3(h, D.DNS_VIP, ip_id, UDP(sport=sp, dport=53) /
                                 D.dns_query(rng.getrandbits(16), name, qt)))[14:]
                tl.add(t, sll2(0x0800, ifindex, 0, h.src_mac, ipb))
                ip_id += 1
                t += rng.randrange(30 * US, 90 * US)
            t += rng.randrange(10 * MS, 60 * MS)
    # one DNS-over-TCP connection (client side)
    h = D.host("10.244.1.44")
    et = D.Timeline()
    q = D.dns_query(0x4d2e, "web.default.svc.cluster.local.", "A", edns=True)
    D.tcp_client_conversation(et, rng, t, h, port(h.ip), D.DNS_VIP, 53, [(struct.pack(">H", len(q)) + q, 90)], 200 * US)
    for tt, _, frame in et.items:
        tl.add(tt, sll2(0x0800, 14, 0, h.src_mac, frame[14:]))
    # an ARP request (not IP: written unchanged)
    mac = D.pod_mac("10.244.1.41")
    arp = bytes(ARP(op=1, hwsrc=mac, psrc="10.244.1.41", hwdst="00:00:00:00:00:00", pdst="10.244.1.1"))
    tl.add(t + 20 * MS, sll2(0x0806, 11, 0, mac, arp))
    pkts = finish(tl)
    path = os.path.join(OUT, "sll2-dns.pcap")
    D.write_pcap(path, pkts, linktype=D.LINKTYPE_LINUX_SLL2)
    report(path, pkts)


def raw_ipv6():
    rng = random.Random(1414)
    tl = D.Timeline()
    port = D.PortAllocator(rng)
    t = 0
    clients = ["fd00:10:244:1::2a", "fd00:10:244:1::2b", "fd00:10:244:2::2c"]
    # DNS (UDP 53) to api6's ClusterIP: a port it does not serve -> rejected (ICMPv6 port unreachable)
    for ip in clients:
        h = D.host(ip)
        sp = port(ip)
        for qt in ("AAAA", "A"):
            ipb = bytes(IPv6(src=ip, dst=D.API6_VIP, hlim=h.ttl, fl=rng.getrandbits(20)) /
                        UDP(sport=sp, dport=53) / D.dns_query(rng.getrandbits(16), "api6.default.svc.cluster.local.", qt))
            tl.add(t, ipb)
            t += rng.randrange(30 * US, 90 * US)
        t += rng.randrange(5 * MS, 20 * MS)
    # TCP to [fd00:10:96::20]:443 -> translated to [fd00:10:244:1::8]:8443 or [fd00:10:244:2::9]:8443
    for ip in clients + clients[:1]:
        h = D.host(ip)
        et = D.Timeline()
        D.tcp_client_conversation(et, rng, t, h, port(ip), D.API6_VIP, 443,
                                  [(D.tls_client_hello(rng, "api6.default.svc.cluster.local"), 2000)], 300 * US)
        for tt, _, frame in et.items:
            tl.add(tt, frame[14:])
        t += rng.randrange(5 * MS, 20 * MS)
    # ICMPv6 echo to the VIP (no Service protocol: passed)
    ipb = bytes(IPv6(src=clients[0], dst=D.API6_VIP, hlim=64) / ICMPv6EchoRequest(id=0x77, seq=1, data=b"svcplane" * 7))
    tl.add(t + 1 * MS, ipb)
    pkts = finish(tl)
    path = os.path.join(OUT, "raw-ipv6.pcap")
    D.write_pcap(path, pkts, linktype=D.LINKTYPE_RAW)
    report(path, pkts)


# --- (d) VLAN / QinQ --------------------------------------------------------------------------
def vlan_qinq():
    rng = random.Random(802)
    tl = D.Timeline()
    port = D.PortAllocator(rng)
    t = 0
    plans = ([("dot1q", "10.244.1.%d" % x) for x in (50, 51, 52, 53)] +
             [("qinq-88a8", "10.244.1.%d" % x) for x in (54, 55, 56, 57)] +
             [("qinq-8100", "10.244.2.%d" % x) for x in (58, 59)])
    for kind, ip in plans:
        h = D.host(ip)
        et = D.Timeline()
        D.tcp_client_conversation(et, rng, t, h, port(ip), D.WEB_VIP, 80,
                                  [(D.http_get(rng), 400) for _ in range(rng.randrange(1, 3))], 250 * US)
        for tt, _, frame in et.items:
            eth = Ether(frame)
            inner = eth.payload
            if kind == "dot1q":
                new = Ether(src=eth.src, dst=eth.dst, type=0x8100) / Dot1Q(prio=0, vlan=100, type=0x0800) / inner
            elif kind == "qinq-88a8":
                new = (Ether(src=eth.src, dst=eth.dst, type=0x88A8) / Dot1AD(prio=0, vlan=200, type=0x8100) /
                       Dot1Q(prio=0, vlan=100, type=0x0800) / inner)
            else:
                new = (Ether(src=eth.src, dst=eth.dst, type=0x8100) / Dot1Q(prio=0, vlan=300, type=0x8100) /
                       Dot1Q(prio=0, vlan=100, type=0x0800) / inner)
            tl.add(tt, new)
        t += rng.randrange(3 * MS, 15 * MS)
    pkts = finish(tl)
    path = os.path.join(OUT, "vlan-qinq-web.pcap")
    D.write_pcap(path, pkts)
    report(path, pkts)


def main():
    os.makedirs(OUT, exist_ok=True)
    three_services()
    replies()
    sll2_dns()
    raw_ipv6()
    vlan_qinq()


if __name__ == "__main__":
    main()
