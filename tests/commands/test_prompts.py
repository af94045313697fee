"""The words: the prompt library, rotation, escalation, and `sitbreak prompts`."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from desktop import desktop, wait_for
from sitbreak.cli import main
from sitbreak.core import PromptDue, PromptKind
from sitbreak.desktop import notify
from sitbreak.desktop.notify import RecordingNotifier
from sitbreak.errors import ConfigError
from sitbreak.prompts import (
    KINDS,
    STRETCH_CAUTION,
    Prompt,
    PromptWriter,
    Urgency,
    load_library,
    move_headline,
    parse_library,
    shipped_library_text,
    urgency_for,
)

MIN = 60.0
T0 = 1_800_000_000.0


def due(kind: PromptKind, level: int = 1, seated_min: float = 30) -> PromptDue:
    return PromptDue(T0, kind, level, seated_min * MIN)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


ENTRY = """
[[prompt]]
id = "{id}"
kind = "{kind}"
cause = "{cause}"
title = "{title}"
body = "{body}"
"""


def entry(**changes: str) -> str:
    fields = {"id": "mine", "kind": "posture", "cause": "posture", "title": "T", "body": "B"}
    fields.update(changes)
    return ENTRY.format(**fields)


# -------------------------------------------------------- the library file


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Each names the line of its [[prompt]] header (line 2 of ENTRY).
        (entry(kind="yoga"), "f.toml:2: prompt 'mine': kind must be one of posture, move"),
        (entry(cause="boredom"), "f.toml:2: prompt 'mine': cause must be one of posture,"),
        (entry(title=""), "f.toml:2: prompt 'mine': title must be a non-empty string"),
        (entry(body="x" * 301), "f.toml:2: prompt 'mine': body must be a non-empty string of at"),
        (entry() + 'colour = "red"\n', "f.toml:2: prompt 'mine': unknown key 'colour'"),
        (entry() + entry(), "f.toml:9: prompt 'mine': the id is used twice in this file (#2"),
        (entry(id=""), "f.toml:2: prompt #1: expected a non-empty string id, found ''"),
        ('[prompt]\nid = "x"\n', "f.toml: expected [[prompt]] entries, found a single [prompt]"),
        ("[prompts]\n", "f.toml: unknown table 'prompts': expected only [[prompt]] entries"),
        ("[[prompt]\n", "f.toml:1: invalid TOML: "),
        # A key left out read "found None".
        (
            '[[prompt]]\nid = "mine"\nkind = "move"\ntitle = "T"\nbody = "B"\n',
            "f.toml:1: prompt 'mine': cause must be one of posture, sitting, stiffness, "
            "dehydration, stress, eyes, but it is missing",
        ),
    ],
)
def test_a_bad_library_names_the_file_and_the_prompt(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_library(text, "f.toml")
    assert str(info.value).startswith(expected)


def test_the_shipped_library_has_enough_prompts_for_every_kind() -> None:
    library = load_library()
    assert len(library) >= 25
    per_kind = Counter(p.kind for p in library)
    assert set(per_kind) == set(KINDS) == {k.value for k in PromptKind}
    assert min(per_kind.values()) >= 3
    assert len({p.id for p in library}) == len(library)


def test_every_shipped_stretch_carries_a_caution() -> None:
    stretches = [p for p in load_library() if p.kind == "stretch"]
    assert stretches
    assert all(p.caution == STRETCH_CAUTION for p in stretches)
    message = PromptWriter(stretches).write(due(PromptKind.STRETCH))
    assert message.body.endswith("\n" + STRETCH_CAUTION)


def test_a_users_own_stretch_without_a_caution_gets_one() -> None:
    (mine,) = parse_library(entry(kind="stretch", cause="stiffness"), "f.toml").values()
    assert mine is not None and mine.caution == STRETCH_CAUTION


def test_the_words_are_concrete_and_promise_no_cure() -> None:
    """Short enough to read at a glance, an action in every body, no medical claims."""
    medical = re.compile(r"\b(cure|cures|heal|treat|treatment|diagnos\w*|prevents?)\b", re.I)
    for p in load_library():
        text = f"{p.title} {p.body} {p.caution or ''}"
        assert not medical.search(text), p.id
        assert len(p.title) <= 40, p.id
        assert len(p.body) <= 200, p.id
    shipped = shipped_library_text()
    assert "not medical advice" in shipped


# -------------------------------------------------------------- overrides


def test_a_users_file_replaces_a_prompt_by_id_adds_one_and_drops_one(tmp_path: Path) -> None:
    user = write(
        tmp_path / "prompts.toml",
        entry(id="posture-neck", title="My neck", body="Chin back, slowly.")
        + entry(id="my-own", kind="hydrate", cause="dehydration", title="Tea", body="Tea now.")
        + '\n[[prompt]]\nid = "move-stairs"\nenabled = false\n',
    )
    library = {p.id: p for p in load_library(user)}
    assert library["posture-neck"].title == "My neck"
    assert library["my-own"].kind == "hydrate"
    assert "move-stairs" not in library
    assert len(library) == len(load_library()) + 1 - 1


def test_a_broken_user_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    user = write(tmp_path / "prompts.toml", entry(kind="dance"))
    with pytest.raises(ConfigError, match=re.escape(f"{user}:2: prompt 'mine': kind")):
        load_library(user)


# ------------------------------------------------------ rotation, wording


def test_rotation_uses_the_whole_pool_before_repeating() -> None:
    writer = PromptWriter(load_library())
    pool = [p.id for p in load_library() if p.kind == "posture"]
    first = [writer.write(due(PromptKind.POSTURE)).prompt_id for _ in pool]
    second = [writer.write(due(PromptKind.POSTURE)).prompt_id for _ in pool]
    assert sorted(first) == sorted(pool) == sorted(second)


def test_kinds_rotate_independently() -> None:
    writer = PromptWriter(load_library())
    a = writer.write(due(PromptKind.MOVE)).prompt_id
    writer.write(due(PromptKind.EYES))
    b = writer.write(due(PromptKind.MOVE)).prompt_id
    assert a != b


def test_move_headlines_grow_more_insistent_and_say_how_long() -> None:
    assert move_headline(1, 30 * MIN) == "30 minutes seated — time to stand up and move"
    assert move_headline(2, 40 * MIN) == "40 minutes seated — still sitting, time to move"
    assert move_headline(3, 50 * MIN) == "50 minutes seated — please get up now"
    assert move_headline(4, 61 * MIN) == "An hour without a break — please get up now"
    assert move_headline(6, 80 * MIN).startswith("1 hour 20 minutes without a break")


def test_move_headlines_say_singulars_and_the_seconds_a_short_setting_has() -> None:
    assert move_headline(1, 1 * MIN) == "1 minute seated — time to stand up and move"
    assert move_headline(1, 80) == "1 minute 20 seconds seated — time to stand up and move"
    assert move_headline(1, 30 * MIN - 1e-6) == "30 minutes seated — time to stand up and move"
    assert move_headline(1, 1) == "1 second seated — time to stand up and move"
    assert move_headline(5, 121 * MIN).startswith("2 hours 1 minute without a break")


def test_urgency_low_for_reminders_normal_to_move_critical_only_when_ignored() -> None:
    assert urgency_for(due(PromptKind.POSTURE)) is Urgency.LOW
    assert urgency_for(due(PromptKind.EYES)) is Urgency.LOW
    levels = [urgency_for(due(PromptKind.MOVE, level)) for level in (1, 2, 3, 4, 5)]
    assert levels == [Urgency.NORMAL] * 3 + [Urgency.CRITICAL] * 2


def test_a_message_carries_the_time_the_store_keys_its_outcome_by() -> None:
    writer = PromptWriter(load_library())
    for kind in PromptKind:
        message = writer.write(PromptDue(T0 + 7, kind, 1, 30 * MIN))
        assert (message.kind, message.due_t) == (kind.value, T0 + 7)
        assert message.expire_s > 0


def test_a_kind_with_every_prompt_switched_off_still_says_something() -> None:
    only_move: list[Prompt] = [p for p in load_library() if p.kind == "move"]
    message = PromptWriter(only_move).write(due(PromptKind.EYES))
    assert message.prompt_id == "builtin-eyes" and message.body


# ------------------------------------------------------- sitbreak prompts


def test_sitbreak_prompts_lists_every_prompt_and_where_your_own_go(
    capsys: pytest.CaptureFixture[str], sitbreak_home: Path
) -> None:
    assert main(["prompts"]) == 0
    out = capsys.readouterr().out
    assert str(sitbreak_home / "config" / "prompts.toml") in out
    for p in load_library():
        assert f"  {p.id}  [cause: {p.cause}]" in out
        assert p.title in out
    assert "not medical advice" in out


def test_the_toml_to_drop_a_prompt_is_never_cut_across_lines() -> None:
    """With a config path of 34 to 44 characters (/tmp/nu-home/.config/sitbreak/
    prompts.toml is 41) the hint wrapped as "enabled" / "= false drops it"."""
    from sitbreak.commands.prompts import _overrides_line

    for length in range(2, 160):  # /h, /hh, ...: files that do not exist
        path = Path("/" + "h" * (length - 1))
        lines = _overrides_line(path, {}).splitlines()
        assert any("enabled = false" in line for line in lines), (length, lines)
        assert all(len(line) <= 88 or str(path) in line for line in lines), lines
        assert "\0" not in "".join(lines)


def test_sitbreak_prompts_kind_shows_only_that_kind_with_its_cautions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["prompts", "--kind", "stretch"]) == 0
    out = capsys.readouterr().out
    assert "stretch: 6 prompts" in out
    assert "posture-sit-back" not in out
    assert out.count(STRETCH_CAUTION) == 6


def test_sitbreak_prompts_marks_your_own_and_what_you_switched_off(
    capsys: pytest.CaptureFixture[str], sitbreak_home: Path
) -> None:
    write(
        sitbreak_home / "config" / "prompts.toml",
        entry(id="posture-neck", title="My neck", body="Chin back.")
        + entry(id="tea", kind="hydrate", cause="dehydration", title="Tea", body="Tea now.")
        + '\n[[prompt]]\nid = "eyes-window"\nenabled = false\n',
    )
    assert main(["prompts"]) == 0
    out = capsys.readouterr().out
    assert "posture-neck  [cause: posture, yours, replacing the shipped one]" in out
    assert "tea  [cause: dehydration, yours]" in out
    assert "Switched off in your file: eyes-window" in out
    assert "Your own prompts: " in out and "(3 entries)" in out


def test_sitbreak_prompts_test_sends_one_through_the_configured_notifier(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    recorder = RecordingNotifier()
    asked: list[str] = []

    def make(kind: str = "auto", on_response: object = None) -> RecordingNotifier:
        asked.append(kind)
        return recorder

    monkeypatch.setattr(notify, "make_notifier", make)
    config = write(tmp_path / "config.toml", '[notify]\nbackend = "plyer"\n')
    assert main(["prompts", "--test", "move", "--level", "4", "--config", str(config)]) == 0
    assert asked == ["plyer"]
    (sent,) = recorder.sent
    assert (sent.kind, sent.level, sent.urgency) == ("move", 4, Urgency.CRITICAL)
    assert sent.title == "An hour without a break — please get up now"
    out = capsys.readouterr().out
    assert out.startswith(f"Sent a move prompt ({sent.prompt_id}) through recording:")


def test_sitbreak_prompts_test_with_the_log_backend(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["prompts", "--test", "hydrate", "--notify", "log"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Sent a hydrate prompt (hydrate-refill) through log:")


def test_sitbreak_prompts_test_says_when_a_kind_is_switched_off(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write(tmp_path / "config.toml", "[prompts.enabled]\neyes = false\n")
    assert main(["prompts", "--test", "eyes", "--notify", "log", "--config", str(config)]) == 0
    assert "eyes prompts are switched off in your config" in capsys.readouterr().out


def test_sitbreak_prompts_test_exits_1_when_it_could_not_be_shown(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    assert main(["prompts", "--test", "posture", "--notify", "dbus"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "sitbreak: could not show the prompt with dbus: "
        "no session bus (DBUS_SESSION_BUS_ADDRESS is not set)\n"
    )


@pytest.mark.parametrize("showing", [{"kind": "move", "prompt_id": "move-walk"}, None])
def test_sitbreak_prompts_test_does_not_cover_a_real_prompt_on_screen(
    capsys: pytest.CaptureFixture[str], showing: dict[str, str] | None
) -> None:
    from sitbreak.daemon import control
    from sitbreak.daemon.control import ControlServer

    def running_sitbreak(request: object) -> dict[str, object]:
        return {"ok": True, "state": "sitting", "prompt_on_screen": showing}

    with ControlServer(control.socket_path(), running_sitbreak):
        status = main(["prompts", "--test", "stretch", "--notify", "log"])
    captured = capsys.readouterr()
    if showing is None:
        assert status == 0
        assert captured.out.startswith("Sent a stretch prompt")
    else:
        assert status == 1
        assert captured.out == ""
        assert captured.err == (
            "sitbreak: a real move prompt is on screen now, and a test would cover it "
            "(and leave it unanswered): answer or dismiss it first, then try again\n"
        )


def test_sitbreak_prompts_rejects_unknown_kinds_and_levels(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["prompts", "--test", "yoga"])
    assert info.value.code == 2
    with pytest.raises(SystemExit):
        main(["prompts", "--test", "move", "--level", "0"])
    assert "expected a whole number from 1 up" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            ["--level", "3"],
            "--level goes with --test move: only the movement reminder comes in repeats",
        ),
        (
            ["--test", "posture", "--level", "2"],
            "--level goes with --test move: only the movement "
            "reminder comes in repeats, a posture prompt has one level",
        ),
        (
            ["--notify", "log"],
            "--notify log goes with --test KIND: it says how to show the test prompt",
        ),
    ],
)
def test_options_for_a_test_prompt_are_refused_without_one(
    capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    # `sitbreak prompts --level 3` listed the library as if --level were not there.
    assert main(["prompts", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"sitbreak: {said}\n"


@pytest.mark.desktop
def test_sitbreak_prompts_test_shows_it_on_a_real_desktop(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with desktop() as d:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", d.bus.address)
        assert main(["prompts", "--test", "stretch"]) == 0
        wait_for(lambda: d.dunstctl("count", "displayed").strip() == "1", what="the prompt")
        assert "through dbus" in capsys.readouterr().out


def test_a_prompt_list_that_is_not_tables_is_a_config_error_not_a_traceback() -> None:
    with pytest.raises(ConfigError, match=r"mine.toml: prompt #1: expected a \[\[prompt\]\] table"):
        parse_library('prompt = ["x"]\n', "mine.toml")
