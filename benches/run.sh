#!/usr/bin/env bash
# Benchmarks sspr-msi against its peers, side by side in one run on this machine, and writes
# benches/RESULTS.md (README quotes it). Whole processes are timed with hyperfine (min and
# median over repeated runs, JSON exported); sizes are the files' own; peak memory is
# /usr/bin/time's maximum resident set size.
#
#   benches/run.sh                         # release build, then every measurement
#   SSPR_MSI=/path/to/sspr-msi benches/run.sh   # measure another binary (e.g. an older build)
#
# Knobs: BENCH_RUNS (default 30), BENCH_SLOW_RUNS (Wine, scaling; default 5),
# BENCH_FILE_COUNTS (section 6's package sizes; default "100 2000 20000", about 1.5 GB of disk
# for the largest while it is measured).
# Measure on a quiet machine: the load average before and after is written to RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

runs=${BENCH_RUNS:-30}
slow_runs=${BENCH_SLOW_RUNS:-5}

packages=(hyperfine time wixl msitools gcab wine wine64 osslsigncode openssl mingw-w64 python3 valgrind)
tools=(hyperfine /usr/bin/time wixl msiextract msiinfo gcab wine wineserver osslsigncode openssl
       x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc python3 valgrind)

source scripts/tools.sh
install_missing run.sh
if [ -n "$missing" ]; then
  echo "run.sh: missing tools: $missing; install: sudo apt-get install -y ${packages[*]}" >&2
  exit 1
fi

cargo build --release --locked --bin sspr-msi --example cab --example scale --example table_rows
bin=${SSPR_MSI:-$root/target/release/sspr-msi}
examples=$root/target/release/examples
[ -f payload/build/x64/SsprTestCredProv.dll ] || bash payload/build.sh payload/build

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/results
mkdir -p "$out"

# key=value facts for the report, beside hyperfine's JSON files.
fact() { printf '%s=%s\n' "$1" "$2" >>"$out/facts"; }
size_of() { stat -c %s "$1"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
# bench NAME [hyperfine options…] -- COMMAND… : one hyperfine run, exported as NAME.json.
bench() {
  local name=$1
  shift
  hyperfine -N --style basic --export-json "$out/$name.json" "$@"
}
# peak_rss NAME COMMAND… : the command's maximum resident set size in KiB.
peak_rss() {
  local name=$1
  shift
  /usr/bin/time -v "$@" 2>"$work/time.txt" >/dev/null
  fact "rss_$name" "$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")"
}

fact nproc "$(nproc)"
fact cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
fact memory "$(free -h | awk '/^Mem:/ {print $2}')"
fact kernel "$(uname -r)"
fact sspr_msi "$("$bin" --version)"
fact wixl "wixl $(wixl --version)"
fact gcab "$(gcab --version)"
fact wine "$(wine --version)"
fact osslsigncode "$(osslsigncode --version | head -1 | sed "s/, using:.*//")"
fact hyperfine "$(hyperfine --version)"
fact rustc "$(rustc --version)"
fact load_before "$(load)"
fact date "$(date -u '+%Y-%m-%d %H:%M UTC')"

# A throwaway code-signing key and certificate, for `build --sign-*`, `sign` and osslsigncode.
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=sspr-msi-bench -days 30 \
  -addext extendedKeyUsage=codeSigning \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
# What publicly trusted certificates use since June 2023: ECDSA P-256 and RSA-3072.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=sspr-msi-bench \
  -days 30 -addext extendedKeyUsage=codeSigning \
  -keyout "$work/ec-key.pem" -out "$work/ec-cert.pem" 2>/dev/null
openssl req -x509 -newkey rsa:3072 -nodes -subj /CN=sspr-msi-bench -days 30 \
  -addext extendedKeyUsage=codeSigning \
  -keyout "$work/rsa3072-key.pem" -out "$work/rsa3072-cert.pem" 2>/dev/null

echo "== 1. build: the whole matrix vs wixl's single packages"
dll64=payload/build/x64/SsprTestCredProv.dll
# Every command writes into a folder or file that does not exist yet, as in a fresh CI
# checkout: replacing an existing file by rename (ours) or truncation (wixl) makes ext4 start
# writing the new file out at once (auto_da_alloc), a cost a fresh build does not pay.
# One --prepare per command, in order.
bench build --warmup 3 --runs "$runs" \
  --prepare "rm -rf $work/dist" --prepare "rm -rf $work/signed-dist" \
  --prepare "rm -rf $work/ecdsa-dist" \
  --prepare "rm -rf $work/one" --prepare "rm -rf $work/one" \
  --prepare "rm -f $work/wixl-policy.msi" --prepare "rm -f $work/wixl-credprov.msi" \
  -n "sspr-msi build (9 packages)" "$bin build --out $work/dist" \
  -n "sspr-msi build --sign-cert … --sign-key … (9 packages, signed)" \
  "$bin build --out $work/signed-dist --sign-cert $work/cert.pem --sign-key $work/key.pem" \
  -n "sspr-msi build --sign-cert … --sign-key … (9 packages, ECDSA P-256)" \
  "$bin build --out $work/ecdsa-dist --sign-cert $work/ec-cert.pem --sign-key $work/ec-key.pem" \
  -n "sspr-msi build --target win10-x64" "$bin build --out $work/one --target win10-x64" \
  -n "sspr-msi build --target win7-x64" "$bin build --out $work/one --target win7-x64" \
  -n "wixl policy.wxs" "wixl -a x64 -o $work/wixl-policy.msi benches/policy.wxs" \
  -n "wixl credprov.wxs" \
  "wixl -a x64 -D Payload=$dll64 -o $work/wixl-credprov.msi benches/credprov.wxs"
fact size_matrix "$(cat "$work"/dist/*.msi | wc -c)"
fact size_matrix_signed "$(cat "$work"/signed-dist/*.msi | wc -c)"
fact size_matrix_ecdsa "$(cat "$work"/ecdsa-dist/*.msi | wc -c)"
fact size_win10_x64 "$(size_of "$work/dist/sspr-win10-x64-1.0.0.msi")"
fact size_win7_x64 "$(size_of "$work/dist/sspr-win7-x64-1.0.0.msi")"
fact size_wixl_policy "$(size_of "$work/wixl-policy.msi")"
fact size_wixl_credprov "$(size_of "$work/wixl-credprov.msi")"
peak_rss matrix "$bin" build --out "$work/dist"
peak_rss wixl_policy wixl -a x64 -o "$work/wixl-policy.msi" benches/policy.wxs

echo "== 2. cabinet: ours vs gcab -c -z on the same payload"
# The test DLL, and a 10 MB one: the DLL with a pseudo-random overlay (a PE stays valid).
# AES-CTR of zeros under a fixed password: the same bytes on every run. openssl dies of
# SIGPIPE when head has enough, which is not a failure.
random_bytes() {
  { openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass pass:sspr-msi-bench -in /dev/zero 2>/dev/null ||
    true; } | head -c "$1"
}
pad_dll() { # pad_dll SOURCE DEST MEGABYTES
  mkdir -p "$(dirname "$2")"
  cp "$1" "$2"
  random_bytes $(($3 * 1000000 - $(size_of "$1"))) >>"$2"
}
mkdir -p "$work/cab-small" "$work/cab-large"
cp "$dll64" "$work/cab-small/"
pad_dll "$dll64" "$work/cab-large/SsprTestCredProv.dll" 10
for payload in small large; do
  (cd "$work/cab-$payload" && bench "cab_$payload" --warmup 3 --runs "$runs" \
    -n "sspr-msi cab::build" "$examples/cab ours.cab SsprTestCredProv.dll" \
    -n "gcab -c -z" "gcab -c -z gcab.cab SsprTestCredProv.dll")
  fact "size_cab_${payload}_payload" "$(size_of "$work/cab-$payload/SsprTestCredProv.dll")"
  fact "size_cab_${payload}_ours" "$(size_of "$work/cab-$payload/ours.cab")"
  fact "size_cab_${payload}_gcab" "$(size_of "$work/cab-$payload/gcab.cab")"
done

echo "== 3. verify --simulate of the whole matrix vs one Wine install + uninstall round trip"
template=$work/wine-template
WINEPREFIX=$template WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY='' \
  wineboot --init >/dev/null 2>&1
WINEPREFIX=$template wineserver -w
# A fresh Wine prefix reports Windows 7: the win7-x64 credential-provider package installs.
# Only Wine's run needs the prefix copied first (hyperfine takes one --prepare per command).
matrix=$(echo "$work"/dist/*.msi)
bench wine --runs "$slow_runs" \
  --prepare "true" --prepare "bash -c 'rm -rf $work/prefix && cp -a $template $work/prefix'" \
  -n "sspr-msi verify --simulate (9 packages, every built-in profile)" \
  "$bin verify --simulate $matrix" \
  -n "wine msiexec /i + /x (win7-x64)" \
  "bash benches/wine-roundtrip.sh $work/prefix $work/dist/sspr-win7-x64-1.0.0.msi"

echo "== 4. signing: sspr-msi sign vs osslsigncode sign, the same MSI and key"
unsigned=$work/dist/sspr-win7-x64-1.0.0.msi
# One --prepare per command: each removes only its own output.
bench sign --warmup 3 --runs "$runs" \
  --prepare "rm -f $work/signed-ours.msi" --prepare "rm -f $work/signed-osslsigncode.msi" \
  --prepare "rm -f $work/signed-ours-3072.msi" --prepare "rm -f $work/signed-osslsigncode-3072.msi" \
  -n "sspr-msi sign (win7-x64)" \
  "$bin sign $unsigned --cert $work/cert.pem --key $work/key.pem --out $work/signed-ours.msi" \
  -n "osslsigncode sign (win7-x64)" \
  "osslsigncode sign -certs $work/cert.pem -key $work/key.pem -in $unsigned -out $work/signed-osslsigncode.msi" \
  -n "sspr-msi sign, RSA-3072 (win7-x64)" \
  "$bin sign $unsigned --cert $work/rsa3072-cert.pem --key $work/rsa3072-key.pem --out $work/signed-ours-3072.msi" \
  -n "osslsigncode sign, RSA-3072 (win7-x64)" \
  "osslsigncode sign -certs $work/rsa3072-cert.pem -key $work/rsa3072-key.pem -in $unsigned -out $work/signed-osslsigncode-3072.msi"
fact size_signed_ours "$(size_of "$work/signed-ours.msi")"
fact size_signed_osslsigncode "$(size_of "$work/signed-osslsigncode.msi")"
fact size_signed_ours_3072 "$(size_of "$work/signed-ours-3072.msi")"
fact size_signed_osslsigncode_3072 "$(size_of "$work/signed-osslsigncode-3072.msi")"

echo "== 5. scaling: targets (examples/scale) and payload size (the whole matrix)"
for count in 1 10 100; do
  bench "scale_targets_$count" --runs "$slow_runs" --prepare "rm -rf $work/scale" \
    -n "$count targets" "$examples/scale $count $work/scale"
  rm -rf "$work/scale"
  peak_rss "targets_$count" "$examples/scale" "$count" "$work/scale"
done
rm -rf "$work/scale"
pin64=$(sha256sum "$dll64" | cut -d' ' -f1)
pin86=$(sha256sum payload/build/x86/SsprTestCredProv.dll | cut -d' ' -f1)
for megabytes in 1 10 100; do
  dir=$work/payload-$megabytes
  pad_dll "$dll64" "$dir/x64/SsprTestCredProv.dll" "$megabytes"
  pad_dll payload/build/x86/SsprTestCredProv.dll "$dir/x86/SsprTestCredProv.dll" "$megabytes"
  # The default configuration, with both payloads replaced and pinned to their new hashes.
  "$bin" init "$dir/sspr-msi.toml" --force >/dev/null
  sed -i -e "s|payload/build/|$dir/|" \
    -e "s|$pin64|$(sha256sum "$dir/x64/SsprTestCredProv.dll" | cut -d' ' -f1)|" \
    -e "s|$pin86|$(sha256sum "$dir/x86/SsprTestCredProv.dll" | cut -d' ' -f1)|" \
    "$dir/sspr-msi.toml"
  # Every run into an empty folder, as a fresh CI build: renaming over an existing package
  # makes ext4 flush the new file first (auto_da_alloc), which a fresh build never pays.
  bench "scale_payload_$megabytes" --runs "$slow_runs" --prepare "rm -rf $dir/dist" \
    -n "$megabytes MB payload" "$bin build --config $dir/sspr-msi.toml --out $dir/dist"
  rm -rf "$dir/dist"
  peak_rss "payload_$megabytes" "$bin" build --config "$dir/sspr-msi.toml" --out "$dir/dist"
  fact "size_payload_${megabytes}_matrix" "$(cat "$dir"/dist/*.msi | wc -c)"
  rm -rf "$dir"
done

echo "== 6. verify on a foreign package of N files: sspr-msi against msiextract and msiinfo"
# wixl builds each package (a peer's package, not ours) from files of 25,000 pseudo-random
# bytes (MSZIP cannot shrink them: 20,000 files make a 500 MB package); every tool then reads
# all of it. BENCH_FILE_COUNTS picks the sizes (wixl itself takes many minutes for 20,000
# files); each package is deleted once measured.
file_counts=${BENCH_FILE_COUNTS:-100 2000 20000}
fact file_counts "$file_counts"
# msiinfo exports one table per call: one script exports every table the package lists.
cat >"$work/export-all.sh" <<'SCRIPT'
#!/bin/sh
for table in $(msiinfo tables "$1"); do msiinfo export "$1" "$table" >/dev/null || exit 1; done
SCRIPT
chmod +x "$work/export-all.sh"
for count in $file_counts; do
  dir=$work/files-$count
  python3 benches/many_files.py "$count" "$dir" 25000
  (cd "$dir" && wixl -o many.msi many.wxs)
  rm -rf "$dir/files"
  fact "size_files_$count" "$(size_of "$dir/many.msi")"
  bench "files_$count" --runs "$slow_runs" \
    --prepare "true" --prepare "true" --prepare "rm -rf $dir/extracted" --prepare "true" \
    -n "sspr-msi verify" "$bin verify $dir/many.msi" \
    -n "sspr-msi verify --simulate" "$bin verify --simulate $dir/many.msi" \
    -n "msiextract" "msiextract -C $dir/extracted $dir/many.msi" \
    -n "msiinfo export (every table)" "$work/export-all.sh $dir/many.msi"
  peak_rss "files_${count}_verify" "$bin" verify "$dir/many.msi"
  peak_rss "files_${count}_simulate" "$bin" verify --simulate "$dir/many.msi"
  rm -rf "$dir/extracted"
  peak_rss "files_${count}_msiextract" msiextract -C "$dir/extracted" "$dir/many.msi"
  rm -rf "$dir"
done

echo "== 6b. the table reader: instructions (callgrind) for 25,000 and 100,000 rows"
for rows in 25000 100000; do
  "$examples/table_rows" write "$rows" "$work/rows.msi"
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$examples/table_rows" read \
    "$work/rows.msi" 2>"$work/callgrind.txt" >/dev/null
  fact "instructions_rows_$rows" "$(sed -n 's/.*refs: *//p' "$work/callgrind.txt" | tr -d ,)"
  rm -f "$work/rows.msi"
done

fact load_after "$(load)"
python3 benches/report.py "$out" >benches/RESULTS.md
echo "wrote benches/RESULTS.md"
