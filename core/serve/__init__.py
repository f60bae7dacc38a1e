"""The scoring API (``python -m core serve``): other programs ask Keel's registry for predictions over HTTP.

===============  ==========================================================================================
``app``          the Starlette application: endpoints, checks in order, problem details
``keys``         API keys (only their hash is stored), scopes, the per-key rate limit
``scoring``      the model a reference names now (looked up again each second; loaded once per fingerprint),
                 JSON or CSV rows, the CLI's checks
``plain``        the fast path: JSON rows checked in plain Python, anything in doubt left to the CLI's check
``batching``     small requests for one model arriving together, scored in one call
``explaining``   ``?explain=true``: the CLI's contribution columns and a sentence per row
``inputs``       the rows scored, kept as monitored batches only with --keep-inputs
``traffic``      request counts and latency, written to the store in batches
``openapi``      the OpenAPI 3.1 document served at /openapi.json
``server``       running it with uvicorn on a socket Keel binds itself (a port in use is a plain error)
===============  ==========================================================================================
"""

from core.serve.app import Settings, create_app
from core.serve.keys import in_scope, new_key
from core.serve.openapi import openapi_document
from core.serve.server import serve

__all__ = ["Settings", "create_app", "in_scope", "new_key", "openapi_document", "serve"]
