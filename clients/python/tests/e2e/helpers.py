"""Small helpers shared by the scenarios."""

from __future__ import annotations

import time
from typing import Any

from google.protobuf import json_format, struct_pb2

from impossibledb.v1 import document_pb2


def struct(fields: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(fields)
    return message


def data(document: document_pb2.Document) -> dict[str, Any]:
    """A raw document's data as plain Python (numbers come back as floats)."""
    return json_format.MessageToDict(document.data)


def unique_collection(client: str, purpose: str) -> str:
    """A collection no earlier run used, so runs against a long-lived database
    do not see each other's documents."""
    return f"py_{client.replace('-', '_')}_{purpose}_{time.time_ns()}"
