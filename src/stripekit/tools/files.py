"""Files (uploads for dispute evidence, identity documents, ...) and their links."""

import io
from pathlib import Path
from typing import Any

from .declare import create, get, list_, update
from .errors import InputError


def _readable(params: dict[str, Any]) -> dict[str, Any]:
    """`file` may be a path, bytes or an open binary file; the SDK uploads a file object."""
    value = params.get("file")
    if isinstance(value, str | Path):
        path = Path(value)
        if not path.is_file():
            raise InputError(f"No such file: {value}", param="file", code="parameter_invalid")
        value = io.BytesIO(path.read_bytes())
        value.name = path.name
    elif isinstance(value, bytes | bytearray):
        value = io.BytesIO(bytes(value))
        value.name = "upload"
    elif value is not None and not hasattr(value, "read"):
        raise InputError(
            "file must be a path, bytes or a binary file object.",
            param="file",
            code="parameter_invalid",
        )
    params["file"] = value
    return params


ACTIONS = [
    create(
        "file",
        "/v1/files",
        "Upload a file (a path, bytes or a binary file) with its purpose, e.g. dispute_evidence.",
        aliases=("Upload file", "upload_file"),
        prepare=_readable,
        base="files",
        content_type="multipart/form-data",
        example={"file": "$evidence_path", "purpose": "dispute_evidence"},
    ),
    get(
        "file",
        "/v1/files/{id}",
        "Retrieve a file's details (its url downloads the contents).",
        aliases=("Get file by ID",),
        example={"id": "$file"},
    ),
    list_(
        "files",
        "/v1/files",
        "List files, newest first, optionally of one purpose.",
        aliases=("List files",),
        example={"purpose": "dispute_evidence"},
    ),
    create(
        "file_link",
        "/v1/file_links",
        "Create a public link to a file (optionally expiring).",
        example={"file": "$file"},
    ),
    get(
        "file_link",
        "/v1/file_links/{id}",
        "Retrieve a file link by id.",
        example={"id": "$file_link"},
    ),
    update(
        "file_link",
        "/v1/file_links/{id}",
        "Change a file link's expiry or metadata.",
        example={"id": "$file_link", "metadata": {"case": "42"}},
    ),
    list_(
        "file_links",
        "/v1/file_links",
        "List file links, newest first.",
        example={"limit": 2},
    ),
]
