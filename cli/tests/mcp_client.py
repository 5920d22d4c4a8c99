"""An agent's session with sdg's MCP server, through the official MCP Python
SDK's client (PyPI `mcp`): run by cli/tests/mcp.rs over both transports.

    python3 mcp_client.py stdio SDG_BINARY DATA_DIR OUT_DIR
    python3 mcp_client.py http URL API_KEY OUT_DIR

Exits 0 when every check holds; otherwise prints what did not and exits 1.
"""

import asyncio
import json
import os
import sys
import time

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

TOOLS = {
    "capabilities", "infer_schema", "validate", "generate", "generate_ai", "list_generators",
    "create_generator", "get_generator", "start_generator", "pause_generator", "resume_generator",
    "stop_generator", "generator_metrics", "delete_generator",
}


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def content(result):
    """The structured content of a tool result, else its text parsed as JSON."""
    if result.structured_content is not None:
        return result.structured_content
    return json.loads(result.content[0].text)


async def session_checks(s: ClientSession, out_dir: str, label: str):
    init = await s.initialize()
    check(init.server_info.name == "sdg", f"server name: {init.server_info}")
    names = {t.name for t in (await s.list_tools()).tools}
    check(TOOLS <= names, f"tools: {sorted(names)}")

    caps = content(await s.call_tool("capabilities", {}))
    check("csv" in caps["output_formats"], f"capabilities: {caps}")

    fields = ["customer_id", "email", "risk_tier", "last_login_at"]
    inferred = content(await s.call_tool("infer_schema", {"field_names": fields, "locale": "en_US"}))
    h = inferred["contract_hash"]
    check(h.startswith("xxh3:") and inferred["proposed_schema"][1]["type"] == "internet.email", f"infer: {inferred}")

    r = await s.call_tool("generate_ai", {
        "field_names": fields, "count": 15, "seed": 5, "strict_contract": True, "expected_contract_hash": h,
    })
    check(not r.is_error, f"generate_ai: {r}")
    rows = content(r)
    check(len(rows["data"]) == 15 and rows["meta"]["contract_hash"] == h, f"generate_ai rows: {rows['meta']}")
    check("@" in rows["data"][0]["email"], f"an email: {rows['data'][0]}")

    r = await s.call_tool("generate_ai", {
        "field_names": fields + ["phone"], "strict_contract": True, "expected_contract_hash": h,
    })
    check(r.is_error and content(r)["error_code"] == "CONTRACT_CHANGED", f"strict contract: {r}")

    bad = {"count": 3, "schema_fields": [{"name": "id", "type": "uuid"}, {"name": "mail", "type": "emial"}]}
    r = await s.call_tool("generate", bad)
    e = content(r)
    check(r.is_error, f"a mistake is a tool error: {r}")
    check(e["errors"][0]["fix"] == {"op": "replace", "pointer": "/schema_fields/1/type", "value": "email"}, f"fix: {e}")
    check(e["corrected_example_valid"] is True, f"corrected: {e}")
    r = await s.call_tool("generate", e["corrected_example"])
    check(not r.is_error and len(content(r)["data"]) == 3, f"the corrected example: {r}")

    r = await s.call_tool("generate", {**e["corrected_example"], "output_format": "csv", "count": 20})
    lines = r.content[0].text.strip().split("\n")
    check(not r.is_error and len(lines) == 21 and lines[0] == "id,mail", f"csv: {lines[:2]}")

    v = content(await s.call_tool("validate", bad))
    check(v["valid"] is False and v["errors"][0]["path"] == "schema_fields[1].type", f"validate: {v}")

    # The generator lifecycle: create, start, wait, metrics, the file, delete.
    path = os.path.join(out_dir, f"mcp-{label}.csv")
    definition = {
        "name": f"mcp-{label}", "seed": 1,
        "end_condition": {"type": "RECORD_COUNT", "value": 1000},
        "destination": {"type": "FILE", "config": {"path": path, "format": "csv"}},
        "fields": [{"name": "n", "type": "SEQUENCE"}, {"name": "email", "type": "CATALOG", "params": {"kind": "internet.email"}}],
    }
    created = content(await s.call_tool("create_generator", {"definition": definition}))
    gid = created["id"]
    started = await s.call_tool("start_generator", {"id": gid})
    check(not started.is_error, f"start: {started}")
    status = None
    for _ in range(200):
        status = content(await s.call_tool("get_generator", {"id": gid}))["status"]
        if status in ("COMPLETED", "FAILED"):
            break
        time.sleep(0.05)
    check(status == "COMPLETED", f"the generator ended {status}")
    m = content(await s.call_tool("generator_metrics", {"id": gid}))
    check(m["rows_delivered"] == 1000, f"metrics: {m}")
    with open(path) as f:
        check(sum(1 for _ in f) == 1001, "the file has a header and 1000 rows")
    listed = content(await s.call_tool("list_generators", {}))
    check(any(g["id"] == gid for g in listed["generators"]), "listed")
    r = await s.call_tool("pause_generator", {"id": gid})
    check(r.is_error and content(r)["status_code"] == 409, f"pausing a completed generator: {r}")
    check(not (await s.call_tool("delete_generator", {"id": gid})).is_error, "deleted")
    r = await s.call_tool("get_generator", {"id": gid})
    check(r.is_error and content(r)["status_code"] == 404, f"gone: {r}")


async def over_stdio(binary, data_dir, out_dir):
    params = StdioServerParameters(command=binary, args=["mcp", "--data-dir", data_dir])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as s:
            await session_checks(s, out_dir, "stdio")


async def over_http(url, key, out_dir):
    # Without the key, and with a wrong one: refused before MCP.
    async with create_mcp_http_client() as plain:
        r = await plain.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        check(r.status_code == 401, f"no key: {r.status_code}")
    async with create_mcp_http_client(headers={"X-API-Key": "wrong"}) as wrong:
        r = await wrong.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        check(r.status_code == 401, f"a wrong key: {r.status_code}")
    async with create_mcp_http_client(headers={"X-API-Key": key}) as client:
        async with streamable_http_client(url, http_client=client) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write) as s:
                await session_checks(s, out_dir, "http")


def main():
    mode = sys.argv[1]
    try:
        if mode == "stdio":
            asyncio.run(over_stdio(sys.argv[2], sys.argv[3], sys.argv[4]))
        else:
            asyncio.run(over_http(sys.argv[2], sys.argv[3], sys.argv[4]))
    except AssertionError as e:
        print(f"MCP check failed ({mode}): {e}", file=sys.stderr)
        sys.exit(1)
    print(f"MCP session over {mode}: every check held")


if __name__ == "__main__":
    main()
