"""``serve`` and ``apikey``: the scoring API other programs call, and the keys they call it with."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.common import AddCommand
from core.errors import InputError


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is outside 0 to 65535")
    return value


def cmd_serve(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import store
    from core.serve import Settings, serve

    store.list_models()  # a missing or damaged store stops here, with its own message, before listening
    settings = Settings(
        max_rows=args.max_rows,
        max_body_bytes=args.max_body_mb * 1024 * 1024,
        workers=args.workers,
        keep_inputs_rows=args.keep_inputs or 0,
    )
    host, port = serve(args.host, args.port, settings)
    return {"host": host, "port": port, "stopped": True}, f"the scoring API on {host}:{port} has stopped"


def _key_json(key: Any) -> dict[str, Any]:
    return {
        "name": key.name,
        "key_start": key.key_start + "…",
        "models": list(key.scope) or None,
        "rate_per_minute": key.rate_per_minute,
        "created_at": key.created_at,
    }


def cmd_apikey(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core import store
    from core.serve import new_key

    if args.action == "create":
        scope = tuple(r.strip() for r in (args.models or "").split(",") if r.strip())
        if args.models is not None and not scope:
            raise InputError("--models names no model.", "Give model names or references, e.g. --models churn,sales.")
        secret = new_key(args.name, scope, args.rate)
        text = (
            f"API key '{args.name}' (shown once; Keel keeps only a fingerprint of it):\n{secret}\n"
            f"Send it as the header 'Authorization: Bearer {secret[:9]}…'. "
            + (f"It may score: {', '.join(scope)}." if scope else "It may score every model.")
        )
        return {"name": args.name, "key": secret, "models": list(scope) or None, "rate_per_minute": args.rate}, text
    if args.action == "revoke":
        store.revoke_api_key(args.name)
        return {"name": args.name, "revoked": True}, f"API key '{args.name}' is revoked; the API refuses it from now on"
    keys = store.list_api_keys()
    lines = [
        f"{k.name:<24} {k.key_start}…  {', '.join(k.scope) or 'every model':<30} {k.rate_per_minute:>6}/min  {k.created_at}"
        for k in keys
    ]
    return {"keys": [_key_json(k) for k in keys]}, "\n".join(lines) or "no API keys yet (`apikey create NAME`)"


def _json_flag(p: argparse.ArgumentParser) -> None:
    # the command's own --json stays valid after the sub-command (default SUPPRESS keeps an earlier --json)
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print exactly one JSON object")


def add_serve(command: AddCommand) -> None:
    p = command(
        "serve", cmd_serve, "Answer prediction requests over HTTP from other programs (needs an API key per caller)."
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this computer only)")
    p.add_argument("--port", type=_port, default=8600, help="port to listen on (default 8600; 0: any free port)")
    p.add_argument("--max-rows", type=_positive, default=50_000, help="most rows in one request (default 50,000)")
    p.add_argument("--max-body-mb", type=_positive, default=8, help="largest request in megabytes (default 8)")
    p.add_argument(
        "--keep-inputs",
        type=_positive,
        nargs="?",
        const=1000,
        default=None,
        metavar="ROWS",
        help="keep the rows the API scores, as a monitored batch every ROWS rows (default 1,000), so Monitor checks "
        "them for drift; without it no row is kept",
    )
    p.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="processes answering requests (default 1; one per core at most); each enforces 1/N of a key's rate",
    )


def add_apikey(command: AddCommand) -> None:
    p = command("apikey", cmd_apikey, "Make, list or revoke the keys other programs use to call the scoring API.")
    p.set_defaults(action="list")
    sub = p.add_subparsers(dest="action")
    _json_flag(sub.add_parser("list", help="list the keys (never their secrets; the default)"))
    create = sub.add_parser("create", help="make a key; it is printed once and only its fingerprint is kept")
    create.add_argument("name", help="who will use it, e.g. till-1 or web-form")
    create.add_argument(
        "--models", default=None, metavar="REF,…", help="the models it may score (names or refs); default: every model"
    )
    create.add_argument("--rate", type=_positive, default=600, help="requests a minute it may make (default 600)")
    _json_flag(create)
    revoke = sub.add_parser("revoke", help="stop a key working (a running server refuses it within seconds)")
    revoke.add_argument("name")
    _json_flag(revoke)
