"""`stripekit actions`, `stripekit call` and `stripekit docs`, run as a user runs them:
the real console script in a project folder with no key (the embedded sandbox)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stripekit.actions_cli import parse_inputs
from stripekit.tools import catalog

STRIPEKIT = [sys.executable, "-m", "stripekit.cli"]


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE", "XDG_CONFIG"))}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "no-user-config")
    return subprocess.run(
        [*STRIPEKIT, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )


def test_actions_lists_every_action(tmp_path: Path) -> None:
    result = _run(tmp_path, "actions")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(catalog.ACTIONS)
    assert any(
        line.startswith("create_customer ") and "Create a customer" in line for line in lines
    )


def test_call_creates_then_reads_back_in_the_project_sandbox(tmp_path: Path) -> None:
    created = _run(
        tmp_path, "call", "create_customer", "--name", "Acme", "--email", "a@acme.test",
        "--metadata.tier", "gold",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    customer = json.loads(created.stdout)
    assert customer["name"] == "Acme" and customer["metadata"] == {"tier": "gold"}
    assert (tmp_path / ".stripekit" / "sandbox.db").exists()
    read = _run(tmp_path, "call", "Retrieve Customer", "--json", json.dumps({"id": customer["id"]}))
    assert json.loads(read.stdout)["email"] == "a@acme.test"
    listed = _run(tmp_path, "call", "list_customers", "--limit", "1")
    assert [c["id"] for c in json.loads(listed.stdout)["customers"]] == [customer["id"]]


def test_call_with_a_named_account_from_stripekit_toml(tmp_path: Path) -> None:
    (tmp_path / "stripekit.toml").write_text("[accounts.work]\nsandbox = true\n")
    made = _run(tmp_path, "call", "create_product", "--name", "Work thing", "--account", "work")
    product = json.loads(made.stdout)
    mine = _run(tmp_path, "call", "list_products", "--account", "work")
    assert [p["id"] for p in json.loads(mine.stdout)["products"]] == [product["id"]]
    default = _run(tmp_path, "call", "list_products")
    assert json.loads(default.stdout)["products"] == []
    missing = _run(tmp_path, "call", "list_products", "--account", "personal")
    assert missing.returncode == 2 and "personal" in missing.stderr


@pytest.mark.parametrize(
    ("args", "code", "stderr"),
    [
        (["call", "get_customer", "--id", "cus_missing"], 1, "404"),
        (["call", "create_product"], 1, "Missing required param: name"),
        (["call", "create_product", "--name", "x", "--colour", "red"], 1, "unknown parameter"),
        (["call", "launch_rocket"], 2, "no action named"),
        (["call", "create_product", "oops"], 2, "expected --name value"),
        (["call", "create_product", "--json", "{not json"], 2, "stripekit:"),
    ],
)
def test_call_errors(tmp_path: Path, args: list[str], code: int, stderr: str) -> None:
    result = _run(tmp_path, *args)
    assert result.returncode == code
    assert stderr in result.stderr
    if code == 1:
        assert json.loads(result.stdout)["error"]["message"]


def test_parse_inputs() -> None:
    assert parse_inputs(
        ["--name", "Acme", "--metadata.tier", "gold", "--expand", "a", "--expand", "b",
         "--items", '[{"price": "p"}]', "--all", "--limit=5"]
    ) == {
        "name": "Acme", "metadata": {"tier": "gold"}, "expand": ["a", "b"],
        "items": [{"price": "p"}], "all": "true", "limit": "5",
    }  # fmt: skip


def test_docs_command_writes_the_reference(tmp_path: Path) -> None:
    result = _run(tmp_path, "docs", "--out", "actions.md")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "actions.md").read_text()
    assert text.count("\n### `") == len(catalog.ACTIONS)
