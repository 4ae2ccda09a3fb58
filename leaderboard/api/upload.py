"""The submission form, read as a stream: the file part goes straight into the upload store's
partial file (in the data dir, counted against the size limit as it arrives), the small text
fields into memory. Nothing reaches the disk before the caller was authenticated (the route's
dependencies run first) and nothing is spooled to the system temp directory. A full or failing
disk is the service's fault (``StorageFault``: 507 or 503 with Retry-After), never a malformed
body, and the partial file is removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from python_multipart.multipart import MultipartParser, parse_options_header

from harness.errors import HarnessError
from harness_client.schemas import FILE_FIELD, SubmissionForm
from submissions.store import Partial, Received, UploadStore

MAX_FIELDS = 32
MAX_FIELD_BYTES = 16 << 10


def openapi_body() -> dict:
    """The multipart request body as OpenAPI describes it (the route reads it itself)."""
    schema = SubmissionForm.model_json_schema()
    schema["properties"] = {
        FILE_FIELD: {
            "type": "string",
            "format": "binary",
            "description": "kind=predictions: zip of <image>.npy predictions and readme.txt; "
            "kind=model: model.onnx, or a zip of model.onnx + external data + manifest.toml",
        },
        **schema["properties"],
    }
    schema["required"] = [FILE_FIELD, "track", "split"]
    schema["title"] = "SubmissionUpload"
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


@dataclass
class _State:
    fields: dict[str, str] = field(default_factory=dict)
    headers: dict[str, bytes] = field(default_factory=dict)
    header_field: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    name: str | None = None
    is_file: bool = False
    value: bytearray = field(default_factory=bytearray)
    partial: Partial | None = None
    received: Received | None = None
    error: Exception | None = None


def _fail(message: str, status: int = 400) -> HTTPException:
    return HTTPException(status, message)


async def read_submission_form(
    request: Request, store: UploadStore, max_file_bytes: int
) -> tuple[SubmissionForm, Received]:
    """Parse the multipart body as it streams in; returns the validated fields and the received file.

    The caller must keep (``store.keep``) or remove (``received.path.unlink``) the file.
    """
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body",), "msg": "expected a multipart/form-data body", "input": None}]
        )
    st = _State()

    def on_part_begin() -> None:
        st.headers, st.name, st.is_file, st.value = {}, None, False, bytearray()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        st.header_field += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        st.header_value += data[start:end]

    def on_header_end() -> None:
        st.headers[bytes(st.header_field).lower().decode("latin-1")] = bytes(st.header_value)
        st.header_field.clear()
        st.header_value.clear()

    def on_headers_finished() -> None:
        _, disp = parse_options_header(st.headers.get("content-disposition", b""))
        name = disp.get(b"name")
        if name is None:
            raise _fail("a form part without a name")
        st.name = name.decode("utf-8", "replace")
        st.is_file = b"filename" in disp or st.name == FILE_FIELD
        if st.is_file:
            if st.name != FILE_FIELD:
                raise _fail(f"unexpected file field {st.name!r}; the upload is the field {FILE_FIELD!r}", 422)
            if st.partial is not None or st.received is not None:
                raise _fail(f"more than one {FILE_FIELD!r} part", 422)
            st.partial = store.partial(max_file_bytes)
        elif len(st.fields) >= MAX_FIELDS:
            raise _fail(f"more than {MAX_FIELDS} form fields")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if st.is_file:
            st.partial.write(data[start:end])
        else:
            st.value += data[start:end]
            if len(st.value) > MAX_FIELD_BYTES:
                raise _fail(f"form field {st.name!r} exceeds {MAX_FIELD_BYTES} bytes", 413)

    def on_part_end() -> None:
        if st.is_file:
            st.received = st.partial.finish()
            st.partial = None
        elif st.name is not None:
            st.fields[st.name] = st.value.decode("utf-8", "replace")

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except (HTTPException, HarnessError):  # a refusal (too large), or the service's storage failing
        _discard(st)
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed body (or a client gone mid-upload)
        _discard(st)
        raise _fail(f"malformed multipart body: {exc}") from None
    if st.partial is not None:  # the body ended inside the file part
        _discard(st)
        raise _fail("the upload ended before its file part did")
    try:
        form = SubmissionForm.model_validate({k: v for k, v in st.fields.items() if v != "" or k == "description"})
    except ValidationError as exc:
        _discard(st)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
    if st.received is None:
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body", FILE_FIELD), "msg": "Field required", "input": None}]
        )
    return form, st.received


def _discard(st: _State) -> None:
    if st.partial is not None:
        st.partial.discard()
        st.partial = None
    if st.received is not None:
        st.received.path.unlink(missing_ok=True)
        st.received = None
