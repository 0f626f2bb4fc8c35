"""The `tidings` command, as scripts use it."""

from __future__ import annotations

import json

import pytest

from tidings.cli import main


@pytest.fixture
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TIDINGS_DATABASE_URL", database_url)
    monkeypatch.setenv("TIDINGS_LOG_LEVEL", "WARNING")
    return database_url


def test_workspace_create_json_prints_every_credential(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workspace", "create", "Acme", "--json"]) == 0

    created = json.loads(capsys.readouterr().out)

    assert set(created) >= {"workspace_id", "site_id", "track_api_key", "app_api_key", "cdp_api_key"}
    assert created["name"] == "Acme"


def test_workspace_list_shows_created_workspaces(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["workspace", "create", "Listed", "--identifiers", "id_only", "--json"])
    created = json.loads(capsys.readouterr().out)

    assert main(["workspace", "list", "--json"]) == 0

    listed = {w["workspace_id"]: w for w in json.loads(capsys.readouterr().out)}
    assert listed[created["workspace_id"]]["name"] == "Listed"
    assert listed[created["workspace_id"]]["identifiers"] == "id_only"


def test_malformed_setting_stops_with_its_name(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TIDINGS_PORT", "eighty")

    assert main(["migrate"]) == 2
    assert "TIDINGS_PORT" in capsys.readouterr().err


def test_tls_needs_both_certificate_and_key(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--tls-certificate", "cert.pem"]) == 2
    assert "TLS" in capsys.readouterr().err


def test_workspace_limits_raise_and_reset(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["workspace", "create", "Limited", "--json"])
    workspace_id = json.loads(capsys.readouterr().out)["workspace_id"]

    assert main(["workspace", "limits", str(workspace_id), "attribute_value_bytes=4000"]) == 0
    assert json.loads(capsys.readouterr().out)["attribute_value_bytes"] == 4000

    assert main(["workspace", "limits", str(workspace_id), "attribute_value_bytes=default"]) == 0
    assert json.loads(capsys.readouterr().out)["attribute_value_bytes"] == 1000


def test_workspace_limits_refuse_unknown_names(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["workspace", "create", "Limited", "--json"])
    workspace_id = json.loads(capsys.readouterr().out)["workspace_id"]

    assert main(["workspace", "limits", str(workspace_id), "speed=11"]) == 2
    assert "attribute_value_bytes" in capsys.readouterr().err
