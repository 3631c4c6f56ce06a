#!/usr/bin/env python3
"""What fsync would add to writing a build's packages: stages a copy of every file of a
folder (a build's output) into a staging folder beside it and renames each into place, as
sspr-msi does, (a) without fsync, (b) with an fsync of each staged file before its rename,
(c) with (b) plus an fsync of the output folder after the renames. Prints the median and
the spread of each over the runs.

    benches/fsync_cost.py DIST [RUNS]
"""
import os
import statistics
import sys
import tempfile
import time


def stage_and_rename(sources, out, sync_files, sync_folder):
    staging = tempfile.mkdtemp(prefix=".sspr-msi-staging-bench-", dir=out)
    for name, data in sources:
        staged = os.path.join(staging, name)
        with open(staged, "wb") as file:
            file.write(data)
            file.flush()
            if sync_files:
                os.fsync(file.fileno())
        os.rename(staged, os.path.join(out, name))
    if sync_folder:
        folder = os.open(out, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    os.rmdir(staging)


def main():
    dist = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    names = sorted(n for n in os.listdir(dist) if n.endswith(".msi"))
    sources = [(n, open(os.path.join(dist, n), "rb").read()) for n in names]
    size = sum(len(d) for _, d in sources)
    print(f"{len(sources)} packages, {size / 1e6:.2f} MB in all, {runs} runs each")
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(dist))) as out:
        for label, files, folder in [
            ("no fsync", False, False),
            ("fsync staged files", True, False),
            ("fsync staged files + folder", True, True),
        ]:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                stage_and_rename(sources, out, files, folder)
                times.append((time.perf_counter() - start) * 1000)
            print(
                f"{label:30} median {statistics.median(times):8.2f} ms"
                f"  min {min(times):8.2f}  max {max(times):8.2f}"
            )


if __name__ == "__main__":
    main()
