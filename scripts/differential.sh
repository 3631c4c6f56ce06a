#!/usr/bin/env bash
# The differential campaign (README "Differential campaign"): random packages, one per seed,
# installed and removed by Wine's msiexec on win7, win8, win81, win10 and win11 and compared
# with `verify --simulate` on the matching wine-* profile.
#   scripts/differential.sh --seed N --count K     seeds N .. N+K-1 (default 1 and 200)
# Needs the tools scripts/test.sh installs. Prints each disagreement and a summary line, also
# kept in target/differential/seed-N-count-K.log; exits 1 when any case disagrees.
set -euo pipefail
cd "$(dirname "$0")/.."

seed=1
count=200
while [ "$#" -gt 0 ]; do
  case "$1" in
    --seed) seed="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    *) echo "usage: scripts/differential.sh [--seed N] [--count K]" >&2; exit 2 ;;
  esac
done
case "$seed$count" in
  *[!0-9]*) echo "differential.sh: --seed and --count take whole numbers" >&2; exit 2 ;;
esac

mkdir -p target/differential
log="target/differential/seed-$seed-count-$count.log"
SSPR_DIFFERENTIAL_SEED="$seed" SSPR_DIFFERENTIAL_COUNT="$count" \
  cargo test --locked --test it differential::differential_campaign -- --ignored --nocapture \
  2>&1 | tee "$log" | grep -E '^(DISAGREES|differential campaign:)' || true
grep -q '^differential campaign: .*, 0 disagreements$' "$log"
