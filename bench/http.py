#!/usr/bin/env python3
"""Load-test the site under gunicorn with production settings, against two yardsticks.

    .venv/bin/python bench/http.py                       # both databases, Redis and not, 30 s
    .venv/bin/python bench/http.py --duration 5 --databases sqlite --caches local

For each database it makes a throwaway database, migrates, imports content/, collects static
files into a temporary folder, and for each cache (Redis, each worker's local memory) starts
gunicorn (production settings: DEBUG off, a generated SECRET_KEY, SECURE_SSL_REDIRECT=0 on
loopback) and measures with wrk (apt-get install wrk):
  bare      a bare Django project (bench/bare/: startproject's middleware, one view answering
            the drug page's bytes) under the same gunicorn, config and workers: the yardstick;
  baseline  a constant view behind the site's own middleware (BENCH_BASELINE=1 mounts it);
  the drug page and a search, each plain and with "Accept-Encoding: gzip, br".
It prints requests per second, p50 / p99 latency, errors, and each as a ratio of bare and of
baseline. Targets against bare: drug page at least 1.0, search at least 0.5, no errors.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from common import fresh_database, production_env  # bench/ is on sys.path when a script runs

ROOT = Path(__file__).resolve().parent.parent
# This file is called http.py: run as a script, its folder would come first on the import path
# and hide the standard library's http package from urllib.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
BIN = ROOT / ".venv" / "bin"
# Redis databases kept for the benchmark and emptied before each run, one per engine, so a
# PostgreSQL run never serves pages the SQLite run cached.
REDIS_DBS = {"sqlite": 14, "postgres": 15}
# Against the bare project, from issue #18.
TARGETS = {"drug": 1.0, "drug gz/br": 1.0, "search": 0.5, "search gz/br": 0.5}
COMPRESSED = {"Accept-Encoding": "gzip, br"}
BARE = ROOT / "bench" / "bare"


@dataclass
class Result:
    name: str
    url: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(env: dict, *args: str) -> None:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def database(engine: str, folder: Path):
    return fresh_database(engine == "postgres", folder, "http")


def redis_url(base: str | None, engine: str) -> str:
    if not base:
        return ""
    import redis

    url = f"{base.rstrip('/')}/{REDIS_DBS[engine]}"
    redis.Redis.from_url(url).flushdb()
    return url


@contextmanager
def gunicorn(
    env: dict, port: int, workers: int, log: Path, app="meds_site.wsgi", ready="/healthz", extra=()
):
    """Start gunicorn with the project's config; stop it (and only it) afterwards."""
    with open(log, "w") as out:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                app,
                *extra,
                "--config",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                # Several instances on one machine must not share a control socket.
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(port, process, log, ready)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_healthy(port: int, process, log: Path, ready: str) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn stopped:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready}", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not become healthy:\n{log.read_text()[-3000:]}")


def fetch(url: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    """Status, body and headers, without following redirects (a search must not redirect)."""
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, b"", dict(exc.headers)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(
    name: str, url: str, duration: int, connections: int, threads: int, headers: dict
) -> Result:
    out = subprocess.run(
        [
            "wrk",
            *(f"-H{k}: {v}" for k, v in headers.items()),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "--latency",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = sum(map(int, socket_errors.groups())) if socket_errors else 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non2xx.group(1)) if non2xx else 0
    return Result(
        name=name,
        url=url,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        p99_ms=_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        errors=errors,
    )


def drug_slug(content: Path) -> str:
    for path in sorted(p for p in content.glob("*.md") if p.name.lower() != "readme.md"):
        found = re.search(r"(?m)^slug: *(\S+)$", path.read_text(encoding="utf-8"))
        if found:
            return found.group(1)
    sys.exit(f"no monograph in {content}")


def check(name: str, url: str, headers: dict, query: str) -> str:
    """Fail unless the URL answers 200 as expected; the content coding it was sent in."""
    status, body, got = fetch(url, headers)
    if status != 200:
        sys.exit(f"{name}: {url} answered {status}, not 200")
    coding = got.get("Content-Encoding", "")
    if headers and name != "baseline" and coding not in ("br", "gzip"):
        sys.exit(f"{name}: {url} was not compressed although the client accepts it")
    if name == "search" and query.lower() not in body.decode().lower():
        sys.exit(f"search: the results page does not mention {query!r}")
    return coding or "identity"


def measure(urls: list[tuple[str, str, dict]], args) -> tuple[list[list[Result]], dict]:
    """wrk on each URL, round after round, after a check and a warm-up of every worker.

    The yardstick comes first in each round and the ratios are taken within a round, so a
    machine whose load changes over minutes still gives comparable figures.
    """
    codings = {}
    for name, url, headers in urls:
        codings[name] = check(name, url, headers, args.query)
        wrk(name, url, 2, min(args.connections, 16), args.threads, headers)
    rounds = [
        [
            wrk(name, url, args.duration, args.connections, args.threads, headers)
            for name, url, headers in urls
        ]
        for _ in range(args.rounds)
    ]
    return rounds, codings


@contextmanager
def bare_server(page: bytes, args, folder: Path):
    """The bare Django project (bench/bare/) answering the drug page's bytes; its URL."""
    page_file = folder / "bare-page.html"
    page_file.write_bytes(page)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bare_settings",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "BARE_PAGE": str(page_file),
    }
    port = free_port()
    log = folder / "gunicorn-bare.log"
    extra = ("--pythonpath", str(BARE))
    with gunicorn(env, port, args.workers, log, app="bare_wsgi", ready="/", extra=extra):
        yield f"http://127.0.0.1:{port}/"


def bench_site(engine: str, cache: str, db_url: str, args, static_root: Path, folder: Path):
    """The bare project and the site's URLs, both servers up, measured in alternation."""
    env = production_env(
        db_url, static_root, redis_url(args.redis if cache == "redis" else None, engine)
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    drug = f"{base}/drugs/{drug_slug(args.content)}/"
    search = f"{base}/search/?q={args.query}"
    with gunicorn(env, port, args.workers, folder / f"gunicorn-{engine}-{cache}.log"):
        page = fetch(drug)[1]
        with bare_server(page, args, folder) as bare:
            urls = [
                ("bare", bare, {}),
                ("baseline", f"{base}/bench/baseline/", {}),
                ("drug", drug, {}),
                ("drug gz/br", drug, COMPRESSED),
                ("search", search, {}),
                ("search gz/br", search, COMPRESSED),
            ]
            rounds, codings = measure(urls, args)
    return rounds, codings, len(page)


def bench_engine(engine: str, args, static_root: Path, folder: Path) -> bool:
    with database(engine, folder) as url:
        env = production_env(url, static_root)
        run(env, str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0")
        run(
            env, str(BIN / "python"), "manage.py", "import_monographs", "-v", "0", str(args.content)
        )
        ok = True
        for cache in args.caches.split(","):
            rounds, codings, page_bytes = bench_site(
                engine, cache.strip(), url, args, static_root, folder
            )
            ok = report(engine, cache.strip(), rounds, codings, page_bytes, args) and ok
    return ok


def report(engine: str, cache: str, rounds, codings: dict, page_bytes: int, args) -> bool:
    """Median figures over the rounds; each ratio is the median of the rounds' own ratios."""
    reuse_ms = os.environ.get("PAGE_CACHE_VERSION_REUSE_MS") or "500 (default)"
    print(
        f"\n{engine}, {'Redis' if cache == 'redis' else 'local-memory'} cache, content version "
        f"reused for {reuse_ms} ms per worker: {args.connections} connections, {args.duration} s "
        f"per URL, {args.rounds} round(s), {args.workers} gunicorn workers; "
        f"bare page {page_bytes} bytes; gz/br rows sent as {codings.get('drug gz/br')}"
    )
    print(
        f"  {'':13} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'x bare':>6} {'x base':>6}  target (x bare)"
    )
    ok = True
    for i, name in enumerate(r.name for r in rounds[0]):
        runs = [one[i] for one in rounds]
        x_bare = median(one[i].rps / one[0].rps for one in rounds)
        x_base = median(one[i].rps / one[1].rps for one in rounds)
        errors = sum(r.errors for r in runs)
        target = TARGETS.get(name)
        met = target is None or x_bare >= target
        ok = ok and met and errors == 0
        verdict = "" if target is None else f">= {target}  {'ok' if met else 'MISSED'}"
        print(
            f"  {name:13} {median(r.rps for r in runs):8.0f} "
            f"{median(r.p50_ms for r in runs):7.2f} {median(r.p99_ms for r in runs):7.2f} "
            f"{errors:6d} {x_bare:6.2f} {x_base:6.2f}  {verdict}"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds per URL (default 30)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="rounds over every URL; medians reported (1)"
    )
    parser.add_argument("--connections", type=int, default=64, help="open connections (64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument(
        "--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1, help="gunicorn workers"
    )
    parser.add_argument("--databases", default="sqlite,postgres", help="sqlite,postgres")
    parser.add_argument("--caches", default="redis,local", help="redis,local (each worker's)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379", help="Redis server")
    parser.add_argument("--content", type=Path, default=ROOT / "content", help="monographs")
    parser.add_argument("--query", default="constipation", help="the search measured")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    ok = True
    with tempfile.TemporaryDirectory(prefix="meds-bench-http-") as tmp:
        folder = Path(tmp)
        static_root = folder / "static"
        env = {**os.environ, "DEBUG": "1", "STATIC_ROOT": str(static_root)}
        run(env, str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0")
        for engine in args.databases.split(","):
            ok = bench_engine(engine.strip(), args, static_root, folder) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
