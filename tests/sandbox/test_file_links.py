"""File links through the official SDK, in both modes: public URLs that download a file
without a key until they expire in sandbox time, Stripe's rule on linkable purposes,
updates, lists and the `links` a file shows."""

from __future__ import annotations

from pathlib import Path

import pytest
import stripe
from test_files import JPEG, PDF, PNG, fetch, upload

from conftest import Harness, assert_stripe_error
from stripekit.sandbox import Sandbox


def test_create_has_stripe_shape_and_downloads_without_a_key(
    sk: Harness, client: stripe.StripeClient
) -> None:
    file = upload(client, PDF)
    link = client.v1.file_links.create(params={"file": file.id, "metadata": {"case": "7"}})
    assert link.id.startswith("link_") and link.object == "file_link"
    assert link.file == file.id and link.livemode is False
    assert link.expired is False and link.expires_at is None
    assert link.metadata.to_dict() == {"case": "7"}
    assert link.url.startswith(f"{sk.base_url}/links/")
    status, headers, body = fetch(sk, link.url)
    assert status == 200 and body == PDF
    assert headers["content-type"] == "application/pdf"
    assert client.v1.file_links.retrieve(link.id).to_dict() == link.to_dict()
    [shown] = client.v1.files.retrieve(file.id).links.data
    assert shown.to_dict() == link.to_dict()


def test_link_expires_with_sandbox_time(sk: Harness, client: stripe.StripeClient) -> None:
    file = upload(client, PNG, "logo.png", "business_logo")
    now = sk.sandbox.now()
    link = client.v1.file_links.create(params={"file": file.id, "expires_at": now + 3600})
    assert link.expires_at == now + 3600 and link.expired is False
    assert fetch(sk, link.url)[0] == 200
    sk.sandbox.advance_clock(3601)
    assert client.v1.file_links.retrieve(link.id).expired is True
    status, _, body = fetch(sk, link.url)
    assert status == 410 and b"expired" in body
    # The file itself is still there for the account's key.
    assert fetch(sk, file.url, sk.api_key)[2] == PNG


def test_expire_now_and_extend(sk: Harness, client: stripe.StripeClient) -> None:
    link = client.v1.file_links.create(params={"file": upload(client, PDF).id})
    later = sk.sandbox.now() + 86400
    extended = client.v1.file_links.update(link.id, params={"expires_at": later})
    assert extended.expires_at == later and extended.expired is False
    cleared = client.v1.file_links.update(link.id, params={"expires_at": ""})
    assert cleared.expires_at is None
    expired = client.v1.file_links.update(link.id, params={"expires_at": "now"})
    assert expired.expired is True and expired.expires_at == sk.sandbox.now()
    assert fetch(sk, link.url)[0] == 410
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.file_links.update(link.id, params={"expires_at": later})
    assert_stripe_error(exc.value, status=400, param="expires_at")
    # Metadata can still change on an expired link.
    updated = client.v1.file_links.update(link.id, params={"metadata": {"a": "1"}})
    assert updated.metadata.to_dict() == {"a": "1"} and updated.expired is True


def test_expires_at_must_be_in_the_future(sk: Harness, client: stripe.StripeClient) -> None:
    file = upload(client, PDF)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.file_links.create(params={"file": file.id, "expires_at": sk.sandbox.now() - 1})
    assert_stripe_error(exc.value, status=400, param="expires_at")
    assert client.v1.file_links.list().data == []


def test_unlinkable_purpose_is_refused(client: stripe.StripeClient) -> None:
    identity = upload(client, JPEG, "id.jpg", "identity_document")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.file_links.create(params={"file": identity.id})
    assert_stripe_error(exc.value, status=400, param="file")
    assert "identity_document" in str(exc.value.user_message)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        upload(client, JPEG, "id.jpg", "identity_document", file_link_data={"create": True})
    assert_stripe_error(exc.value, status=400, param="file_link_data[create]")
    # Nothing was kept of the refused upload.
    assert [f.id for f in client.v1.files.list().data] == [identity.id]
    assert client.v1.file_links.list().data == []


def test_upload_with_file_link_data(sk: Harness, client: stripe.StripeClient) -> None:
    expires = sk.sandbox.now() + 600
    file = upload(
        client,
        PDF,
        file_link_data={"create": True, "expires_at": expires, "metadata": {"k": "v"}},
    )
    [link] = file.links.data
    assert link.expires_at == expires and link.metadata.to_dict() == {"k": "v"}
    assert client.v1.file_links.retrieve(link.id).file == file.id
    no_link = upload(client, PDF, file_link_data={"create": False})
    assert no_link.links.data == []


def test_missing_objects(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.file_links.create(params={"file": "file_missing"})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="file")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.file_links.retrieve("link_missing")
    assert_stripe_error(
        exc.value,
        status=404,
        code="resource_missing",
        param="link",
        message="No such file link: 'link_missing'",
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.file_links.create(params={})  # type: ignore[typeddict-item]
    assert_stripe_error(exc.value, status=400, code="parameter_missing", param="file")


def test_public_url_of_unknown_link(sk: Harness, client: stripe.StripeClient) -> None:
    link = client.v1.file_links.create(params={"file": upload(client, PDF).id})
    assert fetch(sk, link.url.rsplit("/", 1)[0] + "/link_nope")[0] == 404
    # The account is part of the address: another account's path finds nothing.
    assert fetch(sk, link.url.replace("/links/acct_", "/links/acct_X"))[0] == 404


def test_list_filters(sk: Harness, client: stripe.StripeClient) -> None:
    first, second = upload(client, PDF), upload(client, PDF)
    a = client.v1.file_links.create(params={"file": first.id})
    b = client.v1.file_links.create(params={"file": second.id, "expires_at": sk.sandbox.now() + 60})
    c = client.v1.file_links.create(params={"file": first.id})
    assert [x.id for x in client.v1.file_links.list().data] == [c.id, b.id, a.id]
    assert [x.id for x in client.v1.file_links.list(params={"file": first.id}).data] == [
        c.id,
        a.id,
    ]
    sk.sandbox.advance_clock(61)
    assert [x.id for x in client.v1.file_links.list(params={"expired": True}).data] == [b.id]
    assert [x.id for x in client.v1.file_links.list(params={"expired": False}).data] == [
        c.id,
        a.id,
    ]
    page = client.v1.file_links.list(params={"limit": 1, "starting_after": c.id})
    assert [x.id for x in page.data] == [b.id] and page.has_more
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.file_links.list(params={"starting_after": "link_nope"})
    assert_stripe_error(exc.value, status=400, code="resource_missing", param="starting_after")
    assert [x.id for x in client.v1.files.retrieve(first.id).links.data] == [c.id, a.id]


def test_expand_file(client: stripe.StripeClient) -> None:
    file = upload(client, PDF)
    link = client.v1.file_links.create(params={"file": file.id, "expand": ["file"]})
    assert link.file.id == file.id and link.file.size == len(PDF)
    assert [x.id for x in link.file.links.data] == [link.id]
    expanded = client.v1.file_links.list(params={"expand": ["data.file"]}).data[0]
    assert expanded.file.links.data[0].id == link.id


def test_links_survive_a_restart_on_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "links.db"
    with Sandbox(db) as sandbox:
        client = sandbox.client()
        link = client.v1.file_links.create(params={"file": upload(client, PDF).id})
    with Sandbox(db) as sandbox:
        path = link.url.split("invalid", 1)[1]
        response = sandbox.engine.handle("GET", path, "", {}, b"")
        assert response.status == 200 and response.body == PDF


def test_restricted_keys_use_the_files_permission(sk: Harness, client: stripe.StripeClient) -> None:
    file = upload(client, PDF)
    reader = sk.make_client(sk.sandbox.create_restricted_key({"files": "read"}, api_key=sk.api_key))
    assert reader.v1.files.retrieve(file.id).id == file.id
    with pytest.raises(stripe.PermissionError):
        reader.v1.file_links.create(params={"file": file.id})
    writer = sk.make_client(
        sk.sandbox.create_restricted_key({"files": "write"}, api_key=sk.api_key)
    )
    link = writer.v1.file_links.create(params={"file": file.id})
    assert reader.v1.file_links.retrieve(link.id).file == file.id
    assert upload(writer, PNG, "logo.png", "business_logo").type == "png"
