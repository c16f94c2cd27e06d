from rest_framework.throttling import AnonRateThrottle


class AnonBurstThrottle(AnonRateThrottle):
    """Anonymous request rate; counted in the shared (database) cache across workers."""

    scope = "anon_burst"
