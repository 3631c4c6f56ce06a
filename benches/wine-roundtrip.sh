#!/usr/bin/env bash
# One Wine install + uninstall round trip of an MSI in an existing prefix, as benches/run.sh
# times it: `wine msiexec /i PACKAGE /qn`, then `/x`, then waits for wineserver to exit.
#
#   benches/wine-roundtrip.sh PREFIX PACKAGE.msi
set -euo pipefail
export WINEPREFIX=$1 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY
# Wine maps Z: to /.
package="Z:$(realpath "$2" | tr / '\\')"

# Wine reports the Windows exit code modulo 256: 0 = installed, 194 = 3010 (installed,
# restart needed: the credential-provider packages request one).
status=0
wine msiexec /i "$package" /qn || status=$?
if [ "$status" != 0 ] && [ "$status" != 194 ]; then
  echo "wine-roundtrip.sh: install exited $status" >&2
  exit 1
fi
wine msiexec /x "$package" /qn
wineserver -w
