"""drf-spectacular post-processing: security and error answers per operation, as served.

Views declare their own 200s and request bodies; what every operation shares is stated here
once, from the rules the server follows:

* security: a read of a published layer, the stats, the context layers and the OGC API are
  public (``{}`` among the requirements: a token or session is optional); the rest needs a
  staff token or session. The token comes first, the scheme API clients use.
* errors: every error is the ``Error`` body (geo.api.errors, geo.error_pages): 400 where the
  operation takes parameters or a body, 403 everywhere (a wrong token is refused even on a
  public read), 404 where the path names something, 429 (throttles), 503 (the database
  unavailable, geo.db_errors); 304 where a GET honours If-None-Match.
"""

from __future__ import annotations

import re

METHODS = ("get", "put", "post", "patch", "delete")
ERROR_REF = {"$ref": "#/components/schemas/Error"}
# Reads that need a staff role: reports, blockers, history, the hours preview, orders.
_STAFF_READS = re.compile(r"/(reports|blockers|history|preview-hours)/$|^/api/v1/orders/")
# GETs answered 304 for a matching If-None-Match (geo.api.conditional).
CONDITIONAL_GETS = {
    "/api/v1/projects/",
    "/api/v1/projects/{id}/",
    "/api/v1/livelihood/",
    "/api/v1/livelihood/{id}/",
    "/api/v1/{layer}.{fmt}",
}
DESCRIPTIONS = {
    "304": "Not modified: the If-None-Match tag is current (no body)",
    "400": "A bad parameter or body; `errors` names each one",
    "403": "Not allowed for this caller, or a wrong token",
    "404": "No such resource (or not published)",
    "429": "Too many requests from this address; Retry-After says when to try again",
    "503": "The database is unavailable for a moment; Retry-After says when to try again",
}
TOKEN_FIRST = ("tokenAuth", "cookieAuth")


def is_public(path: str, method: str) -> bool:
    return method == "get" and not _STAFF_READS.search(path)


def _security(requirements: list[dict], *, public: bool) -> list[dict]:
    named = [r for r in requirements if r]
    named.sort(
        key=lambda r: next((TOKEN_FIRST.index(k) for k in r if k in TOKEN_FIRST), len(TOKEN_FIRST))
    )
    return [*named, {}] if public else named


def _error_codes(path: str, method: str, operation: dict) -> list[str]:
    codes = ["403", "429", "503"]
    takes_input = operation.get("parameters") or operation.get("requestBody")
    if takes_input or "{" in path:
        codes.append("400")
    if "{" in path:
        codes.append("404")
    return codes


def _database_enums(request) -> dict[str, dict]:
    """The schemas of the list filters whose enums come from the data, read now."""
    from geo.api.exports import layer_params
    from geo.api.params import accept_any_of
    from geo.exports.layers import LAYERS
    from geo.roles import is_staff_reader

    staff = request is not None and is_staff_reader(request.user)
    groups = [layer_params(name, staff=staff) for name in LAYERS]
    return {p.name: p.json_schema() for p in accept_any_of(*groups) if p.from_database}


def complete_operations(result, generator, request, public):
    """Every operation's security and error answers (POSTPROCESSING_HOOKS)."""
    # The data's enums belong to a document someone asked for. Generated without a request —
    # drf-spectacular's system check (`check --deploy`, before migrations on a fresh clone),
    # `manage.py spectacular` — the parameters keep their declared, data-free schemas.
    fresh = _database_enums(request) if request is not None else {}
    for path, item in result.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter["name"] in fresh:
                    parameter["schema"] = fresh[parameter["name"]]
                    if fresh[parameter["name"]]["type"] == "array":
                        parameter.update(style="form", explode=False)
            operation["security"] = _security(
                operation.get("security", []), public=is_public(path, method)
            )
            responses = operation.setdefault("responses", {})
            for code in _error_codes(path, method, operation):
                responses.setdefault(
                    code,
                    {
                        "description": DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": ERROR_REF}},
                    },
                )
            if method == "get" and path in CONDITIONAL_GETS:
                responses.setdefault("304", {"description": DESCRIPTIONS["304"]})
    return result
