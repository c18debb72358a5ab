"""Parse time and peak memory of a generated Kindle `My Clippings.txt` (prints figures).

    python -m bench.bench_import_kindle                 # 100,000 entries
    python -m bench.bench_import_kindle --entries 20000

The file mixes what a real device log holds: 50 books, four UI languages, highlights with
page and location, notes inside them, bookmarks, extended highlights logged twice and exact
repeats. The time is `kindle.PARSER.parse` alone (the text already decoded), best of --rounds,
as wall and CPU time: on a shared machine the CPU time is the figure to compare.
"""

from __future__ import annotations

import argparse
import random
import resource
import time

from bot.importers.kindle import PARSER

META = (
    "- Your Highlight on page {page} | Location {a}-{b} | Added on Monday, March 4, 2024 9:{m:02d}",
    "- Ihre Markierung auf Seite {page} | Position {a}-{b} | Hinzugefügt am Montag, 4. März 2024",
    "- Votre surlignement sur la page {page} | emplacement {a}-{b} | Ajouté le lundi 4 mars 2024",
    "- 12ページ|位置No. {a}-{b}のハイライト |作成日: 2024年3月4日月曜日 21:14:05",
)
WORDS = "pod node service ingress volume secret probe rollout scheduler kubelet label".split()


def generate(entries: int, seed: int = 7) -> str:
    rnd = random.Random(seed)
    out: list[str] = []
    for i in range(entries):
        book = f"Generated Book {i % 50} (Author, Some; Other, Any)"
        a = (i // 50) * 7 + 1
        b = a + rnd.randint(0, 4)
        roll = rnd.random()
        text = " ".join(rnd.choice(WORDS) for _ in range(18)) + f" {i}."
        if roll < 0.1:
            meta = f"- Your Note on Location {max(1, a - 7)} | Added on Monday, March 4, 2024"
            text = "A note of mine."
        elif roll < 0.15:
            meta = f"- Your Bookmark on Location {a} | Added on Monday, March 4, 2024"
            text = ""
        else:
            meta = rnd.choice(META).format(page=a // 20, a=a, b=b, m=i % 60)
        out.append(f"{book}\n{meta}\n\n{text}\n==========\n")
        if roll > 0.97:  # extended later: the same passage, a longer range and text
            longer = meta.replace(f"-{b}", f"-{b + 3}")
            out.append(f"{book}\n{longer}\n\n{text} And more.\n==========\n")
        elif roll > 0.94:  # an exact repeat
            out.append(out[-1])
    return "\ufeff" + "".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    text = generate(args.entries)
    times, cpu = [], []
    for _ in range(args.rounds):
        began, began_cpu = time.perf_counter(), time.process_time()
        books = PARSER.parse(text, "My Clippings.txt")
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    highlights = sum(len(b.highlights) for b in books)
    skipped = sum(len(b.skipped) for b in books)
    noted = sum(1 for b in books for h in b.highlights if h.note)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"kindle: {args.entries:,} entries ({len(text.encode()) / 2**20:.1f} MB), "
        f"{len(books)} books, {highlights:,} highlights ({noted:,} with a note), "
        f"{skipped:,} skipped; parse best {min(times):.2f} s wall, {min(cpu):.2f} s CPU "
        f"of {args.rounds}; "
        f"peak RSS {peak_mb:.0f} MB (process, including the generated text)"
    )


if __name__ == "__main__":
    main()
