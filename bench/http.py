#!/usr/bin/env python3
"""Load-test the site under gunicorn with production settings, against a bare Django baseline.

    .venv/bin/python bench/http.py                       # SQLite and PostgreSQL, 30 s each URL
    .venv/bin/python bench/http.py --duration 5 --databases sqlite

For each database it makes a throwaway database, migrates, imports content/, collects static
files into a temporary folder, starts gunicorn (production settings: DEBUG off, a generated
SECRET_KEY, SECURE_SSL_REDIRECT=0 on loopback) and measures with wrk (apt-get install wrk):
  (a) a constant-response view behind the same middleware (BENCH_BASELINE=1 mounts it),
  (b) a drug page, (c) a search.
It prints requests per second, p50 / p99 latency and errors, and (b) and (c) as ratios of (a).
Targets: (b) at least 0.8 of (a), (c) at least 0.5 of (a), no errors.
"""

from __future__ import annotations

import argparse
import os
import re
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

from common import fresh_database, production_env  # bench/ is on sys.path when a script runs

ROOT = Path(__file__).resolve().parent.parent
# This file is called http.py: run as a script, its folder would come first on the import path
# and hide the standard library's http package from urllib.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
BIN = ROOT / ".venv" / "bin"
# Redis databases kept for the benchmark and emptied before each run, one per engine, so a
# PostgreSQL run never serves pages the SQLite run cached.
REDIS_DBS = {"sqlite": 14, "postgres": 15}
TARGETS = {"drug": 0.8, "search": 0.5}


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
def gunicorn(env: dict, port: int, workers: int, log: Path):
    """Start gunicorn with the project's config; stop it (and only it) afterwards."""
    with open(log, "w") as out:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "meds_site.wsgi",
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
        wait_until_healthy(port, process, log)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_healthy(port: int, process, log: Path) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn stopped:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not become healthy:\n{log.read_text()[-3000:]}")


def fetch(url: str) -> tuple[int, str]:
    """Status and body, without following redirects (a search must not redirect)."""
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(name: str, url: str, duration: int, connections: int, threads: int) -> Result:
    out = subprocess.run(
        [
            "wrk",
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


def bench_engine(engine: str, args, static_root: Path, folder: Path) -> list[Result]:
    with database(engine, folder) as url:
        env = production_env(
            url, static_root, redis_url(None if args.no_redis else args.redis, engine)
        )
        run(env, str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0")
        run(
            env, str(BIN / "python"), "manage.py", "import_monographs", "-v", "0", str(args.content)
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        urls = {
            "baseline": f"{base}/bench/baseline/",
            "drug": f"{base}/drugs/{drug_slug(args.content)}/",
            "search": f"{base}/search/?q={args.query}",
        }
        log = folder / f"gunicorn-{engine}.log"
        with gunicorn(env, port, args.workers, log):
            for name, url in urls.items():
                status, body = fetch(url)
                if status != 200:
                    sys.exit(f"{name}: {url} answered {status}, not 200")
                if name == "search" and args.query.lower() not in body.lower():
                    sys.exit(f"search: the results page does not mention {args.query!r}")
                # Warm every worker's connections and the page cache before measuring.
                wrk(name, url, 2, min(args.connections, 16), args.threads)
            results = [
                wrk(name, url, args.duration, args.connections, args.threads)
                for name, url in urls.items()
            ]
        return results


def report(engine: str, results: list[Result], args) -> bool:
    by_name = {r.name: r for r in results}
    baseline = by_name["baseline"].rps
    cache = "local memory" if args.no_redis else "Redis"
    reuse_ms = int(os.environ.get("PAGE_CACHE_VERSION_REUSE_MS") or 0)
    version = (
        f"content version reused for {reuse_ms} ms per worker"
        if reuse_ms > 0
        else "content version read on every hit"
    )
    print(
        f"\n{engine}, {cache} cache, {version}: {args.connections} connections, "
        f"{args.duration} s per URL, {args.workers} gunicorn workers"
    )
    print(f"  {'':10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'ratio':>6}  target")
    ok = True
    for r in results:
        ratio = r.rps / baseline if baseline else 0.0
        target = TARGETS.get(r.name)
        met = target is None or ratio >= target
        ok = ok and met and r.errors == 0
        verdict = "" if target is None else f">= {target}  {'ok' if met else 'MISSED'}"
        print(
            f"  {r.name:10} {r.rps:9.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.errors:7d} "
            f"{ratio:6.2f}  {verdict}"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds per URL (default 30)")
    parser.add_argument("--connections", type=int, default=64, help="open connections (64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument(
        "--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1, help="gunicorn workers"
    )
    parser.add_argument("--databases", default="sqlite,postgres", help="sqlite,postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379", help="Redis server")
    parser.add_argument("--no-redis", action="store_true", help="local-memory cache instead")
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
            results = bench_engine(engine.strip(), args, static_root, folder)
            ok = report(engine.strip(), results, args) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
