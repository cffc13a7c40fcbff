"""Gunicorn settings for production: `gunicorn meds_site.wsgi` reads this file by itself.

Every value can be changed from the environment (or on the command line, which wins):
  BIND              address to listen on (default 127.0.0.1:8000: a reverse proxy in front)
  WEB_CONCURRENCY   worker processes (default 2 x CPUs + 1)
  GUNICORN_THREADS  threads per worker (default 1: pages are CPU-bound and cached)
  GUNICORN_TIMEOUT  seconds before a stuck worker is killed and replaced (default 30)
  FORWARDED_ALLOW_IPS  proxies trusted to set X-Forwarded-* (default 127.0.0.1)
The app logs one JSON line per request itself (meds_site.middleware.RequestLogMiddleware),
so gunicorn's access log is off and its error log goes to stderr.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak never grows without bound.
max_requests = 10000
max_requests_jitter = 1000
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Load the app before forking: workers share its memory and a broken release fails at start.
preload_app = True
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Gunicorn 27 otherwise opens a control socket in ~/.gunicorn/, and several instances on one
# machine (tests, benchmarks, blue-green deploys) collide there. Nothing here uses it.
control_socket_disable = True


def pre_fork(server, worker):
    """Freeze what the preloaded app holds before each worker is forked from it."""
    # The app, its views and compiled templates live as long as the worker: frozen, the garbage
    # collector never walks them, and the memory holding them stays shared with the master
    # instead of being copied into each worker when a collection touches it.
    gc.freeze()
