"""Request logging and the security headers that neither Django nor django-csp sends."""

import json
import logging
import time

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed

logger = logging.getLogger("meds_site.requests")


class RequestLogMiddleware:
    """One JSON line per request: method, path, status, duration; never the query string."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        if settings.LOG_REQUESTS:
            # The path only: handout links carry a patient's name in the query string.
            logger.info(
                json.dumps(
                    {
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                        "cache": getattr(request, "page_cache", None),
                    },
                    separators=(",", ":"),
                )
            )
        return response


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


# What a view or decorator can set on a response to change its policy (django-csp).
_POLICY_OVERRIDES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)


class SettledPolicyCSPMiddleware(CSPMiddleware):
    """django-csp, with the policy of a response that neither used a nonce nor changed the
    policy built once per process instead of on every response.

    Most responses are cached pages replayed as they are; building both policies again for each
    cost about a third of a cached hit. Any response that asks for more gets django-csp's own path.
    """

    _settled: tuple[str, str] | None = None

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in _POLICY_OVERRIDES
        ):
            return super().process_response(request, response)
        if self._settled is None:
            # Settings do not change while the process runs (tests reset it when they do).
            type(self)._settled = (build_policy(), build_policy(report_only=True))
        policy, report_only = self._settled
        for header, value, setting in (
            (HEADER, policy, "CONTENT_SECURITY_POLICY"),
            (HEADER_REPORT_ONLY, report_only, "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            prefixes = tuple(
                (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            )
            if value and header not in response and not request.path_info.startswith(prefixes):
                response[header] = value
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


def _forget_policy(setting, **kwargs) -> None:
    # A test that overrides the policy must see its own policy.
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        SettledPolicyCSPMiddleware._settled = None


setting_changed.connect(_forget_policy, dispatch_uid="meds_site.middleware.forget_policy")
