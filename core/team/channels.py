"""Delivering one message: e-mail over SMTP (STARTTLS and a login whose password comes from the environment),
or a webhook (generic JSON, Slack's incoming-webhook shape, a Teams Adaptive Card) with urllib.

:func:`deliver` returns '' when the message went out, else the reason in plain words (never the password,
never a webhook's secret path), which the outbox keeps as its last error.

SMTP settings: ``KEEL_SMTP_HOST``, ``KEEL_SMTP_PORT`` (587; 465 means TLS from the start), ``KEEL_SMTP_USER``,
``KEEL_SMTP_PASSWORD``, ``KEEL_SMTP_FROM`` (the user by default), ``KEEL_SMTP_STARTTLS`` (yes; ``no`` only for
a relay that needs no login), ``KEEL_SMTP_CA_FILE`` (a CA bundle for a server with a private certificate).
"""

from __future__ import annotations

import json
import os
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from core.team.messages import message_text

TIMEOUT_SECONDS = 15.0
NO_WORDS = ("no", "false", "0", "off")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str
    password: str
    sender: str
    starttls: bool
    ca_file: str

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


class SettingsError(Exception):
    """E-mail is not set up well enough to try (the message says which variable)."""


def smtp_settings() -> SmtpSettings:
    """The SMTP settings from the environment; :class:`SettingsError` when they cannot work."""
    env = os.environ
    host = env.get("KEEL_SMTP_HOST", "").strip()
    if not host:
        raise SettingsError(
            "E-mail is not set up: KEEL_SMTP_HOST is not set. Set KEEL_SMTP_HOST, KEEL_SMTP_PORT, KEEL_SMTP_USER, "
            "KEEL_SMTP_PASSWORD and KEEL_SMTP_FROM where Keel runs."
        )
    raw_port = env.get("KEEL_SMTP_PORT", "587").strip() or "587"
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        raise SettingsError(f"KEEL_SMTP_PORT is '{raw_port}', which is not a port number (587 is usual).")
    user, password = env.get("KEEL_SMTP_USER", "").strip(), env.get("KEEL_SMTP_PASSWORD", "")
    if user and not password:
        raise SettingsError(f"KEEL_SMTP_USER is '{user}' but KEEL_SMTP_PASSWORD is not set.")
    sender = env.get("KEEL_SMTP_FROM", "").strip() or user
    if "@" not in sender:
        raise SettingsError("E-mail has no sender: set KEEL_SMTP_FROM to the address alerts come from.")
    starttls = env.get("KEEL_SMTP_STARTTLS", "yes").strip().lower() not in NO_WORDS
    port = int(raw_port)
    if user and not starttls and port != 465:
        raise SettingsError(
            "KEEL_SMTP_STARTTLS is off but a login is set: Keel does not send a password unencrypted. "
            "Turn STARTTLS on, or use port 465."
        )
    return SmtpSettings(host, port, user, password, sender, starttls, env.get("KEEL_SMTP_CA_FILE", "").strip())


def _hide(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.ca_file or None)


def _server_answer(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}".strip()


def send_email(to: str, subject: str, text: str, settings: SmtpSettings) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.sender, to, subject
    message["Message-ID"] = make_msgid(domain=settings.sender.rsplit("@", 1)[-1])
    message.set_content(text)
    context = _tls_context(settings)
    if settings.port == 465:
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
    with client:
        client.ehlo()
        if settings.starttls and settings.port != 465:
            client.starttls(context=context)
            client.ehlo()
        if settings.user:
            client.login(settings.user, settings.password)
        client.send_message(message)


def email_error(exc: BaseException, settings: SmtpSettings) -> str:
    """What went wrong with the mail server, in plain words with the server's own answer (no password)."""
    where = settings.where
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        why = f"The mail server {where} refused the login for '{settings.user}': {_server_answer(exc)}. "
        why += "Check KEEL_SMTP_USER and KEEL_SMTP_PASSWORD."
    elif isinstance(exc, smtplib.SMTPNotSupportedError) or "STARTTLS" in str(exc):
        why = f"The mail server {where} does not offer STARTTLS, so Keel did not log in or send."
    elif isinstance(exc, ssl.SSLCertVerificationError):
        why = (
            f"The mail server {where}'s certificate could not be verified ({exc.verify_message}). If it uses a "
            "private certificate authority, set KEEL_SMTP_CA_FILE to its certificate."
        )
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = "; ".join(f"{r}: {c} {m.decode('utf-8', 'replace')}" for r, (c, m) in exc.recipients.items())
        why = f"The mail server {where} refused the recipient ({answers})."
    elif isinstance(exc, smtplib.SMTPResponseException):
        why = f"The mail server {where} answered {_server_answer(exc)}."
    elif isinstance(exc, (socket.timeout, TimeoutError)):
        why = f"The mail server {where} did not answer within {TIMEOUT_SECONDS:.0f} seconds."
    elif isinstance(exc, OSError):
        why = (
            f"Could not reach the mail server {where} ({exc.strerror or exc}). Check KEEL_SMTP_HOST and KEEL_SMTP_PORT."
        )
    else:
        why = f"Sending e-mail through {where} failed ({type(exc).__name__})."
    return _hide(why, settings.password)


# --------------------------------------------------------------------------- webhooks


def shown_target(kind: str, target: str) -> str:
    """A channel's target as it may be shown and logged: a webhook's path often is its secret, so only the
    address and the last 4 characters are shown."""
    if kind == "email":
        return target
    parts = urlsplit(target)
    tail = target.rstrip("/")[-4:]
    return f"{parts.scheme}://{parts.netloc}/…{tail}" if parts.path.strip("/") else f"{parts.scheme}://{parts.netloc}"


def payload(kind: str, subject: str, body: Mapping[str, Any], text: str) -> dict[str, Any]:
    """The JSON a webhook of this kind expects."""
    if kind == "slack":
        return {"text": text}
    if kind == "teams":
        facts = [{"type": "TextBlock", "text": c, "wrap": True} for c in body.get("changes") or [] if c]
        card = {
            "type": "AdaptiveCard",
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "text": subject, "weight": "Bolder", "size": "Medium", "wrap": True},
                *facts,
                {"type": "TextBlock", "text": str(body.get("recommendation") or ""), "wrap": True},
            ],
            "actions": [{"type": "Action.OpenUrl", "title": "Open Keel", "url": str(body.get("link") or "")}],
        }
        return {
            "type": "message",
            "summary": subject,
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
        }
    return {"source": "keel", "subject": subject, "text": text, **dict(body)}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a webhook that redirects is answered as an error, not followed with the message


def post_json(url: str, data: Mapping[str, Any]) -> str:
    """POST ``data`` as JSON; '' on a 2xx answer, else why not (the address shown without its secret path)."""
    where = shown_target("webhook", url)
    request = urllib.request.Request(
        url,
        data=json.dumps(data).encode("utf-8"),
        headers={"Content-Type": "application/json", "User-Agent": "Keel-alerts"},
        method="POST",
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as answer:
            answer.read(1024)
            return ""
    except urllib.error.HTTPError as exc:
        return f"The webhook at {where} answered {exc.code} ({exc.reason})."
    except urllib.error.URLError as exc:
        reason = exc.reason.strerror if isinstance(exc.reason, OSError) and exc.reason.strerror else exc.reason
        return f"Could not reach the webhook at {where} ({reason})."
    except TimeoutError:
        return f"The webhook at {where} did not answer within {TIMEOUT_SECONDS:.0f} seconds."
    except OSError as exc:
        return f"Could not reach the webhook at {where} ({exc.strerror or type(exc).__name__})."


def deliver(kind: str, target: str, subject: str, body: Mapping[str, Any]) -> str:
    """Send one message to one channel; '' when it went out, else why not."""
    text = message_text(body)
    if kind == "email":
        try:
            settings = smtp_settings()
        except SettingsError as exc:
            return str(exc)
        try:
            send_email(target, f"Keel: {subject}", text, settings)
        except (smtplib.SMTPException, OSError) as exc:
            return email_error(exc, settings)
        return ""
    if kind in ("webhook", "slack", "teams"):
        return post_json(target, payload(kind, subject, body, text))
    return f"This alert's channel was removed (kind '{kind}'), so it cannot be delivered."
