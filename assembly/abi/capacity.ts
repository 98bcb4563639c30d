// The linear memory the core's tables take, as a function of their capacities. Compiled by both
// sides: the core (assembly/) sizes its tables with these constants and refuses capacities that
// do not fit; the host (src/core/capacity.ts) checks the same sums before it creates a core, and
// names the option to lower. Self-contained on purpose (the two compilers resolve imports
// differently), and all arithmetic is in `number` (f64 in the core): no capacity can wrap.

/**
 * Bytes of linear memory the core may use: 65535 pages. WebAssembly allows 65536 (4 GiB), but
 * the stub runtime's arithmetic wraps at the 65536th page, so asconfig.json caps memory one page
 * below it.
 */
export const MEMORY_LIMIT_BYTES = 4294901760; // 65535 · 65536, a literal: the product would wrap as i32 in the core
/** Kept free above the last region for heap allocations that are not regions (heapProbe). */
export const HEAP_SLACK_BYTES = 64 * 1024;
/** Static data below the heap: less than asconfig.json's initialMemory (16 pages). */
export const STATIC_BYTES = 16 * 65536;

/**
 * Bytes a region of `bytes` takes (assembly/config.ts region()): 64 bytes of alignment slack,
 * then the stub runtime's 4-byte block header, in 16-byte granules.
 */
export function regionBytes(bytes: number): number {
  return Math.ceil((bytes + 64 + 4) / 16) * 16;
}

/** The smallest power of two at least `n` and at least `min`: the slots of a hash table. */
export function pow2AtLeast(n: number, min: number): number {
  let c = min;
  while (c < n) c *= 2;
  return c;
}

// ---- conntrack (assembly/conntrack/table.ts) ----------------------------------
/** Bytes of one connection record. */
export const CT_RECORD_BYTES = 64;
/** Bytes of one index slot (hash u32, ref u32). */
export const CT_INDEX_SLOT_BYTES = 8;
/** Bytes of one connection's links in its service port's list of live connections (prev u32, next u32). */
export const CT_LINK_BYTES = 8;
/** Bytes of one service port's list head (first connection + 1, or 0). */
export const CT_HEAD_BYTES = 4;
/** Index slots per connection (two keys each, the index at most half full), rounded up to a power of two. */
export const CT_INDEX_SLOTS_PER_CONNECTION = 4;
/** Fewest slots of any hash table. */
export const HASH_MIN_SLOTS = 16;

export function ctIndexSlots(connections: number): number {
  return pow2AtLeast(connections * CT_INDEX_SLOTS_PER_CONNECTION, HASH_MIN_SLOTS);
}

// ---- ClientIP affinity (assembly/lb/affinity.ts) and fragments (assembly/frag.ts) ------------
export const AFFINITY_ENTRY_BYTES = 40;
export const FRAGMENT_ENTRY_BYTES = 56;
/** Default fragment table entries (datagrams whose ports are remembered). */
export const FRAGMENTS_DEFAULT = 4096;

// ---- service tables (assembly/lb/lookup.ts, control.ts) and their counters (assembly/stats.ts) ----------
export const FRONTEND_ENTRY_BYTES = 32;
export const SERVICE_RECORD_BYTES = 64;
/** Pool blocks a service-port record owns (lists, tables, source ranges): one deferred free each. */
export const SERVICE_BLOCKS = 5;
export const BACKEND_RECORD_BYTES = 32;
/** Counter bytes per service port and per backend (PER_ENTITY u64 slots of abi/tables.ts). */
export const ENTITY_COUNTER_BYTES = 32;
/** Positions an update remembers as written before it copies whole tables instead. */
export const DIRTY_MAX = 4096;
/** Most backends in one endpoint set (a Maglev table slot holds a position of at most 16 bits). */
export const MAGLEV_SET_MAX = 65536;

/** Frontend table slots for a capacity of `frontends` (rounded up to a power of two). */
export function frontendSlots(frontends: number): number {
  return pow2AtLeast(frontends, 1);
}

// ---- control-plane blocks (assembly/lb/pool.ts) -----------------------------------------------
/** Size classes of the block pool: class k holds 4·2^k bytes. */
export const POOL_CLASSES = 27;

/** Bytes one pool block of at least `words` u32 takes (a region of its class, plus 8 bytes of header). */
export function poolBlockBytes(words: number): number {
  return regionBytes(4 * pow2AtLeast(words, 1) + 8);
}

/**
 * Largest Maglev table size, a prime (Envoy's Maglev limit too). A table builds in one call that
 * no signal interrupts, in time about M·log M: 100000007 took 49 s, this one a fifth of a second.
 */
export const MAGLEV_SIZE_MAX = 5000011;

/** Bytes of the scratch region the host writes control-plane arguments into. */
export const SCRATCH_BYTES = 1 << 20;

/**
 * Bytes of every region whose size depends on a capacity, allocated once by init(): conntrack,
 * its live lists, affinity, fragments, frontends, service ports, backends, their counters, the
 * audit's backend marks, and the Maglev builder's scratch (Cilium's turn counters are f64). (Fixed regions — batch, scratch, record walk — are src/core/capacity.ts's.)
 */
export function capacityBytes(connections: number, servicePorts: number, backends: number, frontends: number,
                              maglevSize: number, affinity: number, fragments: number): number {
  let setMax = Math.min(maglevSize, MAGLEV_SET_MAX);
  return regionBytes(servicePorts * ENTITY_COUNTER_BYTES) + regionBytes(backends * ENTITY_COUNTER_BYTES) +
    2 * (regionBytes(frontendSlots(frontends) * FRONTEND_ENTRY_BYTES) + regionBytes(servicePorts * SERVICE_RECORD_BYTES)) +
    regionBytes(backends * BACKEND_RECORD_BYTES) +
    4 * regionBytes(setMax * 4) + regionBytes(setMax * 8) + regionBytes(Math.ceil(maglevSize / 32) * 4) +
    regionBytes(servicePorts * SERVICE_BLOCKS * 4) + 4 * regionBytes(DIRTY_MAX * 4) +
    regionBytes(connections * CT_RECORD_BYTES) + regionBytes(ctIndexSlots(connections) * CT_INDEX_SLOT_BYTES) +
    regionBytes(connections * CT_LINK_BYTES) + regionBytes(servicePorts * CT_HEAD_BYTES) + regionBytes(backends) +
    regionBytes(pow2AtLeast(fragments, HASH_MIN_SLOTS) * FRAGMENT_ENTRY_BYTES) +
    regionBytes(pow2AtLeast(affinity, HASH_MIN_SLOTS) * AFFINITY_ENTRY_BYTES);
}
