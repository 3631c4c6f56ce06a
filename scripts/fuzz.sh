#!/usr/bin/env bash
# Runs every fuzz target (fuzz/, `sspr-fuzz --list`) for SECONDS_PER_TARGET each (default 8)
# on seeds made here: a package `sspr-msi build` writes, a cabinet from our writer, the
# fixtures' .reg/JSON/log files, the configuration templates (plus each target's crafted
# seeds). Seeded mutation, not coverage-guided. Each input runs under a 1 s and 256 MiB heap
# cap (in the driver) and the process under `ulimit -v 1048576`; any failure saves its input
# to target/fuzz/failures/ and makes this script exit 1.
#
#     scripts/fuzz.sh [SECONDS_PER_TARGET]
#     SSPR_FUZZ_EXECS=1000000 scripts/fuzz.sh     # a fixed count per target instead
#     SSPR_FUZZ_PROFILE=dev scripts/fuzz.sh 8     # debug build (overflow checks; what CI runs)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds="${1:-8}"
profile="${SSPR_FUZZ_PROFILE:-release}"
case "$profile" in
  release) bin=target/release ;;
  dev) bin=target/debug ;;
  *) echo "fuzz.sh: SSPR_FUZZ_PROFILE is release or dev, not $profile" >&2; exit 2 ;;
esac
cargo build --locked --profile "$profile" -p sspr-fuzz -p sspr-msi --bin sspr-fuzz --bin sspr-msi --example cab

work=target/fuzz
seeds="$work/seeds"
failures="$work/failures"
rm -rf "$seeds" "$failures"
mkdir -p "$seeds"/{package,verify,pe,cabinet,doctor,explain,config} "$failures"

"$bin/sspr-msi" build --target win11-x64 --out "$seeds/package" >/dev/null
cp "$seeds/package"/*.msi "$seeds/verify/"
# The test payload DLLs: a source checkout's, or the ones the tests built.
payloads=payload/build
[ -f "$payloads/x64/SsprTestCredProv.dll" ] || payloads=target/tmp/payload-build
if [ -f "$payloads/x64/SsprTestCredProv.dll" ]; then
  find "$payloads" -name '*.dll' -exec cp {} "$seeds/pe/" \;
  # A credential-provider package: its cabinet holds a PE for the signature checks. The
  # default configuration finds its payload under ./payload/build.
  stage="$work/stage"
  rm -rf "$stage" && mkdir -p "$stage/payload"
  cp -r "$payloads" "$stage/payload/build"
  (cd "$stage" && "$root/$bin/sspr-msi" build --target win7-x64 --out "$root/$seeds/verify" >/dev/null)
  # A signed PE too, so mutations reach the PKCS#7 and the certificate parsing.
  if command -v openssl >/dev/null && command -v osslsigncode >/dev/null; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/fuzz.key" -out "$work/fuzz.pem" \
      -subj /CN=fuzz -days 2 -addext extendedKeyUsage=codeSigning 2>/dev/null
    osslsigncode sign -certs "$work/fuzz.pem" -key "$work/fuzz.key" -h sha256 \
      -in "$payloads/x64/SsprTestCredProv.dll" -out "$seeds/pe/signed.dll" >/dev/null
  fi
fi
"$bin/examples/cab" "$seeds/cabinet/fixtures.cab" tests/fixtures/doctor/win10-home.reg \
  tests/fixtures/explain/windows-1625-policy.log
"$bin/examples/cab" "$seeds/cabinet/one.cab" templates/default.toml
cp tests/fixtures/doctor/*.reg tests/fixtures/doctor/*.json "$seeds/doctor/"
find tests/fixtures/doctor/malformed -type f -exec cp {} "$seeds/doctor/" \; 2>/dev/null || true
cp tests/fixtures/explain/*.log "$seeds/explain/"
cp templates/*.toml "$seeds/config/"

seed_dir() {
  case "$1" in
    package | verify | pe | cabinet | doctor | explain | config) echo "$seeds/$1" ;;
    *) echo "$seeds/none" ;;
  esac
}

if [ -n "${SSPR_FUZZ_EXECS:-}" ]; then
  budget=(--execs "$SSPR_FUZZ_EXECS")
else
  budget=(--seconds "$seconds")
fi

failed=()
for target in $("$bin/sspr-fuzz" --list); do
  # A subshell, so the address-space cap holds for the fuzzer alone.
  if ! (ulimit -v 1048576 && exec "$bin/sspr-fuzz" "$target" "${budget[@]}" \
          --seeds "$(seed_dir "$target")" --out "$failures"); then
    failed+=("$target")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz.sh: FAILED: ${failed[*]}; inputs in $failures (replay: $bin/sspr-fuzz TARGET --replay FILE)" >&2
  exit 1
fi
echo "fuzz.sh: every target passed"
