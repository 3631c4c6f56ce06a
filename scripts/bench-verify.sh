#!/usr/bin/env bash
# Benchmark (not a test): `sspr-msi verify --simulate` of every default package on every
# built-in profile, against one Wine install + uninstall round trip of one package on a
# prepared prefix; prints both times and their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'WINEPREFIX="$work/prefix" wineserver -k 2>/dev/null || true; rm -rf "$work"' EXIT
bash payload/build.sh payload/build >/dev/null
cargo build --release --locked --quiet
./target/release/sspr-msi build --out "$work/dist" >/dev/null

now() { date +%s.%N; }

start=$(now)
./target/release/sspr-msi verify --simulate "$work"/dist/*.msi >/dev/null
simulated=$(echo "$(now) - $start" | bc)

export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY
wineboot --init >/dev/null 2>&1 && winecfg -v win10 && wineserver -w
msi="Z:$(ls "$work"/dist/*win10-x64*.msi | tr / '\\')"
start=$(now)
wine msiexec /i "$msi" /qn
wine msiexec /x "$msi" /qn
wineserver -w
wine_time=$(echo "$(now) - $start" | bc)

packages=$(ls "$work"/dist/*.msi | wc -l)
printf 'verify --simulate: %d packages x every built-in profile: %.3f s\n' "$packages" "$simulated"
printf 'Wine: one install + uninstall of win10-x64 (prepared prefix): %.3f s\n' "$wine_time"
printf 'ratio (Wine round trip / whole simulated matrix): %.1f\n' "$(echo "$wine_time / $simulated" | bc -l)"
