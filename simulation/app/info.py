"""The Info panel's text (``info.md``), rendered once to HTML, one part per section."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

INFO = Path(__file__).with_name("info.md")


def info_text() -> str:
    return INFO.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def info_sections() -> tuple[str, ...]:
    """The HTML of each ``## `` section of ``info.md``, in order."""
    # Plain HTML rather than solara.Markdown, whose front end also loads mermaid and
    # KaTeX: nothing here needs them, and nothing may be fetched at run time.
    import markdown

    parts = [p for p in re.split(r"(?m)^(?=## )", info_text()) if p.strip()]
    html = (markdown.markdown(p.strip(), extensions=["sane_lists"]) for p in parts)
    # Vuetify's reset leaves <strong> at normal weight.
    return tuple(h.replace("<strong>", "<strong style='font-weight:700'>") for h in html)
