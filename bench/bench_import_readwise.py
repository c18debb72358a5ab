"""Readwise CSV parsing at scale: a generated 100,000-row export through `readwise-csv`.

The whole `k8stip import` of 100,000 rows must fit in 15 s and 400 MB (issue 10); this measures
the parser's share. The export is generated with invented words (no book text): 500 books,
rows with notes, tags, heading notes, highlights over several lines with quotes, duplicates,
empty and discarded rows, as Readwise writes them (BOM, CRLF). It prints the file size, the
parse time (wall and CPU, best of --rounds, no tracing), the parser's peak traced memory
(tracemalloc, a separate run) and the process's peak RSS.

    .venv/bin/python -m bench.bench_import_readwise [--rows 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import resource
import time
import tracemalloc

from bot.importers.readwise_csv import HEADER, PARSER

_WORDS = (
    "pod node cluster rollout label selector probe quota limit request taint toleration "
    "namespace secret volume claim ingress service mesh sidecar replica drain cordon "
    "calm steady small careful measured quiet plain honest early late always never "
    "schedule restart observe name measure write read keep drop pin review rotate"
).split()


def generate(rows: int, seed: int = 10) -> str:
    """A Readwise-shaped CSV export with `rows` data rows of invented text."""
    rng = random.Random(seed)
    books = [
        (f"The {rng.choice(_WORDS).title()} Book {i}", f"Author {i} and Co Author {i}", f"B{i:09d}")
        for i in range(500)
    ]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    previous = ""
    for n in range(rows):
        title, author, asin = books[(n * 500) // rows]
        kind = rng.random()
        note, tags = "", ""
        text = " ".join(rng.choices(_WORDS, k=rng.randint(8, 40))).capitalize() + "."
        if kind < 0.01:
            text, note = f"Chapter {n}", ".h2"
        elif kind < 0.05:
            text += '\nA second line, "quoted" on purpose.'
        elif kind < 0.06:
            text = previous or text  # an exact duplicate
        elif kind < 0.065:
            text = ""
        elif kind < 0.07:
            tags = "discard"
        if rng.random() < 0.2:
            note = note or " ".join(rng.choices(_WORDS, k=6))
        if rng.random() < 0.3:
            tags = tags or ", ".join(rng.sample(_WORDS, 2))
        writer.writerow(
            [text, title, author, asin, note, "yellow", tags, "location", 100 + n % 9000,
             f"2025-01-{1 + n % 28:02d} 08:{n % 60:02d}:00+00:00", "books"]
        )  # fmt: skip
        previous = text
    return "\ufeff" + out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    text = generate(args.rows)
    print(f"export: {args.rows:,} rows, {len(text.encode()) / 2**20:.1f} MB")
    best = best_cpu = float("inf")
    for _ in range(args.rounds):
        started, cpu = time.perf_counter(), time.process_time()
        books = PARSER.parse(text, "bench.csv")
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    highlights = sum(len(b.highlights) for b in books)
    skipped = sum(len(b.skipped) for b in books)
    print(f"parsed: {len(books)} books, {highlights:,} highlights, {skipped:,} skipped")
    # CPU time too: on a shared machine the wall clock also counts other processes' turns.
    print(f"parse time: {best:.2f} s wall, {best_cpu:.2f} s CPU (best of {args.rounds})")
    del books
    tracemalloc.start()
    PARSER.parse(text, "bench.csv")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"parse peak (tracemalloc, beyond the input text): {peak / 2**20:.0f} MB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (input and generator included): {rss:.0f} MB")


if __name__ == "__main__":
    main()
