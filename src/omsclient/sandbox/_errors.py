"""The legacy API's error codes, as one exception the handlers turn into an envelope."""

from __future__ import annotations

SUCCESS = 10001
AUTH_FAILED = 30001
API_DISABLED = 31000
PRODUCT_NOT_FOUND = 40004
NO_CONDITIONS = 50002
BAD_CONDITION = 50003
BAD_PAGING = 50004
BAD_PARAMETERS = 50005

DESCRIPTIONS = {
    AUTH_FAILED: "Authentication failed",
    API_DISABLED: "API not enabled on your site",
    PRODUCT_NOT_FOUND: "Product ID Not Found",
    NO_CONDITIONS: "No conditions specified",
    BAD_PAGING: "Invalid limit or offset",
    BAD_PARAMETERS: "Invalid request parameters",
}


class LegacyError(Exception):
    """A request the legacy API refuses; ``description`` is what the server says."""

    def __init__(self, code: int, description: str | None = None, severity: str = "ERROR") -> None:
        self.code = code
        self.description = description or DESCRIPTIONS.get(code, "")
        self.severity = severity
        super().__init__(f"{code} {self.description}")

    def envelope(self) -> dict[str, object]:
        """The ``response_status`` object."""
        return {"code": self.code, "severity": self.severity, "description": self.description}


def invalid(detail: str) -> LegacyError:
    """A 50005 whose description says what was wrong (the code is what clients act on)."""
    return LegacyError(BAD_PARAMETERS, f"Invalid request parameters: {detail}")
