"""Request logging and the security headers that neither Django nor django-csp sends."""

import json
import logging
import time

from django.conf import settings

logger = logging.getLogger("meds_site.requests")


class RequestLogMiddleware:
    """One JSON line per request: method, path, status, duration; never the query string."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        if settings.LOG_REQUESTS:
            log_request(
                request.method,
                request.path,
                response.status_code,
                started,
                getattr(request, "page_cache", None),
            )
        return response


def log_request(method: str, path: str, status: int, started: float, cache: str | None) -> None:
    """The request's JSON line; started is its time.perf_counter() on arrival."""
    # The path only: handout links carry a patient's name in the query string.
    logger.info(
        json.dumps(
            {
                "method": method,
                "path": path,
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "cache": cache,
            },
            separators=(",", ":"),
        )
    )


class SecurityHeadersMiddleware:
    """Permissions-Policy and Cross-Origin-Resource-Policy on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.headers.setdefault(
            "Cross-Origin-Resource-Policy", settings.CROSS_ORIGIN_RESOURCE_POLICY
        )
        return response


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the entry our own proxies added to X-Forwarded-For."""
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        # Each trusted proxy appends the address it saw; anything further left is client-supplied.
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")
