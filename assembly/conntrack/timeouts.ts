// Conntrack timeouts, in seconds of capture time. They follow Linux
// netfilter's defaults as a kube-proxy node runs them: kube-proxy raises
// nf_conntrack_tcp_timeout_established to 86400 s (its
// conntrack.tcpEstablishedTimeout default, 24 h) and sets
// nf_conntrack_tcp_timeout_close_wait to 3600 s (tcpCloseWaitTimeout, 1 h);
// everything else is the kernel's default (nf_conntrack_proto_{tcp,udp,icmp,sctp}.c).

export const TCP_SYN_SENT_S: u64 = 120;
export const TCP_SYN_RECV_S: u64 = 60;
export const TCP_ESTABLISHED_S: u64 = 86400;
export const TCP_FIN_WAIT_S: u64 = 120;
export const TCP_CLOSE_WAIT_S: u64 = 3600;
export const TCP_LAST_ACK_S: u64 = 30;
export const TCP_TIME_WAIT_S: u64 = 120;
export const TCP_CLOSE_S: u64 = 10;
/** UDP before a reply was seen (nf_conntrack_udp_timeout). */
export const UDP_UNREPLIED_S: u64 = 30;
/** UDP once both directions were seen (nf_conntrack_udp_timeout_stream). */
export const UDP_REPLIED_S: u64 = 120;
/** ICMP echo and other protocols (nf_conntrack_icmp_timeout, generic is 600). */
export const ICMP_S: u64 = 30;
export const OTHER_S: u64 = 600;
/** SCTP: INIT seen, waiting for INIT ACK (COOKIE_WAIT / COOKIE_ECHOED). */
export const SCTP_COOKIE_S: u64 = 3;
/** SCTP association up (nf_conntrack_sctp_timeout_established: 210 s in current kernels, 5 days before 2023). */
export const SCTP_ESTABLISHED_S: u64 = 210;
/** SCTP after ABORT or SHUTDOWN COMPLETE. */
export const SCTP_CLOSED_S: u64 = 10;

export const NS_PER_S: u64 = 1_000_000_000;
