// The closed list of drop (and reject) reasons, shared by core and host.
// Numbers are part of the report format: append new reasons, never renumber
// or reuse one. Names are what users see in --trace, --report and summaries.

export const REASON_NONE = 0;
/** Frame shorter than its link-layer header. */
export const REASON_LINK_TRUNCATED = 1;
/** An 802.1Q / 802.1ad tag cut short. */
export const REASON_VLAN_TRUNCATED = 2;
/** The IP version does not match the link type (or is neither 4 nor 6 on a raw-IP link). */
export const REASON_IP_VERSION_MISMATCH = 3;
/** Fewer than 20 bytes of IPv4 header captured. */
export const REASON_IPV4_TRUNCATED = 4;
/** IPv4 IHL below 5, or header longer than the bytes captured. */
export const REASON_IPV4_BAD_IHL = 5;
/** IPv4 total length smaller than its header or larger than the frame. */
export const REASON_IPV4_BAD_TOTAL_LENGTH = 6;
/** Fewer than 40 bytes of IPv6 header captured. */
export const REASON_IPV6_TRUNCATED = 7;
/** IPv6 payload length larger than the frame. */
export const REASON_IPV6_BAD_PAYLOAD_LENGTH = 8;
/** IPv6 extension header chain cut short, too long, or malformed. */
export const REASON_IPV6_BAD_EXT_HEADER = 9;
/** TCP, UDP, SCTP or ICMP header cut short. */
export const REASON_L4_TRUNCATED = 10;
/** TCP data offset below 5 or beyond the segment. */
export const REASON_TCP_BAD_HEADER_LENGTH = 11;
/** UDP length below 8 or beyond the IP payload. */
export const REASON_UDP_BAD_LENGTH = 12;
/** A non-first fragment to a Service address whose first fragment was not seen. */
export const REASON_FRAGMENT_UNTRACKED = 13;
/** Allocated ClusterIP, but no Service port for this port/protocol (REJECT). */
export const REASON_SERVICE_PORT_UNKNOWN = 14;
/** The Service has no usable endpoint anywhere (REJECT). */
export const REASON_SERVICE_NO_ENDPOINTS = 15;
/** A Local traffic policy and no local endpoint (DROP). */
export const REASON_NO_LOCAL_ENDPOINTS = 16;
/** An address inside the Service CIDR that no Service holds (DROP). */
export const REASON_SERVICE_IP_UNALLOCATED = 17;
/** Source outside the LoadBalancer's loadBalancerSourceRanges (DROP). */
export const REASON_SOURCE_RANGE_DENIED = 18;
/** Conntrack full of live connections: the new connection is not admitted. */
export const REASON_CT_FULL = 19;
/** No free masquerade port for a new connection. */
export const REASON_NAT_PORT_EXHAUSTED = 20;

/** How many reasons exist (one past the highest number). */
export const REASON_COUNT = 21;

/** Names indexed by number. */
export const REASON_NAMES: string[] = [
  'NONE',
  'LINK_TRUNCATED',
  'VLAN_TRUNCATED',
  'IP_VERSION_MISMATCH',
  'IPV4_TRUNCATED',
  'IPV4_BAD_IHL',
  'IPV4_BAD_TOTAL_LENGTH',
  'IPV6_TRUNCATED',
  'IPV6_BAD_PAYLOAD_LENGTH',
  'IPV6_BAD_EXT_HEADER',
  'L4_TRUNCATED',
  'TCP_BAD_HEADER_LENGTH',
  'UDP_BAD_LENGTH',
  'FRAGMENT_UNTRACKED',
  'SERVICE_PORT_UNKNOWN',
  'SERVICE_NO_ENDPOINTS',
  'NO_LOCAL_ENDPOINTS',
  'SERVICE_IP_UNALLOCATED',
  'SOURCE_RANGE_DENIED',
  'CT_FULL',
  'NAT_PORT_EXHAUSTED',
];
