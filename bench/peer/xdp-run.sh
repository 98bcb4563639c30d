#!/usr/bin/env bash
# The XDP peer of the NAT benchmark: builds bench/peer/xdp_nat.c, loads it
# with bpftool into a private bpffs mount, fills its flow map with FLOWS
# established flows (the same cluster and flows as bench/nat.bench.ts), checks
# that its output for one packet equals the core's byte for byte, then runs it
# REPEAT times with BPF_PROG_TEST_RUN and prints the kernel's average ns/run:
#   xdp_nat       the same packet every run: one map entry, hot in cache
#   xdp_nat_walk  each run first writes the next flow's tuple (all FLOWS, in
#                 a shuffled order) into the packet, then does the same work
#   xdp_baseline  an empty program: the test-run loop's own cost per run
#
#   bench/peer/xdp-run.sh [--flows N] [--repeat N] [--rounds N] [--pairs N] [--pair-seconds S]
#   npm run bench -- xdp --flows 1024 --pairs 10
#
# The options can also be given as FLOWS, REPEAT, ROUNDS, PAIRS and
# PAIR_SECONDS in the environment; defaults: 65536 flows, 10^7 runs, 5 rounds,
# no pairs, 2 s per pair.
#
# With --pairs n it then alternates n times between the core's established
# path (bench/profile.ts, original direction, the same flows, PAIR_SECONDS)
# and xdp_nat_walk plus xdp_baseline, so both see the same stretches of a
# shared machine, and prints each pair and the medians over the pairs. The
# kernel reports only XDP's mean per run, so the core's mean is printed next
# to it.
#
# Needs root, clang, bpftool, libbpf-dev headers, and a build (npm run build).
# Skips with a message (exit 0) when any of them is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

FLOWS=${FLOWS:-65536}
REPEAT=${REPEAT:-10000000}
ROUNDS=${ROUNDS:-5}
PAIRS=${PAIRS:-0}
PAIR_SECONDS=${PAIR_SECONDS:-2}

usage() {
  echo "usage: bench/peer/xdp-run.sh [--flows N] [--repeat N] [--rounds N] [--pairs N] [--pair-seconds S]   (or: npm run bench -- xdp [options])"
  echo "  --flows N         established flows in the map, as in nat.bench; default 65536"
  echo "  --repeat N        BPF_PROG_TEST_RUN runs per measurement; default 10000000"
  echo "  --rounds N        measurements of each program; default 5"
  echo "  --pairs N         then N pairs of the core (bench/profile.js) and xdp_nat_walk, alternating; default 0"
  echo "  --pair-seconds S  the core's time in each pair; default 2"
  echo "Needs root, clang, bpftool and libbpf-dev (Debian: apt-get install -y clang bpftool libbpf-dev); skips without them."
}
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --flows|--repeat|--rounds|--pairs|--pair-seconds)
      [ $# -ge 2 ] || { echo "xdp-run: $1 needs a value" >&2; usage >&2; exit 2; }
      case "$1" in
        --flows) FLOWS=$2 ;; --repeat) REPEAT=$2 ;; --rounds) ROUNDS=$2 ;;
        --pairs) PAIRS=$2 ;; --pair-seconds) PAIR_SECONDS=$2 ;;
      esac
      shift 2 ;;
    *) echo "xdp-run: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
for v in "$FLOWS" "$REPEAT" "$ROUNDS" "$PAIRS"; do
  case "$v" in ''|*[!0-9]*) echo "xdp-run: not a whole number: $v" >&2; exit 2 ;; esac
done

skip() { echo "xdp-run: skipped: $*"; exit 0; }

[ "$(id -u)" = 0 ] || skip "needs root (BPF_PROG_LOAD and BPF_PROG_TEST_RUN)"
for tool in clang bpftool node; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed (Debian: apt-get install -y clang bpftool libbpf-dev)"
done
[ -f /usr/include/bpf/bpf_helpers.h ] || skip "libbpf headers missing (Debian: apt-get install -y libbpf-dev)"
[ -f dist/bench/peer/xdp-fixture.js ] || skip "dist/bench/peer/xdp-fixture.js missing (run: npx asc assembly/index.ts --target release && npx tsc -p tsconfig.json)"

# No dots in the path: libbpf rewrites them in pin paths.
work=$(mktemp -d /tmp/svcplane-xdp-XXXXXX)
pin="$work/bpffs"
mounted=0
cleanup() {
  if [ "$mounted" = 1 ]; then umount "$pin" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir "$pin"
mount -t bpf bpf "$pin" 2>/dev/null || skip "cannot mount a bpf filesystem (no CAP_SYS_ADMIN, or no bpffs in this kernel)"
mounted=1
mkdir "$pin/maps"

arch_inc="/usr/include/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)"
clang -O2 -g -target bpf -I"$arch_inc" -DFLOWS_MAX=$((FLOWS + 16)) -DWALK_N="$FLOWS" \
  -c bench/peer/xdp_nat.c -o "$work/xdp_nat.o"
mkdir "$pin/progs"
if ! bpftool prog loadall "$work/xdp_nat.o" "$pin/progs" type xdp pinmaps "$pin/maps" 2>"$work/load.log"; then
  tail -5 "$work/load.log"
  skip "the kernel refused the XDP program (see above)"
fi

node dist/bench/peer/xdp-fixture.js "$work" "$FLOWS"
sed "s#@MAP@#$pin/maps/flows#" "$work/map.batch" > "$work/map.cmds"
bpftool batch file "$work/map.cmds" >/dev/null
sed "s#@WALK@#$pin/maps/walk#" "$work/walk.batch" > "$work/walk.cmds"
bpftool batch file "$work/walk.cmds" >/dev/null

# Same output as the core for the same input.
bpftool prog run pinned "$pin/progs/xdp_nat" data_in "$work/pkt.bin" data_out "$work/out.bin" repeat 1 >/dev/null
if ! cmp -s "$work/out.bin" "$work/expected.bin"; then
  echo "xdp-run: FAIL: XDP output differs from the core's"
  echo " core $(od -An -tx1 -v "$work/expected.bin" | tr -d '\n')"
  echo " xdp  $(od -An -tx1 -v "$work/out.bin" | tr -d '\n')"
  exit 1
fi
echo "xdp-run: output equals the core's for the same packet"

kernel=$(uname -r)
echo "xdp-run: kernel $kernel, $FLOWS flows in a BPF_MAP_TYPE_HASH, $REPEAT runs x $ROUNDS rounds"
avg() { sed -n 's/.*duration (average): \([0-9]*\)ns.*/\1/p'; }
rounds="$work/rounds.txt"
: > "$rounds"
for r in $(seq "$ROUNDS"); do
  nat=$(bpftool prog run pinned "$pin/progs/xdp_nat" data_in "$work/pkt.bin" repeat "$REPEAT" | avg)
  walk=$(bpftool prog run pinned "$pin/progs/xdp_nat_walk" data_in "$work/pkt.bin" repeat "$REPEAT" | avg)
  base=$(bpftool prog run pinned "$pin/progs/xdp_baseline" data_in "$work/pkt.bin" repeat "$REPEAT" | avg)
  echo "$nat $walk $base $((walk - base))" >> "$rounds"
  echo "xdp-run: round $r: xdp_nat (one flow, hot) $nat ns/packet; xdp_nat_walk (all $FLOWS flows, shuffled) $walk ns/packet; empty program $base ns/run (harness, included in both)"
done
# Median and min-max of column $1 of a file of numbers, over all its lines.
spread() { sort -n -k"$1" "$2" | awk -v k="$1" '{ x[NR] = $k } END { m = (NR % 2) ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2; printf "%s (%s-%s)", m, x[1], x[NR] }'; }
echo "xdp-run: over $ROUNDS rounds, median (min-max) ns: xdp_nat $(spread 1 "$rounds"); xdp_nat_walk $(spread 2 "$rounds"); empty program $(spread 3 "$rounds"); xdp_nat_walk without the harness $(spread 4 "$rounds")"

[ "$PAIRS" -gt 0 ] || exit 0
[ -f dist/bench/profile.js ] || skip "dist/bench/profile.js missing (npx tsc -p tsconfig.json)"
echo "xdp-run: $PAIRS pairs: core (bench/profile.js --path fwd --flows $FLOWS, ${PAIR_SECONDS}s) then xdp_nat_walk and xdp_baseline ($REPEAT runs)"
pairs="$work/pairs.txt"
: > "$pairs"
for r in $(seq "$PAIRS"); do
  line=$(node dist/bench/profile.js --path fwd --flows "$FLOWS" --seconds "$PAIR_SECONDS" | grep ' ns/pkt over ')
  cmin=$(echo "$line" | sed -n 's/.* min \([0-9.]*\) .*/\1/p')
  cmed=$(echo "$line" | sed -n 's/.* median \([0-9.]*\) .*/\1/p')
  cmean=$(echo "$line" | sed -n 's/.* mean \([0-9.]*\) .*/\1/p')
  walk=$(bpftool prog run pinned "$pin/progs/xdp_nat_walk" data_in "$work/pkt.bin" repeat "$REPEAT" | avg)
  base=$(bpftool prog run pinned "$pin/progs/xdp_baseline" data_in "$work/pkt.bin" repeat "$REPEAT" | avg)
  echo "$cmed $cmin $walk $base $cmean $((walk - base))" >> "$pairs"
  echo "xdp-run: pair $r: core median $cmed ns, mean $cmean (min $cmin); xdp_nat_walk $walk ns (a mean), empty program $base ns, walk without the harness $((walk - base)) ns"
done
echo "xdp-run: over $PAIRS pairs, median (min-max) ns: core median $(spread 1 "$pairs"), core mean $(spread 5 "$pairs"); xdp_nat_walk $(spread 3 "$pairs"), without the harness $(spread 6 "$pairs")"
