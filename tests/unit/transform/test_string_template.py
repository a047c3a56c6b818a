"""String templates (anything not starting with ``{``): delivered verbatim with values pasted."""

from typing import Any

import pytest

from busway.transform import InputTransformer, render_input

EVENT: dict[str, Any] = {
    "id": "1",
    "time": "2026-11-22T10:00:00Z",
    "detail": {
        "instance": "i-0123456789",
        "state": "RUNNING",
        "cpu": 2,
        "load": 0.75,
        "healthy": True,
        "note": None,
        "owner": {"team": "infra", "on_call": ["ana", "bo"]},
        "zones": ["a", "b", "c"],
        "zone": ["a"],
        "empty": [],
        "text": 'a "quoted" word',
    },
}

PATHS = {name: f"$.detail.{name}" for name in EVENT["detail"]} | {"absent": "$.detail.absent"}


def render(template: str) -> str | None:
    return render_input(EVENT, transformer=InputTransformer(PATHS, template)).text


def test_the_template_is_delivered_with_its_surrounding_quotes() -> None:
    assert render('"instance <instance> is in <state>"') == '"instance i-0123456789 is in RUNNING"'


def test_a_template_without_quotes_is_delivered_as_it_is() -> None:
    assert render("instance <instance> is in <state>") == "instance i-0123456789 is in RUNNING"


@pytest.mark.parametrize(
    ("template", "body"),
    [
        ('"<cpu> cpus at <load>"', '"2 cpus at 0.75"'),
        ('"healthy: <healthy>"', '"healthy: true"'),
        ('"note: <note>"', '"note: null"'),
        ('"owner <owner>"', '"owner {team:infra,on_call:[ana,bo]}"'),
        ('"zones <zones>"', '"zones [a,b,c]"'),
        ('"zone <zone>"', '"zone [a]"'),
        ('"empty <empty>"', '"empty []"'),
        ('"absent [<absent>]"', '"absent []"'),
        ('"text <text>"', '"text a "quoted" word"'),
    ],
)
def test_values_render_as_plain_text(template: str, body: str) -> None:
    assert render(template) == body


def test_newlines_in_the_template_are_kept() -> None:
    template = '"<instance>"\n"<zones>"\r\n<state>'
    assert render(template) == '"i-0123456789"\n"[a,b,c]"\r\n' + "RUNNING"


def test_a_placeholder_used_several_times_is_replaced_everywhere() -> None:
    assert render('"<state>/<state>/<state>"') == '"RUNNING/RUNNING/RUNNING"'


@pytest.mark.parametrize("template", ['"{[/not json <state>"', "[<state>]", "<owner>"])
def test_text_that_looks_like_json_but_does_not_start_with_a_brace_is_a_string(
    template: str,
) -> None:
    rendered = render(template)
    assert rendered == template.replace("<state>", "RUNNING").replace(
        "<owner>", "{team:infra,on_call:[ana,bo]}"
    )


def test_angle_brackets_that_name_no_variable_are_text() -> None:
    assert render('"a <b> c <state> 1 < 2 > 0"') == '"a <b> c RUNNING 1 < 2 > 0"'
