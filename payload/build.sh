#!/usr/bin/env bash
# Build the sspr-msi test payload for x64 and x86 with mingw-w64.
#
#   payload/build.sh OUTDIR
#
# produces OUTDIR/{x64,x86}/SsprTestCredProv.dll,
#          OUTDIR/{x64,x86}/cocreate_client.exe and
#          OUTDIR/{x64,x86}/SsprProxyCA.dll (the proxy custom actions, issue #7)
#
# Output is deterministic: the same sources and toolchain give byte-identical
# files (no PE timestamp, no build paths, stripped), so tests can pin hashes.
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi

# Fail early, naming every missing tool, before anything is built.
missing=()
for triple in x86_64-w64-mingw32 i686-w64-mingw32; do
    for tool in gcc windres; do
        command -v "$triple-$tool" >/dev/null 2>&1 || missing+=("$triple-$tool")
    done
done
if [ "${#missing[@]}" -ne 0 ]; then
    echo "build.sh: missing mingw-w64 tool(s): ${missing[*]}" >&2
    echo "build.sh: install mingw-w64 (Debian/Ubuntu: apt-get install gcc-mingw-w64 binutils-mingw-w64)" >&2
    exit 1
fi

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
out_dir=$(cd "$1" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# -ffile-prefix-map: no absolute source paths in the output.
# -static -static-libgcc: no libgcc_s/libwinpthread DLLs next to the binaries.
# --no-insert-timestamp: PE TimeDateStamp = 0, the main source of drift.
# -s: no symbols or debug info (which would carry paths).
cflags=(-std=c99 -O2 -Wall -Wextra
        -I"$src_dir/include"
        -ffile-prefix-map="$src_dir"=payload
        -ffile-prefix-map="$work"=obj)
ldflags=(-s -static -static-libgcc -Wl,--no-insert-timestamp)

build_arch() {
    local arch=$1 triple=$2 dll_base=$3 ca_base=$4
    local dest="$out_dir/$arch" obj="$work/$arch"
    mkdir -p "$dest" "$obj"

    "$triple-windres" -O coff -i "$src_dir/credprov/version.rc" -o "$obj/version.o"

    # --image-base: gcc's spec passes --enable-auto-image-base for -shared,
    # which derives the preferred base from a hash of the *output path*, so
    # OUTDIR would leak into the bytes. Pin MSVC's default DLL bases instead
    # (the image stays DYNAMIC_BASE, so the loader relocates as it likes).
    # The .def exports the plain names COM looks up. On x86 the __stdcall
    # symbols are really _DllGetClassObject@12 etc.; --enable-stdcall-fixup
    # makes ld map the plain names to them silently (no-op on x64).
    "$triple-gcc" "${cflags[@]}" -shared \
        -o "$dest/SsprTestCredProv.dll" \
        "$src_dir/credprov/sspr_credprov.c" "$obj/version.o" \
        "$src_dir/credprov/sspr_credprov.def" \
        "${ldflags[@]}" -Wl,--enable-stdcall-fixup -Wl,--image-base="$dll_base" -luuid

    "$triple-gcc" "${cflags[@]}" \
        -o "$dest/cocreate_client.exe" \
        "$src_dir/client/cocreate_client.c" \
        "${ldflags[@]}" -lole32 -luuid

    # The custom-action DLL for the MSI Binary table (payload/customaction).
    # Same determinism rules; its own pinned base so the two DLLs never share one.
    "$triple-windres" -O coff -i "$src_dir/customaction/version.rc" -o "$obj/ca_version.o"
    "$triple-gcc" "${cflags[@]}" -shared \
        -o "$dest/SsprProxyCA.dll" \
        "$src_dir/customaction/sspr_proxy_ca.c" "$src_dir/customaction/validate.c" "$obj/ca_version.o" \
        "$src_dir/customaction/sspr_proxy_ca.def" \
        "${ldflags[@]}" -Wl,--enable-stdcall-fixup -Wl,--image-base="$ca_base" -lmsi -ladvapi32
}

build_arch x64 x86_64-w64-mingw32 0x180000000 0x180100000
build_arch x86 i686-w64-mingw32   0x10000000  0x10100000

echo "built into $out_dir:"
(cd "$out_dir" && ls -l x64/SsprTestCredProv.dll x64/cocreate_client.exe x64/SsprProxyCA.dll \
                        x86/SsprTestCredProv.dll x86/cocreate_client.exe x86/SsprProxyCA.dll)
