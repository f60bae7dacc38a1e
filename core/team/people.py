"""Who is using Keel and what their role lets them do.

Single-user mode (the default: no people in the store, no ``KEEL_ADMINS``, no ``KEEL_TRUSTED_PROXY``) needs no
login and allows everything, as Keel always did. A team is configured as soon as any of those exists; then:

* in the app, the person comes from a login proxy's header (``X-Forwarded-User`` / ``X-Forwarded-Email``, set
  by oauth2-proxy or nginx ``auth_request``), trusted only from the addresses in ``KEEL_TRUSTED_PROXY``
  (addresses or networks, comma-separated), or from Streamlit's own OIDC login (``st.user``);
* on the command line, the person is ``KEEL_USER`` or the operating-system login;
* the role is the store's (``python -m core people add NAME --role ROLE``), ``admin`` for the names in
  ``KEEL_ADMINS`` (the first admin of a fresh server), else ``KEEL_DEFAULT_ROLE`` when set, else none: a person
  the proxy let in but nobody gave a role is refused, with the command an admin runs to let them in.

:func:`permitted` is the pure rule of what a role may do; :func:`identify` is what a page calls with its
request's headers and remote address; :func:`require` is what a command that changes things calls first.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core import store
from core.errors import AccessDenied
from core.store.roles import PERMISSIONS, ROLE_PERMISSIONS, refusal

# The permission each command of `python -m core` needs when a team is configured (the CLI's entry point checks
# it with `require`). Commands missing here only read (``view``).
COMMAND_PERMISSIONS: dict[str, str] = {
    "train": "train",
    "retrain": "retrain",
    "rollback": "promote",
    "monitor": "upload",
    "restore": "restore",
    "apikey": "manage_people",
    "people add": "manage_people",
    "people remove": "manage_people",
    "alerts add": "manage_alerts",
    "alerts remove": "manage_alerts",
    "alerts send": "manage_alerts",
    "schedule add": "manage_schedules",
    "schedule remove": "manage_schedules",
    "scheduler": "manage_schedules",
}

USER_HEADER = "x-forwarded-user"
EMAIL_HEADER = "x-forwarded-email"
LOGIN_HEADERS = (USER_HEADER, EMAIL_HEADER)


def permitted(role: str | None, permission: str) -> bool:
    """Whether ``role`` may do ``permission`` (``None``: single-user mode, where everything is allowed)."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")  # a bug in the caller, not the user's input
    if role is None:
        return True
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


# --------------------------------------------------------------------------- settings


def _names(variable: str) -> list[str]:
    return [part.strip() for part in os.environ.get(variable, "").split(",") if part.strip()]


def admins_from_env() -> list[str]:
    """The people ``KEEL_ADMINS`` names (comma-separated): admins whatever the store says."""
    return _names("KEEL_ADMINS")


def trusted_proxies() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The login proxy's addresses from ``KEEL_TRUSTED_PROXY`` (addresses or networks such as 10.0.0.0/24)."""
    found = []
    for part in _names("KEEL_TRUSTED_PROXY"):
        try:
            found.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise AccessDenied(
                f"KEEL_TRUSTED_PROXY holds '{part}', which is not an address or a network.",
                "Set it to your login proxy's addresses, comma-separated, e.g. KEEL_TRUSTED_PROXY=127.0.0.1,10.0.0.5.",
            ) from None
    return found


def default_role() -> str | None:
    role = os.environ.get("KEEL_DEFAULT_ROLE", "").strip().lower()
    if not role:
        return None
    if role not in store.ROLES:
        raise AccessDenied(
            f"KEEL_DEFAULT_ROLE is '{role}', which is not a role.",
            f"Use one of: {', '.join(store.ROLES)}, or unset it.",
        )
    return role


def team_configured() -> bool:
    """Whether Keel runs for a team: someone has a role in the store, or KEEL_ADMINS / KEEL_TRUSTED_PROXY is set."""
    if admins_from_env() or _names("KEEL_TRUSTED_PROXY"):
        return True
    return bool(store.list_people())


def role_of(name: str, email: str = "") -> tuple[str, str, str] | None:
    """(name, email, role) of a person known by name or e-mail address; None when nobody gave them a role."""
    admins = {a.lower() for a in admins_from_env()}
    for key in (name, email):
        if key and key.lower() in admins:
            person = store.get_person(key)
            return key, (person.email if person else "") or email, "admin"
    for key in (name, email):
        person = store.get_person(key) if key else None
        if person is not None:
            return person.name, person.email or email, person.role
    if email:
        for person in store.list_people():
            if person.email and person.email.lower() == email.lower():
                return person.name, person.email, person.role
    return None


# --------------------------------------------------------------------------- the app: who is this request?


@dataclass(frozen=True)
class Access:
    """Who is using Keel and what they may do; or, when ``refusal`` is set, why they may not use it at all."""

    person: str | None  # None in single-user mode
    role: str | None  # None in single-user mode (everything allowed)
    email: str = ""
    source: str = "single-user"  # single-user | proxy | oidc | cli
    refusal: str = ""  # non-empty: show it (and the hint) and stop
    hint: str = ""
    login_needed: bool = False  # an OIDC login (st.login) would let them in

    @property
    def allowed(self) -> bool:
        return not self.refusal

    @property
    def team(self) -> bool:
        return self.source != "single-user"

    def may(self, permission: str) -> bool:
        return self.allowed and permitted(self.role, permission)

    def why_not(self, permission: str) -> str:
        """The sentence a page shows beside a control this person cannot use ('' when they can)."""
        if self.may(permission):
            return ""
        if self.refusal:
            return self.refusal
        return refusal(self.person, self.role or "", permission) + " An admin can change your role."

    def to_json(self) -> dict[str, Any]:
        return {
            "person": self.person,
            "role": self.role,
            "email": self.email,
            "source": self.source,
            "allowed": self.allowed,
            "refusal": self.refusal or None,
            "hint": self.hint or None,
            "permissions": [p for p in PERMISSIONS if self.may(p)],
        }


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value).strip()
    return ""


def _peer(remote_address: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The connection's address; None (what ``st.context.ip_address`` gives for localhost) is loopback."""
    text = (remote_address or "127.0.0.1").strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _refused(refusal: str, hint: str, source: str = "proxy", person: str | None = None) -> Access:
    return Access(person, None, source=source, refusal=refusal, hint=hint)


def _with_role(name: str, email: str, source: str) -> Access:
    known = role_of(name, email)
    if known is not None:
        return Access(known[0], known[2], email=known[1], source=source)
    fallback = default_role()
    if fallback is not None:
        return Access(name or email, fallback, email=email, source=source)
    who = name or email
    return _refused(
        f"{who} is signed in but has no role in Keel yet.",
        f"Ask an admin to run `python -m core people add {who} --role viewer` (or editor).",
        source,
        who,
    )


def identify(
    headers: Mapping[str, str], remote_address: str | None, oidc_user: Mapping[str, Any] | None = None
) -> Access:
    """Who sent this request, and their role; or a plain refusal.

    ``headers``: the request's headers (``st.context.headers``); ``remote_address``: the address the connection
    came from (``st.context.ip_address``, which is None for localhost: None counts as 127.0.0.1);
    ``oidc_user``: ``st.user.to_dict()`` where Streamlit's own OIDC login is configured, else None.

    A login header is trusted only when ``KEEL_TRUSTED_PROXY`` lists the connection's address; from any other
    address it is refused, never silently trusted.
    """
    user, email = _header(headers, USER_HEADER), _header(headers, EMAIL_HEADER)
    proxies = trusted_proxies()
    peer = _peer(remote_address)
    shown = remote_address or "127.0.0.1 (this computer)"
    from_proxy = peer is not None and any(peer in net for net in proxies)
    if (user or email) and not from_proxy:
        if proxies:
            return _refused(
                f"A login header ({'X-Forwarded-User' if user else 'X-Forwarded-Email'}) arrived from {shown}, "
                "which is not Keel's login proxy, so Keel did not trust it.",
                "Open Keel through the login proxy's address; an admin can list the proxy's address in "
                "KEEL_TRUSTED_PROXY if it is the proxy.",
            )
        return _refused(
            f"A login header arrived from {shown}, but Keel is not set up to trust any login proxy.",
            "Set KEEL_TRUSTED_PROXY to the login proxy's address (e.g. KEEL_TRUSTED_PROXY=127.0.0.1) and restart "
            "Keel, or open Keel directly without the proxy.",
        )
    if from_proxy and (user or email):
        return _with_role(user or email, email, "proxy")
    if oidc_user and oidc_user.get("is_logged_in"):
        name = str(oidc_user.get("email") or oidc_user.get("preferred_username") or oidc_user.get("sub") or "")
        return _with_role(name, str(oidc_user.get("email") or ""), "oidc")
    if not team_configured():
        return Access(None, None)
    if oidc_user is not None:
        return Access(
            None,
            None,
            source="oidc",
            refusal="Please sign in to use Keel.",
            hint="Keel is shared by a team: sign in with your work account.",
            login_needed=True,
        )
    if from_proxy:
        return _refused(
            f"The login proxy at {shown} did not say who you are (no X-Forwarded-User or X-Forwarded-Email header).",
            "Set the proxy to pass the user (oauth2-proxy: --pass-user-headers; nginx: proxy_set_header "
            "X-Forwarded-User $user).",
        )
    if proxies:
        return _refused(
            f"Keel is shared by a team and this request came from {shown}, not through the login proxy.",
            "Open Keel through the team's login address (the proxy signs you in).",
        )
    return _refused(
        "Keel is set up for a team (people have roles), but no login is configured, so it cannot tell who you are.",
        "Set KEEL_TRUSTED_PROXY to your login proxy's address (see deploy/), or configure Streamlit's OIDC login. "
        "To use Keel alone again, remove the people: `python -m core people remove NAME`.",
        source="single-user",
    )


# --------------------------------------------------------------------------- the command line


def cli_person() -> str:
    """The person running a command: ``KEEL_USER``, else the operating-system login."""
    name = os.environ.get("KEEL_USER", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (e.g. a container user without a passwd entry)
        return ""


def cli_access() -> Access:
    if not team_configured():
        return Access(None, None)
    name = cli_person()
    if not name:
        return _refused(
            "Keel is shared by a team, but this command cannot tell who you are.",
            "Set KEEL_USER to your name in Keel (as `python -m core people` lists it).",
            "cli",
        )
    known = role_of(name)
    if known is None:
        return _refused(
            f"'{name}' has no role in Keel, which is shared by a team.",
            f"Set KEEL_USER to your name in Keel (`python -m core people` lists them), or ask an admin to run "
            f"`python -m core people add {name} --role editor`.",
            "cli",
            name,
        )
    return Access(known[0], known[2], email=known[1], source="cli")


def require(permission: str) -> Access:
    """Check that whoever runs this command may do ``permission``; record them as the actor of what follows.

    Single-user mode allows everything. With a team, the person is ``KEEL_USER`` or the operating-system login;
    a refusal raises :class:`AccessDenied` (the CLI prints it and exits 2).
    """
    access = cli_access()
    if not access.allowed:
        raise AccessDenied(access.refusal, access.hint)
    if not access.may(permission):
        raise AccessDenied(
            access.why_not(permission).replace(" An admin can change your role.", ""),
            "Ask an admin to give you a role that allows it: `python -m core people add NAME --role editor`.",
        )
    if access.person:
        store.set_actor(access.person, access.role)
    return access


def permission_for(command: str, action: str | None = None) -> str:
    """The permission a command line needs (``command`` as typed, ``action`` its sub-command if any)."""
    if action and f"{command} {action}" in COMMAND_PERMISSIONS:
        return COMMAND_PERMISSIONS[f"{command} {action}"]
    return COMMAND_PERMISSIONS.get(command, "view")
