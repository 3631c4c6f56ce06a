#!/usr/bin/env bash
# Wine end-to-end self-test of SsprProxyCA.dll (x64 only: Debian's Wine is
# 64-bit only, so the x86 DLL is built but not run here).
#
#   payload/customaction/wine-selftest.sh [OUTDIR]
#
# OUTDIR holds x64/SsprProxyCA.dll from payload/build.sh; without it the
# payload is built into a temporary directory. Needs wine (64-bit), wixl and
# msibuild (msitools), mingw-w64. Exits 0 when every check passes, 1 when one
# fails (each failure is printed as "FAIL: ..."), 2 on bad usage or a missing
# tool. Set KEEP=1 to keep the work directory (packages, logs, prefixes).
#
# How: small packages are built with wixl, then patched with msibuild because
# wixl 0.x drops Execute="rollback" (it writes type 2049 instead of 3329) and
# cannot write a type-34 action. Each package has:
#   SetSsprUndo/SetSsprApply (type 51)  -> CustomActionData of the next two
#   SsprUndo   = SsprRegistryUndoApply, rollback, no-impersonate (3329)
#   SsprApply  = SsprRegistryApply, deferred, no-impersonate (3073)
#   ForceFail  = [System64Folder]cmd.exe /c exit 1, deferred (3106), only
#                when FAIL=1: forces a rollback after Apply
#   and on uninstall (REMOVE~="ALL"):
#   SsprRemoveRollback = SsprRegistryApply, rollback (3329)
#   SsprRemove         = SsprRegistryRemove, deferred (3073)
#   ForceFailRemove    = as ForceFail, only when FAILREMOVE=1
#   ForceFailEarly     = as ForceFail, between SsprUndo and SsprApply, only
#                        when FAILEARLY=1: rollback when Apply never ran
#
# Checks (each in a fresh copy of one prepared prefix):
#  1 machine: install then uninstall gives back exactly the earlier registry
#    (HKLM\SOFTWARE dumped with `reg query /s /reg:64`, before vs after):
#    a value that existed with another type, absent values, a key that did
#    not exist (and its created parents), the backup key and its parents.
#  2 machine: a forced failure after Apply rolls back to the exact earlier state.
#  3 machine: a value an admin changed after install is left alone by uninstall
#    (logged as "kept"); the rest is restored; the backup is gone.
#  4 machine: a forced failure after Remove (uninstall) rolls back to the
#    installed state (rollback of Remove = Apply).
#  5 machine, view=32 (CR LF record ends, empty records): writes land in
#    Wow6432Node, uninstall restores exactly.
#  6 default-profile: a Wine-format hive file made inside the prefix, pointed at
#    by ProfileList\Default (REG_EXPAND_SZ %SystemDrive%\...): log shows load,
#    set, read back, unload; no HKU\SSPR_DefaultProfile left; backup in HKLM;
#    uninstall drops the backup and HKLM\SOFTWARE is back to the earlier dump.
#  7 default-profile: forced failure rolls back (log shows the restore steps
#    inside a load/unload pair), no mount left, HKLM\SOFTWARE as before.
#  8 default-profile with a stale HKU\SSPR_DefaultProfile mount (as a crash
#    would leave): the DLL unloads it first. Wine's reg.exe has no load, so a
#    tiny mingw program built here mounts it, under a persistent wineserver.
#  9 default-profile, ProfileList\Default missing: 1603 with a clear log line,
#    nothing mounted, nothing changed.
# 10 bad CustomActionData record: 1603, the record named in the log, nothing changed.
# 11 machine: a second product applying the same value keeps the first backup
#    (earliest state wins); uninstalling both gives back the earlier registry.
# 12 machine: a failure before Apply ran: UndoApply finds no backup, changes nothing.
#
# What Wine cannot show: Wine does not write a loaded hive back to its file at
# unload, so every load starts from the file as made by the test. Hence the
# evidence for default-profile writes is the log ("read back" lines taken
# while the hive is loaded), and a default-profile uninstall under Wine sees
# the file's original data, not what install wrote (it logs "kept ...
# changed since install" for a value whose original data differs from ours,
# and "deleted ... was not there" for one that was absent).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
payload=$(cd "$here/.." && pwd)

if [ "$#" -gt 1 ]; then echo "usage: $0 [OUTDIR]" >&2; exit 2; fi
for t in wine wineserver wixl msibuild msiinfo python3; do
    command -v "$t" >/dev/null 2>&1 || { echo "wine-selftest: missing tool $t" >&2; exit 2; }
done

work=$(mktemp -d)
cleanup() {
    for p in "$work"/t*/pfx "$work"/base; do
        [ -d "$p" ] || continue
        WINEPREFIX="$p" wineserver -k >/dev/null 2>&1
        WINEPREFIX="$p" wineserver -w >/dev/null 2>&1
    done
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $work"; return; fi
    # a wineserver may still be saving a prefix as it exits: try again
    rm -rf "$work" 2>/dev/null || { sleep 3; rm -rf "$work"; }
}
trap cleanup EXIT

if [ "$#" -eq 1 ]; then
    dll=$(cd "$1" && pwd)/x64/SsprProxyCA.dll
else
    "$payload/build.sh" "$work/out" >/dev/null || { echo "wine-selftest: build failed" >&2; exit 1; }
    dll=$work/out/x64/SsprProxyCA.dll
fi
[ -f "$dll" ] || { echo "wine-selftest: no $dll" >&2; exit 2; }

export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
failures=0
fail() { echo "FAIL: [$test] $*"; failures=$((failures + 1)); }
pass() { echo "ok:   [$test] $*"; }

echo "preparing a Wine prefix..."
WINEPREFIX="$work/base" wineboot --init >/dev/null 2>&1
WINEPREFIX="$work/base" wineserver -w

BACKUP='SOFTWARE\SsprTestVendor\SSPR\ProxyBackup'
IS='SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings'
POL='SOFTWARE\Policies\SsprTestPolicies\Windows\CurrentVersion\Internet Settings'
NEWKEY='SOFTWARE\SsprCaTestNew\Deep\Key'
LONG_OVERRIDE="<local>;*.corp;a=b:c d;$(printf 'host%04d.example.com;' $(seq 1 120))end"

# make_msi DIR "CAD lines" [VARIANT]  (LF-separated; same data for all four
# actions; VARIANT 0-9 gives another product: other ProductCode, UpgradeCode,
# component and marker key)
make_msi() {
    local dir=$1 cad=$2 variant=${3:-0}
    cp "$dll" "$dir/SsprProxyCA.dll"
    CAD="$cad" VARIANT="$variant" python3 - "$dir" <<'PY'
import os, sys
from xml.sax.saxutils import escape
d = sys.argv[1]
cad = escape(os.environ["CAD"], {"\n": "&#10;", "\r": "&#13;", '"': "&quot;"})
v = os.environ["VARIANT"]
wxs = f'''<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="8A1C4C5E-0C7B-4C55-9E43-1F7A6C1D2E{v}1" Name="SsprCaSelftest" Language="1033" Version="1.0.0"
           Manufacturer="sspr-msi test" UpgradeCode="8A1C4C5E-0C7B-4C55-9E43-1F7A6C1D2E{v}2">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perMachine"/>
    <Binary Id="SsprProxyCA" SourceFile="SsprProxyCA.dll"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Component Id="Marker" Guid="8A1C4C5E-0C7B-4C55-9E43-1F7A6C1D2E{v}3" Win64="yes">
        <RegistryValue Root="HKLM" Key="SOFTWARE\\SsprCaSelftestMarker{v}" Name="Installed" Type="integer" Value="1" KeyPath="yes"/>
      </Component>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="Marker"/></Feature>
    <CustomAction Id="SetSsprUndo" Property="SsprUndo" Value="{cad}"/>
    <CustomAction Id="SetSsprApply" Property="SsprApply" Value="{cad}"/>
    <CustomAction Id="SetSsprRemoveRollback" Property="SsprRemoveRollback" Value="{cad}"/>
    <CustomAction Id="SetSsprRemove" Property="SsprRemove" Value="{cad}"/>
    <CustomAction Id="SsprUndo" BinaryKey="SsprProxyCA" DllEntry="SsprRegistryUndoApply" Execute="rollback" Impersonate="no" Return="check"/>
    <CustomAction Id="SsprApply" BinaryKey="SsprProxyCA" DllEntry="SsprRegistryApply" Execute="deferred" Impersonate="no" Return="check"/>
    <CustomAction Id="SsprRemoveRollback" BinaryKey="SsprProxyCA" DllEntry="SsprRegistryApply" Execute="rollback" Impersonate="no" Return="check"/>
    <CustomAction Id="SsprRemove" BinaryKey="SsprProxyCA" DllEntry="SsprRegistryRemove" Execute="deferred" Impersonate="no" Return="check"/>
    <InstallExecuteSequence>
      <Custom Action="SetSsprUndo" After="InstallValidate">NOT Installed</Custom>
      <Custom Action="SetSsprApply" After="SetSsprUndo">NOT Installed</Custom>
      <Custom Action="SetSsprRemoveRollback" After="SetSsprApply">REMOVE~="ALL"</Custom>
      <Custom Action="SetSsprRemove" After="SetSsprRemoveRollback">REMOVE~="ALL"</Custom>
      <Custom Action="SsprUndo" After="InstallInitialize">NOT Installed</Custom>
      <Custom Action="SsprApply" After="SsprUndo">NOT Installed</Custom>
      <Custom Action="SsprRemoveRollback" After="SsprApply">REMOVE~="ALL"</Custom>
      <Custom Action="SsprRemove" After="SsprRemoveRollback">REMOVE~="ALL"</Custom>
    </InstallExecuteSequence>
  </Product>
</Wix>
'''
open(os.path.join(d, "t.wxs"), "w").write(wxs)
PY
    (cd "$dir" && wixl -a x64 -o t.msi t.wxs 2>wixl.err) || { cat "$dir/wixl.err"; return 1; }
    # wixl drops Execute="rollback", cannot write type 34, and its relative
    # sequencing put these after InstallFinalize: patch the tables.
    local q=() a n
    for a in SetSsprUndo:1401 SetSsprApply:1402 SetSsprRemoveRollback:1403 SetSsprRemove:1404 \
             SsprUndo:1501 SsprApply:1503 SsprRemoveRollback:1505 SsprRemove:1506; do
        n=${a#*:}; a=${a%%:*}
        q+=(-q "UPDATE \`InstallExecuteSequence\` SET \`Sequence\`=$n WHERE \`Action\`='$a'")
    done
    msibuild "$dir/t.msi" "${q[@]}" \
        -q "UPDATE \`CustomAction\` SET \`Type\`=3329 WHERE \`Action\`='SsprUndo'" \
        -q "UPDATE \`CustomAction\` SET \`Type\`=3329 WHERE \`Action\`='SsprRemoveRollback'" \
        -q "INSERT INTO \`CustomAction\` (\`Action\`, \`Type\`, \`Source\`, \`Target\`) VALUES ('ForceFail', 3106, 'System64Folder', '[System64Folder]cmd.exe /c exit 1')" \
        -q "INSERT INTO \`CustomAction\` (\`Action\`, \`Type\`, \`Source\`, \`Target\`) VALUES ('ForceFailRemove', 3106, 'System64Folder', '[System64Folder]cmd.exe /c exit 1')" \
        -q "INSERT INTO \`CustomAction\` (\`Action\`, \`Type\`, \`Source\`, \`Target\`) VALUES ('ForceFailEarly', 3106, 'System64Folder', '[System64Folder]cmd.exe /c exit 1')" \
        -q "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('ForceFailEarly', 'NOT Installed AND FAILEARLY=\"1\"', 1502)" \
        -q "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('ForceFail', 'NOT Installed AND FAIL=\"1\"', 1504)" \
        -q "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('ForceFailRemove', 'REMOVE~=\"ALL\" AND FAILREMOVE=\"1\"', 1507)" \
        || return 1
}

# new_test NAME: fresh prefix copy in $T, WINEPREFIX exported
new_test() {
    test=$1
    T="$work/$1"
    mkdir -p "$T"
    cp -a "$work/base" "$T/pfx"
    export WINEPREFIX="$T/pfx"
}
# end_test: stop the prefix's wineserver; drop the prefix (~700 MB) unless KEEP=1
end_test() {
    wineserver -k >/dev/null 2>&1; wineserver -w >/dev/null 2>&1
    [ "${KEEP:-0}" = 1 ] || rm -rf "$T/pfx"
}

# r ARGS: `wine reg ARGS` for setting up, retried while it fails (a delete of
# an absent value fails every time: harmless)
r() { local i; for i in 1 2 3; do wine reg "$@" >/dev/null 2>&1 && return 0; done; return 1; }
# Under load Wine sometimes fails to start a program at all (no output).
# wreg: `wine reg ARGS`, retried up to 3 times while it prints nothing (a
# missing key is not nothing: reg prints "reg: Unable to find ..." for it).
wreg() {
    local out i
    for i in 1 2 3; do
        out=$(wine reg "$@" 2>/dev/null | tr -d '\r')
        [ -n "$out" ] && break
    done
    printf '%s\n' "$out"
}
# HKLM\SOFTWARE in the 64-bit view (it holds the 32-bit view as Wow6432Node),
# minus the keys Wine's msiexec itself leaves behind (empty Installer keys)
dump() {
    wreg query 'HKLM\SOFTWARE' /s /reg:64 | awk -v RS= -v ORS='\n\n' '
        /^HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Installer(\n|\\|$)/ { next }
        /^HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer\\(UpgradeCodes|UserData)/ { next }
        { print }'
}
# Only the keys the test packages' custom actions touch (their backup included).
dump_ours() {
    dump | awk -v RS= -v ORS='\n\n' '
        /^HKEY_LOCAL_MACHINE\\SOFTWARE\\(SsprTestVendor|SsprCaTestNew|Policies\\SsprTestPolicies|Microsoft\\Windows\\CurrentVersion\\Internet Settings)(\n|\\|$)/ { print }'
}
dump32() { wreg query 'HKLM\SOFTWARE\Wow6432Node' /s /reg:64; }
hku() { wreg query 'HKU'; }
# msi LOGNAME ARGS...: run msiexec, print its exit status (mod 256); once
# more if Wine did not start it at all (no log written)
msi() {
    local log=$1 rc; shift
    wine msiexec "$@" /qn /l*v "$T/$log" >/dev/null 2>&1; rc=$?
    if [ ! -s "$T/$log" ]; then
        wine msiexec "$@" /qn /l*v "$T/$log" >/dev/null 2>&1; rc=$?
    fi
    echo $rc
}
calog() { tr -d '\r' < "$T/$1" | grep -a '^SsprProxyCA: '; }
expect_rc() { [ "$1" = "$2" ] && pass "$3: exit $1" || fail "$3: exit $1, expected $2"; }
# A forced failure of the type-34 action: Wine's msiexec exits 1627 (91)
# rather than Windows' 1603 (67); either is a failed install.
expect_forced_fail() {
    case $1 in 67|91) pass "$2: exit $1";; *) fail "$2: exit $1, expected 67 or 91";; esac
}
expect_line() { # LOG FIXED-STRING
    if calog "$1" | grep -xF -- "$2" >/dev/null; then pass "log $1 has: $2"; else fail "log $1 lacks: $2"; fi
}
expect_same() { # FILE1 FILE2 WHAT
    if diff -u "$1" "$2" >"$T/diff.txt"; then pass "$3"; else fail "$3"; sed 's/^/    /' "$T/diff.txt" | head -40; fi
}
query() { wreg query "$1" /v "$2" /reg:64 | awk -v n="$2" '$1==n{ $1=""; sub(/^ +/,""); print }'; }

machine_pre() {
    r add "HKLM\\$IS" /v ProxyEnable /t REG_SZ /d old /f /reg:64
    r add "HKLM\\$IS" /v ProxyOverride /t REG_EXPAND_SZ /d '%SystemRoot%;old' /f /reg:64
    r delete "HKLM\\$IS" /v ProxyServer /f /reg:64
}
MACHINE_CAD="hive=machine
view=64
backup=$BACKUP
key=$IS
dword:ProxyEnable=1
sz:ProxyServer=proxy.example:8080
sz:ProxyOverride=$LONG_OVERRIDE

key=$POL
dword:ProxySettingsPerUser=0
key=$NEWKEY
sz:=default value
sz:Weird name;x=a=b;c"

IS_LOG="HKLM\\$IS"

# --- 1 machine install + uninstall -------------------------------------------
new_test t1-machine
make_msi "$T" "$MACHINE_CAD" || fail "make_msi"
machine_pre; dump >"$T/before.txt"
expect_rc "$(msi install.log /i "$T/t.msi")" 0 install
expect_line install.log "SsprProxyCA: set $IS_LOG\\ProxyEnable = REG_DWORD 1 (earlier: REG_SZ old)"
expect_line install.log "SsprProxyCA: set $IS_LOG\\ProxyServer = REG_SZ proxy.example:8080 (earlier: absent)"
expect_line install.log "SsprProxyCA: set $IS_LOG\\ProxyOverride = REG_SZ $LONG_OVERRIDE (earlier: REG_EXPAND_SZ %SystemRoot%;old)"
expect_line install.log "SsprProxyCA: set HKLM\\$NEWKEY\\(Default) = REG_SZ default value (earlier: absent, key created)"
expect_line install.log "SsprProxyCA: set HKLM\\$NEWKEY\\Weird name;x = REG_SZ a=b;c (earlier: absent)"
[ "$(query "HKLM\\$IS" ProxyOverride)" = "REG_SZ $LONG_OVERRIDE" ] && pass "long ProxyOverride written whole (${#LONG_OVERRIDE} chars)" || fail "ProxyOverride not written whole"
[ "$(query "HKLM\\$POL" ProxySettingsPerUser)" = "REG_DWORD 0x0" ] && pass "policy value written" || fail "policy value missing"
dump >"$T/installed.txt"
expect_rc "$(msi uninstall.log /x "$T/t.msi")" 0 uninstall
expect_line uninstall.log "SsprProxyCA: restored $IS_LOG\\ProxyEnable = REG_SZ old"
expect_line uninstall.log "SsprProxyCA: deleted $IS_LOG\\ProxyServer (earlier: absent)"
expect_line uninstall.log "SsprProxyCA: deleted key HKLM\\SOFTWARE\\SsprCaTestNew"
expect_line uninstall.log "SsprProxyCA: deleted key HKLM\\SOFTWARE\\SsprTestVendor\\SSPR"
expect_line uninstall.log "SsprProxyCA: backup HKLM\\$BACKUP is gone"
dump >"$T/after.txt"
expect_same "$T/before.txt" "$T/after.txt" "HKLM\\SOFTWARE after uninstall = before install"
end_test

# --- 2 machine forced failure -> rollback ------------------------------------
new_test t2-machine-rollback
make_msi "$T" "$MACHINE_CAD" || fail "make_msi"
machine_pre; dump >"$T/before.txt"
expect_forced_fail "$(msi install.log /i "$T/t.msi" FAIL=1)" "install with forced failure"
expect_line install.log "SsprProxyCA: SsprRegistryApply succeeded (return 0)"
expect_line install.log "SsprProxyCA: restored $IS_LOG\\ProxyOverride = REG_EXPAND_SZ %SystemRoot%;old"
expect_line install.log "SsprProxyCA: SsprRegistryUndoApply succeeded (return 0)"
dump >"$T/after.txt"
expect_same "$T/before.txt" "$T/after.txt" "HKLM\\SOFTWARE after rollback = before install"
end_test

# --- 3 machine: admin changed a value after install -------------------------
new_test t3-machine-admin-change
make_msi "$T" "$MACHINE_CAD" || fail "make_msi"
machine_pre
expect_rc "$(msi install.log /i "$T/t.msi")" 0 install
r add "HKLM\\$IS" /v ProxyServer /t REG_SZ /d admin:3128 /f /reg:64
expect_rc "$(msi uninstall.log /x "$T/t.msi")" 0 uninstall
expect_line uninstall.log "SsprProxyCA: kept $IS_LOG\\ProxyServer = REG_SZ admin:3128 (changed since install, expected REG_SZ proxy.example:8080; left as is, backup dropped)"
[ "$(query "HKLM\\$IS" ProxyServer)" = "REG_SZ admin:3128" ] && pass "admin's ProxyServer kept" || fail "admin's ProxyServer not kept"
[ "$(query "HKLM\\$IS" ProxyEnable)" = "REG_SZ old" ] && pass "ProxyEnable restored" || fail "ProxyEnable not restored"
wreg query "HKLM\\SOFTWARE\\SsprTestVendor" /reg:64 | grep '^HKEY_' >/dev/null && fail "backup parents left" || pass "backup and its parents gone"
end_test

# --- 4 machine: forced failure during uninstall -----------------------------
new_test t4-machine-remove-rollback
make_msi "$T" "$MACHINE_CAD" || fail "make_msi"
machine_pre
expect_rc "$(msi install.log /i "$T/t.msi")" 0 install
# Only our keys: Wine's msiexec itself does not roll back its own product
# registration (it deletes Uninstall\{ProductCode} and keeps it deleted).
dump_ours >"$T/installed.txt"
grep -q ProxyBackup "$T/installed.txt" && pass "dump_ours sees the backup" || fail "dump_ours sees no backup"
expect_forced_fail "$(msi uninstall.log /x "$T/t.msi" FAILREMOVE=1)" "uninstall with forced failure"
expect_line uninstall.log "SsprProxyCA: SsprRegistryRemove succeeded (return 0)"
expect_line uninstall.log "SsprProxyCA: set $IS_LOG\\ProxyEnable = REG_DWORD 1 (earlier: REG_SZ old)"
dump_ours >"$T/after.txt"
expect_same "$T/installed.txt" "$T/after.txt" "our keys after failed uninstall = installed state"
end_test

# --- 11 machine: a second product re-applies over the first: earliest backup wins
new_test t11-machine-earliest-backup
mkdir -p "$T/a" "$T/b"
make_msi "$T/a" "$MACHINE_CAD" 0 || fail "make_msi a"
make_msi "$T/b" "hive=machine
view=64
backup=$BACKUP
key=$IS
dword:ProxyEnable=2" 1 || fail "make_msi b"
machine_pre; dump >"$T/before.txt"
expect_rc "$(msi install-a.log /i "$T/a/t.msi")" 0 "install A"
expect_rc "$(msi install-b.log /i "$T/b/t.msi")" 0 "install B"
expect_line install-b.log "SsprProxyCA: set $IS_LOG\\ProxyEnable = REG_DWORD 2 (earlier: kept from an earlier backup)"
expect_rc "$(msi uninstall-b.log /x "$T/b/t.msi")" 0 "uninstall B"
expect_line uninstall-b.log "SsprProxyCA: restored $IS_LOG\\ProxyEnable = REG_SZ old"
expect_line uninstall-b.log "SsprProxyCA: backup HKLM\\$BACKUP kept: it still holds other entries"
expect_rc "$(msi uninstall-a.log /x "$T/a/t.msi")" 0 "uninstall A"
expect_line uninstall-a.log "SsprProxyCA: no backup for $IS_LOG\\ProxyEnable: left as is"
expect_line uninstall-a.log "SsprProxyCA: deleted $IS_LOG\\ProxyServer (earlier: absent)"
dump >"$T/after.txt"
expect_same "$T/before.txt" "$T/after.txt" "HKLM\\SOFTWARE after both uninstalls = before"
end_test

# --- 12 machine: rollback when Apply never ran -------------------------------
new_test t12-machine-rollback-before-apply
make_msi "$T" "$MACHINE_CAD" || fail "make_msi"
machine_pre; dump >"$T/before.txt"
expect_forced_fail "$(msi install.log /i "$T/t.msi" FAILEARLY=1)" "install failing before Apply"
calog install.log | grep -F "SsprRegistryApply started" >/dev/null && fail "Apply ran" || pass "Apply never ran"
expect_line install.log "SsprProxyCA: no backup for $IS_LOG\\ProxyEnable: left as is"
expect_line install.log "SsprProxyCA: SsprRegistryUndoApply succeeded (return 0)"
dump >"$T/after.txt"
expect_same "$T/before.txt" "$T/after.txt" "HKLM\\SOFTWARE after rollback = before install"
end_test

# --- 5 machine view=32 -------------------------------------------------------
new_test t5-machine-view32
# (records end in CR LF here, with empty records: the grammar allows both)
cad32="hive=machine

view=32
backup=$BACKUP
key=$IS
sz:ProxyServer=proxy32:8080
key=$NEWKEY
dword:X=7
"
make_msi "$T" "${cad32//$'\n'/$'\r\n'}" || fail "make_msi"
dump >"$T/before.txt"
expect_rc "$(msi install.log /i "$T/t.msi")" 0 install
[ "$(query "HKLM\\SOFTWARE\\Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Internet Settings" ProxyServer)" = "REG_SZ proxy32:8080" ] \
    && pass "view=32 wrote to Wow6432Node" || fail "view=32 value not in Wow6432Node"
[ -z "$(query "HKLM\\$IS" ProxyServer)" ] && pass "64-bit view untouched" || fail "64-bit view written"
dump32 | grep 'Wow6432Node\\SsprTestVendor\\SSPR\\ProxyBackup' >/dev/null && pass "backup in the 32-bit view" || fail "backup not in the 32-bit view"
expect_rc "$(msi uninstall.log /x "$T/t.msi")" 0 uninstall
dump >"$T/after.txt"
expect_same "$T/before.txt" "$T/after.txt" "HKLM\\SOFTWARE (both views) after uninstall = before"
end_test

# --- default profile ---------------------------------------------------------
PROFILE_DIR='sspr-test\Default Profile'
dp_pre() { # make the Wine-format hive file and point ProfileList\Default at it
    local d="$WINEPREFIX/drive_c/sspr-test/Default Profile"
    mkdir -p "$d"
    printf '%s\n' 'WINE REGISTRY Version 2' ';; All keys relative to \\User\\S-1-5-21-0-0-0-1000' '' '#arch=win64' '' \
        '[Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings] 1700000000' \
        '"ProxyEnable"=dword:00000000' '"User Agent"="Mozilla/4.0"' '' >"$d/NTUSER.DAT"
    r add 'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList' /v Default /t REG_EXPAND_SZ \
        /d "%SystemDrive%\\$PROFILE_DIR" /f /reg:64
}
DP_IS='SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings'
DP_CAD="hive=default-profile
view=64
backup=$BACKUP
key=$DP_IS
dword:ProxyEnable=1
sz:ProxyServer=proxy.example:8080
key=SOFTWARE\\SsprCaTestNew\\Sub
sz:Made=yes"
MNT='HKU\SSPR_DefaultProfile'
HIVE_PATH='C:\sspr-test\Default Profile\NTUSER.DAT'

new_test t6-default-profile
make_msi "$T" "$DP_CAD" || fail "make_msi"
dp_pre; dump >"$T/before.txt"
expect_rc "$(msi install.log /i "$T/t.msi")" 0 install
expect_line install.log "SsprProxyCA: loaded $HIVE_PATH at $MNT"
expect_line install.log "SsprProxyCA: set $MNT\\$DP_IS\\ProxyEnable = REG_DWORD 1 (earlier: REG_DWORD 0)"
expect_line install.log "SsprProxyCA: read back $MNT\\$DP_IS\\ProxyEnable = REG_DWORD 1"
expect_line install.log "SsprProxyCA: set $MNT\\$DP_IS\\ProxyServer = REG_SZ proxy.example:8080 (earlier: absent)"
expect_line install.log "SsprProxyCA: read back $MNT\\$DP_IS\\ProxyServer = REG_SZ proxy.example:8080"
expect_line install.log "SsprProxyCA: set $MNT\\SOFTWARE\\SsprCaTestNew\\Sub\\Made = REG_SZ yes (earlier: absent, key created)"
expect_line install.log "SsprProxyCA: unloaded $MNT"
hku | grep -i 'SSPR_DefaultProfile' >/dev/null && fail "HKU\\SSPR_DefaultProfile left mounted" || pass "no HKU\\SSPR_DefaultProfile after install"
dump | grep 'ProxyBackup\\default-profile\\SOFTWARE/Microsoft/Windows/CurrentVersion/Internet Settings' >/dev/null \
    && pass "default-profile backup kept in HKLM" || fail "default-profile backup not in HKLM"
expect_rc "$(msi uninstall.log /x "$T/t.msi")" 0 uninstall
expect_line uninstall.log "SsprProxyCA: loaded $HIVE_PATH at $MNT"
expect_line uninstall.log "SsprProxyCA: unloaded $MNT"
expect_line uninstall.log "SsprProxyCA: backup HKLM\\$BACKUP is gone"
hku | grep -i 'SSPR_DefaultProfile' >/dev/null && fail "HKU\\SSPR_DefaultProfile left mounted" || pass "no HKU\\SSPR_DefaultProfile after uninstall"
dump >"$T/after.txt"
expect_same "$T/before.txt" "$T/after.txt" "HKLM\\SOFTWARE after uninstall = before install"
end_test

new_test t7-default-profile-rollback
make_msi "$T" "$DP_CAD" || fail "make_msi"
dp_pre; dump >"$T/before.txt"
expect_forced_fail "$(msi install.log /i "$T/t.msi" FAIL=1)" "install with forced failure"
expect_line install.log "SsprProxyCA: read back $MNT\\$DP_IS\\ProxyServer = REG_SZ proxy.example:8080"
expect_line install.log "SsprProxyCA: restored $MNT\\$DP_IS\\ProxyEnable = REG_DWORD 0"
expect_line install.log "SsprProxyCA: read back $MNT\\$DP_IS\\ProxyEnable = REG_DWORD 0"
expect_line install.log "SsprProxyCA: SsprRegistryUndoApply succeeded (return 0)"
n_load=$(calog install.log | grep -c "^SsprProxyCA: loaded ")
n_unload=$(calog install.log | grep -cxF "SsprProxyCA: unloaded $MNT")
[ "$n_load" = 2 ] && [ "$n_unload" = 2 ] && pass "2 loads, 2 unloads" || fail "loads $n_load, unloads $n_unload"
hku | grep -i 'SSPR_DefaultProfile' >/dev/null && fail "HKU\\SSPR_DefaultProfile left mounted" || pass "no HKU\\SSPR_DefaultProfile after rollback"
dump >"$T/after.txt"
expect_same "$T/before.txt" "$T/after.txt" "HKLM\\SOFTWARE after rollback = before install"
end_test

new_test t8-default-profile-stale-mount
make_msi "$T" "$DP_CAD" || fail "make_msi"
cat >"$T/mount.c" <<'C'
#include <windows.h>
#include <stdio.h>
int wmain(int argc, wchar_t **argv)
{
    HANDLE tok; TOKEN_PRIVILEGES tp; LONG r;
    if (argc != 2) return 2;
    OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES, &tok);
    tp.PrivilegeCount = 1; tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    LookupPrivilegeValueW(NULL, SE_RESTORE_NAME, &tp.Privileges[0].Luid);
    AdjustTokenPrivileges(tok, FALSE, &tp, 0, NULL, NULL);
    r = RegLoadKeyW(HKEY_USERS, L"SSPR_DefaultProfile", argv[1]);
    printf("RegLoadKeyW %ld\n", r);
    return r != 0;
}
C
if x86_64-w64-mingw32-gcc -municode -o "$T/mount.exe" "$T/mount.c" -ladvapi32 2>"$T/mount.err"; then
    dp_pre
    mkdir -p "$WINEPREFIX/drive_c/stale"
    cp "$WINEPREFIX/drive_c/sspr-test/Default Profile/NTUSER.DAT" "$WINEPREFIX/drive_c/stale/NTUSER.DAT"
    wineserver -p                      # keep the mount alive between processes
    wine "$T/mount.exe" 'C:\stale\NTUSER.DAT' >"$T/mount.out" 2>&1
    hku | grep -i 'SSPR_DefaultProfile' >/dev/null && pass "stale mount staged" || fail "could not stage a stale mount: $(cat "$T/mount.out")"
    expect_rc "$(msi install.log /i "$T/t.msi")" 0 install
    expect_line install.log "SsprProxyCA: unloaded stale $MNT"
    expect_line install.log "SsprProxyCA: loaded $HIVE_PATH at $MNT"
    expect_line install.log "SsprProxyCA: unloaded $MNT"
    hku | grep -i 'SSPR_DefaultProfile' >/dev/null && fail "HKU\\SSPR_DefaultProfile left mounted" || pass "no HKU\\SSPR_DefaultProfile after install"
else
    fail "cannot build the mount helper: $(cat "$T/mount.err")"
fi
end_test

new_test t9-default-profile-no-profilelist
make_msi "$T" "$DP_CAD" || fail "make_msi"
dp_pre
r delete 'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList' /v Default /f /reg:64
dump >"$T/before.txt"
expect_rc "$(msi install.log /i "$T/t.msi")" 67 "install without ProfileList\\Default"
expect_line install.log "SsprProxyCA: ERROR: HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList has no value Default: cannot find the Default user profile"
hku | grep -i 'SSPR_DefaultProfile' >/dev/null && fail "HKU\\SSPR_DefaultProfile left mounted" || pass "nothing mounted"
dump >"$T/after.txt"
expect_same "$T/before.txt" "$T/after.txt" "HKLM\\SOFTWARE unchanged"
# and with the value pointing at a missing file
r add 'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList' /v Default /t REG_EXPAND_SZ /d '%SystemDrive%\nowhere' /f /reg:64
expect_rc "$(msi install2.log /i "$T/t.msi")" 67 "install with a missing hive file"
expect_line install2.log 'SsprProxyCA: ERROR: Default profile hive file not found: C:\nowhere\NTUSER.DAT'
end_test

new_test t10-bad-record
make_msi "$T" "hive=machine
view=64
backup=$BACKUP
key=$IS
sz:ProxyServer=x:1
multi:Foo=bar" || fail "make_msi"
dump >"$T/before.txt"
expect_rc "$(msi install.log /i "$T/t.msi")" 67 "install with a bad record"
expect_line install.log "SsprProxyCA: ERROR: bad CustomActionData record: multi:Foo=bar"
dump >"$T/after.txt"
expect_same "$T/before.txt" "$T/after.txt" "HKLM\\SOFTWARE unchanged"
end_test

echo
if [ "$failures" -eq 0 ]; then echo "wine-selftest: all checks passed"; exit 0; fi
echo "wine-selftest: $failures check(s) failed"; exit 1
