"""Poster PDFs for a whole region: time, memory and size for 100, 1,000 and 5,000 checkpoints.

`uv run python bench/posters.py` from the workspace root. Every measurement runs in a fresh process, so one run's peak
RSS cannot hide the next one's; the Python heap peak (tracemalloc) is a separate run because tracing slows rendering."""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from datetime import date

from harness import write_results

from lianfang.common.chinese_font import ChineseFontSettings, load_chinese_font
from lianfang.registry.posters import PosterInfo, poster_pdf

__all__ = ["main"]

COUNTS = (100, 1_000, 5_000)
BUDGET_SECONDS = 20.0


def _posters(count: int) -> Iterator[PosterInfo]:
    # A generator, as the region endpoint will feed rows from its query, so only the renderer's memory is measured.
    for number in range(count):
        yield PosterInfo(
            name=f"育才街道幸福里小区{number % 40 + 1}号楼东侧临时通道",
            region_path="河北省 石家庄市 长安区 育才街道 幸福里社区",
            kind_label="小区门岗",
            code=f"K{number:03X}-{number % 997:03X}",
            qr_url=f"https://lianfang.example.cn/c/K{number:06X}Q",
            made_on=date(2024, 3, 5),
            notice="外来人员请主动出示登记结果" if number % 3 == 0 else None,
        )


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(count: int, per_page: int, traced: bool) -> dict[str, float]:
    settings = ChineseFontSettings()
    font = load_chinese_font(settings.chinese_font_path, settings.chinese_font_index)
    for _ in poster_pdf(_posters(1), font=font):
        pass  # fonts registered, modules imported: what a running server has already paid
    baseline = _peak_rss_mb()
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    size = 0
    chunks = 0
    for chunk in poster_pdf(_posters(count), font=font, per_page=1 if per_page == 1 else 4):
        size += len(chunk)
        chunks += 1
    seconds = time.perf_counter() - started
    result = {
        "seconds": seconds,
        "megabytes": size / 1e6,
        "chunks": chunks,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": _peak_rss_mb(),
    }
    if traced:
        result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return result


def _run(count: int, per_page: int, traced: bool) -> dict[str, float]:
    command = [sys.executable, __file__, "--count", str(count), "--per-page", str(per_page)]
    if traced:
        command.append("--traced")
    finished = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
    measured: dict[str, float] = json.loads(finished.stdout)
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, help="measure one count in this process and print JSON")
    parser.add_argument("--per-page", type=int, choices=(1, 4), default=1)
    parser.add_argument("--traced", action="store_true")
    arguments = parser.parse_args()
    if arguments.count is not None:
        print(json.dumps(_measure(arguments.count, arguments.per_page, arguments.traced)))
        return

    lines = [
        "| posters | per page | seconds | per poster | PDF MB | RSS before | RSS peak | growth | heap peak |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    slow = False
    for per_page in (1, 4):
        for count in COUNTS:
            timed = _run(count, per_page, traced=False)
            # One layout is enough to show the heap stays flat; tracing doubles the run time.
            heap = f"{_run(count, per_page, traced=True)['traced_peak_mb']:.2f} MB" if per_page == 1 else "-"
            growth = timed["peak_rss_mb"] - timed["baseline_rss_mb"]
            lines.append(
                f"| {count:,} | {per_page} | {timed['seconds']:.2f} | {timed['seconds'] / count * 1000:.1f} ms "
                f"| {timed['megabytes']:.2f} | {timed['baseline_rss_mb']:.1f} MB | {timed['peak_rss_mb']:.1f} MB "
                f"| {growth:.1f} MB | {heap} |"
            )
            print(lines[-1], flush=True)
            slow = slow or (count == 1_000 and timed["seconds"] >= BUDGET_SECONDS)
    goal = f"Goal: 1,000 posters in under {BUDGET_SECONDS:.0f} s with flat memory (the PDF streams page by page)."
    print(write_results("posters", "Whole-region poster PDFs", goal + "\n\n" + "\n".join(lines)))
    if slow:
        sys.exit(f"1,000 posters took {BUDGET_SECONDS:.0f} s or more")


if __name__ == "__main__":
    main()
