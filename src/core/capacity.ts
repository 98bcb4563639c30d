// The capacities of the core's tables: defaults, validation, the linear memory they take, sizing
// from a cluster, and messages that name the option to change. The per-table sums are
// assembly/abi/capacity.ts, compiled into the core too; this file adds the fixed regions (batch,
// scratch, record walk) and the control-plane blocks (endpoint lists, Maglev tables).
//
// WebAssembly linear memory is at most 4 GiB, and every table is allocated at init: a
// combination that does not fit is refused here, before a core is created, with the largest
// value of one option that would fit.

import {
  MEMORY_LIMIT_BYTES, HEAP_SLACK_BYTES, STATIC_BYTES, MAGLEV_SIZE_MAX, SCRATCH_BYTES, FRAGMENTS_DEFAULT,
  capacityBytes, regionBytes, poolBlockBytes, frontendSlots,
} from '../../assembly/abi/capacity.js';
import { BATCH_MAX_BYTES, BATCH_MAX_PACKETS, DESC_WORDS, EXTRA_SLOT_BYTES } from '../../assembly/abi/layout.js';
import { VERDICT_SLOTS, REASON_SLOTS } from '../../assembly/abi/tables.js';
import { WS_WORDS, WALK_IFACES_MAX, WALK_IFACE_BYTES, WALK_BUFFERS, WALK_BUFFER_BYTES, WALK_RECORD_BYTES } from '../../assembly/abi/walk.js';
import { CapacityError } from './errors.js';

/** Every capacity of the core; each defaults as CAPACITY_DEFAULTS says. */
export interface CapacityOptions {
  /** Conntrack capacity (connections). Default 262144. */
  ctMax?: number;
  /** Service-port slots. Default 16384. */
  maxServicePorts?: number;
  /** Backend ids for the whole run (ids are not reused). Default 262144. */
  maxBackends?: number;
  /** Frontends (address, port, protocol); rounded up to a power of two. Default 65536. */
  maxFrontends?: number;
  /** ClientIP affinity entries (client, service port); rounded up to a power of two. Default: ctMax. */
  maxAffinity?: number;
  /** IP datagrams whose first fragment's ports are remembered; rounded up to a power of two. Default 4096. */
  maxFragments?: number;
  /** Maglev table size per endpoint set; must be prime, at most MAGLEV_PRIME_MAX (5000011). Default 16381. */
  maglevSize?: number;
}

export type Capacities = Required<CapacityOptions>;
export type CapacityName = keyof CapacityOptions;

export const CAPACITY_DEFAULTS: Readonly<Omit<Capacities, 'maxAffinity'>> = {
  ctMax: 262144,
  maxServicePorts: 16384,
  maxBackends: 262144,
  maxFrontends: 65536,
  maxFragments: FRAGMENTS_DEFAULT,
  maglevSize: 16381,
};

/** The command-line option of each capacity (messages name it), and what it counts. */
export const CAPACITY_OPTIONS: Readonly<Record<CapacityName, { flag: string; noun: string }>> = {
  ctMax: { flag: '--ct-max', noun: 'connections' },
  maxServicePorts: { flag: '--max-service-ports', noun: 'service ports' },
  maxBackends: { flag: '--max-backends', noun: 'backends' },
  maxFrontends: { flag: '--max-frontends', noun: 'frontends' },
  maxAffinity: { flag: '--max-affinity', noun: 'affinity entries' },
  maxFragments: { flag: '--max-fragments', noun: 'fragment entries' },
  maglevSize: { flag: '--maglev-size', noun: 'Maglev slots' },
};

const NAMES = Object.keys(CAPACITY_OPTIONS) as CapacityName[];

/** The largest Maglev table size the core accepts (MAGLEV_SIZE_MAX is prime). */
export const MAGLEV_PRIME_MAX = largestPrimeAtMost(MAGLEV_SIZE_MAX);

/** Every capacity: the given ones, defaults for the rest (maxAffinity follows ctMax). */
export function resolveCapacities(opts: CapacityOptions): Capacities {
  const ctMax = opts.ctMax ?? CAPACITY_DEFAULTS.ctMax;
  return {
    ctMax,
    maxServicePorts: opts.maxServicePorts ?? CAPACITY_DEFAULTS.maxServicePorts,
    maxBackends: opts.maxBackends ?? CAPACITY_DEFAULTS.maxBackends,
    maxFrontends: opts.maxFrontends ?? CAPACITY_DEFAULTS.maxFrontends,
    maxAffinity: opts.maxAffinity ?? ctMax,
    maxFragments: opts.maxFragments ?? CAPACITY_DEFAULTS.maxFragments,
    maglevSize: opts.maglevSize ?? CAPACITY_DEFAULTS.maglevSize,
  };
}

// ---- memory ---------------------------------------------------------------------------------

/** Bytes of the record walk's regions (assembly/capture/walk.ts walkBytes(): state, interfaces, WALK_RECORD_BYTES per descriptor, the Frame of 11 u32, buffers), allocated on first use. */
export const WALK_BYTES =
  regionBytes(WS_WORDS * 4) + regionBytes(WALK_IFACES_MAX * WALK_IFACE_BYTES) + regionBytes(BATCH_MAX_PACKETS * WALK_RECORD_BYTES) +
  regionBytes(11 * 4) + regionBytes(WALK_BUFFERS * WALK_BUFFER_BYTES);

/**
 * Bytes of the regions a core takes whatever its capacities: those init() allocates
 * (assembly/config.ts configure(): input, descriptors, extra, scratch; the CRC32C table, 1 KiB
 * from the runtime in 16-byte granules with its 4-byte header; the verdict counters) and the
 * record walk's.
 */
export const FIXED_BYTES =
  regionBytes(BATCH_MAX_BYTES) + regionBytes(BATCH_MAX_PACKETS * DESC_WORDS * 4) +
  regionBytes(BATCH_MAX_PACKETS * EXTRA_SLOT_BYTES) + regionBytes(SCRATCH_BYTES) +
  Math.ceil((1024 + 4) / 16) * 16 + regionBytes((VERDICT_SLOTS + REASON_SLOTS) * 8) + WALK_BYTES;

/** What the tables may take: the limit, less static data, the heap's slack and init()'s margin (assembly/index.ts). */
export const MEMORY_BUDGET_BYTES = MEMORY_LIMIT_BYTES - STATIC_BYTES - HEAP_SLACK_BYTES - 4096;

/** Bytes of linear memory a core with these capacities takes (above its static data), the record walk included. */
export function initBytes(c: Capacities): number {
  return FIXED_BYTES + capacityBytes(c.ctMax, c.maxServicePorts, c.maxBackends, c.maxFrontends, c.maglevSize, c.maxAffinity, c.maxFragments);
}

/** What a cluster needs of the tables (tableNeeds() of src/core/tables.ts). */
export interface TableNeeds {
  servicePorts: number;
  backends: number;
  frontends: number;
  /** Backends in each endpoint set programmed (not empty): each takes a list and a Maglev table. */
  setSizes: number[];
  /** Entries of each loadBalancerSourceRanges list programmed (an upper bound). */
  rangeLists: number[];
}

/** Bytes per slot of a Maglev table over n backends (assembly/lb/maglev.ts maglevWidth). */
const maglevWidth = (n: number): number => (n <= 256 ? 1 : 2);

/** Bytes of the control-plane blocks (assembly/lb/pool.ts) that programming `needs` takes with Maglev tables of m slots. */
export function poolBytes(needs: Pick<TableNeeds, 'setSizes' | 'rangeLists'>, m: number): number {
  let bytes = 0;
  for (const n of needs.setSizes) bytes += poolBlockBytes(2 * n) + poolBlockBytes(Math.ceil((m * maglevWidth(n)) / 4));
  for (const k of needs.rangeLists) bytes += poolBlockBytes(2 + 6 * k);
  return bytes;
}

// ---- checks ---------------------------------------------------------------------------------

/**
 * Checks capacities before a core is created: every given value a positive whole number,
 * --maglev-size prime and at most MAGLEV_PRIME_MAX, and everything (with the Maglev tables and
 * endpoint lists of `needs`, when given) in WebAssembly memory. Throws CapacityError naming
 * the option and its largest value that fits. Returns the resolved capacities.
 */
export function checkCapacities(opts: CapacityOptions, needs?: TableNeeds): Capacities {
  checkValues(opts);
  const caps = resolveCapacities(opts);
  checkMemory(opts, caps, needs);
  return caps;
}

/** Every given capacity a positive whole number; the Maglev size prime and not too large. */
function checkValues(opts: CapacityOptions): void {
  for (const name of NAMES) {
    const v = opts[name];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new CapacityError(`${CAPACITY_OPTIONS[name].flag} ${String(v)} must be a positive whole number`);
    }
  }
  const m = opts.maglevSize ?? CAPACITY_DEFAULTS.maglevSize;
  if (m > MAGLEV_SIZE_MAX) {
    throw new CapacityError(`--maglev-size ${m} is too large: at most ${MAGLEV_PRIME_MAX} (a larger table takes too long to build)`);
  }
  if (!isPrime(m)) throw new CapacityError(`--maglev-size ${m} is not prime`);
}

/** Whether capacities `c` (and the blocks of `needs`) fit in the memory budget. */
export function fits(c: Capacities, needs?: TableNeeds): boolean {
  return initBytes(c) + (needs ? poolBytes(needs, c.maglevSize) : 0) <= MEMORY_BUDGET_BYTES;
}

/**
 * Throws CapacityError when `caps` do not fit, naming one option: a given one first, then the
 * rest, each in order of the memory it takes; the first whose value can come down far enough
 * (not below `floors`, what the cluster needs) is named with the largest value that fits.
 * `opts` are the options as given (the rest are defaults, or `sized` from the cluster).
 */
function checkMemory(opts: CapacityOptions, caps: Capacities, needs?: TableNeeds, floors: Partial<Capacities> = {},
                     sized: ReadonlySet<CapacityName> = new Set()): void {
  if (fits(caps, needs)) return;
  // The affinity table follows --ct-max unless it was given.
  const base: CapacityOptions = { ...caps, maxAffinity: opts.maxAffinity };
  const least = (name: CapacityName) => {
    const c = resolveCapacities({ ...base, [name]: name === 'maglevSize' ? 2 : 1 });
    return initBytes(c) + (needs ? poolBytes(needs, c.maglevSize) : 0);
  };
  const order = [...NAMES].sort((a, b) => Number(opts[a] === undefined) - Number(opts[b] === undefined) || least(a) - least(b));
  for (const name of order) {
    const max = largestFitting(base, name, needs);
    if (max < (floors[name] ?? 1)) continue;
    const { flag, noun } = CAPACITY_OPTIONS[name];
    const from = opts[name] !== undefined ? '' : sized.has(name) ? ' (sized from the cluster)' : ' (the default)';
    const blocks = needs && needs.setSizes.length ? ` and the Maglev tables of ${needs.setSizes.length} endpoint sets` : '';
    throw new CapacityError(`${flag} ${caps[name]}${from} is too large: at most ${max} ${noun} fit in WebAssembly memory with the other tables${blocks}`);
  }
  const need = initBytes(caps) + (needs ? poolBytes(needs, caps.maglevSize) : 0);
  throw new CapacityError(`the tables need ${Math.ceil(need / 2 ** 20)} MiB of WebAssembly memory, more than the ${Math.floor(MEMORY_BUDGET_BYTES / 2 ** 20)} MiB it can hold`);
}

/**
 * The largest value of capacity `name` (below its value in `opts`, or its default) that fits
 * with the others (resolved from `opts` as resolveCapacities() does); 0 when none does.
 */
export function largestFitting(opts: CapacityOptions, name: CapacityName, needs?: TableNeeds): number {
  const caps = resolveCapacities(opts);
  const ok = (v: number) => fits(resolveCapacities({ ...opts, [name]: v }), needs);
  // Nothing above 2^33 can fit: every capacity takes more than a byte per unit (a Maglev slot
  // takes less, but its size is bounded by MAGLEV_SIZE_MAX).
  let lo = 0;
  let hi = Math.min(caps[name] - 1, name === 'maglevSize' ? MAGLEV_SIZE_MAX : 2 ** 33);
  while (lo < hi) {
    const mid = Math.floor((lo + hi + 1) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return name === 'maglevSize' ? largestPrimeAtMost(lo) : lo;
}

// ---- sizing from a cluster ------------------------------------------------------------------

/**
 * Capacities for a cluster: the given ones (each checked against what the cluster needs), and
 * for service ports, backends and frontends not given, room for what it needs: twice that
 * with updates to come, and at least the default. Frontends get twice the slots they need (a
 * hash table at most half full). When the room for updates is what does not fit in memory,
 * the sizes without it are used. Throws CapacityError naming the option.
 */
export function sizeCapacities(opts: CapacityOptions, needs: TableNeeds, updates: boolean): Capacities {
  checkValues(opts);
  checkNeeds(opts, needs);
  const size = (room: number): Capacities => resolveCapacities({
    ...opts,
    maxServicePorts: opts.maxServicePorts ?? Math.max(CAPACITY_DEFAULTS.maxServicePorts, needs.servicePorts * room),
    maxBackends: opts.maxBackends ?? Math.max(CAPACITY_DEFAULTS.maxBackends, needs.backends * room),
    maxFrontends: opts.maxFrontends ?? Math.max(CAPACITY_DEFAULTS.maxFrontends, frontendSlots(needs.frontends * 2 * room)),
  });
  if (updates && fits(size(2), needs)) return size(2);
  const caps = size(1);
  const floors: Partial<Capacities> = {
    maxServicePorts: needs.servicePorts,
    maxBackends: needs.backends,
    maxFrontends: needs.frontends,
    maglevSize: needs.setSizes.reduce((a, n) => Math.max(a, n), 1),
  };
  const sized = new Set(NAMES.filter((n) => opts[n] === undefined && (n === 'maxServicePorts' || n === 'maxBackends' || n === 'maxFrontends')));
  checkMemory(opts, caps, needs, floors, sized);
  return caps;
}

/** Throws CapacityError when a given capacity is smaller than what the cluster needs. */
export function checkNeeds(opts: CapacityOptions, needs: Pick<TableNeeds, 'servicePorts' | 'backends' | 'frontends'>): void {
  const low = (name: CapacityName, need: number, slots: (v: number) => number = (v) => v) => {
    const have = opts[name];
    if (have === undefined || slots(have) >= need) return;
    const { flag, noun } = CAPACITY_OPTIONS[name];
    throw new CapacityError(`${flag} ${have} is too small: the cluster has ${need} ${noun}`);
  };
  low('maxServicePorts', needs.servicePorts);
  low('maxBackends', needs.backends);
  low('maxFrontends', needs.frontends, frontendSlots);
}

// ---- primes ---------------------------------------------------------------------------------

/** Whether m is prime (trial division; m is at most MAGLEV_SIZE_MAX here). */
export function isPrime(m: number): boolean {
  if (!Number.isInteger(m) || m < 2) return false;
  if (m % 2 === 0) return m === 2;
  for (let d = 3; d * d <= m; d += 2) if (m % d === 0) return false;
  return true;
}

/** The smallest prime at least n (n at most MAGLEV_SIZE_MAX: one below it is prime). */
export function smallestPrimeAtLeast(n: number): number {
  let m = Math.max(2, Math.ceil(n));
  while (!isPrime(m)) m++;
  return m;
}

function largestPrimeAtMost(n: number): number {
  for (let m = Math.floor(n); m >= 2; m--) if (isPrime(m)) return m;
  return 0;
}

// ---- the command line -----------------------------------------------------------------------

/**
 * The capacity options among a command line's parsed options (commander's camel-case keys:
 * ctMax, maxServicePorts, ...), checked as checkCapacities() checks them, so a value that can
 * never work is refused before any input is read. Those not given stay undefined (sized from
 * the cluster later, or defaults).
 */
export function commandLineCapacities(parsed: Record<string, unknown>): CapacityOptions {
  const opts: CapacityOptions = {};
  for (const name of NAMES) if (parsed[name] !== undefined) opts[name] = parsed[name] as number;
  checkCapacities(opts);
  return opts;
}
