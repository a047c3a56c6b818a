from __future__ import annotations

from click.testing import CliRunner

from busway.cli.main import main


def test_serve_refuses_a_public_address_without_auth() -> None:
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refusing to bind 0.0.0.0 without --auth" in result.output


def test_serve_auth_needs_credentials() -> None:
    result = CliRunner().invoke(main, ["serve", "--auth"], env={"BUSWAY_ACCESS_KEY_ID": ""})
    assert result.exit_code == 2
    assert "--auth needs credentials" in result.output


def test_serve_help_names_the_defaults() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "4780" in result.output and "BUSWAY_DATABASE_URL" in result.output
