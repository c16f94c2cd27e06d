"""The anonymous report limit: ``REPORT_THROTTLE_RATE`` (20/min) per client address.

One scope for the HTML form and the JSON POST, so a client cannot double its allowance by
switching between them; counted with the portal's rate counter (geo.api.rate_counter) and the
one client-address rule (geo.client_address). Every attempt counts, refused ones too.
"""

from __future__ import annotations

from geo.api.throttling import ClientAddressThrottle


class ReportThrottle(ClientAddressThrottle):
    scope = "anon_report"


def report_allowed(request) -> tuple[bool, int | None]:
    """(allowed, Retry-After seconds) for one report attempt from ``request``'s client."""
    throttle = ReportThrottle()
    if throttle.allow_request(request, None):
        return True, None
    return False, throttle.wait()
