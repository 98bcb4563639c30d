// What the one-packet run decided for the last packet it ran, as EXPLAIN_WORDS u32 words at
// explainPtr(), for `svcplane explain`. Written by the general path only: valid after
// processRange(i, 1) with setFastPath(0) (the fast paths give the same verdicts, and skip it).

export const EXPLAIN_WORDS = 16;

/** EXC_*: what the conntrack stage found. */
export const EX_CT = 0;
/** DIR_*: 0 the original direction, 1 a reply (for EXC_FOUND, EXC_STALE, EXC_RELATED). */
export const EX_CT_DIR = 1;
/** ST_* of the record found, before this packet; 0 when none was found. */
export const EX_CT_STATE_BEFORE = 2;
/** ST_* of the record this packet left (the one it followed or opened); 0 when none. */
export const EX_CT_STATE_AFTER = 3;
/** That record's expiry, capture time in whole seconds; 0 when none. */
export const EX_CT_EXPIRES = 4;
/** FE_* kind of the frontend the packet reached; 0 none (or it followed a connection). */
export const EX_FRONTEND = 5;
/** Source class bits: EXSRC_POD, EXSRC_NODE (assembly/service.ts sourceClass). */
export const EX_SOURCE = 6;
/** EXS_*: the endpoint set that served the packet (service.ts endpointSet). */
export const EX_SET = 7;
/** Endpoints in that set. */
export const EX_SET_N = 8;
/** EXB_*: how the backend was chosen. */
export const EX_CHOICE = 9;
/** With EXB_MAGLEV: the slot read, flow hash % EX_MAGLEV_SIZE. */
export const EX_MAGLEV_SLOT = 10;
export const EX_MAGLEV_SIZE = 11;
/** EXN_*: the source rewrite of a new connection. */
export const EX_NAT = 12;
/** The source port after EXN_MASQUERADE, EXN_HAIRPIN or EXN_PORT_ONLY. */
export const EX_NAT_PORT = 13;
/** Address of the conntrack record (EX_CT_STATE_AFTER's), 0 none: tells packets of one connection apart. */
export const EX_CT_REC = 14;

export const EXC_NONE = 0;
/** A live connection: the packet followed it. */
export const EXC_FOUND = 1;
/** A connection that had expired, or a TCP SYN reopening a closed one: deleted, the packet went on as new. */
export const EXC_STALE = 2;
/** An ICMP error about a tracked connection (the packet it quotes). */
export const EXC_RELATED = 3;

export const EXSRC_POD = 1;
export const EXSRC_NODE = 2;

export const EXS_NONE = 0;
export const EXS_CLUSTER = 1;
export const EXS_LOCAL = 2;

export const EXB_NONE = 0;
export const EXB_MAGLEV = 1;
export const EXB_RANDOM = 2;
export const EXB_AFFINITY = 3;

export const EXN_NONE = 0;
/** Masqueraded to the node address (rules 19, 20, --masquerade-all). */
export const EXN_MASQUERADE = 1;
/** Hairpin: the client is the backend it got (rule 18). */
export const EXN_HAIRPIN = 2;
/** The client's address kept, another source port: its reply tuple clashed with a live connection's. */
export const EXN_PORT_ONLY = 3;

/** Conntrack state names, indexed by ST_* (assembly/conntrack/states.ts). */
export const CT_STATE_NAMES: string[] = ['NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK',
  'TIME_WAIT', 'CLOSE', 'UNREPLIED', 'REPLIED', 'SCTP_COOKIE', 'SCTP_ESTABLISHED', 'SCTP_CLOSED'];
