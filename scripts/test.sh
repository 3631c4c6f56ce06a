#!/usr/bin/env bash
# Runs the whole sspr-msi test suite. Installs the system tools the tests need when they are
# missing and we are root (Debian); otherwise says exactly what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(wine wine64 msitools wixl osslsigncode gcab mingw-w64 faketime cabextract unzip openssl
          softhsm2 opensc python3 python3-pip python3-cryptography python3-yaml python3-jsonschema
          libxml2-utils chromium groff-base bsdutils)
# npm comes with the image's Node.js (Debian's own npm package conflicts with it): a tool, not a package.
tools=(wine wineserver msiinfo msidump wixl osslsigncode gcab faketime cabextract unzip openssl python3
       softhsm2-util pkcs11-tool
       x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc x86_64-w64-mingw32-windres i686-w64-mingw32-windres
       xmllint npm chromium groff script)
# Python modules the independent readers import (tests/fixtures/channels/).
python_modules=(cryptography yaml jsonschema)

source scripts/tools.sh
install_missing test.sh
if [ -n "$missing" ]; then
  echo "test.sh: missing tools: $missing"
  echo "test.sh: install them with: sudo apt-get install -y ${packages[*]}"
  if [ "${CI:-}" = true ]; then
    echo "test.sh: CI=true: a missing tool is a failure, not a skip" >&2
    exit 1
  fi
  echo "test.sh: tests that need them are compiled as ignored: they show as skipped (CI=true fails instead)"
fi

# Published schemas and definitions that ship inside PyPI packages (CycloneDX's JSON schemas,
# the in-toto Statement and SLSA Provenance definitions with the protobuf runtime), installed
# beside the build for tests/fixtures/channels/sbom_check.py, and junitparser, the JUnit XML
# reader of tests/fixtures/reports/junit_read.py; never committed.
python_deps=target/python-deps
python_packages=(cyclonedx-python-lib==11.12.0 in-toto-attestation==0.9.3 "protobuf>=4.21,<7"
                 junitparser==5.0.3)
stamp="$python_deps/.installed-$(printf '%s ' "${python_packages[@]}" | sha256sum | cut -c1-16)"
if [ ! -e "$stamp" ] && command -v python3 >/dev/null 2>&1; then
  if PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --no-deps --upgrade \
       --target "$python_deps" "${python_packages[@]}"; then
    touch "$stamp"
  else
    echo "test.sh: pip could not install ${python_packages[*]} into $python_deps"
  fi
fi

# Microsoft's published Graph type definitions (npm), for tests/fixtures/channels/graph_check.py,
# and the SARIF 2.1.0 JSON schema that Microsoft's jest-sarif ships (lib/schemas/), for
# tests/it/reports.rs.
npm_deps=target/npm-deps
npm_packages=(@microsoft/microsoft-graph-types@2.43.1 @microsoft/microsoft-graph-types-beta@0.44.0-preview
              @microsoft/jest-sarif@1.0.0-beta.0)
stamp="$npm_deps/.installed-$(printf '%s ' "${npm_packages[@]}" | sha256sum | cut -c1-16)"
if [ ! -e "$stamp" ] && command -v npm >/dev/null 2>&1; then
  mkdir -p "$npm_deps"
  if npm install --silent --no-save --ignore-scripts --no-audit --no-fund --prefix "$npm_deps" \
       "${npm_packages[@]}"; then
    touch "$stamp"
  else
    echo "test.sh: npm could not install ${npm_packages[*]} into $npm_deps"
  fi
fi

# Wine tests wait on wineserver more than they compute: run more of them at once than cores.
cargo test --locked --workspace "$@" -- --test-threads="${SSPR_TEST_THREADS:-4}"

# Fuzzing for about a minute in all (README "Fuzzing"), on the debug build the tests made; only
# for a whole run, not a filtered one.
if [ "$#" -eq 0 ]; then
  SSPR_FUZZ_PROFILE="${SSPR_FUZZ_PROFILE:-dev}" bash scripts/fuzz.sh "${SSPR_FUZZ_SECONDS:-8}"
fi
