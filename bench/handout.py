#!/usr/bin/env python3
"""Time a filled nurse's handout in-process, then load-test it under gunicorn with wrk.

    .venv/bin/python bench/handout.py                    # every drug in content/, 20 s of wrk
    .venv/bin/python bench/handout.py --duration 5 --slug lenalidomide

It makes a throwaway SQLite database, migrates, imports content/, collects static files, and
with production settings (DEBUG off, a generated SECRET_KEY, SECURE_SSL_REDIRECT=0 on loopback):
  (1) renders the handout view in this process, as a POST with every field filled in, and prints
      the median and 95th percentile (target: median at most 20 ms);
  (2) starts gunicorn (gunicorn.conf.py, --no-control-socket, as bench/http.py does), takes a
      CSRF cookie and token from the form once, and runs wrk POSTing the same filled form with
      64 connections (target: at least 200 requests/s, no errors); the bare baseline view
      is measured too, as a yardstick.
It exits non-zero when a target is missed. Not a test: it needs a quiet machine and wrk.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from common import fresh_database, production_env  # bench/ is on sys.path when a script runs

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on the import path, and bench/http.py would hide the
# standard library's http package from urllib (as bench/http.py itself explains).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
BIN = ROOT / ".venv" / "bin"
RENDER_TARGET_MS = 20.0
RPS_TARGET = 200.0
FILLED = {
    "phone": "0161 555 0123 option 2",
    "patient_name": "Alex Taylor-Smith",
    "first_day": "2027-01-04",
    "last_day": "2027-02-28",
    "days_on": "21",
    "days_off": "7",
    "cycles": "2",
    "pregnancy": "all",
}


def load_http_bench():
    """bench/http.py's gunicorn and wrk helpers (its name hides the standard library's http)."""
    sys.path.insert(0, str(ROOT / "bench"))  # for its own `from common import ...`
    spec = importlib.util.spec_from_file_location("bench_http", ROOT / "bench" / "http.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def drug_slugs(content: Path) -> list[str]:
    slugs = []
    for path in sorted(p for p in content.glob("*.md") if p.name.lower() != "readme.md"):
        found = re.search(r"(?m)^slug: *(\S+)$", path.read_text(encoding="utf-8"))
        if found:
            slugs.append(found.group(1))
    return slugs


def render_times(slugs: list[str], repeats: int) -> dict[str, dict[str, float]]:
    """Milliseconds per filled handout, view included (queries, form, template), in-process."""
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meds_site.settings")
    django.setup()
    from django.test import RequestFactory
    from django.urls import reverse

    from drugs.handout.views import handout

    factory = RequestFactory()
    results = {}
    for slug in slugs:
        url = reverse("drugs:handout", kwargs={"slug": slug})
        times = []
        for i in range(repeats + 20):
            request = factory.post(url, FILLED, HTTP_HOST="127.0.0.1")
            # As the CSRF middleware leaves a checked request; the view is what is timed.
            request._dont_enforce_csrf_checks = True
            started = time.perf_counter()
            response = handout(request, slug=slug)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                sys.exit(f"{slug}: the handout answered {response.status_code}")
            if i >= 20:  # the first renders warm the template and Markdown caches
                times.append(elapsed)
        times.sort()
        results[slug] = {
            "median": statistics.median(times),
            "p95": times[int(len(times) * 0.95) - 1],
        }
    return results


def csrf_pair(base: str, slug: str) -> tuple[str, str]:
    """The CSRF cookie and form token a browser would get from the blank form."""
    import urllib.request

    with urllib.request.urlopen(f"{base}/drugs/{slug}/handout/", timeout=10) as response:
        cookie = re.search(r"csrftoken=([^;]+)", response.headers.get("Set-Cookie", "")).group(1)
        html = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return cookie, token


def post_script(folder: Path, body: str, cookie: str) -> Path:
    script = folder / "handout.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        f'wrk.headers["Cookie"] = "csrftoken={cookie}"\n',
        encoding="utf-8",
    )
    return script


def wrk(http, name: str, url: str, args, script: Path | None = None):
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    command += ["--timeout", "10s", "--latency"] + (["-s", str(script)] if script else []) + [url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = sum(map(int, socket_errors.groups())) if socket_errors else 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non2xx.group(1)) if non2xx else 0
    return http.Result(
        name=name,
        url=url,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=http._ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        p99_ms=http._ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        errors=errors,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds of wrk (default 20)")
    parser.add_argument("--connections", type=int, default=64, help="open connections (64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument(
        "--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1, help="gunicorn workers"
    )
    parser.add_argument("--repeats", type=int, default=200, help="in-process renders per drug")
    parser.add_argument("--slug", help="the drug whose handout wrk loads (default: the first)")
    parser.add_argument("--content", type=Path, default=ROOT / "content", help="monographs")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    http = load_http_bench()
    slugs = drug_slugs(args.content)
    slug = args.slug or slugs[0]

    with tempfile.TemporaryDirectory(prefix="meds-bench-handout-") as tmp:
        folder = Path(tmp)
        static_root = folder / "static"
        env = {**os.environ, "DEBUG": "1", "STATIC_ROOT": str(static_root)}
        http.run(env, str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0")
        with fresh_database(False, folder, "handout") as url:
            env = production_env(url, static_root)
            http.run(env, str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0")
            http.run(
                env,
                str(BIN / "python"),
                "manage.py",
                "import_monographs",
                "-v",
                "0",
                str(args.content),
            )
            # Production settings in this process too; gunicorn below gets the same env.
            os.environ.update(env)
            renders = render_times(slugs, args.repeats)

            port = http.free_port()
            base = f"http://127.0.0.1:{port}"
            import urllib.request

            with http.gunicorn(env, port, args.workers, folder / "gunicorn.log"):
                cookie, token = csrf_pair(base, slug)
                body = urlencode({**FILLED, "csrfmiddlewaretoken": token})
                request = urllib.request.Request(
                    f"{base}/drugs/{slug}/handout/",
                    data=body.encode(),
                    headers={"Cookie": f"csrftoken={cookie}"},
                )
                with urllib.request.urlopen(request, timeout=10) as response:
                    if response.status != 200 or b'class="handout' not in response.read():
                        sys.exit("the filled handout did not come back from gunicorn")
                script = post_script(folder, body, cookie)
                handout_url = f"{base}/drugs/{slug}/handout/"
                warm = argparse.Namespace(**{**vars(args), "duration": 2})
                wrk(http, "warm-up", handout_url, warm, script)
                baseline = wrk(http, "baseline", f"{base}/bench/baseline/", args)
                loaded = wrk(http, "handout", handout_url, args, script)

    print(
        f"\nIn-process render of a filled handout (view, queries and template), {args.repeats} runs:"
    )
    ok = True
    for name, times in renders.items():
        met = times["median"] <= RENDER_TARGET_MS
        ok = ok and met
        print(
            f"  {name:14} median {times['median']:6.2f} ms   p95 {times['p95']:6.2f} ms"
            f"   target <= {RENDER_TARGET_MS:.0f} ms  {'ok' if met else 'MISSED'}"
        )
    print(
        f"\ngunicorn, {args.workers} workers, SQLite, wrk -c{args.connections} -t{args.threads}"
        f" -d{args.duration}s, POST of the filled {slug} handout:"
    )
    print(f"  {'':10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for r in (baseline, loaded):
        print(f"  {r.name:10} {r.rps:9.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.errors:7d}")
    met = loaded.rps >= RPS_TARGET and loaded.errors == 0
    ok = ok and met
    print(f"  handout target >= {RPS_TARGET:.0f} req/s, no errors: {'ok' if met else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
