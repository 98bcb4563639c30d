import { LINKTYPE_MASK } from './format.js';

// Names of pcap/pcapng link types (LINKTYPE_* numbers), as tcpdump prints them
// ("link-type EN10MB (Ethernet)"). The core parses NULL, EN10MB, RAW, LOOP, LINUX_SLL, IPV4,
// IPV6 and LINUX_SLL2 (assembly/abi/layout.ts); the others pass through unchanged.

const TABLE: readonly (readonly [number, string, string])[] = [
  [0, 'NULL', 'BSD loopback'],
  [1, 'EN10MB', 'Ethernet'],
  [6, 'IEEE802', 'Token ring'],
  [7, 'ARCNET', 'BSD ARCNET'],
  [8, 'SLIP', 'SLIP'],
  [9, 'PPP', 'PPP'],
  [10, 'FDDI', 'FDDI'],
  [50, 'PPP_SERIAL', 'PPP over serial'],
  [51, 'PPP_ETHER', 'PPPoE'],
  [100, 'ATM_RFC1483', 'RFC 1483 LLC-encapsulated ATM'],
  [101, 'RAW', 'Raw IP'],
  [104, 'C_HDLC', 'Cisco HDLC'],
  [105, 'IEEE802_11', '802.11'],
  [107, 'FRELAY', 'Frame Relay'],
  [108, 'LOOP', 'OpenBSD loopback'],
  [113, 'LINUX_SLL', 'Linux cooked v1'],
  [114, 'LTALK', 'Localtalk'],
  [117, 'PFLOG', 'OpenBSD pflog file'],
  [119, 'PRISM_HEADER', '802.11 plus Prism header'],
  [122, 'IP_OVER_FC', 'RFC 2625 IP-over-Fibre Channel'],
  [123, 'SUNATM', 'Sun raw ATM'],
  [127, 'IEEE802_11_RADIO', '802.11 plus radiotap header'],
  [129, 'ARCNET_LINUX', 'Linux ARCNET'],
  [138, 'APPLE_IP_OVER_IEEE1394', 'Apple IP-over-IEEE 1394'],
  [139, 'MTP2_WITH_PHDR', 'SS7 MTP2 with Pseudo-header'],
  [140, 'MTP2', 'SS7 MTP2'],
  [141, 'MTP3', 'SS7 MTP3'],
  [142, 'SCCP', 'SS7 SCCP'],
  [143, 'DOCSIS', 'DOCSIS'],
  [144, 'LINUX_IRDA', 'Linux IrDA'],
  [163, 'IEEE802_11_RADIO_AVS', '802.11 plus AVS radio information header'],
  [165, 'BACNET_MS_TP', 'BACnet MS/TP'],
  [166, 'PPP_PPPD', 'PPP for pppd, with direction flag'],
  [169, 'GPRS_LLC', 'GPRS LLC'],
  [177, 'LINUX_LAPD', 'Linux vISDN LAPD'],
  [187, 'BLUETOOTH_HCI_H4', 'Bluetooth HCI UART transport layer'],
  [189, 'USB_LINUX', 'USB with Linux header'],
  [192, 'PPI', 'Per-Packet Information'],
  [195, 'IEEE802_15_4', 'IEEE 802.15.4 with FCS'],
  [197, 'ERF', 'Endace ERF header'],
  [201, 'BLUETOOTH_HCI_H4_WITH_PHDR', 'Bluetooth HCI UART transport layer plus pseudo-header'],
  [202, 'AX25_KISS', 'AX.25 with KISS header'],
  [220, 'USB_LINUX_MMAPPED', 'USB with padded Linux header'],
  [226, 'IPNET', 'Solaris ipnet'],
  [227, 'CAN_SOCKETCAN', 'CAN-bus with SocketCAN headers'],
  [228, 'IPV4', 'Raw IPv4'],
  [229, 'IPV6', 'Raw IPv6'],
  [230, 'IEEE802_15_4_NOFCS', 'IEEE 802.15.4 without FCS'],
  [231, 'DBUS', 'D-Bus'],
  [235, 'DVB_CI', 'DVB-CI'],
  [239, 'NFLOG', 'Linux netfilter log messages'],
  [240, 'NETANALYZER', 'Ethernet with Hilscher netANALYZER pseudo-header'],
  [241, 'NETANALYZER_TRANSPARENT', 'Ethernet with Hilscher netANALYZER pseudo-header and with preamble and SFD'],
  [242, 'IPOIB', 'RFC 4391 IP-over-Infiniband'],
  [243, 'MPEG_2_TS', 'MPEG-2 transport stream'],
  [247, 'INFINIBAND', 'InfiniBand'],
  [248, 'SCTP', 'SCTP'],
  [249, 'USBPCAP', 'USB with USBPcap header'],
  [251, 'BLUETOOTH_LE_LL', 'Bluetooth Low Energy air interface'],
  [253, 'NETLINK', 'Linux netlink'],
  [254, 'BLUETOOTH_LINUX_MONITOR', 'Bluetooth Linux Monitor'],
  [256, 'BLUETOOTH_LE_LL_WITH_PHDR', 'Bluetooth Low Energy air interface with pseudo-header'],
  [258, 'PKTAP', 'Apple DLT_PKTAP'],
  [259, 'EPON', 'Ethernet with 802.3 Clause 65 EPON preamble'],
  [263, 'WATTSTOPPER_DLM', 'WattStopper Digital Lighting Management (DLM) and Legrand Nitoo Open protocol'],
  [264, 'ISO_14443', 'ISO 14443 messages'],
  [266, 'USB_DARWIN', 'USB with Darwin header'],
  [271, 'VSOCK', 'Linux vsock'],
  [272, 'NORDIC_BLE', 'Nordic Semiconductor Bluetooth LE sniffer frames'],
  [274, 'ETHERNET_MPACKET', '802.3br mPackets'],
  [276, 'LINUX_SLL2', 'Linux cooked v2'],
  [279, 'EBHSCR', 'Elektrobit High Speed Capture and Replay (EBHSCR)'],
  [281, 'DSA_TAG_BRCM', 'Broadcom tag'],
  [3, 'AX25', 'AX.25 layer 2'],
  [203, 'LAPD', 'LAPD (Q.921)'],
  [204, 'PPP_WITH_DIR', 'PPP with direction pseudo-header'],
  [270, 'LORATAP', 'LoRaTap'],
  [290, 'ETW', 'Event Tracing for Windows'],
];

const NAMES = new Map<number, string>();
const DESCRIPTIONS = new Map<number, string>();
for (const [lt, name, description] of TABLE) {
  NAMES.set(lt, name);
  DESCRIPTIONS.set(lt, description);
}
for (let i = 0; i < 16; i++) NAMES.set(147 + i, `USER${i}`);

/**
 * Short name of a link type: 'EN10MB', 'LINUX_SLL', 'RAW', ...; `LINKTYPE_<n>` when unknown.
 * Upper flag bits (FCS length) of a pcap header's field are ignored.
 */
export function linkTypeName(lt: number): string {
  const t = lt & LINKTYPE_MASK;
  return NAMES.get(t) ?? `LINKTYPE_${t}`;
}

/** Human description ('Ethernet', 'Linux cooked v1', ...), or the name when none is known. */
export function linkTypeDescription(lt: number): string {
  const t = lt & LINKTYPE_MASK;
  return DESCRIPTIONS.get(t) ?? linkTypeName(t);
}

/** The link type number of a name ('EN10MB', case-insensitive, optional LINKTYPE_/DLT_ prefix). */
export function linkTypeFromName(name: string): number | undefined {
  const n = name.toUpperCase().replace(/^(LINKTYPE_|DLT_)/, '');
  for (const [lt, nm] of NAMES) if (nm === n) return lt;
  const m = /^LINKTYPE_(\d+)$/.exec(name.toUpperCase());
  return m ? Number(m[1]) & LINKTYPE_MASK : undefined;
}
