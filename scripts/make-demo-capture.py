#!/usr/bin/python3
"""Write pcaps/demo.pcapng: traffic to the Services of pcaps/demo-cluster.yaml, as
node-a would capture it before NAT.

Deterministic: fixed seed, fixed start time (2025-03-14T09:26:53Z), every
header field set explicitly, and a hand-written pcapng writer (no host state
leaks in). Needs Debian's scapy:

    /usr/bin/python3 scripts/make-demo-capture.py

The helpers in the first half (writers, hosts, flow builders) are also used by
scripts/make-test-captures.py.
"""
import os
import random
import struct
import sys

from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IPv6
from scapy.layers.l2 import ARP, Ether
from scapy.layers.sctp import (SCTP, SCTPChunkCookieEcho, SCTPChunkData, SCTPChunkInit, SCTPChunkParamECNCapable,
                               SCTPChunkParamFwdTSN, SCTPChunkParamSupportedAddrTypes, SCTPChunkSACK,
                               SCTPChunkShutdown, SCTPChunkShutdownComplete)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# 2025-03-14T09:26:53Z, in nanoseconds
T0_NS = 1741944413 * 1_000_000_000
MS = 1_000_000
US = 1_000

# --- the demo cluster (see scripts/make-demo-cluster.py) ------------------------
WEB_VIP, WEB_PORT = "10.96.0.10", 80
DNS_VIP, DNS_PORT = "10.96.0.53", 53
SCTP_VIP, SCTP_PORT = "10.96.0.77", 7777
API6_VIP, API6_PORT = "fd00:10:96::20", 443
EMPTY_VIP, EMPTY_PORT = "10.96.0.99", 80
UNALLOCATED_VIP = "10.96.0.200"          # inside 10.96.0.0/16, held by no Service
BACKENDS = {
    "web": ["10.244.1.5", "10.244.2.6", "10.244.2.7"],           # :8080
    "kube-dns": ["10.244.1.3", "10.244.2.3"],                    # :53 UDP+TCP
    "sctp-echo": ["10.244.1.9", "10.244.2.11"],                  # :7777
    "api6": ["fd00:10:244:1::8", "fd00:10:244:2::9"],            # :8443
}

# --- link layer as seen on node-a ----------------------------------------------
NODE_A_MAC = "02:42:c0:a8:31:02"      # 192.168.49.2 (eth0)
NODE_B_MAC = "02:42:c0:a8:31:03"      # 192.168.49.3
GW_MAC = "02:42:8e:1d:4f:60"          # 192.168.49.1, the router to 172.16.0.0/12 and the internet
CNI_GW_MAC = "0a:58:0a:f4:01:01"      # node-a's pod gateway 10.244.1.1 / fd00:10:244:1::1


def _ip4_bytes(ip):
    return bytes(int(x) for x in ip.split("."))


def pod_mac(ip):
    """0a:58 + the pod's IPv4 address (the CNI bridge plugin convention); IPv6 pod
    fd00:10:244:N::X gets the MAC of 10.244.N.X (same pod)."""
    if ":" in ip:
        parts = ip.split("::")
        n = int(parts[0].split(":")[-1], 16)
        x = int(parts[1], 16)
        b = bytes([10, 244, n, x])
    else:
        b = _ip4_bytes(ip)
    return "0a:58:" + ":".join(f"{c:02x}" for c in b)


class Host:
    """A sender as node-a sees it: address, L2 addresses of its frames, TTL on arrival."""

    def __init__(self, ip, src_mac, dst_mac, ttl):
        self.ip, self.src_mac, self.dst_mac, self.ttl = ip, src_mac, dst_mac, ttl
        self.v6 = ":" in ip

    def __repr__(self):
        return f"Host({self.ip})"


def host(ip):
    """The Host for an address, placed in the demo topology (capture point: node-a)."""
    if ip.startswith("10.244.1.") or ip.startswith("fd00:10:244:1::"):
        return Host(ip, pod_mac(ip), CNI_GW_MAC, 64)              # pod on node-a
    if ip.startswith("10.244.2.") or ip.startswith("fd00:10:244:2::"):
        return Host(ip, NODE_B_MAC, NODE_A_MAC, 63)                # pod on node-b, routed by node-b
    if ip == "192.168.49.2":
        return Host(ip, NODE_A_MAC, GW_MAC, 64)                    # node-a itself
    if ip == "192.168.49.1":
        return Host(ip, GW_MAC, NODE_A_MAC, 64)
    if ip.startswith("192.168.49."):
        return Host(ip, "02:42:c0:a8:31:%02x" % int(ip.split(".")[-1]), NODE_A_MAC, 64)
    if ip.startswith("fc00:f853:ccd:e793::"):
        return Host(ip, "02:42:c0:a8:31:%02x" % int(ip.split("::")[-1], 16), NODE_A_MAC, 64)
    return Host(ip, GW_MAC, NODE_A_MAC, 58)                        # routed from further away


# --- capture writers ---------------------------------------------------------------
def _pad4(b):
    return b + b"\0" * (-len(b) % 4)


def _opt(code, value):
    return struct.pack("<HH", code, len(value)) + _pad4(value)


def _block(btype, body):
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def write_pcapng(path, packets, linktype=1, if_name="eth0", if_description=None, userappl=None,
                 snaplen=262144):
    """packets: iterable of (timestamp_ns, frame_bytes). Nanosecond timestamps (if_tsresol=9)."""
    shb_opts = b""
    if userappl:
        shb_opts += _opt(4, userappl.encode())
    shb_opts += _opt(0, b"")
    shb = _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + shb_opts)
    idb_opts = _opt(2, if_name.encode())
    if if_description:
        idb_opts += _opt(3, if_description.encode())
    idb_opts += _opt(9, bytes([9])) + _opt(0, b"")
    idb = _block(1, struct.pack("<HHI", linktype, 0, snaplen) + idb_opts)
    out = [shb, idb]
    for ts, frame in packets:
        out.append(_block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame))
                          + _pad4(frame)))
    with open(path, "wb") as f:
        f.write(b"".join(out))


LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL2 = 1, 101, 276


def write_pcap(path, packets, linktype=LINKTYPE_ETHERNET, snaplen=262144):
    """Classic pcap, microsecond timestamps. packets: iterable of (timestamp_ns, frame_bytes)."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)]
    for ts, frame in packets:
        us = ts // 1000
        out.append(struct.pack("<IIII", us // 1_000_000, us % 1_000_000, len(frame), len(frame)) + frame)
    with open(path, "wb") as f:
        f.write(b"".join(out))


# --- timeline ----------------------------------------------------------------------
class Timeline:
    """Packets with their times; sorted by (time, insertion order) at the end."""

    def __init__(self):
        self.items = []

    def add(self, t_ns, frame):
        self.items.append((t_ns, len(self.items), bytes(frame)))

    def packets(self):
        return [(t, f) for t, _, f in sorted(self.items)]


# --- packet building ---------------------------------------------------------------
def l3(src, dst_ip, ip_id, l4, tos=0, flow_label=0, ttl=None):
    """IP (or IPv6) header from Host src to dst_ip over layer-4 l4, with its Ethernet frame."""
    ttl = src.ttl if ttl is None else ttl
    if src.v6:
        ip = IPv6(src=src.ip, dst=dst_ip, hlim=ttl, tc=tos, fl=flow_label)
    else:
        ip = IP(src=src.ip, dst=dst_ip, ttl=ttl, id=ip_id & 0xFFFF, flags="DF", tos=tos)
    return Ether(src=src.src_mac, dst=src.dst_mac) / ip / l4


class TcpSide:
    """One side of a TCP connection: tracks seq/ack, IP id, timestamps option."""

    def __init__(self, rng, me, peer_ip, sport, dport, isn=None, peer_isn=None, mss=None):
        self.rng, self.me, self.peer_ip, self.sport, self.dport = rng, me, peer_ip, sport, dport
        self.isn = rng.getrandbits(32) if isn is None else isn
        self.peer_isn = rng.getrandbits(32) if peer_isn is None else peer_isn
        self.seq = self.isn
        self.ack = 0
        self.ip_id = rng.getrandbits(16)
        self.ts_off = rng.getrandbits(32)
        self.peer_ts = rng.getrandbits(32)
        self.fl = rng.getrandbits(20)
        self.mss = mss or (1440 if me.v6 else 1460)

    def _tsval(self, t_ns):
        return (self.ts_off + t_ns // MS) & 0xFFFFFFFF

    def frame(self, t_ns, flags, payload=b"", syn_opts=False, window=None):
        if syn_opts:
            opts = [("MSS", self.mss), ("SAckOK", b""), ("Timestamp", (self._tsval(t_ns), self.peer_ts if "A" in flags else 0)),
                    ("NOP", None), ("WScale", 7)]
            win = 64240 if window is None else window
        else:
            opts = [("NOP", None), ("NOP", None), ("Timestamp", (self._tsval(t_ns), self.peer_ts))]
            win = 502 if window is None else window
        tcp = TCP(sport=self.sport, dport=self.dport, seq=self.seq & 0xFFFFFFFF, ack=self.ack & 0xFFFFFFFF if "A" in flags else 0,
                  flags=flags, window=win, options=opts)
        f = l3(self.me, self.peer_ip, self.ip_id, tcp / payload if payload else tcp, flow_label=self.fl)
        self.ip_id += 1
        self.seq += len(payload) + (1 if ("S" in flags or "F" in flags) else 0)
        return f

    def peer_sent(self, nbytes, fin=False, syn=False):
        """Account for bytes the peer sent (advances our ack and the peer's timestamp)."""
        if syn:
            self.ack = self.peer_isn + 1
        else:
            self.ack += nbytes + (1 if fin else 0)
        self.peer_ts = (self.peer_ts + 1 + self.rng.randrange(40)) & 0xFFFFFFFF


def tcp_client_conversation(tl, rng, t, client, sport, vip, dport, requests, rtt_ns, think_ns=(2 * MS, 40 * MS)):
    """Client-side packets of one TCP connection (as before NAT: replies are not invented):
    SYN, ACK, then per request: data (+ ACK of the peer's answer), then FIN and the last ACK.
    requests: list of (payload_bytes, assumed_answer_size). Returns the end time."""
    c = TcpSide(rng, client, vip, sport, dport)
    tl.add(t, c.frame(t, "S", syn_opts=True))
    t += rtt_ns
    c.peer_sent(0, syn=True)
    tl.add(t, c.frame(t, "A"))
    for i, (payload, answer) in enumerate(requests):
        t += rng.randrange(15 * US, 120 * US) if i == 0 else rng.randrange(*think_ns)
        tl.add(t, c.frame(t, "PA", payload))
        t += rtt_ns + rng.randrange(300 * US, 4 * MS)
        c.peer_sent(answer)
        if i + 1 < len(requests):
            tl.add(t, c.frame(t, "A"))
    t += rng.randrange(50 * US, 2 * MS)
    tl.add(t, c.frame(t, "FA"))
    t += rtt_ns
    c.peer_sent(0, fin=True)
    tl.add(t, c.frame(t, "A"))
    return t


def udp_frame(src, dst_ip, sport, dport, payload, ip_id, flow_label=0):
    return l3(src, dst_ip, ip_id, UDP(sport=sport, dport=dport) / payload, flow_label=flow_label)


def dns_query(qid, name, qtype, edns=False):
    d = DNS(id=qid, rd=1, qd=DNSQR(qname=name, qtype=qtype))
    if edns:
        from scapy.layers.dns import DNSRROPT
        d.ar = DNSRROPT(rclass=1232)
    return bytes(d)


def dns_answer(qid, name, qtype, rdata, ttl=300):
    return bytes(DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype=qtype),
                     an=DNSRR(rrname=name, type=qtype, ttl=ttl, rdata=rdata)))


def tls_client_hello(rng, sni):
    def ext(t, body):
        return struct.pack(">HH", t, len(body)) + body
    name = sni.encode()
    alpn = b"\x02h2\x08http/1.1"
    exts = b"".join([
        ext(0, struct.pack(">HBH", len(name) + 3, 0, len(name)) + name),               # server_name
        ext(10, struct.pack(">HHHH", 6, 0x001D, 0x0017, 0x0018)),                      # supported_groups
        ext(13, struct.pack(">HHHHH", 8, 0x0403, 0x0804, 0x0401, 0x0503)),              # signature_algorithms
        ext(16, struct.pack(">H", len(alpn)) + alpn),                                   # ALPN
        ext(43, b"\x04" + struct.pack(">HH", 0x0304, 0x0303)),                          # supported_versions
        ext(45, b"\x01\x01"),                                                           # psk_key_exchange_modes
        ext(51, struct.pack(">HHH", 36, 0x001D, 32) + rng.randbytes(32)),               # key_share x25519
    ])
    ciphers = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8]
    body = (b"\x03\x03" + rng.randbytes(32) + b"\x20" + rng.randbytes(32)
            + struct.pack(">H", 2 * len(ciphers)) + b"".join(struct.pack(">H", c) for c in ciphers)
            + b"\x01\x00" + struct.pack(">H", len(exts)) + exts)
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def tls_record(rng, ctype, n):
    return bytes([ctype, 3, 3]) + struct.pack(">H", n) + rng.randbytes(n)


def sctp_client_association(tl, rng, t, client, sport, vip, dport, messages, rtt_ns):
    """Client side of an SCTP association: INIT, COOKIE-ECHO (+DATA bundled), DATA chunks,
    SACKs of the echoed data, SHUTDOWN, SHUTDOWN-COMPLETE. CRC32c by scapy."""
    my_tag, peer_tag = rng.getrandbits(32) or 1, rng.getrandbits(32) or 1
    tsn, peer_tsn = rng.getrandbits(32), rng.getrandbits(32)
    ip_id = rng.getrandbits(16)

    def send(t, vtag, *chunks):
        nonlocal ip_id
        pkt = SCTP(sport=sport, dport=dport, tag=vtag)
        for ch in chunks:
            pkt = pkt / ch
        tl.add(t, l3(client, vip, ip_id, pkt))
        ip_id += 1

    init = SCTPChunkInit(init_tag=my_tag, a_rwnd=106496, n_out_streams=10, n_in_streams=65535, init_tsn=tsn,
                         params=[SCTPChunkParamSupportedAddrTypes(addr_type_list=["IPv4"]),
                                 SCTPChunkParamECNCapable(), SCTPChunkParamFwdTSN()])
    send(t, 0, init)
    t += rtt_ns
    cookie = rng.randbytes(96)
    ssn = 0
    first = messages[0]
    send(t, peer_tag, SCTPChunkCookieEcho(cookie=cookie),
         SCTPChunkData(tsn=tsn, stream_id=0, stream_seq=ssn, proto_id=0, beginning=1, ending=1, data=first))
    tsn, ssn = tsn + 1, ssn + 1
    t += rtt_ns
    peer_tsn_acked = peer_tsn
    rest = messages[1:]
    i = 0
    while i < len(rest):
        t += rng.randrange(1 * MS, 30 * MS)
        # the echo server answered each message: SACK its data, bundled with the next DATA
        chunks = [SCTPChunkSACK(cumul_tsn_ack=peer_tsn_acked & 0xFFFFFFFF, a_rwnd=106496, n_gap_ack=0, n_dup_tsn=0)]
        nbundle = 2 if (len(rest) - i >= 2 and rng.random() < 0.4) else 1
        for m in rest[i:i + nbundle]:
            chunks.append(SCTPChunkData(tsn=tsn & 0xFFFFFFFF, stream_id=0, stream_seq=ssn, proto_id=0,
                                        beginning=1, ending=1, data=m))
            tsn, ssn = tsn + 1, ssn + 1
        peer_tsn_acked += 1
        send(t, peer_tag, *chunks)
        i += nbundle
        t += rtt_ns
    t += rng.randrange(1 * MS, 10 * MS)
    send(t, peer_tag, SCTPChunkShutdown(cumul_tsn_ack=(peer_tsn_acked + len(rest)) & 0xFFFFFFFF))
    t += rtt_ns
    send(t, peer_tag, SCTPChunkShutdownComplete())
    return t


HTTP_PATHS = ["/", "/healthz", "/api/v1/items", "/api/v1/items/42", "/api/v1/cart", "/static/app.js",
              "/static/style.css", "/metrics", "/api/v1/users/me", "/favicon.ico", "/api/v1/search?q=shoes"]
USER_AGENTS = ["curl/8.5.0", "Go-http-client/1.1", "python-requests/2.31.0", "kube-probe/1.31",
               "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "okhttp/4.12.0"]


def http_get(rng, host_header="web.default.svc.cluster.local", path=None, ua=None):
    path = path or rng.choice(HTTP_PATHS)
    ua = ua or rng.choice(USER_AGENTS)
    return (f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: {ua}\r\n"
            f"Accept: */*\r\n\r\n").encode()


SEARCH = ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"]
CLUSTER_NAMES = ["web", "web.default", "web.default.svc.cluster.local", "kube-dns.kube-system",
                 "api6", "sctp-echo", "empty", "api6.default.svc.cluster.local"]
EXTERNAL_NAMES = ["api.github.com", "storage.googleapis.com", "pypi.org", "registry.k8s.io", "example.com",
                  "oauth2.googleapis.com"]


def dns_lookup_names(name):
    """The names a glibc pod (ndots:5) asks for when resolving `name`: search list first."""
    if name.endswith(".cluster.local"):
        return [name + "."]
    return [f"{name}.{s}." for s in SEARCH] + [name + "."]


def rand_port(rng):
    return rng.randrange(32768, 61000)


class PortAllocator:
    """Unique ephemeral ports per client address."""

    def __init__(self, rng):
        self.rng, self.used = rng, set()

    def __call__(self, ip):
        while True:
            p = rand_port(self.rng)
            if (ip, p) not in self.used:
                self.used.add((ip, p))
                return p


# --- the demo capture ----------------------------------------------------------------
def pod_pool(rng, node_octet, n, exclude):
    cands = [x for x in range(10, 90) if x not in exclude]
    rng.shuffle(cands)
    return [f"10.244.{node_octet}.{x}" for x in sorted(cands[:n])]


def v6_of(ip4):
    o = ip4.split(".")
    return f"fd00:10:244:{o[2]}::{int(o[3]):x}"


def build_demo(seed=20250314):
    rng = random.Random(seed)
    tl = Timeline()
    port = PortAllocator(rng)
    dur = 9_600 * MS

    pods_a = pod_pool(rng, 1, 22, {12, 14, 20, 21})
    pods_b = pod_pool(rng, 2, 18, {11, 15})
    pods = pods_a + pods_b                                # 40 pod clients
    external = ["192.168.49.1", "192.168.49.3", "192.168.49.10", "172.16.3.20", "172.16.7.41", "172.16.12.5"]
    v6_pods = [v6_of(p) for p in pods_a[:7] + pods_b[:6]]

    def rtt_for(h):
        if h.ip.startswith("10.244.1.") or h.ip.startswith("fd00:10:244:1::"):
            return rng.randrange(40 * US, 400 * US)
        if h.ip.startswith("10.244.2.") or h.ip.startswith("fd00:10:244:2::") or h.ip.startswith("192.168.49."):
            return rng.randrange(150 * US, 900 * US)
        return rng.randrange(1 * MS, 6 * MS)

    # web: 180 HTTP connections (pods, external clients, and a hairpin from web backend 10.244.1.5)
    for i in range(180):
        r = rng.random()
        if i < 3:
            ip = "10.244.1.5"
        elif r < 0.85:
            ip = rng.choice(pods)
        else:
            ip = rng.choice(external)
        h = host(ip)
        nreq = rng.choices([1, 2, 3], [0.7, 0.2, 0.1])[0]
        reqs = [(http_get(rng), rng.randrange(180, 1400)) for _ in range(nreq)]
        tcp_client_conversation(tl, rng, rng.randrange(0, dur), h, port(ip), WEB_VIP, WEB_PORT, reqs, rtt_for(h))

    # kube-dns over UDP: glibc lookups (A + AAAA from one socket, search list expansion)
    for i in range(110):
        ip = rng.choice(pods)
        h = host(ip)
        name = rng.choice(CLUSTER_NAMES) if rng.random() < 0.6 else rng.choice(EXTERNAL_NAMES)
        t = rng.randrange(0, dur - 200 * MS)
        for q in dns_lookup_names(name):
            sp = port(ip)
            ip_id = rng.getrandbits(16)
            for qt in ("A", "AAAA"):
                tl.add(t, udp_frame(h, DNS_VIP, sp, DNS_PORT, dns_query(rng.getrandbits(16), q, qt), ip_id))
                ip_id += 1
                t += rng.randrange(20 * US, 90 * US)
            t += rng.randrange(300 * US, 3 * MS)
    # two lookups whose AAAA answer never came: the same socket asks again 5 s later
    for ip in (pods_a[3], pods_b[4]):
        h = host(ip)
        sp = port(ip)
        t = rng.randrange(500 * MS, 3_500 * MS)
        qid_a, qid_aaaa = rng.getrandbits(16), rng.getrandbits(16)
        name = "registry.k8s.io.default.svc.cluster.local."
        tl.add(t, udp_frame(h, DNS_VIP, sp, DNS_PORT, dns_query(qid_a, name, "A"), 7001))
        tl.add(t + 60 * US, udp_frame(h, DNS_VIP, sp, DNS_PORT, dns_query(qid_aaaa, name, "AAAA"), 7002))
        tl.add(t + 5_000 * MS, udp_frame(h, DNS_VIP, sp, DNS_PORT, dns_query(qid_aaaa, name, "AAAA"), 7003))

    # kube-dns over TCP (large answers): length-prefixed queries, one or two per connection
    for i in range(6):
        ip = rng.choice(pods)
        h = host(ip)
        name = rng.choice(["kube-dns.kube-system.svc.cluster.local.", "web.default.svc.cluster.local.",
                           "_http._tcp.web.default.svc.cluster.local."])
        qts = ["SRV"] if name.startswith("_") else ["A", "AAAA"][:rng.choice([1, 2])]
        reqs = []
        for qt in qts:
            q = dns_query(rng.getrandbits(16), name, qt, edns=True)
            reqs.append((struct.pack(">H", len(q)) + q, rng.randrange(120, 700)))
        tcp_client_conversation(tl, rng, rng.randrange(0, dur), h, port(ip), DNS_VIP, DNS_PORT, reqs, rtt_for(h),
                                think_ns=(50 * US, 400 * US))

    # sctp-echo: 8 associations
    for i in range(8):
        ip = rng.choice(pods)
        h = host(ip)
        msgs = [f"ping {i}-{k} {rng.getrandbits(32):08x}\n".encode() for k in range(rng.randrange(2, 6))]
        sctp_client_association(tl, rng, rng.randrange(0, dur - 300 * MS), h, port(ip), SCTP_VIP, SCTP_PORT, msgs,
                                rtt_for(h))

    # api6: 30 IPv6 TLS connections (ClientHello, then the client's Finished, a request, close)
    for i in range(30):
        ip = rng.choice(v6_pods)
        h = host(ip)
        t = rng.randrange(0, dur - 200 * MS)
        rtt = rtt_for(h)
        c = TcpSide(rng, h, API6_VIP, port(ip), API6_PORT)
        tl.add(t, c.frame(t, "S", syn_opts=True))
        t += rtt
        c.peer_sent(0, syn=True)
        tl.add(t, c.frame(t, "A"))
        t += rng.randrange(100 * US, 400 * US)
        tl.add(t, c.frame(t, "PA", tls_client_hello(rng, "api6.default.svc.cluster.local")))
        t += rtt + rng.randrange(200 * US, 1 * MS)
        c.peer_sent(rng.randrange(1300, 2600))                 # ServerHello .. Finished
        tl.add(t, c.frame(t, "PA", b"\x14\x03\x03\x00\x01\x01" + tls_record(rng, 0x17, 53)))
        t += rng.randrange(20 * US, 200 * US)
        tl.add(t, c.frame(t, "PA", tls_record(rng, 0x17, rng.randrange(90, 260))))
        t += rtt + rng.randrange(500 * US, 8 * MS)
        c.peer_sent(rng.randrange(200, 1200))
        tl.add(t, c.frame(t, "A"))
        t += rng.randrange(1 * MS, 20 * MS)
        tl.add(t, c.frame(t, "PA", tls_record(rng, 0x17, 19)))   # close_notify
        tl.add(t + 15 * US, c.frame(t + 15 * US, "FA"))
        t += rtt + 15 * US
        c.peer_sent(0, fin=True)
        tl.add(t, c.frame(t, "A"))

    # Service without endpoints (rejected: one SYN per attempt, the client gets port unreachable)
    for ip in (pods_a[5], pods_b[2], pods_a[9], "172.16.7.41"):
        h = host(ip)
        c = TcpSide(rng, h, EMPTY_VIP, port(ip), EMPTY_PORT)
        t = rng.randrange(0, dur)
        tl.add(t, c.frame(t, "S", syn_opts=True))
    # web's ClusterIP on a port it does not serve (rejected)
    for ip in (pods_a[6], pods_b[7], "192.168.49.10"):
        h = host(ip)
        c = TcpSide(rng, h, WEB_VIP, port(ip), 81)
        t = rng.randrange(0, dur)
        tl.add(t, c.frame(t, "S", syn_opts=True))

    # --- background traffic that matches no Service -------------------------------------
    # an address in the service CIDR that no Service holds: SYN retransmitted after 1 s and 2 s more
    for ip in (pods_a[8],):
        h = host(ip)
        c = TcpSide(rng, h, UNALLOCATED_VIP, port(ip), 80)
        t = rng.randrange(500 * MS, 4_000 * MS)
        for dt in (0, 1_000 * MS, 3_000 * MS):
            c.seq = c.isn
            tl.add(t + dt, c.frame(t + dt, "S", syn_opts=True))
    # ping to web's ClusterIP (ClusterIPs do not answer ICMP echo)
    h = host("10.244.1.14")
    ident = rng.getrandbits(16)
    t = 1_200 * MS
    for seq in range(1, 5):
        ts = (T0_NS + t) // 1000
        payload = struct.pack("<QQ", ts // 1_000_000, ts % 1_000_000) + bytes(range(0x10, 0x38))
        tl.add(t, l3(h, WEB_VIP, 0x4000 + seq, ICMP(type=8, code=0, id=ident, seq=seq) / payload))
        t += 1_000 * MS + rng.randrange(0, 300 * US)
    # ARP on node-a: pods resolving their gateway, node-a resolving its router
    for ip, t in (("10.244.1.14", 1_199 * MS), (pods_a[0], 2_500 * MS), (pods_a[11], 6_100 * MS)):
        mac = pod_mac(ip)
        tl.add(t, Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") /
               ARP(op=1, hwsrc=mac, psrc=ip, hwdst="00:00:00:00:00:00", pdst="10.244.1.1"))
        tl.add(t + 30 * US, Ether(src=CNI_GW_MAC, dst=mac) /
               ARP(op=2, hwsrc=CNI_GW_MAC, psrc="10.244.1.1", hwdst=mac, pdst=ip))
    tl.add(4_321 * MS, Ether(src=NODE_A_MAC, dst="ff:ff:ff:ff:ff:ff") /
           ARP(op=1, hwsrc=NODE_A_MAC, psrc="192.168.49.2", hwdst="00:00:00:00:00:00", pdst="192.168.49.1"))
    tl.add(4_321 * MS + 180 * US, Ether(src=GW_MAC, dst=NODE_A_MAC) /
           ARP(op=2, hwsrc=GW_MAC, psrc="192.168.49.1", hwdst=NODE_A_MAC, pdst="192.168.49.2"))
    # IPv6 neighbour discovery for the pod gateway
    p6 = v6_pods[0]
    mac = pod_mac(p6)
    t = 800 * MS
    tl.add(t, Ether(src=mac, dst="33:33:ff:00:00:01") /
           IPv6(src=p6, dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt="fd00:10:244:1::1") /
           ICMPv6NDOptSrcLLAddr(lladdr=mac))
    tl.add(t + 40 * US, Ether(src=CNI_GW_MAC, dst=mac) /
           IPv6(src="fd00:10:244:1::1", dst=p6, hlim=255) / ICMPv6ND_NA(tgt="fd00:10:244:1::1", R=1, S=1, O=1) /
           ICMPv6NDOptDstLLAddr(lladdr=CNI_GW_MAC))
    # pod to pod, straight to a web backend's pod IP (not through the Service): both directions
    cl, srv = host("10.244.1.21"), host("10.244.2.6")
    t = 3_050 * MS
    for k in range(2):
        sp = port(cl.ip)
        c = TcpSide(rng, cl, srv.ip, sp, 8080)
        s = TcpSide(rng, Host(srv.ip, NODE_B_MAC, NODE_A_MAC, 63), cl.ip, 8080, sp, isn=c.peer_isn, peer_isn=c.isn)
        rtt = rng.randrange(150 * US, 600 * US)
        req = http_get(rng, host_header="10.244.2.6:8080", path="/healthz", ua="kube-probe/1.31")
        resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
        tl.add(t, c.frame(t, "S", syn_opts=True)); t += rtt // 2
        s.peer_sent(0, syn=True)
        tl.add(t, s.frame(t, "SA", syn_opts=True, window=65160)); t += rtt // 2
        c.peer_sent(0, syn=True)
        tl.add(t, c.frame(t, "A")); t += 20 * US
        tl.add(t, c.frame(t, "PA", req)); t += rtt // 2
        s.peer_sent(len(req))
        tl.add(t, s.frame(t, "A")); t += 300 * US
        tl.add(t, s.frame(t, "PA", resp)); t += rtt // 2
        c.peer_sent(len(resp))
        tl.add(t, c.frame(t, "A")); t += 50 * US
        tl.add(t, c.frame(t, "FA")); t += rtt // 2
        s.peer_sent(0, fin=True)
        tl.add(t, s.frame(t, "FA")); t += rtt // 2
        c.peer_sent(0, fin=True)
        tl.add(t, c.frame(t, "A"))
        t += 5_000 * MS
    # pod on node-b sending statsd metrics to the sctp-echo pod's IP on node-a (one way)
    src = host("10.244.2.15")
    for k in range(6):
        t = 700 * MS + k * 1_500 * MS
        line = f"shop.orders.count:{rng.randrange(1, 9)}|c\nshop.latency_ms:{rng.randrange(3, 90)}|ms\n".encode()
        tl.add(t, l3(src, "10.244.1.9", rng.getrandbits(16), UDP(sport=48125, dport=8125) / line))
    # DNS to 8.8.8.8 (a pod with dnsPolicy: Default, and node-a itself), with the answers
    for ip, name, ans in (("10.244.1.12", "example.com.", "93.184.215.14"),
                          ("192.168.49.2", "storage.googleapis.com.", "142.250.179.91"),
                          ("10.244.1.12", "pypi.org.", "151.101.0.223")):
        h = host(ip)
        t = rng.randrange(0, dur)
        sp = port(ip)
        qid = rng.getrandbits(16)
        tl.add(t, udp_frame(h, "8.8.8.8", sp, 53, dns_query(qid, name, "A"), rng.getrandbits(16)))
        back = (Host("8.8.8.8", CNI_GW_MAC, pod_mac(ip), 117) if ip.startswith("10.244.")
                else Host("8.8.8.8", GW_MAC, NODE_A_MAC, 118))
        t += rng.randrange(4 * MS, 12 * MS)
        tl.add(t, udp_frame(back, ip, 53, sp, dns_answer(qid, name, "A", ans), 0))
    # NTP from node-a to the metadata server
    nh = host("192.168.49.2")
    for k, t in enumerate((2_000 * MS, 8_400 * MS)):
        sp = 123
        tx = struct.pack(">II", 0xEB7E3D5D + (t // 1_000_000_000), rng.getrandbits(32))
        req = bytes([0x23, 0, 6, 0xE9]) + b"\0" * 36 + tx
        tl.add(t, udp_frame(nh, "169.254.169.254", sp, 123, req, rng.getrandbits(16)))
        resp = bytes([0x24, 2, 6, 0xE9]) + b"\0\0\0\x10" + b"\0\0\0\x20" + b"GOOG" + tx + tx + tx + tx
        tl.add(t + 600 * US, udp_frame(Host("169.254.169.254", GW_MAC, NODE_A_MAC, 64), "192.168.49.2", 123, sp,
                                       resp, 0))
    pkts = tl.packets()
    first = pkts[0][0]
    return [(t - first, f) for t, f in pkts]          # the first packet at T0 exactly


def main():
    path = os.path.join(ROOT, "pcaps", "demo.pcapng")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pkts = [(T0_NS + t, f) for t, f in build_demo()]
    write_pcapng(path, pkts, if_name="eth0", if_description="node-a, before NAT (svcplane demo)",
                 userappl="svcplane scripts/make-demo-capture.py")
    print(f"{path}: {len(pkts)} packets, {os.path.getsize(path)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
