"""Settings from the environment: each section read once, a bad value named at start-up."""

from __future__ import annotations

import pytest

from tidings.config import SMTP_ROUTES, SenderSettings, SmtpRoute, SmtpSettings, StartTlsMode, load_settings
from tidings.errors import InvalidInput
from tidings.messaging import MessageType


class TestSmtpSettings:
    def test_unset_means_no_smtp_server(self) -> None:
        assert load_settings({}).smtp == SmtpSettings()
        assert SmtpSettings().host is None

    def test_every_variable_is_read(self) -> None:
        smtp = load_settings(
            {
                "TIDINGS_SMTP_HOST": "smtp.example.com",
                "TIDINGS_SMTP_PORT": "465",
                "TIDINGS_SMTP_USERNAME": "apikey",
                "TIDINGS_SMTP_PASSWORD": "s3cret",
                "TIDINGS_SMTP_STARTTLS": "Off",
                "TIDINGS_SMTP_TLS": "true",
                "TIDINGS_SMTP_TIMEOUT_SECONDS": "7.5",
                "TIDINGS_SMTP_MAX_CONNECTIONS": "8",
            }
        ).smtp

        assert smtp == SmtpSettings(
            host="smtp.example.com",
            port=465,
            username="apikey",
            password="s3cret",
            starttls=StartTlsMode.OFF,
            tls=True,
            timeout_seconds=7.5,
            max_connections=8,
        )

    def test_password_stays_out_of_the_repr(self) -> None:
        assert "s3cret" not in repr(SmtpSettings(host="h", password="s3cret"))

    @pytest.mark.parametrize(
        ("name", "value", "reason"),
        [
            ("TIDINGS_SMTP_PORT", "25", "port 25 is not allowed"),
            ("TIDINGS_SMTP_PORT", "70000", "must be a port number"),
            ("TIDINGS_SMTP_STARTTLS", "maybe", "must be required, opportunistic or off"),
            ("TIDINGS_SMTP_TLS", "sometimes", "must be true or false"),
            ("TIDINGS_SMTP_TIMEOUT_SECONDS", "0", "must be a positive number"),
            ("TIDINGS_SMTP_MAX_CONNECTIONS", "0", "must be a positive integer"),
        ],
    )
    def test_malformed_value_is_named(self, name: str, value: str, reason: str) -> None:
        with pytest.raises(InvalidInput, match=reason) as caught:
            load_settings({name: value})
        assert caught.value.field == name

    def test_implicit_tls_with_required_starttls_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            load_settings({"TIDINGS_SMTP_TLS": "1", "TIDINGS_SMTP_STARTTLS": "required"})
        assert caught.value.field == "TIDINGS_SMTP_STARTTLS"


class TestSmtpRoutes:
    ROUTED = {
        "TIDINGS_SMTP_HOST": "smtp.example.com",
        "TIDINGS_SMTP_SERVERS": "receipts, bulk",
        "TIDINGS_SMTP_RECEIPTS_HOST": "receipts.example.com",
        "TIDINGS_SMTP_RECEIPTS_ROUTE": "transactional",
        "TIDINGS_SMTP_BULK_HOST": "bulk.example.com",
        "TIDINGS_SMTP_BULK_PORT": "2525",
        "TIDINGS_SMTP_BULK_ROUTE": "Newsletter, triggered_broadcast",
    }

    def test_each_named_server_carries_its_kinds_of_email(self) -> None:
        routes = load_settings(self.ROUTED).smtp_routes

        assert routes == (
            SmtpRoute("receipts", frozenset({"transactional"}), SmtpSettings(host="receipts.example.com")),
            SmtpRoute("bulk", frozenset({"newsletter", "triggered_broadcast"}), SmtpSettings(host="bulk.example.com", port=2525)),
        )

    def test_routes_name_the_kinds_of_email_messaging_knows(self) -> None:
        assert SMTP_ROUTES == {kind.value for kind in MessageType}

    @pytest.mark.parametrize(
        ("changes", "field", "reason"),
        [
            ({"TIDINGS_SMTP_HOST": ""}, "TIDINGS_SMTP_HOST", "required when TIDINGS_SMTP_SERVERS is set"),
            ({"TIDINGS_SMTP_BULK_HOST": ""}, "TIDINGS_SMTP_BULK_HOST", "required for the SMTP server 'bulk'"),
            ({"TIDINGS_SMTP_BULK_ROUTE": ""}, "TIDINGS_SMTP_BULK_ROUTE", "must name the kinds of email"),
            ({"TIDINGS_SMTP_BULK_ROUTE": "everything"}, "TIDINGS_SMTP_BULK_ROUTE", "got everything"),
            ({"TIDINGS_SMTP_BULK_ROUTE": "transactional"}, "TIDINGS_SMTP_BULK_ROUTE", "already sent through 'receipts'"),
            ({"TIDINGS_SMTP_BULK_PORT": "25"}, "TIDINGS_SMTP_BULK_PORT", "port 25 is not allowed"),
            ({"TIDINGS_SMTP_SERVERS": "a-b"}, "TIDINGS_SMTP_SERVERS", "letters, digits and underscores"),
            ({"TIDINGS_SMTP_SERVERS": "bulk,BULK"}, "TIDINGS_SMTP_SERVERS", "must differ"),
        ],
    )
    def test_misconfigured_route_is_named(self, changes: dict[str, str], field: str, reason: str) -> None:
        with pytest.raises(InvalidInput, match=reason) as caught:
            load_settings({**self.ROUTED, **changes})
        assert caught.value.field == field


class TestSenderSettings:
    def test_one_render_process_unless_set(self) -> None:
        assert load_settings({}).sender == SenderSettings(render_processes=1)
        assert load_settings({"TIDINGS_SENDER_RENDER_PROCESSES": "0"}).sender.render_processes == 0
        assert load_settings({"TIDINGS_SENDER_RENDER_PROCESSES": "3"}).sender.render_processes == 3

    def test_a_negative_count_is_named(self) -> None:
        with pytest.raises(InvalidInput, match="must be 0 or a positive integer") as caught:
            load_settings({"TIDINGS_SENDER_RENDER_PROCESSES": "-1"})
        assert caught.value.field == "TIDINGS_SENDER_RENDER_PROCESSES"
