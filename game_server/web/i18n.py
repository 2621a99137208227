"""Page strings in French (default) and English, and the choice of a request's language.

Catalogues are flat JSON objects (``game_server/web/i18n/<lang>.json``) mapping dotted keys
to ``str.format`` templates; both must hold the same keys with the same placeholders.
"""

from __future__ import annotations

from functools import cache
import json
from pathlib import Path
import string

CATALOGUE_DIR = Path(__file__).with_name("i18n")
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Return the strings of a language (loaded once)."""
    if lang not in LANGUAGES:
        raise KeyError(lang)
    data = json.loads((CATALOGUE_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ValueError(f"{lang}.json must map keys to strings")
    return data


def placeholders(template: str) -> frozenset[str]:
    """Return the named fields of a format template."""
    return frozenset(
        name for _, name, _, _ in string.Formatter().parse(template) if name
    )


class Translator:
    """Look up and format the strings of one language."""

    def __init__(self, lang: str) -> None:
        """Bind to a language (the default one if unknown)."""
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        self._strings = catalogue(self.lang)

    def __call__(self, key: str, /, **params: object) -> str:
        """Return the string of a key, formatted with the parameters."""
        template = self._strings.get(key)
        if template is None:
            template = catalogue(DEFAULT_LANGUAGE).get(key, key)
        if not params:
            return template
        return template.format(**params)

    def has(self, key: str) -> bool:
        """Return whether the catalogue holds a key."""
        return key in self._strings


def negotiate(accept_language: str | None) -> str:
    """Return the best of our languages for an Accept-Language header."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for position, item in enumerate(accept_language.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().split("-")[0].casefold()
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        # Earlier entries win ties, as the header lists preferences in order.
        score = quality - position * 1e-6
        if primary in LANGUAGES and quality > 0 and score > best_q:
            best, best_q = primary, score
    return best
