"""Turns benches/run.sh's measurements (hyperfine JSON files and a key=value facts file)
into benches/RESULTS.md on standard output.

    python3 benches/report.py RESULTS_DIR > benches/RESULTS.md
"""

import json
import statistics
import sys
from pathlib import Path

def load(directory):
    facts = {}
    for line in (directory / "facts").read_text().splitlines():
        key, _, value = line.partition("=")
        facts[key] = value
    timings = {}
    for path in directory.glob("*.json"):
        for result in json.loads(path.read_text())["results"]:
            times = result["times"]
            timings[(path.stem, result["command"])] = (min(times), statistics.median(times))
    return facts, timings


def ms(seconds):
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.2f} s"


def size(count):
    count = int(count)
    return f"{count:,} B" if count < 1_000_000 else f"{count / 1_000_000:,.1f} MB"


def ratio(ours, theirs):
    # Far below 1 (verify against Wine), a fraction reads better than 0.00×.
    return f"{ours / theirs:.2f}×" if ours / theirs >= 0.01 else f"1/{theirs / ours:,.0f}"


def row(*cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def build_table(facts, timings):
    wixl = timings[("build", "wixl policy.wxs")][0]
    lines = [
        "| command | min | median | output | time vs `wixl policy.wxs` (min) |",
        "|---|---|---|---|---|",
    ]
    sizes = {
        "sspr-msi build (9 packages)": f"{size(facts['size_matrix'])} (9 files)",
        "sspr-msi build --sign-cert … --sign-key … (9 packages, signed)": f"{size(facts['size_matrix_signed'])} (9 files)",
        "sspr-msi build --sign-cert … --sign-key … (9 packages, ECDSA P-256)": f"{size(facts['size_matrix_ecdsa'])} (9 files)",
        "sspr-msi build --target win10-x64": size(facts["size_win10_x64"]),
        "sspr-msi build --target win7-x64": size(facts["size_win7_x64"]),
        "wixl policy.wxs": size(facts["size_wixl_policy"]),
        "wixl credprov.wxs": size(facts["size_wixl_credprov"]),
    }
    for command, output in sizes.items():
        low, median = timings[("build", command)]
        lines.append(row(f"`{command}`", ms(low), ms(median), output, ratio(low, wixl)))
    lines.append("")
    lines.append(
        f"Peak memory: `sspr-msi build` (9 packages) {int(facts['rss_matrix']):,} KiB, "
        f"`wixl policy.wxs` {int(facts['rss_wixl_policy']):,} KiB."
    )
    return lines


def cab_table(facts, timings):
    lines = [
        "| payload | ours: min / median | `gcab -c -z`: min / median | time ratio | ours: size | gcab: size | size ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for payload, label in [("small", "test DLL"), ("large", "DLL + random overlay")]:
        ours = timings[(f"cab_{payload}", "sspr-msi cab::build")]
        gcab = timings[(f"cab_{payload}", "gcab -c -z")]
        ours_size = int(facts[f"size_cab_{payload}_ours"])
        gcab_size = int(facts[f"size_cab_{payload}_gcab"])
        lines.append(
            row(
                f"{label}, {size(facts[f'size_cab_{payload}_payload'])}",
                f"{ms(ours[0])} / {ms(ours[1])}",
                f"{ms(gcab[0])} / {ms(gcab[1])}",
                ratio(ours[0], gcab[0]),
                size(ours_size),
                size(gcab_size),
                ratio(ours_size, gcab_size),
            )
        )
    return lines


def sign_table(facts, timings):
    lines = [
        "| command | min | median | signed size | time vs osslsigncode, same key (min) |",
        "|---|---|---|---|---|",
    ]
    for command, key, reference in [
        ("sspr-msi sign (win7-x64)", "size_signed_ours", "osslsigncode sign (win7-x64)"),
        ("osslsigncode sign (win7-x64)", "size_signed_osslsigncode", "osslsigncode sign (win7-x64)"),
        ("sspr-msi sign, RSA-3072 (win7-x64)", "size_signed_ours_3072", "osslsigncode sign, RSA-3072 (win7-x64)"),
        ("osslsigncode sign, RSA-3072 (win7-x64)", "size_signed_osslsigncode_3072", "osslsigncode sign, RSA-3072 (win7-x64)"),
    ]:
        low, median = timings[("sign", command)]
        theirs = timings[("sign", reference)]
        lines.append(row(f"`{command}`", ms(low), ms(median), size(facts[key]), ratio(low, theirs[0])))
    return lines


def verify_table(timings):
    wine = timings[("wine", "wine msiexec /i + /x (win7-x64)")]
    lines = [
        "| command | min | median | time vs Wine (min) |",
        "|---|---|---|---|",
    ]
    for command in ["sspr-msi verify --simulate (9 packages, every built-in profile)", "wine msiexec /i + /x (win7-x64)"]:
        low, median = timings[("wine", command)]
        lines.append(row(f"`{command}`", ms(low), ms(median), ratio(low, wine[0])))
    return lines


def scaling_tables(facts, timings):
    lines = [
        "| targets | min | median | min per package | peak RSS |",
        "|---|---|---|---|---|",
    ]
    for count in [1, 10, 100]:
        low, median = timings[(f"scale_targets_{count}", f"{count} targets")]
        lines.append(
            row(count, ms(low), ms(median), ms(low / count), f"{int(facts[f'rss_targets_{count}']):,} KiB")
        )
    lines += [
        "",
        "| payload (each of x64, x86) | min | median | 9 packages' size | min per MB written | peak RSS | peak RSS ÷ payload |",
        "|---|---|---|---|---|---|---|",
    ]
    for megabytes in [1, 10, 100]:
        low, median = timings[(f"scale_payload_{megabytes}", f"{megabytes} MB payload")]
        rss = int(facts[f"rss_payload_{megabytes}"])
        lines.append(
            row(
                f"{megabytes} MB",
                ms(low),
                ms(median),
                size(facts[f"size_payload_{megabytes}_matrix"]),
                ms(low / (int(facts[f"size_payload_{megabytes}_matrix"]) / 1_000_000)),
                f"{rss:,} KiB",
                f"{rss * 1024 / (megabytes * 1_000_000):.2f}",
            )
        )
    return lines


FILE_COMMANDS = [
    "sspr-msi verify",
    "sspr-msi verify --simulate",
    "msiextract",
    "msiinfo export (every table)",
]
FILE_RSS = {
    "sspr-msi verify": "verify",
    "sspr-msi verify --simulate": "simulate",
    "msiextract": "msiextract",
}
# Each file holds this many bytes (benches/run.sh section 6): the largest single file.
FILE_SIZE = 25_000


def files_table(facts, timings):
    counts = [int(count) for count in facts["file_counts"].split()]
    lines = [
        "| files | package | command | min | median | min per 1,000 files | time vs msiextract (min) | peak RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for count in counts:
        extract = timings[(f"files_{count}", "msiextract")][0]
        for command in FILE_COMMANDS:
            low, median = timings[(f"files_{count}", command)]
            rss = facts.get(f"rss_files_{count}_{FILE_RSS.get(command, '')}")
            lines.append(
                row(
                    f"{count:,}",
                    size(facts[f"size_files_{count}"]),
                    f"`{command}`",
                    ms(low),
                    ms(median),
                    ms(low * 1000 / count),
                    ratio(low, extract),
                    f"{int(rss):,} KiB" if rss else "",
                )
            )
    first, last = counts[0], counts[-1]
    simulate = [timings[(f"files_{count}", FILE_COMMANDS[1])][0] for count in (first, last)]
    extract = timings[(f"files_{last}", "msiextract")][0]
    peak = max(int(facts[f"rss_files_{count}_simulate"]) for count in counts)
    bound = 64 * 1024 + FILE_SIZE // 1024
    lines += [
        "",
        f"{last / first:,.0f}× the files cost `verify --simulate` {simulate[1] / simulate[0]:,.1f}× "
        f"the time (linear would be {last / first:,.0f}×). At {last:,} files it takes "
        f"{ratio(simulate[1], extract)} msiextract's time (goal: at most 1×); its peak RSS is at "
        f"most {peak:,} KiB (goal: 64 MiB plus the largest file, {bound:,} KiB).",
    ]
    return lines


def rows_line(facts):
    small, large = (int(facts[f"instructions_rows_{rows}"]) for rows in (25000, 100000))
    return [
        f"Table reader (`examples/table_rows.rs`, instructions counted by callgrind): 25,000 rows "
        f"{small:,}, 100,000 rows {large:,}: {large / small:.2f}× for 4× the rows (goal: within 5×).",
    ]


def machine(facts):
    return [
        f"- {facts['date']}; {facts['nproc']} cores ({facts['cpu']}), {facts['memory']} memory, "
        f"Linux {facts['kernel']}",
        f"- load average (1, 5, 15 min) before: {facts['load_before']}; after: {facts['load_after']} "
        "(the machine is shared: other builds may have run during the measurements)",
        f"- {facts['sspr_msi']} ({facts['rustc']}), {facts['wixl']}, {facts['gcab']}, "
        f"{facts['wine']}, {facts['osslsigncode']}, {facts['hyperfine']}",
    ]


def main():
    facts, timings = load(Path(sys.argv[1]))
    out = [
        "# Benchmarks",
        "",
        "Written by `benches/run.sh` (do not edit by hand). Whole-process wall-clock times measured by",
        "hyperfine side by side in one run; min and median over the runs; ratios below 1 mean",
        "sspr-msi is faster or smaller.",
        "",
        *machine(facts),
        "",
        "## 1. Building: the whole matrix against wixl's single packages",
        "",
        "`benches/policy.wxs` is the win11-x64 registry policy package and `benches/credprov.wxs` the",
        "win7-x64 credential-provider package, as far as wixl expresses them. The ECDSA P-256 row",
        "is issue 15's goal: the signed matrix in less time than wixl builds one unsigned package.",
        "",
        *build_table(facts, timings),
        "",
        "## 2. The embedded cabinet against `gcab -c -z`",
        "",
        "Our cabinet writer (`examples/cab.rs`, calling `sspr_msi::cab::build`) and gcab on the same file.",
        "",
        *cab_table(facts, timings),
        "",
        "## 3. Checking packages: `verify --simulate` against a Wine round trip",
        "",
        "`verify --simulate` of all nine packages on every built-in machine profile, against one",
        "`wine msiexec /i … /qn` then `/x` of the win7-x64 package in a freshly copied prefix (the",
        "copy is not timed), wineserver start and exit included.",
        "",
        *verify_table(timings),
        "",
        "## 4. Signing",
        "",
        "The unsigned win7-x64 package signed by each tool with the same throwaway self-signed",
        "certificate and key: RSA-2048, then RSA-3072 (issue 15's goal: at most 0.5× osslsigncode's",
        "time for RSA-3072).",
        "",
        *sign_table(facts, timings),
        "",
        "## 5. Scaling",
        "",
        "Targets: `examples/scale.rs` builds N packages in one process (the default matrix again",
        "under distinct product names). Payload: the whole matrix from a configuration whose x64 and",
        "x86 DLLs carry a pseudo-random overlay up to the size shown.",
        "",
        *scaling_tables(facts, timings),
        "",
        "## 6. Checking a foreign package of many files",
        "",
        "`benches/many_files.py` writes a WiX source with N one-file components, each file 25,000",
        "pseudo-random bytes; wixl builds it. `verify` reads every table and stream through the",
        "file, runs every rule and streams the cabinet once, checking files sniffed as PE;",
        "`--simulate` adds install and uninstall on every built-in profile. msiextract unpacks",
        "every file; `msiinfo export` prints every table, one call per table.",
        "",
        *files_table(facts, timings),
        "",
        *rows_line(facts),
        "",
    ]
    print("\n".join(out))


main()
