"""The scoring API as a Starlette application (run by uvicorn: :mod:`core.serve.server`).

Every answer but ``/health`` needs a key. A request is checked in this order: the key (401), its rate (429),
the model reference (404), the key's scope (403), the body's size (413), the rows (422); problems are JSON
problem details (RFC 9457) carrying Keel's own message and hint. Checking and scoring run in worker threads, so
one slow batch does not hold up the server; small JSON requests for one model arriving together are scored in
one call (:mod:`core.serve.batching`); counts and latency go to :class:`~core.serve.traffic.Traffic`.

A small JSON request whose model is loaded and whose reference was looked up in the last second never leaves the
event loop until it is scored: its rows are checked in plain Python (:mod:`core.serve.plain`; anything the CLI's
check would have something to say about takes that full check instead) and scored with the others waiting.
``?explain=true`` adds each row's contributions and sentence (:mod:`core.serve.explaining`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import pandas as pd
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import store
from core.bugs import log_bug
from core.errors import KeelError, NotFoundError
from core.models import KeelModel
from core.serve.batching import Batcher
from core.serve.explaining import Backgrounds, explained
from core.serve.inputs import InputKeeper
from core.serve.keys import KeyRing, RateLimiter, in_scope, needs_store
from core.serve.openapi import openapi_document
from core.serve.plain import plain_rows
from core.serve.scoring import (
    BadRows,
    ModelCache,
    Resolver,
    TooLarge,
    checked,
    records,
    rows_frame,
    score_csv,
    slot_of,
)
from core.serve.traffic import Traffic
from core.vocab import jsonable

MAX_ROWS = 50_000
MAX_BODY_BYTES = 8 * 1024 * 1024
SETTINGS_ENV = "KEEL_SERVE_SETTINGS"
DRAIN_BYTES = 64 * 1024 * 1024  # a body over the limit but under this is read and dropped before the 413
INLINE_BYTES = 64 * 1024  # a JSON body up to this size is read and checked without leaving the event loop
INLINE_ROWS = 100  # an answer of up to this many rows is written without leaving the event loop
_YES = ("true", "1", "yes")
_NO = ("false", "0", "no", "")


@dataclass
class Settings:
    max_rows: int = MAX_ROWS
    max_body_bytes: int = MAX_BODY_BYTES
    key_refresh_s: float = 2.0
    traffic_flush_s: float = 5.0
    workers: int = 1  # processes sharing the socket; each enforces 1/workers of a key's rate
    keep_inputs_rows: int = 0  # >0: scored rows become monitored batches of this many rows (serve --keep-inputs)
    model_refresh_s: float = 1.0  # a reference's model is looked up again once its answer is this old

    def to_env(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_env(cls) -> Settings:
        """The settings a worker process of ``serve --workers N`` was started with (``KEEL_SERVE_SETTINGS``)."""
        raw = os.environ.get(SETTINGS_ENV, "")
        return cls(**json.loads(raw)) if raw else cls()


@dataclass
class _State:
    settings: Settings
    keys: KeyRing
    limiter: RateLimiter = field(default_factory=RateLimiter)
    models: ModelCache = field(default_factory=ModelCache)
    resolver: Resolver = field(default_factory=Resolver)
    backgrounds: Backgrounds = field(default_factory=Backgrounds)
    traffic: Traffic = field(default_factory=Traffic)
    batcher: Batcher = field(default_factory=Batcher)
    inputs: InputKeeper | None = None


class Problem(Exception):
    """An answer other than success, as a problem detail."""

    def __init__(
        self,
        status: int,
        detail: str,
        hint: str = "",
        code: str = "",
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.hint, self.code = status, detail, hint, code
        self.headers, self.errors = headers or {}, errors

    def response(self) -> Response:
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": HTTPStatus(self.status).phrase,
            "status": self.status,
            "detail": self.detail,
        }
        if self.hint:
            body["hint"] = self.hint
        if self.code:
            body["code"] = self.code
        if self.errors is not None:
            body["errors"] = self.errors
        return _json(body, self.status, self.headers, "application/problem+json")


def _json(
    body: Any, status: int = 200, headers: dict[str, str] | None = None, media: str = "application/json"
) -> Response:
    payload = json.dumps(jsonable(body), allow_nan=False, ensure_ascii=False).encode("utf-8")
    return Response(payload, status_code=status, headers=headers, media_type=media)


def _from_keel(exc: KeelError) -> Problem:
    if isinstance(exc, TooLarge):
        return Problem(413, exc.message, exc.hint, "too_large")
    if isinstance(exc, NotFoundError):
        return Problem(404, exc.message, exc.hint, "not_found")
    errors = None
    if isinstance(exc, BadRows):
        errors = [{"row": p.row, "column": p.column, "value": p.value, "expected": p.expected} for p in exc.problems]
    return Problem(422, exc.message, exc.hint, "bad_rows", errors=errors)


# --------------------------------------------------------------------------- checks


def _state(request: Request) -> _State:
    state: _State = request.app.state.keel
    return state


def _authorised(request: Request) -> store.ApiKey:
    state = _state(request)
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="keel"'}
    if scheme.lower() != "bearer" or not secret.strip():
        raise Problem(
            401,
            "This request has no API key.",
            "Send the key as the header 'Authorization: Bearer KEY' (`python -m core apikey create NAME` makes one).",
            "no_key",
            challenge,
        )
    key = state.keys.find(secret.strip())
    if key is None:
        raise Problem(
            401,
            "Keel does not know this API key (it may have been revoked).",
            "Check the key, or ask for a new one (`python -m core apikey create NAME`).",
            "unknown_key",
            challenge,
        )
    request.state.key_name = key.name
    wait = state.limiter.take(key.name, key.rate_per_minute)
    if wait > 0:
        raise Problem(
            429,
            f"Key '{key.name}' has used its {key.rate_per_minute:,} requests a minute.",
            "Wait the seconds in Retry-After, send rows in fewer, larger requests, or make a key with a higher --rate.",
            "rate_limited",
            {"Retry-After": str(max(1, math.ceil(wait)))},
        )
    return key


async def _body(request: Request, limit: int) -> bytes:
    too_big = Problem(
        413,
        f"The request is larger than the {limit / 1024 / 1024:.0f} MB this server takes.",
        "Split the rows into smaller requests.",
        "too_large",
    )
    drain = max(DRAIN_BYTES, limit)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > drain:
        raise too_big  # far too big even to read and drop: the connection closes
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > drain:
            raise too_big
        if size <= limit:
            chunks.append(chunk)
    if size > limit:  # read to the end and dropped, so the client can read the answer
        raise too_big
    return b"".join(chunks)


def _model_json(info: store.ModelInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "version": info.version,
        "ref": info.label,
        "task": info.task,
        "stage": info.stage,
        "algorithm": info.algorithm,
        "target": info.target,
        "created_at": info.created_at,
        "features": [{"name": f["name"], "kind": f["kind"]} for f in info.schema.get("features", [])],
        "classes": info.params.get("classes") or [],
    }


# --------------------------------------------------------------------------- endpoints


async def health(request: Request) -> Response:
    return _json({"status": "ok"})


async def openapi(request: Request) -> Response:
    _authorised(request)
    return _json(openapi_document())


async def list_models(request: Request) -> Response:
    key = _authorised(request)

    def visible() -> list[dict[str, Any]]:
        return [_model_json(m) for m in store.list_models() if in_scope(key, m)]

    return _json({"models": await run_in_threadpool(visible)})


def _resolve(state: _State, ref: str, key: store.ApiKey) -> store.ModelInfo:
    info = state.resolver.resolve(ref)
    if not in_scope(key, info, state.resolver.resolve):
        raise Problem(
            403,
            f"Key '{key.name}' may not score model {info.label}.",
            "Use a key made for this model (`python -m core apikey create NAME --models " + info.name + "`).",
            "out_of_scope",
        )
    return info


def _csv(state: _State, info: store.ModelInfo, data: bytes, explain: bool) -> tuple[Response, int]:
    model = state.models.get(info)
    background = state.backgrounds.get(info, model) if explain else None
    payload, frame, warnings = score_csv(data, model, state.settings.max_rows, explain, background)
    if state.inputs is not None:
        state.inputs.add(info.id, frame)
    headers = {"X-Keel-Model": info.label}
    if warnings:
        headers["X-Keel-Warnings"] = str(len(warnings))
    return Response(payload, headers=headers, media_type="text/csv; charset=utf-8"), len(frame)


Answer = tuple[pd.DataFrame, list[str]]  # the outputs for a request's rows, and the check's warnings


def _parsed(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BadRows(
            "The request body is not valid JSON.", 'Send {"rows": [{"column": value, …}, …]} as UTF-8 JSON.'
        ) from None


def _explained(state: _State, info: store.ModelInfo, model: KeelModel, body: Any) -> tuple[pd.DataFrame, Answer]:
    frame = rows_frame(body, state.settings.max_rows)
    report = checked(
        frame,
        model,
        "Send every column the model needs, with numbers as numbers (or text holding a number) and dates as "
        "text such as 2026-12-07. Rows count from 1 in the order sent.",
    )
    return frame, (explained(frame, model, state.backgrounds.get(info, model)), list(report.warnings))


async def _scored(state: _State, info: store.ModelInfo, data: bytes, explain: bool) -> tuple[pd.DataFrame, Answer]:
    """The rows sent and their answer: on the fast path when the rows certainly fit, else after the full check."""
    found = state.models.peek(info)
    if found is None:
        found = await run_in_threadpool(state.models.loaded, info)
    model, rules = found
    small = len(data) <= INLINE_BYTES
    body = _parsed(data) if small else await run_in_threadpool(_parsed, data)
    if explain:
        return await run_in_threadpool(_explained, state, info, model, body)
    limit = state.settings.max_rows
    rows = plain_rows(body, rules, limit) if small else await run_in_threadpool(plain_rows, body, rules, limit)
    if rows is not None:
        answer = await state.batcher.score_rows(slot_of(info), model, rows)
        frame = pd.DataFrame.from_records(rows) if state.inputs is not None else pd.DataFrame()
        return frame, answer
    frame = await run_in_threadpool(rows_frame, body, limit)
    return frame, await state.batcher.score(slot_of(info), model, frame)


async def _json_rows(state: _State, info: store.ModelInfo, data: bytes, explain: bool) -> tuple[Response, int]:
    frame, (added, warnings) = await _scored(state, info, data, explain)
    if state.inputs is not None:
        state.inputs.add(info.id, frame)
    model_json = {k: v for k, v in _model_json(info).items() if k not in ("features", "classes")}

    def answer() -> Response:
        return _json({**records(added, warnings), "model": model_json})

    return (answer() if len(added) <= INLINE_ROWS else await run_in_threadpool(answer)), len(added)


def _explain_asked(request: Request) -> bool:
    value = request.query_params.get("explain", "").strip().lower()
    if value in _YES or value in _NO:
        return value in _YES
    raise Problem(
        400,
        f"'explain' must be true or false, not '{value[:40]}'.",
        "Add ?explain=true to have each row's contributions and a sentence saying why, or leave it out.",
        "bad_parameter",
    )


async def _model_for(state: _State, ref: str, key: store.ApiKey) -> store.ModelInfo:
    """The model ``ref`` names, in the key's scope; without leaving the event loop when nothing needs the store."""
    if state.resolver.cached(ref) is not None and not needs_store(key):
        return _resolve(state, ref, key)
    return await run_in_threadpool(_resolve, state, ref, key)


async def predict(request: Request) -> Response:
    state = _state(request)
    key = _authorised(request)
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media not in ("application/json", "text/csv"):
        raise Problem(
            415,
            f"Keel cannot read a body of type '{media[:60]}'.",
            "Send JSON (Content-Type: application/json) or a CSV file (Content-Type: text/csv).",
            "unsupported_media_type",
        )
    explain = _explain_asked(request)
    info = await _model_for(state, request.path_params["ref"], key)
    request.state.model_id = info.id
    data = await _body(request, state.settings.max_body_bytes)
    if media == "text/csv":
        response, rows = await run_in_threadpool(_csv, state, info, data, explain)
    else:
        response, rows = await _json_rows(state, info, data, explain)
    request.state.rows = rows
    return response


# --------------------------------------------------------------------------- the application


def _guarded(endpoint: Any) -> Any:
    """Run an endpoint, turn Keel's errors into problem details and a bug into a 500 with an id; count it."""

    async def run(request: Request) -> Response:
        started = time.perf_counter()
        try:
            response = await endpoint(request)
        except Problem as problem:
            response = problem.response()
        except KeelError as exc:
            response = _from_keel(exc).response()
        except Exception as exc:
            bug_id = log_bug(exc, context=f"serve {request.url.path}")
            response = Problem(
                500,
                f"Something went wrong inside Keel (error id {bug_id}). This is our bug, not your data's.",
                f"Try again; if it keeps happening, report error id {bug_id}.",
                "bug",
            ).response()
        if request.url.path != "/health":
            key = getattr(request.state, "key_name", "")
            _state(request).traffic.add(
                key,
                getattr(request.state, "model_id", None),
                response.status_code,
                getattr(request.state, "rows", 0),
                (time.perf_counter() - started) * 1000,
            )
        return response

    return run


async def _http_problem(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    hints = {404: "The API has /health, /openapi.json, /v1/models and /v1/models/{ref}/predict."}
    detail = {404: "There is nothing at this address.", 405: "This address does not take that method."}
    return Problem(
        status, detail.get(status, HTTPStatus(status).phrase), hints.get(status, ""), "http_" + str(status)
    ).response()


def create_app(settings: Settings | None = None) -> Starlette:
    """The application; ``settings`` bound the requests it takes (default: :meth:`Settings.from_env`)."""
    settings = settings or Settings.from_env()
    state = _State(
        settings,
        KeyRing(settings.key_refresh_s),
        resolver=Resolver(settings.model_refresh_s),
        limiter=RateLimiter(share=1 / settings.workers),
        traffic=Traffic(settings.traffic_flush_s),
        inputs=InputKeeper(settings.keep_inputs_rows) if settings.keep_inputs_rows else None,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.traffic.start()
        if state.inputs is not None:
            state.inputs.start()
        try:
            yield
        finally:
            state.traffic.stop()
            if state.inputs is not None:
                state.inputs.stop()

    routes = [
        Route("/health", _guarded(health), methods=["GET"]),
        Route("/openapi.json", _guarded(openapi), methods=["GET"]),
        Route("/v1/models", _guarded(list_models), methods=["GET"]),
        Route("/v1/models/{ref}/predict", _guarded(predict), methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: _http_problem})
    app.state.keel = state
    return app
