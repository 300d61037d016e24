"""clients/python/README.md shows the quickstarts verbatim, so what it shows is what the suite runs."""

from __future__ import annotations

import re
from pathlib import Path

import impossibledb

ROOT = Path(__file__).resolve().parents[2]


def python_blocks(text: str) -> list[str]:
    return [match.group(1) for match in re.finditer(r"^```python\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)]


def test_the_readme_starts_with_the_quickstarts() -> None:
    blocks = python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 2
    assert blocks[0].rstrip() == (ROOT / "examples" / "quickstart.py").read_text(encoding="utf-8").rstrip()
    assert blocks[1].rstrip() == (ROOT / "examples" / "quickstart_async.py").read_text(encoding="utf-8").rstrip()


def test_the_quickstart_uses_only_public_names() -> None:
    source = (ROOT / "examples" / "quickstart.py").read_text(encoding="utf-8")
    used = set(re.findall(r"impossibledb\.([A-Za-z_]+)", source))
    assert used and used <= set(impossibledb.__all__), used - set(impossibledb.__all__)
