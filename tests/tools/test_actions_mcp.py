"""`stripekit mcp`: the actions as MCP tools over stdio, with read-only and allow-lists."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stripekit.agents.mcp import Server, chosen_tools, serve
from stripekit.facade import AccountActions
from stripekit.tools import ACTIONS


def _rpc(server: Server, method: str, params: Any = None, ident: int = 1) -> Any:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": ident, "method": method}
    if params is not None:
        message["params"] = params
    return server.handle(message)


def _text(answer: dict[str, Any]) -> Any:
    return json.loads(answer["result"]["content"][0]["text"])


def test_initialize_list_and_call(actions: AccountActions) -> None:
    server = Server(actions, chosen_tools(read_only=False, allow=None), read_only=False)
    init = _rpc(server, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {}})
    assert init["result"]["capabilities"] == {"tools": {"listChanged": False}}
    assert init["result"]["serverInfo"]["name"] == "stripekit"
    assert server.handle({"jsonrpc": "2.0", "method": "notifications/initialized"}) is None
    tools = _rpc(server, "tools/list")["result"]["tools"]
    assert len(tools) == len(ACTIONS)
    create = next(t for t in tools if t["name"] == "create_customer")
    assert create["inputSchema"]["properties"]["email"]
    assert create["annotations"] == {"readOnlyHint": False}
    made = _rpc(server, "tools/call", {"name": "create_customer", "arguments": {"name": "Acme"}})
    assert made["result"]["isError"] is False
    customer = _text(made)
    assert customer["name"] == "Acme"
    listed = _text(_rpc(server, "tools/call", {"name": "list_customers", "arguments": {}}))
    assert [c["id"] for c in listed["customers"]] == [customer["id"]]
    assert _rpc(server, "ping")["result"] == {}


def test_failures_are_tool_errors_the_agent_can_read(actions: AccountActions) -> None:
    server = Server(actions, chosen_tools(read_only=False, allow=None), read_only=False)
    missing = _rpc(server, "tools/call", {"name": "get_customer", "arguments": {"id": "cus_x"}})
    assert missing["result"]["isError"] is True
    detail = json.loads(missing["result"]["content"][0]["text"].split("\n", 1)[1])
    assert detail["error"]["code"] == "resource_missing" and detail["error"]["status"] == 404
    bad = _rpc(server, "tools/call", {"name": "create_product", "arguments": {"nme": "x"}})
    assert bad["result"]["isError"] is True and "nme" in bad["result"]["content"][0]["text"]
    assert actions.list_products()["products"] == []
    for params, message in [
        ({"name": "launch_rocket"}, "unknown tool"),
        ({"arguments": {}}, "needs a tool name"),
        ({"name": "list_customers", "arguments": [1]}, "must be an object"),
    ]:
        answer = _rpc(server, "tools/call", params)
        assert answer["error"]["code"] == -32602 and message in answer["error"]["message"]
    assert _rpc(server, "resources/list")["error"]["code"] == -32601
    assert server.handle({"id": 1, "method": "ping"})["error"]["code"] == -32600


def test_read_only_and_allow_lists(actions: AccountActions) -> None:
    read_only = chosen_tools(read_only=True, allow=None)
    assert read_only and all(a.method == "GET" or a.name == "request" for a in read_only)
    server = Server(actions, read_only, read_only=True)
    names = {t["name"] for t in _rpc(server, "tools/list")["result"]["tools"]}
    assert "list_customers" in names and "create_customer" not in names
    post = _rpc(
        server,
        "tools/call",
        {"name": "request", "arguments": {"method": "POST", "path": "/v1/customers"}},
    )
    assert post["result"]["isError"] is True and "read-only" in post["result"]["content"][0]["text"]
    assert actions.list_customers()["customers"] == []
    allowed = chosen_tools(read_only=False, allow=["Retrieve Customer", "create_customer"])
    assert [a.name for a in allowed] == ["create_customer", "get_customer"]
    with pytest.raises(ValueError, match="no action named 'launch_rocket'"):
        chosen_tools(read_only=False, allow=["launch_rocket"])


def _lua(server: Server, script: str, **extra: Any) -> dict[str, Any]:
    arguments = {"script": script, **extra}
    return _rpc(server, "tools/call", {"name": "run_lua_script", "arguments": arguments})


def test_lua_tool_runs_several_steps_in_one_call(actions: AccountActions) -> None:
    server = Server(actions, chosen_tools(read_only=False, allow=None), read_only=False, lua=True)
    tools = {t["name"]: t for t in _rpc(server, "tools/list")["result"]["tools"]}
    assert len(tools) == len(ACTIONS) + 1
    assert tools["run_lua_script"]["inputSchema"]["required"] == ["script"]
    answer = _lua(
        server,
        """
        local stripe = app.integrations.stripe
        for i = 1, 3 do stripe.create_customer({ email = "c" .. i .. "@example.com" }) end
        local page = stripe.list_customers({ limit = 2 })
        print("first page", #page.customers)
        return { has_more = page.has_more, newest = page.customers[1].email }
        """,
    )
    assert answer["result"]["isError"] is False
    assert _text(answer) == {
        "printed": "first page\t2\n",
        "result": {"has_more": True, "newest": "c3@example.com"},
    }
    failed = _lua(server, 'print("before")\napp.integrations.stripe.get_invoice({ id = "in_x" })')
    assert failed["result"]["isError"] is True
    sentence, detail = failed["result"]["content"][0]["text"].split("\n{", 1)
    assert sentence.startswith("before\nscript:2: get_invoice: No such object")
    assert json.loads("{" + detail)["error"]["code"] == "resource_missing"
    slow = _lua(server, "while true do end", timeout=0.2)
    assert slow["result"]["isError"] and "time limit" in slow["result"]["content"][0]["text"]
    for arguments in ({"script": "return 1", "timeout": 0}, {"script": 1}, {"script": "", "x": 1}):
        bad = _rpc(server, "tools/call", {"name": "run_lua_script", "arguments": arguments})
        assert bad["error"]["code"] == -32602


def test_lua_tool_reaches_only_the_servers_tools(actions: AccountActions) -> None:
    read_only = Server(actions, chosen_tools(read_only=True, allow=None), read_only=True, lua=True)
    refused = _lua(read_only, 'app.integrations.stripe.create_customer({ name = "x" })')
    assert refused["result"]["isError"] is True
    assert "no action or account named 'create_customer'" in refused["result"]["content"][0]["text"]
    no_request = _lua(read_only, 'app.integrations.stripe.request({ method = "POST" })')
    assert "no action or account named 'request'" in no_request["result"]["content"][0]["text"]
    assert (
        _text(_lua(read_only, "return #app.integrations.stripe.list_customers({}).customers"))[
            "result"
        ]
        == 0
    )
    allowed = chosen_tools(read_only=False, allow=["create_customer"])
    narrow = Server(actions, allowed, read_only=False, lua=True)
    blocked = _lua(narrow, "return app.integrations.stripe.list_customers({})")
    assert "no action or account named 'list_customers'" in blocked["result"]["content"][0]["text"]
    assert actions.list_customers()["customers"] == []
    plain = Server(actions, allowed, read_only=False)
    assert _lua(plain, "return 1")["error"]["message"] == "unknown tool: run_lua_script"


def test_stdio_transport(actions: AccountActions) -> None:
    server = Server(actions, chosen_tools(read_only=False, allow=None), read_only=False)
    stdin = io.StringIO('{"jsonrpc": "2.0", "id": 7, "method": "ping"}\n\nnot json\n')
    stdout = io.StringIO()
    serve(server, stdin, stdout)
    answers = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert answers == [
        {"jsonrpc": "2.0", "id": 7, "result": {}},
        {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "invalid JSON"}},
    ]


def test_the_command_on_the_project_sandbox(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE", "XDG_CONFIG"))}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "no-user-config")
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
         "params": {"name": "create_customer", "arguments": {"email": "a@agent.test"}}},
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call",
         "params": {"name": "run_lua_script", "arguments": {"script":
            'return app.integrations.stripe.create_customer({ email = "b@agent.test" }).email'}}},
    ]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "stripekit.cli", "mcp", "--allow", "create_customer", "--lua"],
        input="".join(json.dumps(m) + "\n" for m in messages),
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["id"] for a in answers] == [1, 2, 3, 4]
    tools = [t["name"] for t in answers[1]["result"]["tools"]]
    assert tools == ["create_customer", "run_lua_script"]
    assert _text(answers[2])["email"] == "a@agent.test"
    assert _text(answers[3])["result"] == "b@agent.test"
    refused = subprocess.run(
        [sys.executable, "-m", "stripekit.cli", "mcp", "--allow", "nope"],
        input="", cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 2 and "no action named 'nope'" in refused.stderr
