// Counters the host reads after a batch. All u64, little-endian.
//   verdicts: VERDICT_COUNT slots | reasons: REASON_SLOTS slots
//   per service-port slot: (unused), (unused), (unused), live connections
//     (packets, bytes and connections of a service port are the sums over its backends)
//   per backend id: packets, bytes, connections, (unused)

import { region, svcMax, backendMax } from './config';
import { VERDICT_SLOTS, REASON_SLOTS, PER_ENTITY } from './abi/tables';


export let verdictCounters: usize = 0;
export let reasonCounters: usize = 0;
export let svcCounters: usize = 0;
export let backendCounters: usize = 0;

export function statsInit(): void {
  verdictCounters = region(<usize>(VERDICT_SLOTS + REASON_SLOTS) * 8);
  reasonCounters = verdictCounters + <usize>VERDICT_SLOTS * 8;
  svcCounters = region(<usize>svcMax * PER_ENTITY * 8);
  backendCounters = region(<usize>backendMax * PER_ENTITY * 8);
}

// @ts-ignore: decorator
@inline export function bump(base: usize, index: u32, field: u32, by: u64): void {
  let p = base + ((<usize>index * PER_ENTITY + field) << 3);
  store<u64>(p, load<u64>(p) + by);
}
// @ts-ignore: decorator
@inline export function unbump(base: usize, index: u32, field: u32): void {
  let p = base + ((<usize>index * PER_ENTITY + field) << 3);
  store<u64>(p, load<u64>(p) - 1);
}
// @ts-ignore: decorator
@inline export function bumpSlot(base: usize, index: u32): void {
  let p = base + (<usize>index << 3);
  store<u64>(p, load<u64>(p) + 1);
}
