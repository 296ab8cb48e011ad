"""The read API's OpenAPI 3.1 document, built from the tables' columns (bot/api_tables.py)."""

from __future__ import annotations

from typing import Any

from bot.api_tables import TABLES

SUMMARIES = {
    "teams": "Each team's week: cost (chargeback), energy, CO2e, label, rank, budget.",
    "runs": "Each run of the week: what it held, used and cost, and the judge's verdict.",
    "suggestions": "The week's suggestions (open ones, or those in `state`).",
    "idle": "Each cluster's idle capacity: GPU time held by no run, and held by idle runs.",
    "weeks": "The judged weeks, with their totals.",
    "served": "Each served endpoint's week: requests, Wh per 1,000 requests and tokens, idle "
              "share, stars on the AI Energy Score scale (docs/served.md).",
}
PARAMETERS: dict[str, dict[str, Any]] = {
    "week": {"name": "week", "in": "query", "required": False,
             "description": "ISO week (2026-W07), `last` (the last complete week, the default) "
                            "or `current` (the week so far).",
             "schema": {"type": "string",
                        "pattern": r"^(\d{4}-W(0[1-9]|[1-4]\d|5[0-3])|last|current)$"}},
    "team": {"name": "team", "in": "query", "required": False,
             "description": "Only this team (a name of the organisation file).",
             "schema": {"type": "string"}},
    "cluster": {"name": "cluster", "in": "query", "required": False,
                "description": "Only this cluster (a name of the organisation file).",
                "schema": {"type": "string"}},
    "state": {"name": "state", "in": "query", "required": False,
              "description": "Only suggestions in this state (open, approved, applied, "
                             "dismissed, expired, ...).",
              "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"}},
    "format": {"name": "format", "in": "query", "required": False,
               "description": "csv for CSV (as `Accept: text/csv`); json by default.",
               "schema": {"type": "string", "enum": ["json", "csv"]}},
}
ERROR = {"type": "object", "required": ["error"], "additionalProperties": False,
         "properties": {"error": {"type": "string"}}}


def _response(table: str) -> dict[str, Any]:
    columns = TABLES[table]
    item = {"type": "object", "additionalProperties": False,
            "required": [c.name for c in columns],
            "properties": {c.name: c.schema() for c in columns}}
    body: dict[str, Any] = {
        "type": "object", "additionalProperties": False, "required": ["currency", "items"],
        "properties": {"currency": {"type": "string", "description": "ISO 4217 code of every "
                                    "amount: the organisation file's `currency`."},
                       "items": {"type": "array", "items": item}}}
    if table != "weeks":
        body["required"].append("week")
        body["properties"]["week"] = {"type": "string", "description": "The ISO week shown."}
    return body


def document(currency: str) -> dict[str, Any]:
    """The OpenAPI document; `currency` is named in the description."""
    from bot.api import PARAMS, PREFIX

    errors = {str(code): {"description": why, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"}}}}
        for code, why in ((400, "A parameter is not valid."),
                          (401, "No read token, or an unknown one."),
                          (403, "The token may not see that team."),
                          (404, "The week has not been judged."))}
    paths: dict[str, Any] = {}
    for table in TABLES:
        name = table.capitalize()
        ok = {"description": "The rows.", "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}},
            "text/csv": {"schema": {"type": "string"}}}}
        paths[f"{PREFIX}/{table}"] = {"get": {
            "operationId": f"get_{table}", "summary": SUMMARIES[table],
            "parameters": [PARAMETERS[p] for p in [*PARAMS[table], "format"]],
            "responses": {"200": ok, **{k: v for k, v in errors.items()
                                        if table != "weeks" or k != "404"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "ai-cost read API", "version": "1",
                 "description": f"GPU cost, energy and CO2e of the judged weeks. Amounts are "
                                f"in {currency}; energy in kWh; emissions in kg CO2e."},
        "paths": paths,
        "security": [{"readToken": []}],
        "components": {
            "securitySchemes": {"readToken": {"type": "http", "scheme": "bearer",
                                              "description": "A read_tokens entry of the "
                                                             "organisation file."}},
            "schemas": {"Error": ERROR,
                        **{t.capitalize(): _response(t) for t in TABLES}}},
    }
