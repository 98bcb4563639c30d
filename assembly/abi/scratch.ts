// The arguments of control-plane calls, as the host writes them into the scratch region
// (scratchPtr(), SCRATCH_BYTES of abi/capacity.ts) before the call and the core reads them.
// Compiled by both sides: plain numeric constants only. Offsets are bytes from the region's
// start unless a name says words (u32, little-endian).

// ---- one address: cpBackend, cpFrontendAdd, cpFrontendRemove, cpListAdd, shardHairpinAdd ---------
/** The address slot: IPv4 in its first 4 bytes and zeros after, or IPv6 in all 16. */
export const SCRATCH_ADDR = 0;
export const ADDR_SLOT_BYTES = 16;

// ---- a backend's identity string: cpBackendIdentity ----------------------------------------------
/** Its bytes (UTF-8) from here. */
export const SCRATCH_IDENTITY = 0;
/** The longest identity accepted ("[[" + the longest IPv6 text + "]:65535/SCTP,State:active]" fits). */
export const IDENTITY_MAX_BYTES = 128;

// ---- backend ids: cpServiceSet, ctFlush, ctAuditSlot -----------------------------------------
/** Word of the first of n backend ids (u32). */
export const SCRATCH_IDS = 0;
/**
 * Words per backend of an endpoint set (cpServiceSet): n ids from SCRATCH_IDS, then n weights
 * (u32) right after them, at word SCRATCH_IDS + n.
 */
export const SET_WORDS_PER_BACKEND = 2;

// ---- CIDRs: cpServiceSourceRanges --------------------------------------------------------------
// n entries from SCRATCH_CIDRS, each:
//
//   0        1        2                 8                                24
//   +--------+--------+-----------------+--------------------------------+
//   | family | prefix |   zero (6)      |     address slot (16)          |
//   +--------+--------+-----------------+--------------------------------+
export const SCRATCH_CIDRS = 0;
export const CIDR_ENTRY_BYTES = 24;
/** u8: 4 or 6 (an entry of another family matches nothing). */
export const CIDR_FAMILY = 0;
/** u8: prefix length in bits. */
export const CIDR_PREFIX = 1;
/** The address slot, as SCRATCH_ADDR's. */
export const CIDR_ADDR = 8;

// ---- the Maglev builder: maglevBuildScratch(m, n) -----------------------------------------------
// Arrays of n u32 each, array k at word k·n: ids, offsets, skips, weights, then room for the
// builder's `next`. The built table (m ids) follows at word MB_ARRAYS·n; the call returns its
// byte offset.
export const MB_IDS = 0;
export const MB_OFFSETS = 1;
export const MB_SKIPS = 2;
export const MB_WEIGHTS = 3;
export const MB_NEXT = 4;
/** Arrays before the table. */
export const MB_ARRAYS = 5;
