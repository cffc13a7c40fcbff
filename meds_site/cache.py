"""Django's Redis cache behind a circuit breaker: a dead or hung Redis makes the site slower, never down.

Every call is guarded. On a Redis error (refused, timed out) the call answers as if the cache
were empty (a read misses, a write is dropped) and the breaker opens: for
CACHE_BREAKER_SECONDS this process does not ask Redis at all, so requests stop waiting for
socket timeouts. The first call after that tries Redis again. The outage and the recovery are
logged once each, without a traceback.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What a dead cache raises: redis-py wraps socket errors in ConnectionError and TimeoutError
# (both RedisError); OSError for anything raised below it. Anything else (a value that cannot
# be pickled) is a bug and still raises.
CACHE_ERRORS = (RedisError, OSError)
_MISSING = object()


class GuardedRedisCache(RedisCache):
    """RedisCache whose every call degrades to a miss while Redis fails."""

    def __init__(self, server, params):
        super().__init__(server, params)
        # time.monotonic() until which Redis is not asked; 0 while it answers.
        self.skip_until = 0.0
        self.failing = False

    def _guarded(self, call, fallback, *args, **kwargs):
        if self.skip_until and time.monotonic() < self.skip_until:
            return fallback
        try:
            result = call(*args, **kwargs)
        except CACHE_ERRORS as exc:
            self._open(exc)
            return fallback
        if self.failing:
            self.failing = False
            self.skip_until = 0.0
            logger.warning("cache: Redis answers again")
        return result

    def _open(self, exc: Exception) -> None:
        seconds = settings.CACHE_BREAKER_SECONDS
        self.skip_until = time.monotonic() + seconds
        if not self.failing:
            self.failing = True
            # One line per outage: a traceback per request filled 21 MB of log in 20 s.
            logger.error(
                "cache: Redis unavailable (%s: %s); not asked for %gs at a time until it answers",
                type(exc).__name__,
                exc,
                seconds,
            )

    def add(self, key, value, timeout=None, version=None):
        return self._guarded(super().add, False, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._guarded(super().get, default, key, default, version)

    def set(self, key, value, timeout=None, version=None):
        return self._guarded(super().set, None, key, value, timeout, version)

    def touch(self, key, timeout=None, version=None):
        return self._guarded(super().touch, False, key, timeout, version)

    def delete(self, key, version=None):
        return self._guarded(super().delete, False, key, version)

    def get_many(self, keys, version=None):
        return self._guarded(super().get_many, {}, keys, version)

    def has_key(self, key, version=None):
        return self._guarded(super().has_key, False, key, version)

    def incr(self, key, delta=1, version=None):
        # Django's way of saying "no such key", which callers already handle; a missing
        # sentinel object would be mistaken for a count.
        result = self._guarded(super().incr, _MISSING, key, delta, version)
        if result is _MISSING:
            raise ValueError(f"Key '{key}' not found: the cache is unavailable.")
        return result

    def set_many(self, data, timeout=None, version=None):
        # Django's convention: the keys that could not be stored.
        return self._guarded(super().set_many, list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._guarded(super().delete_many, None, keys, version)

    def clear(self):
        return self._guarded(super().clear, False)
