"""Named accounts from stripekit.toml and the environment; the embedded sandbox default;
keys never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from stripekit.accounts import Account, AccountError, load_accounts, mask
from stripekit.facade import StripeIntegration
from stripekit.sandbox import Sandbox
from stripekit.tools import ActionError

SECRET = "sk_test_" + "VerySecretPart" * 2


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "stripekit.toml"
    path.write_text(text)
    return path


def test_no_key_means_the_embedded_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    monkeypatch.delenv("STRIPEKIT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    integration = StripeIntegration()
    created = integration.create_customer(name="Offline", email="o@example.com")
    assert integration.accounts == ["default"]
    assert (tmp_path / ".stripekit" / "sandbox.db").exists()
    integration.close()
    # A new process (here: a new integration) sees the same state.
    again = StripeIntegration()
    assert again.get_customer(id=created["id"])["email"] == "o@example.com"
    again.close()


def test_toml_and_environment(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        """
[accounts.default]
api_key_env = "MY_DEFAULT_KEY"
[accounts.work]
api_key = "sk_test_fromfile"
stripe_account = "acct_123"
api_version = "2026-08-26.dahlia"
base_url = "http://127.0.0.1:12111"
[accounts.scratch]
sandbox = true
""",
    )
    env = {"MY_DEFAULT_KEY": SECRET, "STRIPEKIT_PERSONAL_API_KEY": "rk_test_personal"}
    accounts = load_accounts(path, env)
    assert set(accounts) == {"default", "work", "scratch", "personal"}
    assert accounts["default"].api_key == SECRET
    work = accounts["work"]
    assert (work.api_key, work.stripe_account, work.api_version, work.base_url) == (
        "sk_test_fromfile", "acct_123", "2026-08-26.dahlia", "http://127.0.0.1:12111",
    )  # fmt: skip
    assert accounts["scratch"].is_sandbox
    assert accounts["scratch"].sandbox_db == tmp_path / ".stripekit" / "sandbox.db"
    assert accounts["personal"].api_key == "rk_test_personal"
    # STRIPE_API_KEY wins for the default account.
    assert load_accounts(path, {**env, "STRIPE_API_KEY": "sk_test_env"})["default"].api_key == (
        "sk_test_env"
    )


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ('[accounts.work]\napi_key_env = "NOPE"\n', {}, "NOPE is not set"),
        ("[accounts.work]\nstripe_account = 'acct_1'\n", {}, "has no key"),
        ("[accounts.work]\napi_key = 'pk_test_public'\n", {}, r"secret \(sk_\) or restricted"),
        ("[accounts\n", {}, "cannot read"),
    ],
)
def test_bad_configuration_is_a_clear_error(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        load_accounts(_config(tmp_path, text), env)


def test_keys_never_appear_in_reprs_or_errors(tmp_path: Path) -> None:
    account = Account(name="work", api_key=SECRET)
    assert "VerySecretPart" not in repr(account)
    assert mask(SECRET) == "sk_test_…"
    integration = StripeIntegration({"default": account})
    assert "VerySecretPart" not in repr(integration) + repr(integration.default)
    # A wrong key against a (strict) sandbox server: the 401 message masks it too.
    with Sandbox(strict_keys=True) as sandbox, sandbox.serve() as server:
        remote = StripeIntegration(
            {"default": Account(api_key=SECRET, base_url=server.url, max_network_retries=0)}
        )
        with pytest.raises(ActionError) as caught:
            remote.list_customers()
    assert caught.value.status == 401
    assert "VerySecretPart" not in str(caught.value) + repr(caught.value.to_dict())


def test_account_over_http_with_base_url() -> None:
    with Sandbox() as sandbox, sandbox.serve() as server:
        remote = StripeIntegration(
            {"default": Account(api_key=sandbox.api_key, base_url=server.url)}
        )
        created = remote.create_customer(name="Over HTTP")
        assert sandbox.client().v1.customers.retrieve(created["id"]).name == "Over HTTP"


def test_stripe_account_and_api_version_reach_the_api() -> None:
    with Sandbox() as sandbox, sandbox.serve() as server:
        connected = StripeIntegration(
            {"default": Account(api_key=sandbox.api_key, base_url=server.url,
                                stripe_account="acct_elsewhere", api_version="2024-06-20")}
        )  # fmt: skip
        with pytest.raises(ActionError) as caught:
            connected.list_customers()
        # The Stripe-Account header arrived: the sandbox has no such connected account.
        assert caught.value.status == 403 and "acct_elsewhere" in caught.value.message
        assert "connected account" in str(caught.value)


def test_named_sandbox_accounts_do_not_see_each_other(tmp_path: Path) -> None:
    path = _config(
        tmp_path, "[accounts.work]\nsandbox = true\n[accounts.personal]\nsandbox = true\n"
    )
    integration = StripeIntegration(config=path)
    try:
        mine = integration.work.create_customer(name="Work customer")
        with pytest.raises(ActionError) as caught:
            integration.personal.get_customer(id=mine["id"])
        assert caught.value.status == 404 and caught.value.code == "resource_missing"
        assert integration.default.list_customers()["customers"] == []
        assert [c["id"] for c in integration.work.list_customers()["customers"]] == [mine["id"]]
    finally:
        integration.close()
