"""Choosing a language variant the way Customer.io does: strict and case-insensitive matching,
the send request's language first, then the person's, then the default."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories.mail import deliver, html_part, send, setup
from tests.factories.smtp import Inbox
from tests.factories.track import TrackDriver, app_auth
from tidings.errors import InvalidInput
from tidings.messaging.languages import check_language_code, choose_language
from tidings.services import Services

VARIANTS = {"fr", "pt-br", "nl", "az-cyrl-az"}


@pytest.mark.parametrize(
    ("requested", "person_language", "chosen"),
    [
        (None, "fr", "fr"),
        (None, "FR", "fr"),
        (None, "pt-BR", "pt-br"),
        (None, "AZ-Cyrl-az", "az-cyrl-az"),
        ("pt-BR", "fr", "pt-br"),
        ("de", "fr", "fr"),
        (None, "nl-BE", None),
        (None, "pt", None),
        (None, "pt_BR", None),
        (None, None, None),
        (None, 7, None),
        ("", "", None),
    ],
)
def test_the_request_wins_when_the_message_has_it_then_the_person_then_the_default(
    requested: object, person_language: object, chosen: str | None
) -> None:
    assert choose_language(VARIANTS, requested=requested, person_language=person_language) == chosen


@pytest.mark.parametrize("code", ["fr", "pt-BR", "zh-Hans", "en-029", "az-Cyrl-AZ", "FIL"])
def test_language_codes_are_stored_lowercased(code: str) -> None:
    assert check_language_code(code, field="translations") == code.lower()


@pytest.mark.parametrize("code", ["f", "french", "pt-", "en-US-x-y", "", 42, None])
def test_anything_else_is_refused_naming_the_field(code: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_language_code(code, field=f"translations.{code}")
    assert refused.value.field == f"translations.{code}"


def test_an_underscore_code_is_refused_with_the_dash_form_suggested() -> None:
    with pytest.raises(InvalidInput, match="use a dash: pt-BR, not pt_BR"):
        check_language_code("pt_BR", field="language")


# Sending: a template with French and Brazilian Portuguese variants, through the API, the sender
# and a real SMTP server.

Mail = tuple[Inbox, Services, TrackDriver]

FRENCH = {"email": {"subject": "Commande {{trigger.order}} pour {{customer.first_name}}", "body": "<p>Merci !</p>"}}
PORTUGUESE = {"email": {"subject": "Pedido {{trigger.order}}", "body": "<p>Obrigado!</p>"}}


async def translate(track: TrackDriver, translations: dict[str, Any]) -> httpx.Response:
    template = (await track.app_get("/v1/transactional/receipt")).json()["message"]
    return await track.client.put(
        f"/v1/transactional/{template['id']}", json={"translations": translations}, headers=app_auth(track.workspace)
    )


async def subject_sent(inbox: Inbox, services: Services, track: TrackDriver, **body: Any) -> str:
    inbox.received.clear()
    await send(track, message_data={"order": "7"}, **body)
    await deliver(services, track)
    (received,) = inbox.received
    return str(received.message["Subject"])


async def test_the_person_gets_the_variant_of_their_language_attribute(mail: Mail) -> None:
    inbox, services, track = mail
    await setup(track, language="FR")
    await translate(track, {"fr": FRENCH, "pt-BR": PORTUGUESE})

    assert await subject_sent(inbox, services, track) == "Commande 7 pour Ann"
    (received,) = inbox.received
    assert received.message["From"] == "Shop <shop@example.com>", "fields a variant leaves out come from the default"
    assert "Merci" in html_part(received.message)


async def test_the_request_language_overrides_the_person_s_when_the_message_has_it(mail: Mail) -> None:
    inbox, services, track = mail
    await setup(track, language="fr")
    await translate(track, {"fr": FRENCH, "pt-BR": PORTUGUESE})

    assert await subject_sent(inbox, services, track, language="pt-br") == "Pedido 7"
    assert await subject_sent(inbox, services, track, language="de") == "Commande 7 pour Ann"


async def test_no_matching_variant_sends_the_default_without_falling_back_to_the_base_language(
    mail: Mail,
) -> None:
    inbox, services, track = mail
    await setup(track, language="pt")
    await translate(track, {"pt-BR": PORTUGUESE})

    assert await subject_sent(inbox, services, track) == "Order 7 for Ann"
    await track.identify("ann", language="pt_BR")
    assert await subject_sent(inbox, services, track) == "Order 7 for Ann"


async def test_the_workspace_names_the_attribute_that_holds_the_language(mail: Mail) -> None:
    inbox, services, track = mail
    await setup(track, locale="fr", language="pt-BR")
    await translate(track, {"fr": FRENCH, "pt-BR": PORTUGUESE})
    renamed = await track.client.put(
        "/v1/workspace/settings", json={"settings": {"language_attribute": "locale"}}, headers=app_auth(track.workspace)
    )
    assert renamed.status_code == 200, renamed.text

    assert await subject_sent(inbox, services, track) == "Commande 7 pour Ann"


async def test_translations_are_kept_replaced_per_language_and_removed_with_null(mail: Mail) -> None:
    _, _, track = mail
    await setup(track)
    await translate(track, {"fr": FRENCH, "pt-BR": PORTUGUESE})

    updated = await translate(track, {"FR": {"email": {"subject": "Bonjour"}}, "pt-br": None})

    assert updated.status_code == 200, updated.text
    assert updated.json()["message"]["translations"] == {"fr": {"email": {"subject": "Bonjour"}}}
    assert (await track.app_get("/v1/transactional/receipt")).json()["message"]["translations"] == {
        "fr": {"email": {"subject": "Bonjour"}}
    }


@pytest.mark.parametrize(
    ("translations", "error"),
    [
        ({"pt_BR": PORTUGUESE}, "translations.pt_BR must be a language code such as 'fr' or 'pt-BR' (use a dash: pt-BR, not pt_BR)"),
        ({"fr": {"email": {"subject": "{% if %}"}}}, "translations.fr.email.subject: "),
        ({"fr": {"fax": {}}}, "translations.fr channels are: email, push, sms"),
        ({"fr": "Bonjour"}, "translations.fr must be an object of channels"),
    ],
)
async def test_bad_translations_answer_400_naming_the_field(
    mail: Mail, translations: dict[str, Any], error: str
) -> None:
    _, _, track = mail
    await setup(track)

    refused = await translate(track, translations)

    assert refused.status_code == 400
    assert refused.json()["meta"]["error"].startswith(error)


async def test_a_test_send_can_pick_a_variant(mail: Mail) -> None:
    inbox, _, track = mail
    await setup(track)
    await translate(track, {"fr": FRENCH})
    await track.processed()
    url = "/v1/transactional/receipt/test"

    sent = await track.client.post(
        url, json={"emails": ["qa@example.com"], "customer_id": "ann", "message_data": {"order": "T-1"}, "language": "FR"},
        headers=app_auth(track.workspace),
    )
    missing = await track.client.post(
        url, json={"emails": ["qa@example.com"], "language": "de"}, headers=app_auth(track.workspace)
    )

    assert sent.status_code == 200, sent.text
    assert inbox.received[0].message["Subject"] == "[TEST] Commande T-1 pour Ann"
    assert missing.status_code == 400 and missing.json()["meta"]["error"] == "language: the template has no 'de' variant"
