from __future__ import annotations

from pathlib import Path

import pytest

from busway.config import DEFAULT_PORT, load_settings


def test_defaults() -> None:
    settings = load_settings(env={})
    assert (settings.host, settings.port) == ("127.0.0.1", DEFAULT_PORT)
    assert settings.database_url.startswith("sqlite:///")
    assert settings.sqlite_path.endswith("busway.db")
    assert not settings.auth


def test_flags_beat_environment_beat_file(tmp_path: Path) -> None:
    file = tmp_path / "busway.toml"
    file.write_text('port = 1111\nregion = "eu-west-1"\naccount-id = "123456789012"\n')
    env = {"BUSWAY_PORT": "2222", "BUSWAY_EGRESS_DENY": "10.0.0.0/8,192.168.0.0/16"}
    settings = load_settings(file=file, env=env, port=3333)
    assert settings.port == 3333
    assert (settings.region, settings.account_id) == ("eu-west-1", "123456789012")
    assert settings.egress_deny == ("10.0.0.0/8", "192.168.0.0/16")
    assert load_settings(file=file, env=env).port == 2222


def test_credentials_from_file_or_environment(tmp_path: Path) -> None:
    file = tmp_path / "busway.toml"
    file.write_text('auth = true\n[credentials]\nAKID1 = "secret-1"\n')
    assert load_settings(file=file, env={}).credentials == {"AKID1": "secret-1"}
    env = {"BUSWAY_ACCESS_KEY_ID": "AKID2", "BUSWAY_SECRET_ACCESS_KEY": "secret-2"}
    assert load_settings(env=env, auth=True).credentials == {"AKID2": "secret-2"}


def test_auth_without_credentials_is_refused() -> None:
    with pytest.raises(ValueError, match="--auth needs credentials"):
        load_settings(env={}, auth=True)


def test_unknown_setting_in_file(tmp_path: Path) -> None:
    file = tmp_path / "busway.toml"
    file.write_text("colour = 'blue'\n")
    with pytest.raises(ValueError, match="unknown setting 'colour'"):
        load_settings(file=file, env={})
