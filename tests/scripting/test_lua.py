"""Lua scripts over the actions, as source 000 writes them: `app.integrations.stripe.*` on
the sandbox (two accounts), values crossing both ways, Stripe's errors as Lua data, and a
script kept inside its box (no files, processes or host objects; time and memory caps)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stripekit.facade import StripeIntegration
from stripekit.scripting import LuaScripts, ScriptError, run_lua


@pytest.fixture
def printed() -> list[str]:
    return []


@pytest.fixture
def lua(integration: StripeIntegration, printed: list[str]) -> LuaScripts:
    return LuaScripts(integration, timeout=10, output=printed.append)


# -- source 000's workflows ------------------------------------------------------------------


def test_product_price_customer_subscription(lua: LuaScripts) -> None:
    result = lua.run(
        """
        local stripe = app.integrations.stripe
        local product = stripe.create_product({ name = "Team Plan", description = "Seats" })
        local price = stripe.create_price({
          product = product.id, unit_amount = 1500, currency = "eur",
          recurring_interval = "month",
        })
        local customer = stripe.create_customer({ name = "Kim", email = "kim@example.com" })
        local card = stripe.attach_payment_method({ id = "pm_card_visa", customer = customer.id })
        stripe.update_customer({
          id = customer.id, invoice_settings = { default_payment_method = card.id },
        })
        local sub = stripe.create_subscription({
          customer = customer.id, price = price.id, quantity = 3,
        })
        return {
          status = sub.status, quantity = sub.quantity, interval = price.recurring.interval,
          integer = math.type(price.unit_amount),
          period = sub.current_period_end > sub.current_period_start,
        }
        """
    )
    assert result == {
        "status": "active",
        "quantity": 3,
        "interval": "month",
        "integer": "integer",
        "period": True,
    }


def test_one_time_payment_and_two_step_capture(lua: LuaScripts) -> None:
    captured, one_time = lua.run(
        """
        local stripe = app.integrations.stripe
        local customer = stripe.create_customer({ name = "Lee" })
        local intent = stripe.create_payment_intent({
          amount = 8000, currency = "usd", customer = customer.id, capture_method = "manual",
        })
        local held = stripe.confirm_payment_intent({
          id = intent.id, payment_method = "pm_card_visa",
        })
        assert(held.status == "requires_capture", held.status)
        local captured = stripe.capture_payment_intent({ id = intent.id, amount_to_capture = 6000 })
        local once = stripe.create_payment_intent({
          amount = 1234, currency = "usd", customer = customer.id,
        })
        once = stripe.confirm_payment_intent({ id = once.id, payment_method = "pm_card_visa" })
        return { captured.status, captured.amount_received }, { once.status, once.amount }
        """
    )
    assert captured == ["succeeded", 6000]
    assert one_time == ["succeeded", 1234]


def test_invoice_then_void_the_drafts(lua: LuaScripts) -> None:
    voided = lua.run(
        """
        local stripe = app.integrations.stripe
        local customer = stripe.create_customer({ name = "Ana" })
        for i = 1, 3 do
          local invoice = stripe.create_invoice({
            customer = customer.id, description = "Draft " .. i, auto_advance = false,
          })
          stripe.create_invoice_item({
            customer = customer.id, invoice = invoice.id, amount = 100 * i, currency = "usd",
          })
        end
        local drafts = stripe.list_invoices({
          customer = customer.id, status = "draft", limit = 100,
        })
        local statuses = {}
        for _, inv in ipairs(drafts.invoices) do
          assert(inv.number == nil)  -- JSON null arrives as nil
          table.insert(statuses, stripe.void_invoice({ id = inv.id }).status)
        end
        return statuses
        """
    )
    assert voided == ["void", "void", "void"]


def test_the_pagination_loop_collects_every_customer(lua: LuaScripts) -> None:
    count, unique = lua.run(
        """
        local stripe = app.integrations.stripe
        for i = 1, 250 do stripe.create_customer({ email = "c" .. i .. "@example.com" }) end
        local all, seen, cursor = {}, {}, nil
        repeat
          local args = { limit = 100 }
          if cursor then args.starting_after = cursor end
          local page = stripe.list_customers(args)
          for _, c in ipairs(page.customers) do table.insert(all, c); seen[c.id] = true end
          local last = page.customers[#page.customers]
          cursor = page.has_more and last and last.id or nil
        until cursor == nil
        local unique = 0
        for _ in pairs(seen) do unique = unique + 1 end
        return #all, unique
        """
    )
    assert (count, unique) == (250, 250)


def test_balance_and_lists_keep_their_shapes(lua: LuaScripts, printed: list[str]) -> None:
    result = lua.run(
        """
        local balance = app.integrations.stripe.get_balance({})
        print("currencies", #balance.available, balance.available[1].currency)
        local c = app.integrations.stripe.create_customer({
          email = "x@example.com", metadata = { crm_id = "12345" }, expand = { "tax_ids" },
        })
        return c.metadata
        """
    )
    assert result == {"crm_id": "12345"}
    assert printed == ["currencies\t1\tusd\n"]


# -- errors as data --------------------------------------------------------------------------


def test_pcall_gets_stripes_error_as_a_table(lua: LuaScripts) -> None:
    result = lua.run(
        """
        local ok, err = pcall(app.integrations.stripe.get_customer, { id = "cus_missing" })
        local customer = app.integrations.stripe.create_customer({ name = "Declined" })
        local intent = app.integrations.stripe.create_payment_intent({
          amount = 500, currency = "usd", customer = customer.id,
        })
        local ok2, declined = pcall(app.integrations.stripe.confirm_payment_intent, {
          id = intent.id, payment_method = "pm_card_chargeDeclined",
        })
        return {
          ok = ok, status = err.status, type = err.type, code = err.code, param = err.param,
          message = err.message, request = err.request_id:sub(1, 4), text = tostring(err),
          declined = { ok2, declined.status, declined.code, declined.decline_code },
        }
        """
    )
    assert result["ok"] is False
    assert (result["status"], result["type"], result["code"], result["param"]) == (
        404,
        "invalid_request_error",
        "resource_missing",
        "id",
    )
    assert result["message"] == "No such customer: 'cus_missing'"
    assert result["request"] == "req_"
    assert result["text"].startswith("get_customer: No such object")
    assert result["declined"] == [False, 402, "card_declined", "generic_decline"]


def test_an_uncaught_action_error_names_the_line(lua: LuaScripts) -> None:
    with pytest.raises(ScriptError) as caught:
        lua.run('local a = 1\n\napp.integrations.stripe.get_product({ id = "prod_nope" })\n')
    assert str(caught.value).startswith("script:3: get_product: No such object")
    error = caught.value.action_error
    assert error is not None
    assert (error.status, error.code, error.param) == (404, "resource_missing", "id")


@pytest.mark.parametrize(
    ("call", "code", "param"),
    [
        ('create_customer({ nmae = "typo" })', "parameter_unknown", "nmae"),
        ("get_customer({})", "parameter_missing", "id"),
        ('create_customer({ address = { cty = "Paris" } })', "parameter_unknown", "address[cty]"),
        ('list_customers({ limit = "many" })', "parameter_invalid", "limit"),
    ],
)
def test_input_mistakes_are_refused_before_anything_is_sent(
    lua: LuaScripts, call: str, code: str, param: str
) -> None:
    result = lua.run(
        f"""
        local ok, err = pcall(function() return app.integrations.stripe.{call} end)
        return {{ ok = ok, type = err.type, code = err.code, param = err.param,
                 left = #app.integrations.stripe.list_customers({{}}).customers }}
        """
    )
    assert result == {
        "ok": False,
        "type": "invalid_input",
        "code": code,
        "param": param,
        "left": 0,
    }


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ('app.integrations.stripe.get_customer("cus_1")', "takes one table of named arguments"),
        ("app.integrations.stripe.get_customer({ id = print })", "a function cannot be sent"),
        ("local t = {}; t.t = t; app.integrations.stripe.get_customer(t)", "nest too deep"),
        ('app.integrations.stripe.get_customer({ id = "a" }, { x = 1 })', "takes one table"),
        ("app.integrations.stripe.refund_everything({})", "no action or account named"),
        ("error('plain failure')", "script:1: plain failure"),
        ("return (", "unexpected symbol near <eof>"),
    ],
)
def test_script_mistakes_become_script_errors(lua: LuaScripts, script: str, message: str) -> None:
    with pytest.raises(ScriptError, match=message.replace("(", r"\(")):
        lua.run(script)


# -- accounts --------------------------------------------------------------------------------


def test_named_accounts_are_namespaces_and_stay_apart(lua: LuaScripts) -> None:
    result = lua.run(
        """
        local stripe = app.integrations.stripe
        local mine = stripe.create_customer({ name = "Default's" })
        local theirs = stripe.work.create_customer({ name = "Work's" })
        local ok = pcall(stripe.work.get_customer, { id = mine.id })
        return {
          same = stripe.default == stripe,
          default = #stripe.default.list_customers({}).customers,
          work = stripe.work.list_customers({}).customers[1].name,
          crossing = ok,
        }
        """
    )
    assert result == {"same": True, "default": 1, "work": "Work's", "crossing": False}


# -- the box ---------------------------------------------------------------------------------


def test_a_script_reaches_nothing_but_the_actions(lua: LuaScripts) -> None:
    result = lua.run(
        """
        return {
          io = io == nil, execute = os.execute == nil, getenv = os.getenv == nil,
          remove = os.remove == nil, require = require == nil, package = package == nil,
          load = load == nil, loadfile = loadfile == nil, dofile = dofile == nil,
          debug = debug == nil, python = python == nil, dump = string.dump == nil,
          time = math.type(os.time()), action = type(app.integrations.stripe.create_customer),
        }
        """
    )
    assert result.pop("time") == "integer"
    assert result.pop("action") == "function"
    assert all(result.values()), result


def test_runs_do_not_share_globals(lua: LuaScripts) -> None:
    lua.run("leaked = 42")
    assert lua.run("return leaked") is None


@pytest.mark.parametrize(
    "script",
    [
        "while true do end",
        "while true do pcall(function() end) end",
        "while true do pcall(function() while true do end end) end",
        "local co = coroutine.wrap(function() while true do end end); co()",
        "while true do coroutine.resume(coroutine.create(function() while true do end end)) end",
    ],
)
def test_the_time_limit_stops_a_runaway_script(integration: StripeIntegration, script: str) -> None:
    with pytest.raises(ScriptError, match="ran past its time limit") as caught:
        LuaScripts(integration, timeout=0.3).run(script)
    assert caught.value.timed_out


def test_the_memory_cap_stops_a_hungry_script(integration: StripeIntegration) -> None:
    limited = LuaScripts(integration, max_memory=16 * 1024 * 1024)
    with pytest.raises(ScriptError, match="memory"):
        limited.run('local t = {}; for i = 1, 1e8 do t[i] = ("x"):rep(64) .. i end')


def test_return_values(lua: LuaScripts) -> None:
    assert lua.run("local x = 1") is None
    assert lua.run("return 1, nil, 'three'") == [1, None, "three"]
    assert lua.run("return { 1, 2, { a = true } }") == [1, 2, {"a": True}]
    assert lua.run("return {}") == {}


def test_run_lua_uses_the_configured_integration(
    integration: StripeIntegration, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stripekit import integrations

    monkeypatch.setattr(integrations, "stripe", integration)
    made = run_lua("return app.integrations.stripe.create_product({ name = 'Via run_lua' }).name")
    assert made == "Via run_lua"


# -- the command line ------------------------------------------------------------------------


def _lua_cli(
    tmp_path: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE", "XDG_CONFIG"))}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "no-user-config")
    return subprocess.run(
        [sys.executable, "-m", "stripekit.cli", "lua", *args],
        cwd=tmp_path,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_runs_a_file_on_the_project_sandbox(tmp_path: Path) -> None:
    (tmp_path / "stripekit.toml").write_text("[accounts.work]\nsandbox = true\n")
    (tmp_path / "seed.lua").write_text(
        'local p = app.integrations.stripe.work.create_product({ name = "Seeded" })\n'
        'print("created " .. p.name)\n'
        "return { id = p.id, default_has = #app.integrations.stripe.list_products({}).products }\n"
    )
    done = _lua_cli(tmp_path, "seed.lua")
    assert done.returncode == 0, done.stderr
    printed, _, returned = done.stdout.partition("\n")
    assert printed == "created Seeded"
    result: dict[str, Any] = json.loads(returned)
    assert result["id"].startswith("prod_") and result["default_has"] == 0
    # The embedded sandbox keeps it: a second script finds it.
    again = _lua_cli(
        tmp_path,
        "-",
        stdin="return app.integrations.stripe.work.list_products({}).products[1].name",
    )
    assert again.returncode == 0 and json.loads(again.stdout) == "Seeded"


def test_cli_failures(tmp_path: Path) -> None:
    failed = _lua_cli(tmp_path, "-", stdin='app.integrations.stripe.get_invoice({ id = "in_x" })')
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["error"]["code"] == "resource_missing"
    assert "stdin:1: get_invoice: No such object" in failed.stderr
    slow = _lua_cli(tmp_path, "-", "--timeout", "0.2", stdin="while true do end")
    assert slow.returncode == 1 and "time limit" in slow.stderr
    missing = _lua_cli(tmp_path, "nope.lua")
    assert missing.returncode == 2 and "nope.lua" in missing.stderr


def test_the_readme_example_runs(lua: LuaScripts, printed: list[str]) -> None:
    readme = Path(__file__).resolve().parents[2] / "README.md"
    (block,) = re.findall(r"```lua\n(.*?)```", readme.read_text(), flags=re.DOTALL)
    customers = lua.run(block, name="README")
    assert printed == ["false\t404\tresource_missing\n"]
    assert [c["name"] for c in customers] == ["Acme"]
