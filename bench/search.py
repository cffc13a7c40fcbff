"""Search latency at scale: N monographs made from the real ones, on SQLite and PostgreSQL.

    .venv/bin/python bench/search.py                 # N=2000, both backends
    .venv/bin/python bench/search.py -n 200 --backend sqlite

Each backend runs in its own process on a throwaway database (a temporary SQLite file; a
PostgreSQL database created and dropped on 127.0.0.1), loaded through the importer, then
answers a fixed mix of queries. Prints p50 and p95 of search() per backend.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
ROUNDS = 5
# Fixed: what patients type, including names of generated drugs (see made_up_name()).
QUERIES = [
    "revlimid",
    "pomalidamide",
    "tummy pain",
    "pins and needles",
    "can I give blood",
    "being sick",
    "high temperature",
    "feeling tired all the time",
    "swollen ankles",
    "missed dose",
    "how do I take it",
    "contraception",
    "what does neutropenia mean",
    "diarhoea",
    "constipaton",
    "blood clot in my leg",
    "can I drive",
    '"give blood" -sperm',
    "!!!",
    "the",
]


def made_up_name(rng: random.Random) -> str:
    return (
        "".join(rng.choice(["za", "lo", "vi", "ter", "mon", "ka", "su", "pre", "dal", "ri"])
                for _ in range(rng.randint(2, 3)))
        + rng.choice(["domide", "mab", "zomib", "tinib", "lisib"])
    )  # fmt: skip


def _replace_text(obj, swaps: list[tuple[re.Pattern, str]]):
    """Every string inside the dataclass tree, with the names swapped."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, str):
            for pattern, new in swaps:
                value = pattern.sub(new, value)
            setattr(obj, f.name, value)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if dataclasses.is_dataclass(item):
                    _replace_text(item, swaps)
                elif isinstance(item, str):
                    for pattern, new in swaps:
                        item = pattern.sub(new, item)
                    value[i] = item


def generated_content(n: int):
    """The real content, plus n copies of its monographs under made-up names."""
    from drugs.monographs.files import expand_paths, read_content

    files, _ = expand_paths([ROOT / "content"])
    content, problems = read_content(files)
    assert not problems, problems
    real = list(content.monographs)
    rng = random.Random(2000)
    used = {m.slug for m in real}
    for i in range(n - len(real)):
        template = real[i % len(real)]
        name = made_up_name(rng)
        while name in used:
            name = made_up_name(rng) + rng.choice("abcdefgh")
        used.add(name)
        copy_ = copy.deepcopy(template)
        brand = name[:4].capitalize() + rng.choice(["vex", "lor", "qua", "mid"])
        swaps = [(re.compile(re.escape(template.name), re.I), name.capitalize())] + [
            (re.compile(re.escape(b), re.I), brand) for b in template.brand_names
        ]
        _replace_text(copy_, swaps)
        copy_.slug, copy_.name, copy_.brand_names = name, name.capitalize(), [brand]
        content.monographs.append(copy_)
    return content


def _skip_costs_that_are_not_search() -> None:
    """Loading 2000 monographs through Markdown and the history snapshots takes most of an
    hour on this machine and tells nothing about search: render plain paragraphs instead (the
    index keeps only the text anyway) and take no snapshots."""
    from django.utils.html import escape
    from simple_history.signals import post_create_historical_record

    import drugs.models.content

    drugs.models.content.render_markdown = lambda text: f"<p>{escape(text)}</p>" if text else ""
    post_create_historical_record.disconnect(dispatch_uid="drugs.monographs.snapshots")


def worker(n: int, backend: str) -> dict:
    """Runs inside a process whose DATABASE_URL is the throwaway database."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meds_site.settings")
    django.setup()
    from django.core.management import call_command

    from drugs.models import SearchDocument
    from drugs.monographs.importer import import_content
    from drugs.search import exact_drug_match, search

    call_command("migrate", verbosity=0)
    _skip_costs_that_are_not_search()
    content = generated_content(n)
    started = time.perf_counter()
    import_content(content)
    load_seconds = time.perf_counter() - started
    queries = QUERIES + [content.monographs[-1].name.lower(), content.monographs[-2].slug[:-1]]
    for query in queries:  # warm caches, as a running server would have them
        search(query)
    samples = []
    for _ in range(ROUNDS):
        for query in queries:
            started = time.perf_counter()
            # What the search page does: the drug-name check, then the search.
            exact_drug_match(query)
            search(query)
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "backend": backend,
        "drugs": n,
        "documents": SearchDocument.objects.count(),
        "load_seconds": round(load_seconds, 1),
        "queries": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 1),
        "max_ms": round(samples[-1], 1),
    }


def run(n: int, backend: str) -> dict:
    env = {**os.environ, "DEBUG": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        else:
            name = f"meds_search_bench_{os.getpid()}"
            subprocess.run(["psql", "-q", f"{PG_SERVER}/postgres", "-c", f"CREATE DATABASE {name}"], check=True)  # fmt: skip
            env["DATABASE_URL"] = f"{PG_SERVER}/{name}"
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--worker", "-n", str(n), "--backend", backend],
                env=env, cwd=ROOT, check=True, capture_output=True, text=True,
            )  # fmt: skip
        finally:
            if backend == "postgres":
                subprocess.run(["psql", "-q", f"{PG_SERVER}/postgres", "-c", f"DROP DATABASE IF EXISTS {name}"], check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="monographs to load (default 2000)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # The project, not this folder (whose other benchmarks, e.g. http.py, shadow the stdlib).
    sys.path[0] = str(ROOT)
    if args.worker:
        print(json.dumps(worker(args.n, args.backend)))
        return
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(f"{'backend':10} {'drugs':>6} {'docs':>7} {'load s':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")  # fmt: skip
    for backend in backends:
        r = run(args.n, backend)
        print(
            f"{r['backend']:10} {r['drugs']:>6} {r['documents']:>7} {r['load_seconds']:>7} "
            f"{r['p50_ms']:>7} {r['p95_ms']:>7} {r['max_ms']:>7}",
            flush=True,
        )


if __name__ == "__main__":
    main()
