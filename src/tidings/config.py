"""Settings, read once at start-up and passed down.

Values come from command-line flags, then `TIDINGS_*` environment variables, then defaults. A
malformed value stops start-up with a message naming the variable. Nothing else reads `os.environ`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from tidings.errors import InvalidInput

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DatabaseSettings",
    "LoggingSettings",
    "ProcessorSettings",
    "SenderSettings",
    "ServerSettings",
    "Settings",
    "SMTP_ROUTES",
    "SmtpRoute",
    "SmtpSettings",
    "StartTlsMode",
    "load_settings",
]

DEFAULT_DATABASE_URL = "sqlite:///tidings.db"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str = DEFAULT_DATABASE_URL
    # How many independent streams the message log is split into; a processor owns one at a time.
    log_partitions: int = 4


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    tls_certificate: Path | None = None
    tls_key: Path | None = None
    # Base URL the Track API tells clients to use (`GET /api/v1/accounts/region`); derived from
    # the request when unset.
    public_track_url: str | None = None


@dataclass(frozen=True, slots=True)
class ProcessorSettings:
    # Messages applied per transaction. Unset: 50 on SQLite, whose one write lock the API waits
    # for while a batch runs, and 200 on PostgreSQL, where writers do not wait for each other.
    batch_size: int | None = None
    # How often an idle processor looks for work written by other processes.
    idle_poll_seconds: float = 0.2


@dataclass(frozen=True, slots=True)
class SenderSettings:
    # Processes that render and compose emails beside the sender's own, which keeps the database
    # and the SMTP connections. 0 renders in a thread of the sender's process (tests use that).
    render_processes: int = 1


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    level: str = "INFO"
    format: str = "json"


class StartTlsMode(StrEnum):
    """Whether a plain SMTP connection is upgraded with STARTTLS (RFC 3207)."""

    REQUIRED = "required"  # refuse to send over a server that does not offer it
    OPPORTUNISTIC = "opportunistic"  # upgrade when offered, as Customer.io does
    OFF = "off"


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    # Unset: no SMTP server is configured, and email cannot leave this installation.
    host: str | None = None
    # Customer.io refuses port 25 ("You cannot use port 25"); 587 (submission) is the usual choice.
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: StartTlsMode = StartTlsMode.OPPORTUNISTIC
    # Implicit TLS from the first byte (usually port 465); STARTTLS does not apply then.
    tls: bool = False
    timeout_seconds: float = 30.0
    # Connections kept open to the server; sends beyond this many wait for a free one.
    max_connections: int = 4


# The kinds of email Customer.io lets a workspace send through a server of their own (its "Multiple
# SMTP servers" routes); the values of tidings.messaging.MessageType.
SMTP_ROUTES = frozenset(
    {"transactional", "newsletter", "segment_triggered", "event_triggered", "triggered_broadcast"}
)


@dataclass(frozen=True, slots=True)
class SmtpRoute:
    """Another SMTP server, for the kinds of email in `message_types`; the rest use `smtp`."""

    name: str
    message_types: frozenset[str]
    smtp: SmtpSettings


@dataclass(frozen=True, slots=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    processor: ProcessorSettings = field(default_factory=ProcessorSettings)
    sender: SenderSettings = field(default_factory=SenderSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    # The server for every email no route claims ("All Emails" at Customer.io).
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    smtp_routes: tuple[SmtpRoute, ...] = ()


def load_settings(environ: Mapping[str, str], **overrides: Any) -> Settings:
    """Build settings from environment variables; `overrides` (from flags) win when not None.

    Override keys are `section__field`, e.g. `server__port=9000`.
    """
    env = _Environment(environ)
    settings = Settings(
        database=DatabaseSettings(
            url=env.get("TIDINGS_DATABASE_URL", str, DEFAULT_DATABASE_URL),
            log_partitions=env.get("TIDINGS_LOG_PARTITIONS", _positive_int, 4),
        ),
        server=ServerSettings(
            host=env.get("TIDINGS_HOST", str, "127.0.0.1"),
            port=env.get("TIDINGS_PORT", _port, 8080),
            tls_certificate=env.get("TIDINGS_TLS_CERTIFICATE", Path, None),
            tls_key=env.get("TIDINGS_TLS_KEY", Path, None),
            public_track_url=env.get("TIDINGS_PUBLIC_TRACK_URL", str, None),
        ),
        processor=ProcessorSettings(
            batch_size=env.get("TIDINGS_PROCESSOR_BATCH_SIZE", _positive_int, None),
            idle_poll_seconds=env.get("TIDINGS_PROCESSOR_IDLE_POLL_SECONDS", _positive_float, 0.2),
        ),
        sender=SenderSettings(
            render_processes=env.get("TIDINGS_SENDER_RENDER_PROCESSES", _non_negative_int, 1),
        ),
        logging=LoggingSettings(
            level=env.get("TIDINGS_LOG_LEVEL", _log_level, "INFO"),
            format=env.get("TIDINGS_LOG_FORMAT", _log_format, "json"),
        ),
        smtp=_smtp_settings(env, "TIDINGS_SMTP_"),
        smtp_routes=_smtp_routes(env),
    )
    return _apply_overrides(settings, overrides)


def _smtp_settings(env: _Environment, prefix: str) -> SmtpSettings:
    return SmtpSettings(
        host=env.get(f"{prefix}HOST", str, None),
        port=env.get(f"{prefix}PORT", _smtp_port, 587),
        username=env.get(f"{prefix}USERNAME", str, None),
        password=env.get(f"{prefix}PASSWORD", str, None),
        starttls=env.get(f"{prefix}STARTTLS", _starttls_mode, StartTlsMode.OPPORTUNISTIC),
        tls=env.get(f"{prefix}TLS", _boolean, False),
        timeout_seconds=env.get(f"{prefix}TIMEOUT_SECONDS", _positive_float, 30.0),
        max_connections=env.get(f"{prefix}MAX_CONNECTIONS", _positive_int, 4),
    )


def _smtp_routes(env: _Environment) -> tuple[SmtpRoute, ...]:
    """The servers `TIDINGS_SMTP_SERVERS` names, each configured as `TIDINGS_SMTP_<NAME>_*` with the
    same keys as the default server plus `_ROUTE`, the kinds of email it carries."""
    names = env.get("TIDINGS_SMTP_SERVERS", _names, ())
    routes = []
    claimed: dict[str, str] = {}
    for name in names:
        prefix = f"TIDINGS_SMTP_{name.upper()}_"
        smtp = _smtp_settings(env, prefix)
        if smtp.host is None:
            raise InvalidInput(f"{prefix}HOST is required for the SMTP server {name!r}", field=f"{prefix}HOST")
        message_types = env.get(f"{prefix}ROUTE", _route, frozenset())
        if not message_types:
            raise InvalidInput(f"{prefix}ROUTE must name the kinds of email {name!r} sends", field=f"{prefix}ROUTE")
        for message_type in sorted(message_types):
            if message_type in claimed:
                raise InvalidInput(
                    f"{prefix}ROUTE: {message_type} is already sent through {claimed[message_type]!r}",
                    field=f"{prefix}ROUTE",
                )
            claimed[message_type] = name
        _check_tls(smtp, prefix)
        routes.append(SmtpRoute(name=name, message_types=message_types, smtp=smtp))
    if routes and env.get("TIDINGS_SMTP_HOST", str, None) is None:
        # Customer.io keeps one server on "All Emails" as the fallback.
        raise InvalidInput("TIDINGS_SMTP_HOST is required when TIDINGS_SMTP_SERVERS is set", field="TIDINGS_SMTP_HOST")
    return tuple(routes)


def _apply_overrides(settings: Settings, overrides: Mapping[str, Any]) -> Settings:
    for key, value in overrides.items():
        if value is None:
            continue
        section_name, _, field_name = key.partition("__")
        section = getattr(settings, section_name)
        settings = dataclasses.replace(settings, **{section_name: dataclasses.replace(section, **{field_name: value})})
    if (settings.server.tls_certificate is None) != (settings.server.tls_key is None):
        raise InvalidInput("TLS needs both a certificate and a key", field="TIDINGS_TLS_CERTIFICATE")
    _check_tls(settings.smtp, "TIDINGS_SMTP_")
    return settings


def _check_tls(smtp: SmtpSettings, prefix: str) -> None:
    if smtp.tls and smtp.starttls is StartTlsMode.REQUIRED:
        raise InvalidInput(
            f"{prefix}TLS connects with TLS from the start; STARTTLS cannot also be required",
            field=f"{prefix}STARTTLS",
        )


class _Environment:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def get(self, name: str, cast: Callable[[str], T], default: T) -> T:
        raw = self._environ.get(name)
        if raw is None or raw == "":
            return default
        try:
            return cast(raw)
        except ValueError as exc:
            raise InvalidInput(f"{name}: {exc}", field=name) from None


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(f"must be a positive integer, got {raw!r}")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(f"must be 0 or a positive integer, got {raw!r}")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError(f"must be a positive number, got {raw!r}")
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 65535:
        raise ValueError(f"must be a port number, got {raw!r}")
    return value


def _smtp_port(raw: str) -> int:
    value = _port(raw)
    if value == 25:
        # Customer.io: "You cannot use port 25"; submission ports are 587, 465 and 2525.
        raise ValueError("port 25 is not allowed; use 587 (STARTTLS), 465 (TLS) or 2525")
    return value


def _starttls_mode(raw: str) -> StartTlsMode:
    try:
        return StartTlsMode(raw.strip().lower())
    except ValueError:
        raise ValueError(f"must be required, opportunistic or off, got {raw!r}") from None


def _boolean(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"must be true or false, got {raw!r}")


def _names(raw: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in raw.split(",") if name.strip())
    for name in names:
        if not name.replace("_", "").isalnum():
            raise ValueError(f"server names may hold letters, digits and underscores, got {name!r}")
    if len({name.upper() for name in names}) != len(names):
        raise ValueError("server names must differ")
    return names


def _route(raw: str) -> frozenset[str]:
    kinds = frozenset(kind.strip().lower() for kind in raw.split(",") if kind.strip())
    unknown = kinds - SMTP_ROUTES
    if unknown:
        raise ValueError(f"must be among {', '.join(sorted(SMTP_ROUTES))}, got {', '.join(sorted(unknown))}")
    return kinds


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError(f"must be DEBUG, INFO, WARNING or ERROR, got {raw!r}")
    return level


def _log_format(raw: str) -> str:
    if raw not in {"json", "text"}:
        raise ValueError(f"must be json or text, got {raw!r}")
    return raw
