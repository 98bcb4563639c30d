// --maglev-compat: whose Maglev the core reproduces (docs/maglev-compat.md). The core holds the
// algorithms (murmur3, jhash, the turn rules); the host forms what Cilium and Katran derive from
// their own objects: Cilium's seeds from bpf-lb-maglev-hash-seed and each backend's identity string,
// Katran's seeds from its ring size and each real's hash (katran-real-hash.ts).

import { MAGLEV_COMPAT_SVCPLANE, MAGLEV_COMPAT_CILIUM, MAGLEV_COMPAT_KATRAN, MAGLEV_COMPAT_KATRAN_V2 } from './abi.js';
import { CapacityError, CoreError } from './errors.js';

export const MAGLEV_COMPATS = ['svcplane', 'cilium', 'katran', 'katran-v2'] as const;
export type MaglevCompat = (typeof MAGLEV_COMPATS)[number];

/** The table sizes Cilium accepts for bpf-lb-maglev-table-size (pkg/maglev). */
export const CILIUM_TABLE_SIZES: readonly number[] = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071];
/** Cilium's default bpf-lb-maglev-hash-seed, the --hash-seed of cilium mode when none is given. */
export const CILIUM_DEFAULT_SEED = 'JLfvgnHc2kaSUFaI';

/** The core's MAGLEV_COMPAT_* of a mode. */
export function compatCode(mode: MaglevCompat): number {
  return { svcplane: MAGLEV_COMPAT_SVCPLANE, cilium: MAGLEV_COMPAT_CILIUM, katran: MAGLEV_COMPAT_KATRAN, 'katran-v2': MAGLEV_COMPAT_KATRAN_V2 }[mode];
}

/** Whether a mode is one of Katran's (MaglevHash, MaglevHashV2). */
export function isKatran(mode: MaglevCompat): boolean {
  return mode === 'katran' || mode === 'katran-v2';
}

/** Katran's MAX_VIPS (balancer_consts.h), a factor of its IPv4 jhash seed and its IPv6 seed. */
export const KATRAN_MAX_VIPS = 512;

/**
 * Katran's datapath seeds for a ring of m slots (compile-time constants of its default build):
 * INIT_JHASH_SEED = MAX_VIPS × RING_SIZE (the size of ch_rings), INIT_JHASH_SEED_V6 = MAX_VIPS.
 */
export function katranSeeds(m: number): [number, number] {
  return [Math.imul(KATRAN_MAX_VIPS, m) >>> 0, KATRAN_MAX_VIPS];
}

/** Refuses a table size Cilium would not run with (cilium mode). */
export function checkCiliumTableSize(m: number): void {
  if (!CILIUM_TABLE_SIZES.includes(m)) {
    throw new CapacityError(`--maglev-size ${m} is not a Cilium table size (${CILIUM_TABLE_SIZES.join(', ')})`);
  }
}

/**
 * Cilium's three seeds from bpf-lb-maglev-hash-seed: standard base64 of 12 bytes, read as three
 * big-endian words (murmur3's for the tables, jhash's for IPv4 and for IPv6 flows).
 */
export function ciliumSeeds(seed: string): [number, number, number] {
  const bytes = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(seed)
    ? Uint8Array.from(atob(seed), (c) => c.charCodeAt(0)) : undefined;
  if (!bytes) throw new CoreError(`--hash-seed ${JSON.stringify(seed)}: cilium mode takes Cilium's bpf-lb-maglev-hash-seed, base64 of 12 bytes`);
  if (bytes.length !== 12) throw new CoreError(`--hash-seed ${JSON.stringify(seed)}: decodes to ${bytes.length} bytes, Cilium's seed is 12`);
  const d = new DataView(bytes.buffer);
  return [d.getUint32(0), d.getUint32(4), d.getUint32(8)];
}

/**
 * The string Cilium hashes and sorts a backend by (pkg/maglev BackendInfo): "[10.244.1.5:8080/TCP,State:active]",
 * "[[fd00::5]:8080/UDP,State:active]". `ip` in canonical text (Go's netip form for IPv4 and plain IPv6).
 */
export function ciliumBackendIdentity(ip: string, port: number, protocol: string): string {
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return `[${host}:${port}/${protocol},State:active]`;
}
