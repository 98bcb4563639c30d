// The service stages' decisions, written once for every path: which
// frontend a packet reaches, which endpoint set serves it, whether its
// source is masqueraded (or hairpinned), whether the reply tuple is taken,
// and opening the connection. datapath.ts calls
// them for one packet; openers.ts for a group's new connections, with the
// family a constant.

import { C_CONNS, FE_CLUSTER_IP, SF_INTERNAL_LOCAL, SF_EXTERNAL_LOCAL, LIST_POD_CIDRS, LIST_NODE_IPS } from './abi/tables';
import { listContains, listCount, masqueradeAll, acceptsNodePort, anyAddr, nodeAddr } from './lb/node';
import { feLookup, feKind, SVC_CLUSTER_LIST, SVC_LOCAL_LIST } from './lb/lookup';
import { ctAllocate, ctFill, ctSetNat4, ctPublishHashed, replyHash, ctProbe, ctExpired, ctDelete, CtResult, CT_ORIG_SRC,
  CT_ORIG_DST } from './conntrack/table';
import { copy16, addrEq } from './flow';
import { backendCounters, bump } from './stats';

/**
 * The frontend a packet to `dst`:`dport` reaches (ClusterIP, externalIPs,
 * LoadBalancer ingress), else a NodePort when `dst` accepts NodePorts; 0
 * for none.
 */
// @ts-ignore: decorator
@inline export function frontendFor(dst: usize, family: u32, proto: u32, dport: u32): usize {
  let fe = feLookup(dst, family, proto, dport);
  if (fe == 0 && acceptsNodePort(family, dst)) fe = feLookup(anyAddr, family, proto, dport);
  return fe;
}

/** Traffic from outside the cluster's Service addresses (externalIPs, LoadBalancer, NodePort). */
// @ts-ignore: decorator
@inline export function isExternal(fe: usize): bool { return feKind(fe) != FE_CLUSTER_IP; }

/** What the endpoint-set and masquerade rules read of a source: bits of SRC_*. */
export const SRC_POD: u32 = 1;
export const SRC_NODE: u32 = 2;

/** The source's class: a pod (when pod CIDRs are given), and, for external traffic (the only one it matters to), a node. */
// @ts-ignore: decorator
@inline export function sourceClass(family: u32, src: usize, external: bool): u32 {
  let c: u32 = 0;
  if (listCount(LIST_POD_CIDRS) > 0 && listContains(LIST_POD_CIDRS, family, src)) c |= SRC_POD;
  if (external && listContains(LIST_NODE_IPS, family, src)) c |= SRC_NODE;
  return c;
}

// An endpoint set inside a service-port record: its id list, size and Maglev table.
export const SET_LIST: usize = 0;
export const SET_N: usize = 4;
export const SET_TABLE: usize = 8;

/**
 * The endpoint set that serves the packet (rules 10, 14-16, 20): the
 * node-local one under an internal or external traffic policy of Local
 * (external traffic from pods and nodes keeps the cluster set); a pointer
 * into service record `rec` (SET_*).
 */
// @ts-ignore: decorator
@inline export function endpointSet(rec: usize, flags: u32, external: bool, cls: u32): usize {
  let local = external
    ? (flags & SF_EXTERNAL_LOCAL) != 0 && (cls & (SRC_POD | SRC_NODE)) == 0
    : (flags & SF_INTERNAL_LOCAL) != 0;
  return rec + (local ? SVC_LOCAL_LIST : SVC_CLUSTER_LIST);
}

/**
 * Whether the source is masqueraded to the node address, by what is known
 * before the backend (rules 18-20): --masquerade-all covers ClusterIP
 * traffic only, as kube-proxy's masqueradeAll does; external traffic
 * unless a Local policy keeps the client's address (a node's own
 * traffic always); ClusterIP traffic from outside the pod CIDRs. A backend
 * reaching itself through its Service (hairpin) is masqueraded too.
 */
// @ts-ignore: decorator
@inline export function masqueraded(flags: u32, external: bool, cls: u32): bool {
  if (masqueradeAll && !external) return true;
  return external
    ? (flags & SF_EXTERNAL_LOCAL) == 0 || (cls & SRC_NODE) != 0
    : listCount(LIST_POD_CIDRS) > 0 && (cls & SRC_POD) == 0;
}

/**
 * The node address a new connection's source is rewritten to, or 0 to keep
 * the client's: masquerade when `rule` (masqueraded()) holds or the client
 * is the chosen backend itself (hairpin, `src` the client's address: a
 * 16-byte slot, or the packet's 4-byte field for IPv4), and the node has an
 * address of the family.
 */
// @ts-ignore: decorator
@inline export function sourceNat(family: u32, rule: bool, src: usize, bAddr: usize): usize {
  if (!rule) {
    let hairpin = family == 4
      ? load<u32>(src) == load<u32>(bAddr) && load<u32>(bAddr, 4) == 0 && load<u64>(bAddr, 8) == 0
      : addrEq(src, bAddr);
    if (!hairpin) return 0;
  }
  return nodeAddr(family);
}

/**
 * Whether a live connection already has the reply tuple (`bAddr`:`bPort`
 * → `dst`:`port`, hash `h`), which a new connection would clash with. An
 * expired one found holds its tuple no more (netfilter's would be gone):
 * it is deleted here and the tuple counts as free.
 */
// @ts-ignore: decorator
@inline export function replyTaken(h: u32, family: u32, proto: u32, bAddr: usize, dst: usize, bPort: u32, port: u32,
                                   now: u64, res: CtResult): bool {
  let found = family == 4 ? ctProbe(h, 4, proto, bAddr, dst, bPort, port, res) : ctProbe(h, 6, proto, bAddr, dst, bPort, port, res);
  if (!found) return false;
  if (!ctExpired(res.rec, now)) return true;
  ctDelete(res.rec);
  return false;
}

/**
 * Opens the connection: a record for the original tuple (`src`, `dst`
 * 16-byte slots, or 4-byte fields for IPv4) to backend `backend`
 * (`bAddr`:`bPort`) of service port `slot`, with `nat` (CTN_*) and the
 * source port after SNAT, indexed under the flow hash `h` and the reply
 * tuple's hash (`hReply`, computed from the record when `haveReply` is
 * false), in `state`. Returns the record, or 0 when every record is taken.
 */
// @ts-ignore: decorator
@inline export function openConnection(family: u32, proto: u32, src: usize, dst: usize, sport: u32, dport: u32,
                                       slot: u32, backend: u32, bAddr: usize, bPort: u32, nat: u32, natPort: u32,
                                       state: u32, now: u64, h: u32, hReply: u32, haveReply: bool): usize {
  let ct = ctAllocate(now);
  if (ct == 0) return 0;
  ctFill(ct, family, proto, slot, backend, nat, natPort, sport, dport, bPort);
  if (family == 4) {
    store<u32>(ct + CT_ORIG_SRC, load<u32>(src));
    store<u32>(ct + CT_ORIG_SRC + 4, 0);
    store<u64>(ct + CT_ORIG_SRC + 8, 0);
    store<u32>(ct + CT_ORIG_DST, load<u32>(dst));
    // The rest of the IPv4 orig dst slot holds the DNAT fields (conntrack/table.ts).
    ctSetNat4(ct, load<u32>(dst), dport, load<u32>(bAddr), bPort);
  } else {
    copy16(ct + CT_ORIG_SRC, src);
    copy16(ct + CT_ORIG_DST, dst);
  }
  ctPublishHashed(ct, state, now, h, haveReply ? hReply : replyHash(ct));
  bump(backendCounters, backend, C_CONNS, 1);
  return ct;
}
