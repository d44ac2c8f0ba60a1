"""Files through the official SDK, in both modes: multipart uploads to the `files` host,
Stripe's types and sizes per purpose, the contents behind `url`, lists, and the bytes
surviving a restart on SQLite."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import stripe
from test_balance import disputed_charge

from conftest import Harness, assert_stripe_error
from stripekit.sandbox import Sandbox
from stripekit.sandbox.framework.multipart import UploadedFile

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 32


def upload(
    client: stripe.StripeClient,
    data: bytes,
    name: str = "evidence.pdf",
    purpose: str = "dispute_evidence",
    **params: object,
) -> stripe.File:
    stream = io.BytesIO(data)
    stream.name = name
    return client.v1.files.create(params={"file": stream, "purpose": purpose, **params})


def fetch(sk: Harness, url: str, api_key: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET a URL the sandbox handed out (a file's contents, a file link), as a browser or
    curl would: through the engine in-process, over the socket otherwise."""
    headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
    if sk.mode == "inprocess":
        parts = urlsplit(url)
        response = sk.sandbox.engine.handle("GET", parts.path, parts.query, headers, b"")
        return response.status, dict(response.headers), response.body
    reply = httpx.get(url, headers=headers)
    return reply.status_code, dict(reply.headers), reply.content


def test_upload_has_stripe_shape(sk: Harness, client: stripe.StripeClient) -> None:
    file = upload(client, PDF)
    assert file.id.startswith("file_") and file.object == "file"
    assert (file.purpose, file.type, file.size) == ("dispute_evidence", "pdf", len(PDF))
    assert file.filename == "evidence.pdf" and file.title is None
    # Dispute evidence is kept nine months.
    assert 270 * 86400 <= file.expires_at - file.created <= 276 * 86400
    assert file.url == f"{sk.base_url}/v1/files/{file.id}/contents"
    assert file.links.to_dict() == {
        "object": "list",
        "data": [],
        "has_more": False,
        "url": f"/v1/file_links?file={file.id}",
    }
    assert client.v1.files.retrieve(file.id).to_dict() == file.to_dict()


def test_upload_from_an_open_file(sk: Harness, client: stripe.StripeClient, tmp_path: Path) -> None:
    path = tmp_path / "receipt.jpg"
    path.write_bytes(JPEG)
    with open(path, "rb") as handle:
        file = client.v1.files.create(params={"file": handle, "purpose": "dispute_evidence"})
    # The SDK names the part after the file's path; the sandbox keeps the name as sent.
    assert file.filename == str(path) and file.type == "jpg" and file.size == len(JPEG)
    assert fetch(sk, file.url, sk.api_key)[2] == JPEG


def test_contents_download_needs_the_key(sk: Harness, client: stripe.StripeClient) -> None:
    file = upload(client, PNG, "photo.png")
    assert file.type == "png"
    status, headers, body = fetch(sk, file.url, sk.api_key)
    assert status == 200 and body == PNG
    assert headers["content-type"] == "image/png"
    status, _, body = fetch(sk, file.url)
    assert status == 401 and b"You did not provide an API key" in body
    # Another account's key does not see the file.
    status, _, body = fetch(sk, file.url, sk.new_key())
    assert status == 404 and b"resource_missing" in body


@pytest.mark.parametrize(
    ("purpose", "data", "name", "kind"),
    [
        ("dispute_evidence", JPEG, "receipt.jpg", "jpg"),
        ("business_logo", GIF, "logo.gif", "gif"),
        ("customer_signature", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "sig.svg", "svg"),
        ("issuing_regulatory_reporting", b'{"report": 1}', "report.json", "json"),
        ("tax_document_user_upload", b"a,b\n1,2\n", "taxes.csv", "csv"),
        ("identity_document", PDF, "passport.pdf", "pdf"),
    ],
)
def test_accepted_types_per_purpose(
    client: stripe.StripeClient, purpose: str, data: bytes, name: str, kind: str
) -> None:
    file = upload(client, data, name, purpose)
    assert (file.purpose, file.type, file.size) == (purpose, kind, len(data))


def test_non_downloadable_purposes_have_no_url(sk: Harness, client: stripe.StripeClient) -> None:
    file = upload(client, JPEG, "id.jpg", "identity_document")
    assert file.url is None and file.expires_at is None
    status, _, body = fetch(sk, f"{sk.base_url}/v1/files/{file.id}/contents", sk.api_key)
    assert status == 403 and b"cannot be downloaded" in body


def test_customer_signature_expires_in_seven_days(client: stripe.StripeClient) -> None:
    file = upload(client, PNG, "sig.png", "customer_signature")
    assert file.expires_at - file.created == 7 * 86400


def test_wrong_type_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        upload(client, b"just some text", "notes.txt")
    assert_stripe_error(
        exc.value,
        status=400,
        param="file",
        message="We don't currently support that file type. Try uploading a file with one of "
        "the following mimetypes: application/pdf, image/jpeg, image/png",
    )
    # A GIF is an image, but not one dispute evidence takes; PDF is not a logo.
    for data, purpose in ((GIF, "dispute_evidence"), (PDF, "business_logo")):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            upload(client, data, "x", purpose)
        assert_stripe_error(exc.value, status=400, param="file")
    assert client.v1.files.list().data == []


def test_size_limits(client: stripe.StripeClient) -> None:
    logo_limit = 512 * 1024
    at_limit = PNG + b"\x00" * (logo_limit - len(PNG))
    assert upload(client, at_limit, "logo.png", "business_logo").size == logo_limit
    with pytest.raises(stripe.InvalidRequestError) as exc:
        upload(client, at_limit + b"\x00", "logo.png", "business_logo")
    assert_stripe_error(exc.value, status=400, param="file")
    assert "512KB" in str(exc.value.user_message)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        upload(client, PDF + b"\x00" * (5 * 1024 * 1024), "big.pdf")
    assert_stripe_error(exc.value, status=400, param="file")
    assert "5MB" in str(exc.value.user_message)
    assert len(client.v1.files.list().data) == 1


def test_missing_and_bad_params(sk: Harness, client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.files.create(params={"purpose": "dispute_evidence"})  # type: ignore[typeddict-item]
    assert_stripe_error(exc.value, status=400, code="parameter_missing", param="file")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        upload(client, PDF, purpose="selfies")
    assert_stripe_error(exc.value, status=400, param="purpose")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        upload(client, PDF, colour="blue")
    assert_stripe_error(exc.value, status=400, code="parameter_unknown", param="colour")
    # `file` as a plain form field, not an upload.
    response = sk.raw("POST", "/v1/files", body="file=abc&purpose=dispute_evidence")
    assert response.status == 400 and response.body["error"]["param"] == "file"
    assert client.v1.files.list().data == []


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\n"),
        ("multipart/form-data; boundary=xyz", b"no parts at all"),
        ("multipart/form-data; boundary=xyz", b"--xyz\r\nno-blank-line\r\n--xyz--\r\n"),
        (
            "multipart/form-data; boundary=xyz",
            b"--xyz\r\nContent-Disposition: attachment\r\n\r\nv\r\n--xyz--\r\n",
        ),
        (
            "multipart/form-data; boundary=xyz",
            b'--xyz\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n'
            b"\xff\xfe\r\n--xyz--\r\n",
        ),
    ],
)
def test_malformed_multipart_is_a_400(sk: Harness, content_type: str, body: bytes) -> None:
    response = sk.raw("POST", "/v1/files", body=body, headers={"Content-Type": content_type})
    assert response.status == 400, response.body
    assert response.body["error"]["type"] == "invalid_request_error"
    assert "multipart/form-data" in response.body["error"]["message"]


def test_raw_multipart_with_nested_fields(sk: Harness, client: stripe.StripeClient) -> None:
    """A hand-written body (as curl -F sends it): bracketed names nest like form fields."""
    body = (
        b"preamble\r\n--b0undary\r\n"
        b'Content-Disposition: form-data; name="purpose"\r\n\r\ndispute_evidence\r\n'
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="file_link_data[create]"\r\n\r\ntrue\r\n'
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="file_link_data[metadata][k]"\r\n\r\nv\r\n'
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="file"; filename="a; b.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + PDF + b"\r\n--b0undary--\r\n"
    )
    response = sk.raw(
        "POST",
        "/v1/files",
        body=body,
        headers={"Content-Type": 'multipart/form-data; boundary="b0undary"'},
    )
    assert response.status == 200, response.body
    file = response.body
    assert file["filename"] == "a; b.pdf" and file["size"] == len(PDF)
    [link] = file["links"]["data"]
    assert link["metadata"] == {"k": "v"} and link["file"] == file["id"]


def test_boundary_inside_content_is_content(sk: Harness) -> None:
    """Only a boundary at the start of a line delimits a part."""
    content = PDF + b"--zz not a delimiter --zz--"
    body = (
        b'--zz\r\nContent-Disposition: form-data; name="purpose"\r\n\r\ndispute_evidence'
        b'\r\n--zz \r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
        + content
        + b"\r\n--zz--"
    )
    response = sk.raw(
        "POST",
        "/v1/files",
        body=body,
        headers={"Content-Type": "multipart/form-data; boundary=zz"},
    )
    assert response.status == 200, response.body
    assert response.body["size"] == len(content)
    status, _, data = fetch(sk, response.body["url"], sk.api_key)
    assert status == 200 and data == content


def test_idempotent_upload_replays(client: stripe.StripeClient) -> None:
    first = client.v1.files.create(
        params={"file": io.BytesIO(PDF), "purpose": "dispute_evidence"},
        options={"idempotency_key": "upload-1"},
    )
    again = client.v1.files.create(
        params={"file": io.BytesIO(PDF), "purpose": "dispute_evidence"},
        options={"idempotency_key": "upload-1"},
    )
    assert again.id == first.id
    with pytest.raises(stripe.IdempotencyError):
        client.v1.files.create(
            params={"file": io.BytesIO(PDF + b" "), "purpose": "dispute_evidence"},
            options={"idempotency_key": "upload-1"},
        )
    assert len(client.v1.files.list().data) == 1


def test_list_filters_and_pages(client: stripe.StripeClient) -> None:
    evidence = [upload(client, PDF).id for _ in range(3)]
    logo = upload(client, PNG, "logo.png", "business_logo").id
    assert [f.id for f in client.v1.files.list().data] == [logo, *reversed(evidence)]
    listed = client.v1.files.list(params={"purpose": "dispute_evidence", "limit": 2})
    assert [f.id for f in listed.data] == [evidence[2], evidence[1]] and listed.has_more
    following = client.v1.files.list(
        params={"purpose": "dispute_evidence", "starting_after": evidence[1]}
    )
    assert [f.id for f in following.data] == [evidence[0]]
    assert client.v1.files.list(params={"purpose": "pci_document"}).data == []
    created = client.v1.files.retrieve(logo).created
    assert len(client.v1.files.list(params={"created": {"gte": created}}).data) == 4


def test_missing_file(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.files.retrieve("file_nope")
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="file",
        message="No such file: 'file_nope'",
    )


def test_dispute_evidence_takes_uploaded_files(sk: Harness, client: stripe.StripeClient) -> None:
    _, dispute_id = disputed_charge(sk)
    receipt = upload(client, PDF, "receipt.pdf")
    dispute = client.v1.disputes.update(
        dispute_id, params={"evidence": {"receipt": receipt.id}, "submit": False}
    )
    assert dispute.evidence.receipt == receipt.id
    # Another account's file id is no file of this one.
    other = upload(sk.make_client(sk.new_key()), PDF)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.disputes.update(dispute_id, params={"evidence": {"uncategorized_file": other.id}})
    assert_stripe_error(
        exc.value, status=400, code="resource_missing", param="evidence[uncategorized_file]"
    )


def test_contents_survive_a_restart_on_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "files.db"
    with Sandbox(db) as sandbox:
        file = upload(sandbox.client(), PNG + b"\x01\x02", "kept.png", "business_icon")
        key = sandbox.api_key
    with Sandbox(db) as sandbox:
        again = sandbox.client(key).v1.files.retrieve(file.id)
        assert again.to_dict() == file.to_dict()
        response = sandbox.engine.handle(
            "GET", urlsplit(file.url).path, "", {"authorization": f"Bearer {key}"}, b""
        )
        assert response.status == 200 and response.body == PNG + b"\x01\x02"


def test_uploaded_file_repr_hides_the_bytes() -> None:
    assert repr(UploadedFile("a.pdf", None, b"123")) == "UploadedFile('a.pdf', 3 bytes)"
