"""Test sends: a template rendered for a sample person and mailed to up to 25 addresses, as
Customer.io's "Send test" does. They never create deliveries: `delivery_id` renders `unsent`,
links are left untracked, there is no List-Unsubscribe header and BCC addresses get nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tidings.errors import InvalidInput, LimitExceeded
from tidings.messaging.email import OutboundEmail, parse_addresses
from tidings.messaging.email_content import render_email
from tidings.messaging.languages import check_language_code
from tidings.messaging.types import Layout, TransactionalMessage
from tidings.people import Person
from tidings.workspaces import Workspace

__all__ = ["MAX_TEST_RECIPIENTS", "TEST_DELIVERY_ID", "compose_test_emails"]

MAX_TEST_RECIPIENTS = 25
TEST_DELIVERY_ID = "unsent"
_SUBJECT_PREFIX = "[TEST] "
_NO_SNIPPETS: Mapping[str, str] = {}


def compose_test_emails(
    template: TransactionalMessage,
    *,
    workspace: Workspace,
    person: Person | None,
    recipients: list[str],
    message_data: dict[str, Any],
    is_subject_prefixed: bool,
    language: str | None = None,
    snippets: Mapping[str, str] = _NO_SNIPPETS,
    layout: Layout | None = None,
    base_url: str,
    now: datetime,
) -> list[OutboundEmail]:
    """One email per recipient, in the template's `language` variant when one is named. Raises
    InvalidInput naming `emails` for a bad or too long list, or `language` for a variant the
    template does not have, and `RenderFailed` when the Liquid does not evaluate for the sample person."""
    if not recipients:
        raise InvalidInput("emails must list at least one address", field="emails")
    if len(recipients) > MAX_TEST_RECIPIENTS:
        raise LimitExceeded(f"emails can list at most {MAX_TEST_RECIPIENTS} addresses", field="emails")
    for address in recipients:
        if len(parse_addresses(address, field="emails")) != 1:
            raise InvalidInput(f"emails has an invalid email address: {address!r}", field="emails")
    if language is not None and check_language_code(language, field="language") not in template.translations:
        raise InvalidInput(f"language: the template has no {language!r} variant", field="language")
    request = {"message_data": message_data, "tracked": False, "language": language}
    email = render_email(
        TEST_DELIVERY_ID,
        request,
        workspace=workspace,
        person=person,
        template=template,
        snippets=snippets,
        layout=layout,
        base_url=base_url,
        now=now,
    )
    subject = _SUBJECT_PREFIX + email.subject if is_subject_prefixed else email.subject
    test = dataclasses.replace(email, subject=subject, bcc=None, unsubscribe_url=None)
    return [dataclasses.replace(test, to=address) for address in recipients]
