"""Turn submitted form text into typed values, collecting a message key per bad field.

Only the shape is checked here (is it a number, a date, one of the offered choices); every
business rule (ranges, uniqueness, permissions) is the service layer's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
import math

from .core import Page


@dataclass(slots=True)
class FormErrors:
    """Message keys (or texts) per field; ``__all__`` holds form-wide ones."""

    fields: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        """Record the first message of a field."""
        self.fields.setdefault(name, message)

    def __bool__(self) -> bool:
        """Return whether any field is in error."""
        return bool(self.fields)


class FormReader:
    """Read typed fields from a page's submitted form."""

    def __init__(self, page: Page) -> None:
        """Bind to a page with a submitted form."""
        self.page = page
        self.errors = FormErrors()

    def text(self, name: str, *, max_chars: int = 200) -> str:
        """Return a trimmed text field (refusing absurdly long input)."""
        value = self.page.field(name).strip()
        if len(value) > max_chars:
            self.errors.add(name, self.page.t("form.too_long", max=str(max_chars)))
            return value[:max_chars]
        return value

    def optional_text(self, name: str, *, max_chars: int = 200) -> str | None:
        """Return a trimmed text field, or None when empty."""
        return self.text(name, max_chars=max_chars) or None

    def password(self, name: str) -> str:
        """Return a password field as typed (never trimmed)."""
        value = self.page.field(name)
        if len(value) > 1024:
            self.errors.add(name, self.page.t("form.too_long", max="1024"))
            return ""
        return value

    def number(self, name: str, *, default: float | None = None) -> float | None:
        """Return a decimal field (comma or dot), None/default when empty.

        Spaces between thousands are dropped, the no-break ones the French pages write
        (and a player may copy) included.
        """
        raw = "".join(self.text(name, max_chars=40).replace(",", ".").split())
        if not raw:
            if default is None:
                return None
            return default
        try:
            value = float(raw)
        except ValueError:
            self.errors.add(name, self.page.t("form.not_a_number"))
            return default
        if not math.isfinite(value):
            self.errors.add(name, self.page.t("form.not_a_number"))
            return default
        return value

    def required_number(self, name: str) -> float:
        """Return a decimal field that must be filled."""
        value = self.number(name)
        if value is None:
            self.errors.add(name, self.page.t("form.required"))
            return 0.0
        return value

    def integer(self, name: str, *, default: int) -> int:
        """Return a whole-number field (default when empty)."""
        raw = self.text(name, max_chars=12)
        if not raw:
            return default
        try:
            return int(raw)
        except ValueError:
            self.errors.add(name, self.page.t("form.not_an_integer"))
            return default

    def boolean(self, name: str) -> bool:
        """Return whether a checkbox is ticked."""
        return self.page.field(name) in ("on", "1", "true", "yes")

    def choice(self, name: str, options: tuple[str, ...], *, default: str) -> str:
        """Return one of the offered choices."""
        value = self.text(name, max_chars=64) or default
        if value not in options:
            self.errors.add(name, self.page.t("form.bad_choice"))
            return default
        return value

    def day(self, name: str, *, required: bool = True) -> date | None:
        """Return a ``YYYY-MM-DD`` date field."""
        raw = self.text(name, max_chars=10)
        if not raw:
            if required:
                self.errors.add(name, self.page.t("form.required"))
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.errors.add(name, self.page.t("form.bad_date"))
            return None

    def instant(self, name: str) -> datetime | None:
        """Return a ``YYYY-MM-DDTHH:MM`` local date-time field (naive)."""
        raw = self.text(name, max_chars=19)
        if not raw:
            self.errors.add(name, self.page.t("form.required"))
            return None
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            self.errors.add(name, self.page.t("form.bad_date"))
            return None
