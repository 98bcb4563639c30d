// SPDX-License-Identifier: Apache-2.0
//
// The XDP peer of the NAT benchmark: the established-flow path only. One BPF
// hash map from the packet's 5-tuple to the address and port to put in its
// destination; a hit rewrites IPv4 daddr and TCP dport and folds the change
// into both checksums (RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), on raw
// 16-bit words as they sit in memory: one's-complement sums commute with
// byte swapping, so no byte order conversion is needed). A miss passes.
//
// Compiled and run by bench/peer/xdp-run.sh with BPF_PROG_TEST_RUN
// (bpftool prog run ... repeat N). Only Ethernet II / IPv4 without options /
// TCP is handled: what the benchmark sends. Two more programs serve the
// harness: xdp_nat_walk (the same step over a different flow each run) and
// xdp_baseline (the cost of the test-run loop itself).

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef FLOWS_MAX
#define FLOWS_MAX 65536
#endif

/* All fields in network order, as read from the packet. */
struct flow_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct flow_nat {
	__u32 addr;
	__u16 port;
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FLOWS_MAX);
	__type(key, struct flow_key);
	__type(value, struct flow_nat);
} flows SEC(".maps");

/* Folds a 32-bit one's-complement sum to 16 bits and complements it. */
static __always_inline __u16 csum_fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

/* Applies a delta (sum of ~old words and new words) to a checksum field. */
static __always_inline void csum_apply(__u16 *field, __u32 delta)
{
	*field = csum_fold((__u32)(__u16)~*field + delta);
}

/* Delta of replacing a 32-bit value (two 16-bit words). */
static __always_inline __u32 delta32(__u32 from, __u32 to)
{
	__u32 nf = ~from;
	return (nf & 0xffff) + (nf >> 16) + (to & 0xffff) + (to >> 16);
}

/* Parses Ethernet / IPv4 (no options, not a fragment) / TCP. Returns -1 to
 * pass, -2 to drop (truncated), 0 with *ipp and *tcpp set. */
static __always_inline int parse(struct xdp_md *ctx, struct iphdr **ipp, struct tcphdr **tcpp)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return -2;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return -1;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return -2;
	if (ip->ihl != 5 || ip->protocol != IPPROTO_TCP || (ip->frag_off & bpf_htons(0x3fff)))
		return -1;
	struct tcphdr *tcp = (void *)(ip + 1);
	if ((void *)(tcp + 1) > end)
		return -2;
	*ipp = ip;
	*tcpp = tcp;
	return 0;
}

/* The established-flow step: look the 5-tuple up, rewrite the destination. */
static __always_inline int nat(struct iphdr *ip, struct tcphdr *tcp)
{
	struct flow_key key = {
		.saddr = ip->saddr,
		.daddr = ip->daddr,
		.sport = tcp->source,
		.dport = tcp->dest,
		.proto = IPPROTO_TCP,
	};
	struct flow_nat *nat = bpf_map_lookup_elem(&flows, &key);
	if (!nat)
		return XDP_PASS;

	__u32 d = 0;
	int changed = 0;
	if (ip->daddr != nat->addr) {
		d = delta32(ip->daddr, nat->addr);
		csum_apply(&ip->check, d);
		ip->daddr = nat->addr;
		changed = 1;
	}
	if (tcp->dest != nat->port) {
		d += (__u32)(__u16)~tcp->dest + nat->port;
		tcp->dest = nat->port;
		changed = 1;
	}
	if (changed)
		csum_apply(&tcp->check, d);
	return XDP_TX;
}

SEC("xdp")
int xdp_nat(struct xdp_md *ctx)
{
	struct iphdr *ip;
	struct tcphdr *tcp;
	int r = parse(ctx, &ip, &tcp);
	if (r)
		return r == -1 ? XDP_PASS : XDP_DROP;
	return nat(ip, tcp);
}

/* Benchmark harness only. BPF_PROG_TEST_RUN repeats one packet, so xdp_nat
 * always hits the same map entry (a hot cache whatever the map size). This
 * program first overwrites the packet's tuple with the next flow of `walk`
 * (the flows in a shuffled order; checksums are left stale, as if a new
 * packet had arrived), then does exactly what xdp_nat does, so successive
 * runs spread over all the flows in the map. */
#ifndef WALK_N
#define WALK_N 1
#endif

struct walk_flow {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FLOWS_MAX);
	__type(key, __u32);
	__type(value, struct walk_flow);
} walk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cursor SEC(".maps");

SEC("xdp")
int xdp_nat_walk(struct xdp_md *ctx)
{
	struct iphdr *ip;
	struct tcphdr *tcp;
	int r = parse(ctx, &ip, &tcp);
	if (r)
		return r == -1 ? XDP_PASS : XDP_DROP;
	__u32 zero = 0;
	__u32 *cur = bpf_map_lookup_elem(&cursor, &zero);
	if (!cur)
		return XDP_ABORTED;
	__u32 i = *cur;
	*cur = i + 1 >= WALK_N ? 0 : i + 1;
	struct walk_flow *f = bpf_map_lookup_elem(&walk, &i);
	if (!f)
		return XDP_ABORTED;
	ip->saddr = f->saddr;
	ip->daddr = f->daddr;
	tcp->source = f->sport;
	tcp->dest = f->dport;
	return nat(ip, tcp);
}

/* Baseline for the harness: returns at once. Its time per run is the cost of
 * BPF_PROG_TEST_RUN's loop itself, included in every figure it reports. */
SEC("xdp")
int xdp_baseline(struct xdp_md *ctx)
{
	return XDP_TX;
}

char _license[] SEC("license") = "Apache-2.0";
