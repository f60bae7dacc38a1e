"""The scoring API's OpenAPI 3.1 document, written by hand so it says exactly what the server does (the tests
validate it and fuzz the server against it)."""

from __future__ import annotations

from typing import Any

_SCALAR: dict[str, Any] = {"type": ["string", "number", "integer", "boolean", "null"]}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": _PROBLEM_REF}}}


_AUTH_PROBLEMS = {
    "401": _problem("No key, or a key Keel does not know (or one that was revoked)."),
    "429": {
        **_problem("Too many requests for this key; wait the seconds in Retry-After."),
        "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
    },
}

_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "A problem detail (RFC 9457), with Keel's hint and, for bad rows, where each problem is.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "hint": {"type": "string"},
            "code": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "row": {"type": "integer", "description": "counting from 1; 0 for the whole table"},
                        "column": {"type": ["string", "null"]},
                        "value": {"type": ["string", "null"]},
                        "expected": {"type": "string"},
                    },
                },
            },
        },
    },
    "PredictRequest": {
        "type": "object",
        "required": ["rows"],
        "properties": {
            "rows": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "object", "additionalProperties": _SCALAR},
                "description": "One object per row: column name to value, as in the training file.",
            }
        },
    },
    "PredictResponse": {
        "type": "object",
        "required": ["predictions", "model"],
        "properties": {
            "predictions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["prediction"],
                    "properties": {
                        "prediction": _SCALAR,
                        "cutoff": {"type": "number"},
                        "contribution_base": {
                            "type": ["number", "null"],
                            "description": "with explain=true: the model's usual answer the contributions start "
                            "from (as `predict --explain`)",
                        },
                        "explanation": {
                            "type": "string",
                            "description": "with explain=true: the columns that pushed this answer most, in a sentence",
                        },
                    },
                    "additionalProperties": {"type": ["number", "null"]},
                    "description": "prediction, and for a classifier one proba_<class> per class (as the CLI); with "
                    "explain=true also contribution_base, one contribution_<column> per column sent and explanation.",
                },
            },
            "model": {"$ref": "#/components/schemas/Model"},
            "warnings": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Model": {
        "type": "object",
        "required": ["id", "name", "version", "task", "stage"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "version": {"type": "integer"},
            "ref": {"type": "string"},
            "task": {"type": "string"},
            "stage": {"type": "string"},
            "algorithm": {"type": "string"},
            "target": {"type": "string"},
            "created_at": {"type": "string"},
            "features": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "kind": {"type": "string"}},
                },
            },
            "classes": {"type": "array", "items": _SCALAR},
        },
    },
}


def _predict_operation() -> dict[str, Any]:
    return {
        "summary": "Score rows with a model",
        "operationId": "predict",
        "description": "JSON rows in, JSON predictions out; or a CSV file in (Content-Type text/csv) and the CSV "
        "`python -m core predict MODEL FILE --out OUT.csv` writes out, byte for byte.",
        "parameters": [
            {
                "name": "ref",
                "in": "path",
                "required": True,
                "description": "a model id, name (the version in use), name:version or name@champion",
                "schema": {"type": "string"},
            },
            {
                "name": "explain",
                "in": "query",
                "required": False,
                "description": "true: each row also gets what `python -m core predict --explain` adds "
                "(contribution_base and one contribution_<column> per column: base + contributions equal the "
                "explained chance or number) and `explanation`, a sentence naming the columns that pushed it most. "
                "For CSV, the contribution columns of `predict --out OUT.csv --explain`.",
                "schema": {"type": "boolean", "default": False},
            },
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/PredictRequest"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        "responses": {
            "200": {
                "description": "The predictions.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/PredictResponse"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            },
            **_AUTH_PROBLEMS,
            "400": _problem("A query parameter Keel cannot read (explain must be true or false)."),
            "403": _problem("The key may not score this model."),
            "404": _problem("No model matches the reference."),
            "413": _problem("More rows or bytes than the server takes in one request."),
            "415": _problem("A body that is neither JSON nor CSV."),
            "422": _problem("Rows that do not fit the model, naming the row and column."),
        },
    }


def openapi_document(version: str = "1") -> dict[str, Any]:
    """The document served at ``/openapi.json``."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Keel scoring API",
            "version": version,
            "description": "Predictions from the models in Keel's registry. Every path but /health needs an API "
            "key (`python -m core apikey create NAME`), sent as `Authorization: Bearer KEY`.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/health": {
                "get": {
                    "summary": "Is the server up?",
                    "operationId": "health",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The server answers.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["status"],
                                        "properties": {"status": {"const": "ok"}},
                                    }
                                }
                            },
                        }
                    },
                }
            },
            "/v1/models": {
                "get": {
                    "summary": "The models this key may score",
                    "operationId": "listModels",
                    "responses": {
                        "200": {
                            "description": "The models.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["models"],
                                        "properties": {
                                            "models": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Model"},
                                            }
                                        },
                                    }
                                }
                            },
                        },
                        **_AUTH_PROBLEMS,
                    },
                }
            },
            "/v1/models/{ref}/predict": {"post": _predict_operation()},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _SCHEMAS,
        },
    }
