import { D_TS_NSEC, D_TS_SEC } from '../../assembly/abi/layout.js';
import { TSRESOL_DEFAULT, TSRESOL_POW2 } from './format.js';

// Timestamps in capture files are raw 64-bit unit counts (pcapng: units of 10^-n or 2^-n s plus
// if_tsoffset seconds) or second + fraction pairs (pcap). The core wants seconds (u32) and
// nanoseconds 0..999999999. All the arithmetic here is exact on doubles (every intermediate stays
// below 2^53) for the clocks real files use; clocks finer than that take a BigInt path.

const TWO32 = 4294967296;
/** Quotients exact with plain doubles: below this the 64-bit value itself fits in 2^53. */
const HIGH_WORD_EXACT = 0x200000;

/** The clock of one interface: how its raw timestamp units map to seconds and nanoseconds. */
export class TsClock {
  /** The if_tsresol byte (pcap: 6 for usec, 9 for nsec). */
  readonly tsresol: number;
  /** Units per second (exact while below 2^53). */
  readonly unitsPerSec: number;
  /** if_tsoffset: seconds added to every timestamp. */
  readonly offsetSec: number;
  /** Units per second at most 2^32 and nanoseconds computable exactly with doubles. */
  readonly fast: boolean;
  /** For 10^-k clocks with k <= 9: nanoseconds per unit; else 0. */
  readonly nsPerUnit: number;
  private readonly big: bigint;

  /** Throws a RangeError for a resolution finer than 2^-63 s or 10^-19 s (no 64-bit clock has it). */
  constructor(tsresol: number = TSRESOL_DEFAULT, offsetSec = 0) {
    const pow2 = (tsresol & TSRESOL_POW2) !== 0;
    const exp = tsresol & 0x7f;
    if (pow2 ? exp > 63 : exp > 19) {
      throw new RangeError(`unsupported timestamp resolution ${pow2 ? '2' : '10'}^-${exp}`);
    }
    this.tsresol = tsresol & 0xff;
    this.offsetSec = offsetSec;
    this.big = pow2 ? 1n << BigInt(exp) : 10n ** BigInt(exp);
    this.unitsPerSec = Number(this.big);
    this.fast = pow2 ? exp <= 23 : exp <= 9;
    this.nsPerUnit = !pow2 && exp <= 9 ? 10 ** (9 - exp) : 0;
  }

  /** Same resolution (offset ignored). */
  sameResolution(other: TsClock): boolean {
    return this.unitsPerSec === other.unitsPerSec;
  }

  /** if_tsresol as a decimal exponent when it is 10^-k, else -1. */
  get decimalDigits(): number {
    return (this.tsresol & TSRESOL_POW2) === 0 ? this.tsresol : -1;
  }

  /**
   * Writes the normalised timestamp of a raw 64-bit unit count (high, low words) into
   * desc[base + D_TS_SEC] and desc[base + D_TS_NSEC]. Seconds wrap modulo 2^32.
   */
  normalize(high: number, low: number, desc: Uint32Array, base: number): void {
    if (!this.fast) {
      this.normalizeBig(high, low, desc, base);
      return;
    }
    const d = this.unitsPerSec;
    let sec: number;
    let rem: number;
    if (high < HIGH_WORD_EXACT) {
      const v = high * TWO32 + low;
      sec = Math.floor(v / d);
      rem = v - sec * d;
    } else {
      // Long division by 16-bit digits; only the quotient's low 32 bits are kept.
      let r = (high >>> 16) % d;
      let cur = r * 65536 + (high & 0xffff);
      r = cur % d;
      cur = r * 65536 + (low >>> 16);
      const q1 = Math.floor(cur / d);
      r = cur - q1 * d;
      cur = r * 65536 + (low & 0xffff);
      const q0 = Math.floor(cur / d);
      rem = cur - q0 * d;
      sec = q1 * 65536 + q0;
    }
    desc[base + D_TS_SEC] = sec + this.offsetSec;
    desc[base + D_TS_NSEC] = this.nsPerUnit !== 0 ? rem * this.nsPerUnit : Math.floor((rem * 1e9) / d);
  }

  private normalizeBig(high: number, low: number, desc: Uint32Array, base: number): void {
    const v = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
    const sec = v / this.big;
    const rem = v % this.big;
    desc[base + D_TS_SEC] = Number(sec & 0xffffffffn) + this.offsetSec;
    desc[base + D_TS_NSEC] = Number((rem * 1_000_000_000n) / this.big);
  }

  /**
   * The raw unit count for a normalised time (the inverse of normalize, exact for clocks of
   * 10^-9 s or coarser and 2^-23 s or coarser), written into high[idx] and low[idx].
   */
  toUnits(sec: number, nsec: number, high: Uint32Array, low: Uint32Array, idx: number): void {
    const s = (sec - this.offsetSec) >>> 0;
    if (!this.fast) {
      const v = BigInt(s) * this.big + (BigInt(nsec) * this.big) / 1_000_000_000n;
      high[idx] = Number((v >> 32n) & 0xffffffffn);
      low[idx] = Number(v & 0xffffffffn);
      return;
    }
    const frac = this.nsPerUnit !== 0 ? Math.floor(nsec / this.nsPerUnit) : Math.floor((nsec * this.unitsPerSec) / 1e9);
    mul64(s, this.unitsPerSec, frac);
    high[idx] = U64[0]!;
    low[idx] = U64[1]!;
  }
}

/** Scratch result of mul64: [high word, low word]. */
export const U64 = new Uint32Array(2);

/**
 * a * m + add as a 64-bit value into U64 ([high, low]); a < 2^32, m <= 2^32, add < 2^32,
 * exact (16-bit split keeps every product below 2^53).
 */
export function mul64(a: number, m: number, add: number): void {
  const al = a & 0xffff;
  const ah = (a >>> 16) & 0xffff;
  const p1 = al * m + add;
  const p2 = ah * m;
  const p2lo = p2 % 65536;
  const t = p2lo * 65536 + p1;
  U64[1] = t % TWO32;
  U64[0] = (p2 - p2lo) / 65536 + Math.floor(t / TWO32);
}

/** Shared clocks for pcap files. */
export const CLOCK_USEC = new TsClock(6);
export const CLOCK_NSEC = new TsClock(9);
