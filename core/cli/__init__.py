"""``python -m core`` — the command-line face of Keel (contract in ../shared/DESIGN.md).

Every command accepts ``--json`` and then prints exactly one JSON object on stdout. Anything a
library prints while we work is sent to stderr so stdout stays parseable. Exit status: 0 success,
2 the user's input is at fault (``error:``/``hint:`` on stderr), 1 a bug (logged with an id),
3 ``monitor --fail-on`` when the model calls for that action.

The commands live by domain: ``data`` (profile), ``models`` (train, predict, retrain, rollback, models),
``forecast``, ``monitoring`` (drift, monitor) and ``store`` (backup, restore, check); ``common`` holds the
parser and argument types they share. A new command is a ``cmd_<name>`` function and an ``add_<name>``
that declares its arguments, listed in ``COMMANDS`` below (the order of ``--help``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Sequence

from core.bugs import log_bug
from core.cli import card, compact, data, datasets, forecast, learn, models, monitoring, serve, store, team
from core.cli.common import PROG, AddCommand, Command, Parser
from core.errors import KeelError
from core.vocab import jsonable

COMMANDS: tuple[Callable[[AddCommand], None], ...] = (
    data.add_profile,
    models.add_train,
    models.add_predict,
    forecast.add_forecast,
    monitoring.add_drift,
    monitoring.add_monitor,
    models.add_retrain,
    models.add_rollback,
    store.add_backup,
    store.add_restore,
    store.add_check,
    models.add_models,
    compact.add_compact,
    datasets.add_datasets,
    card.add_card,
    card.add_cutoff,
    team.add_people,
    team.add_alerts,
    team.add_schedule,
    team.add_scheduler,
    serve.add_serve,
    serve.add_apikey,
    learn.add_export,
    learn.add_explore,
)

__all__ = ["COMMANDS", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description="Keel: look after machine-learning models.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    chosen: dict[str, argparse.ArgumentParser] = {}
    parser.chosen = chosen  # type: ignore[attr-defined]  # main() sends an unknown option to its command

    def command(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
        p.set_defaults(func=func)
        chosen[name] = p
        return p

    for add in COMMANDS:
        add(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # the command's own parser says so, and its hint names the command's --help
        chosen = getattr(parser, "chosen", {}).get(args.command, parser)
        chosen.error(f"unrecognized arguments: {' '.join(extra)}")
    real_stdout = sys.stdout
    try:
        with contextlib.redirect_stdout(sys.stderr):
            result = args.func(args)
    except KeelError as exc:
        sys.stderr.write(f"error: {exc.message}\n")
        if exc.hint:
            sys.stderr.write(f"hint: {exc.hint}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        return 130
    except Exception as exc:  # a bug: log it, show an id, never a traceback
        bug_id = log_bug(exc, context=f"cli {args.command}")
        sys.stderr.write(
            f"error: something went wrong inside Keel (error id {bug_id}). This is our bug, not your data's.\n"
            f"hint: try again; if it keeps happening, report error id {bug_id}.\n"
        )
        return 1
    out, text = result[0], result[1]
    if args.json:
        real_stdout.write(json.dumps(jsonable(out), allow_nan=False) + "\n")
    else:
        real_stdout.write(text + "\n")
    return result[2] if len(result) > 2 else 0
