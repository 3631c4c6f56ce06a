#!/usr/bin/env bash
# Runs the whole sspr-msi test suite. Installs the system tools the tests need when they are
# missing and we are root (Debian); otherwise says exactly what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(wine wine64 msitools wixl osslsigncode gcab mingw-w64 faketime cabextract unzip openssl softhsm2 opensc)
tools=(wine wineserver msiinfo msidump wixl osslsigncode gcab faketime cabextract unzip openssl softhsm2-util pkcs11-tool
       x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc x86_64-w64-mingw32-windres i686-w64-mingw32-windres)

source scripts/tools.sh
install_missing test.sh
if [ -n "$missing" ]; then
  echo "test.sh: missing tools: $missing"
  echo "test.sh: install them with: sudo apt-get install -y ${packages[*]}"
  if [ "${CI:-}" = true ]; then
    echo "test.sh: CI=true: a missing tool is a failure, not a skip" >&2
    exit 1
  fi
  echo "test.sh: tests that need them will say SKIPPED (they fail when CI=true)"
fi

# Wine tests wait on wineserver more than they compute: run more of them at once than cores.
exec cargo test --locked "$@" -- --test-threads="${SSPR_TEST_THREADS:-4}"
