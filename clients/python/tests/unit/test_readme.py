"""clients/python/README.md shows the quickstarts verbatim, so what it shows is what the suite runs."""

from __future__ import annotations

import re
from pathlib import Path

from google.protobuf import json_format

import impossibledb
from impossibledb._wire import snapshot
from impossibledb.v1 import document_pb2 as doc

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



def test_the_readme_says_what_json_documents_read_back_as() -> None:
    # "`{"n": 50}` reads back as `{'n': 50.0}`": a document a JSON client
    # stored has only the JSON form (`data`, fields empty), over Connect and
    # gRPC alike, and the client reads it as shown, types included (repr
    # tells 50 from 50.0).
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    claims = re.findall(r"`(\{[^`]*\})` reads back as `(\{[^`]*\})`", readme)
    assert claims, "the README shows what a JSON-only document's numbers read back as"
    for stored, shown in claims:
        answer = doc.Document(collection="c", id="d")
        json_format.Parse(stored, answer.data)
        assert repr(snapshot(answer).data) == shown, f"the README says {stored} reads back as {shown}"
