// Table constants shared by the core and the host's table loader.
// Plain numeric constants only: this file is compiled by both sides.

// Frontend kinds.
export const FE_CLUSTER_IP = 1;
export const FE_EXTERNAL_IP = 2;
export const FE_LOAD_BALANCER = 3;
export const FE_NODE_PORT = 4;
/** Marker entry (port 0, protocol 0): the address is an allocated ClusterIP (rule 17). */
export const FE_CLUSTER_ADDR = 5;

// Service-port flags.
/** The slot holds a programmed service port (set by the core). */
export const SF_ACTIVE = 1;
/** internalTrafficPolicy: Local. */
export const SF_INTERNAL_LOCAL = 2;
/** externalTrafficPolicy: Local (and externally accessible). */
export const SF_EXTERNAL_LOCAL = 4;
/** ClientIP session affinity. */
export const SF_AFFINITY = 8;
/** loadBalancerSourceRanges apply. */
export const SF_SOURCE_RANGES = 16;
/** UDP service port: flush conntrack entries of removed endpoints on change (rule 24). */
export const SF_UDP = 32;

// Endpoint sets of a service port.
export const SET_CLUSTER = 0;
export const SET_LOCAL = 1;

// Backend choice for new connections.
export const LB_MAGLEV = 0;
export const LB_RANDOM = 1;

// init() results.
export const INIT_OK = 0;
export const INIT_NOT_PRIME = 1;
export const INIT_BAD_CAPACITY = 2;
/** The tables do not fit in linear memory (abi/capacity.ts). */
export const INIT_NO_MEMORY = 3;

// Control-plane call results (cpServiceSet, cpServiceSourceRanges, ...).
export const CP_OK = 0;
/** The arguments exceed a capacity (slot, set size, list length). */
export const CP_REFUSED = 1;
/** Linear memory is full: nothing was changed. */
export const CP_NO_MEMORY = 2;

// Counters: u64 slots per verdict, per reason, and per service port / backend.
export const VERDICT_SLOTS = 8;
export const REASON_SLOTS = 64;
export const PER_ENTITY = 4;
export const C_PACKETS = 0;
export const C_BYTES = 1;
export const C_CONNS = 2;
/** Live conntrack entries (service ports only): lets the control plane skip scans. */
export const C_LIVE = 3;

// Node lists (cpListAdd): CIDRs the datapath tests addresses against.
/** This node's addresses (as /32 or /128): NodePort destinations by default, masquerade source, node-sourced traffic. */
export const LIST_NODE_IPS = 0;
/** Pod CIDRs (--cluster-cidr): pod-sourced traffic. */
export const LIST_POD_CIDRS = 1;
/** Service CIDRs (--service-cidr, ServiceCIDR objects): unallocated addresses are dropped. */
export const LIST_SERVICE_CIDRS = 2;
/** NodePort addresses (--nodeport-addresses); empty: the node IPs. */
export const LIST_NODEPORT_CIDRS = 3;
export const LIST_COUNT = 4;
/** Entries per list. */
export const NODE_LIST_MAX = 32;
/** Most loadBalancerSourceRanges per service port. */
export const SOURCE_RANGES_MAX = 64;

// Whose Maglev the core reproduces (setMaglevCompat; docs/maglev-compat.md).
export const MAGLEV_COMPAT_SVCPLANE = 0;
export const MAGLEV_COMPAT_CILIUM = 1;
/** Katran's MaglevHash (V1, its default) and MaglevHashV2: tables from each real's 64-bit hash. */
export const MAGLEV_COMPAT_KATRAN = 2;
export const MAGLEV_COMPAT_KATRAN_V2 = 3;
