#!/usr/bin/env python3
"""Time the import of N generated monographs into a fresh database.

    .venv/bin/python bench/import.py                 # 2000 monographs into SQLite
    .venv/bin/python bench/import.py -n 500 --postgres

The monographs are copies of the real ones in content/ (or the test fixtures when content/ has
none), each with its own slug and name, written to a temporary folder with the shared files.
It times `manage.py import_monographs` on them (a first import, then a second that finds
nothing to change) in a separate process, as an editor would run it. Target: 30 s on SQLite
for 2000 monographs; with fewer, the time is projected to 2000 (start-up once, the rest scaled).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import fresh_database  # bench/ is on sys.path when a script runs

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
TARGET_SECONDS = 30
TARGET_COUNT = 2000
SHARED = ("frequency-bands.yaml", "side-effects.yaml", "glossary.yaml", "vocabulary.yaml")


def source_folder(given: Path | None) -> Path:
    if given:
        return given
    content = ROOT / "content"
    if any(p.name.lower() != "readme.md" for p in content.glob("*.md")):
        return content
    return ROOT / "tests" / "fixtures" / "content"


def generate(source: Path, target: Path, count: int) -> None:
    """Write `count` monographs, copies of the source ones under new slugs and names."""
    templates = sorted(p for p in source.glob("*.md") if p.name.lower() != "readme.md")
    if not templates:
        sys.exit(f"no monographs in {source}")
    for name in SHARED:
        if (source / name).is_file():
            (target / name).write_text((source / name).read_text(encoding="utf-8"), "utf-8")
    texts = [p.read_text(encoding="utf-8") for p in templates]
    for i in range(count):
        text = texts[i % len(texts)]
        # Only the front matter's own slug and name lines (the first of each).
        text = re.sub(r"(?m)^slug: *(\S+)$", rf"slug: \1-{i:05d}", text, count=1)
        text = re.sub(r"(?m)^name: *(.+)$", rf"name: \1 {i}", text, count=1)
        slug = re.search(r"(?m)^slug: *(\S+)$", text).group(1)
        (target / f"{slug}.md").write_text(text, encoding="utf-8")


def manage(env: dict, *args: str) -> tuple[float, float]:
    """Run a management command; return its wall time in seconds and its peak memory in MB."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        child = subprocess.Popen(
            [str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, stdout=out, stderr=out
        )
        # wait4 gives this child's own resource use: its peak resident size in KB (Linux).
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            out.seek(0)
            sys.exit(f"manage.py {' '.join(args)} failed:\n{out.read()}")
    return elapsed, usage.ru_maxrss / 1024


def database(postgres: bool, folder: Path):
    return fresh_database(postgres, folder, "import")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--count", type=int, default=2000, help="monographs (default 2000)")
    parser.add_argument("--postgres", action="store_true", help="import into PostgreSQL")
    parser.add_argument("--source", type=Path, help="folder of monographs to copy")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="meds-bench-import-") as tmp:
        folder = Path(tmp)
        files = folder / "content"
        files.mkdir()
        source = source_folder(args.source)
        generate(source, files, args.count)
        with database(args.postgres, folder) as url:
            env = {
                **os.environ,
                "DEBUG": "0",
                "SECRET_KEY": secrets.token_urlsafe(60),
                "DATABASE_URL": url,
                "LOG_LEVEL": "WARNING",
            }
            manage(env, "migrate", "--noinput", "-v", "0")
            first, first_mb = manage(env, "import_monographs", "-v", "0", str(files))
            second, second_mb = manage(env, "import_monographs", "-v", "0", str(files))
            startup, startup_mb = manage(env, "check")

    engine = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{args.count} monographs copied from {source.relative_to(ROOT)} into {engine}")
    print(
        f"  first import:    {first:6.1f} s  ({args.count / first:,.0f} monographs/s), "
        f"peak memory {first_mb:,.0f} MB"
    )
    print(f"  re-import (none changed): {second:6.1f} s, peak memory {second_mb:,.0f} MB")
    print(f"  (of each, Django start-up: {startup:.1f} s and {startup_mb:,.0f} MB)")
    # Start-up is paid once whatever the count; the rest grows with the number of monographs.
    projected = startup + max(first - startup, 0) * TARGET_COUNT / args.count
    if args.count != TARGET_COUNT:
        print(f"  projected first import of {TARGET_COUNT}: {projected:6.1f} s")
    verdict = "meets" if projected <= TARGET_SECONDS else "MISSES"
    print(f"  {verdict} the target of {TARGET_SECONDS} s for the first import of {TARGET_COUNT}")
    return 0 if projected <= TARGET_SECONDS or args.postgres else 1


if __name__ == "__main__":
    sys.exit(main())
