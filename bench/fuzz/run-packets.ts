// One packet-fuzz run: `packets` generated packets, in batches, through the three cores of
// CoreTrio; stops at the first trap or mismatch and says how to find it again (seed, batch,
// packet, bytes). Used by bench/fuzz.ts and test/fuzz.test.ts.

import { Core } from '../../src/core/core.js';
import { ServiceTables } from '../../src/core/tables.js';
import { CoreTrio, type Finding } from './cores.js';
import { FUZZ_CAPACITIES, FUZZ_NODE, FUZZ_STATE } from './cluster.js';
import { PacketGenerator, type FuzzPacket, type GeneratorStats } from './packets.js';
import { Rng } from './rng.js';
import { DESC_WORDS, D_CAPLEN, D_WIRELEN, D_LINKTYPE, D_TS_SEC } from '../../src/core/abi.js';
import '../../src/core/wasm-file.js'; // Cores from build/core.wasm

export const FUZZ_BATCH = 1024;
/** Batches between endpoint updates, and between counter comparisons. */
const UPDATE_EVERY = 500;
const COUNTERS_EVERY = 100;

export interface PacketFuzzResult {
  seed: number;
  packets: number;
  batches: number;
  findings: Finding[];
  verdicts: Map<string, number>;
  reasons: Map<string, number>;
  reached: { service: number; backend: number; generated: number };
  generator: GeneratorStats;
  /** Time in each lane's batch calls (ms), by lane name. */
  laneMs: Map<string, number>;
  /** Packets the release core's fast paths handled. */
  fastPath: number;
  conntrack: { entries: number; peak: number; evicted: number; capacity: number };
  /** Wall time of the whole run, generation and comparison included (ms). */
  wallMs: number;
}

export function runPacketFuzz(packets: number, seed: number, progress?: (done: number) => void): PacketFuzzResult {
  const t0 = performance.now();
  const gen = new PacketGenerator(new Rng(seed));
  const clock = new Rng(seed ^ 0x27d4eb2f);
  const trio = new CoreTrio(seed);
  const findings: Finding[] = [];
  let ts = 1_000_000;
  let batch = 0;
  let done = 0;
  while (done < packets && findings.length === 0) {
    const n = Math.min(FUZZ_BATCH, packets - done);
    const pkts: FuzzPacket[] = [];
    for (let i = 0; i < n; i++) pkts.push(gen.next());
    // Mostly a second or two per batch; now and then a jump past the UDP and SYN timeouts, and
    // past every timeout (a day), so conntrack fills up, evicts, and empties again.
    ts += clock.chance(0.004) ? clock.range(86_400, 200_000) : clock.chance(0.02) ? clock.range(60, 400) : clock.int(3);
    const f = trio.run(batch, pkts, ts, (ip) => gen.observe(ip));
    if (f.length && f[0].kind === 'trap') f.push(...isolateTrap(pkts, batch));
    findings.push(...f);
    done += n;
    batch++;
    if (findings.length === 0 && (batch % COUNTERS_EVERY === 0 || done >= packets)) findings.push(...trio.compareCounters(batch - 1));
    if (batch % UPDATE_EVERY === 0) trio.update();
    progress?.(done);
  }
  return {
    seed, packets: trio.packets, batches: batch, findings, verdicts: trio.verdicts, reasons: trio.reasons, reached: trio.reached,
    generator: gen.stats, laneMs: new Map(trio.lanes.map((l) => [l.name, l.ms])), fastPath: trio.lanes[0].core.fastPathPackets(),
    conntrack: trio.lanes[0].core.conntrack(), wallMs: performance.now() - t0,
  };
}

/** The packets of a trapping batch that trap alone, each on a fresh core of each build. */
function isolateTrap(pkts: FuzzPacket[], batch: number): Finding[] {
  const out: Finding[] = [];
  for (const [debug, fastPath] of [[false, true], [false, false], [true, true]]) {
    for (let i = 0; i < pkts.length && out.length < 3; i++) {
      const core = new Core({ ...FUZZ_CAPACITIES, debug, fastPath });
      const t = new ServiceTables(core);
      t.setNode(FUZZ_NODE);
      t.apply(FUZZ_STATE);
      const one = new OnePacket(core);
      const e = one.process(pkts[i]);
      if (e) out.push({ kind: 'trap', batch, index: i, detail: `alone on a fresh ${debug ? 'debug' : 'release'} core${fastPath ? '' : ' without fast path'}: ${e}`, packet: pkts[i] });
    }
  }
  if (out.length === 0) out.push({ kind: 'trap', batch, index: -1, detail: 'no packet of the batch traps alone: the trap depends on the state the run built (rerun with the same seed)' });
  return out;
}

/** One packet alone through a core, catching a trap. */
class OnePacket {
  constructor(private readonly core: Core) {}
  process(p: FuzzPacket): string | undefined {
    const c = this.core;
    c.refresh();
    c.input.set(p.bytes, 0);
    c.desc.fill(0, 0, DESC_WORDS);
    c.desc[D_CAPLEN] = p.bytes.length; c.desc[D_WIRELEN] = p.wirelen; c.desc[D_LINKTYPE] = p.link; c.desc[D_TS_SEC] = 1_000_000;
    try { c.process(1); } catch (e) { return (e as Error).message; }
    return undefined;
  }
}

/** A finding as text: what differed, and the seed, batch and packet that reproduce it. */
export function describeFinding(f: Finding, seed: number): string {
  const lines = [`${f.kind} at batch ${f.batch}${f.index >= 0 ? `, packet ${f.index}` : ''} (seed ${seed}; rerun with --seed ${seed} --packets ${(f.batch + 1) * FUZZ_BATCH})`, `  ${f.detail}`];
  if (f.packet) lines.push(`  link type ${f.packet.link}, caplen ${f.packet.bytes.length}, wirelen ${f.packet.wirelen}`, `  bytes ${Buffer.from(f.packet.bytes).toString('hex')}`);
  return lines.join('\n');
}
