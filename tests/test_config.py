"""The config file, as a person meets it: defaults, overrides, mistakes and the CLI."""

from __future__ import annotations

import dataclasses
import math
import re
import sys
from pathlib import Path
from typing import NamedTuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, as a package
    import tomli as tomllib

import pytest

import sitbreak
from sitbreak import config
from sitbreak.cli import main
from sitbreak.config import Config, format_duration, load_config, parse_duration
from sitbreak.core.model import PromptKind
from sitbreak.core.settings import EngineSettings, QuietRange
from sitbreak.errors import ConfigError

#: EngineSettings fields that no config key sets.
# break_idle_set is not a key: it says whether the file sets break_idle.
NOT_CONFIGURABLE = {"heeded_within", "break_idle_set"}


def write(directory: Path, text: str, name: str = "config.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def error_for(directory: Path, text: str) -> tuple[Path, str]:
    """Load a user file holding `text`; return its path and the ConfigError message."""
    path = write(directory, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return path, str(info.value)


def flatten(table: dict[str, object], prefix: str = "") -> dict[str, object]:
    """{"session": {"break_idle": "8m"}} -> {"session.break_idle": "8m"}."""
    flat: dict[str, object] = {}
    for name, value in table.items():
        dotted = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict):
            flat.update(flatten(value, dotted))
        else:
            flat[dotted] = value
    return flat


# ------------------------------------------------------------- defaults


def test_shipped_defaults_equal_the_engine_settings_defaults() -> None:
    cfg = load_config()
    assert cfg.engine == EngineSettings()
    assert cfg.timezone == ""
    assert cfg.path is None
    assert set(cfg.sources.values()) == {"default"}


def test_the_shipped_file_sets_every_engine_setting_but_heeded_within() -> None:
    shipped = flatten(tomllib.loads(config.default_config_text()))
    names = {key.rsplit(".", 1)[1] for key in shipped}
    fields = {field.name for field in dataclasses.fields(EngineSettings)}
    # `enabled` is spread over [prompts.enabled], one key per kind.
    assert fields - NOT_CONFIGURABLE - {"enabled"} <= names
    assert {f"prompts.enabled.{kind.value}" for kind in PromptKind} <= set(shipped)
    assert not NOT_CONFIGURABLE & names


def test_every_key_of_the_shipped_file_is_a_key_of_the_config() -> None:
    shipped = flatten(tomllib.loads(config.default_config_text()))
    assert set(shipped) == set(load_config().sources)


def test_packaged_defaults_are_preferred_to_the_source_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = config.default_config_text()
    packaged = re.sub(r"^break_idle = .*$", 'break_idle = "9m"', shipped, flags=re.MULTILINE)
    assert packaged != shipped
    (tmp_path / "data").mkdir()
    write(tmp_path / "data", packaged, "sitbreak.toml")
    monkeypatch.setattr("importlib.resources.files", lambda package: tmp_path)
    assert config.default_config_text() == packaged
    assert load_config().engine.break_idle == 540


def test_without_package_data_the_checkout_file_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("importlib.resources.files", lambda package: tmp_path)
    checkout = Path(sitbreak.__file__).parents[2] / "config" / "sitbreak.toml"
    assert config.default_config_text() == checkout.read_text(encoding="utf-8")


# ------------------------------------------------------------ overrides


def test_a_user_file_overrides_only_the_keys_it_sets(tmp_path: Path) -> None:
    path = write(tmp_path, '[session]\nbreak_idle = "10m"\n')
    cfg = load_config(path)
    # Set by the person, it wins over the learned threshold.
    assert cfg.engine == dataclasses.replace(EngineSettings(), break_idle=600, break_idle_set=True)
    assert cfg.path == path
    assert cfg.sources["session.break_idle"] == str(path)
    others = {key: source for key, source in cfg.sources.items() if key != "session.break_idle"}
    assert set(others.values()) == {"default"}
    assert "prompts.enabled.move" in others


def test_every_key_can_be_set(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [general]
        timezone = "Europe/Berlin"
        [activity]
        source = "pynput"
        [notify]
        backend = "log"
        [tray]
        show = false
        [session]
        break_idle = "10m"
        break_locked = 90
        call_idle_max = "2h"
        auto_lock_idle = "30s"
        [prompts]
        posture_after = "25m"
        posture_guard = "4m"
        move_after = "45m"
        move_repeat = "15m"
        extra_every = "1h"
        hold_after_idle = "2m"
        quiet_hours = ["12:00-13:00", "22:00-06:30"]
        work_days = ["mon", "tue", "wed", "thu", "fri"]
        work_hours = ["08:30-12:30", "13:30-18:00"]
        [prompts.enabled]
        posture = true
        move = true
        stretch = false
        hydrate = true
        breathe = false
        eyes = false
        [sync]
        folder = "~/Sync/sitbreak"
        name = "desk at home"
        keep = "120d"
        [activitywatch]
        server = "http://localhost:5600/"
        [history]
        keep = "30d"
        """,
    )
    cfg = load_config(path)
    assert cfg.timezone == "Europe/Berlin"
    assert (cfg.sync_folder, cfg.sync_name) == ("~/Sync/sitbreak", "desk at home")
    assert cfg.activitywatch_server == "http://localhost:5600"
    assert cfg.history_keep == 30 * 86400
    assert cfg.sync_keep == 120 * 86400
    assert (cfg.activity_source, cfg.notify_backend) == ("pynput", "log")
    assert cfg.tray_show == "false"
    assert cfg.engine == EngineSettings(
        break_idle=600,
        break_idle_set=True,
        break_locked=90,
        call_idle_max=7200,
        auto_lock_idle=30,
        posture_after=1500,
        posture_guard=240,
        move_after=2700,
        move_repeat=900,
        extra_every=3600,
        hold_after_idle=120,
        quiet_hours=(QuietRange(720, 780), QuietRange(1320, 390)),
        work_days=frozenset({0, 1, 2, 3, 4}),
        work_hours=(QuietRange(510, 750), QuietRange(810, 1080)),
        enabled=frozenset({PromptKind.POSTURE, PromptKind.MOVE, PromptKind.HYDRATE}),
    )
    assert set(cfg.sources.values()) == {str(path)}


def test_work_days_and_hours_default_to_every_day_all_day() -> None:
    engine = load_config().engine
    assert engine.work_days == frozenset(range(7))
    assert engine.work_hours == ()
    assert not engine.limits_work_time


def test_work_days_take_full_names_any_case_and_order(tmp_path: Path) -> None:
    path = write(tmp_path, '[prompts]\nwork_days = ["Sunday", "sat", " MON "]\n')
    assert load_config(path).engine.work_days == frozenset({0, 5, 6})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            '["mon", "tues"]',
            'item 2: expected one of mon, tue, wed, thu, fri, sat, sun, found "tues"',
        ),
        ('["mon", "Tuseday"]', 'found "Tuseday"; did you mean "tue"?'),
        ('["mon", 3]', "item 2: expected one of mon, tue, wed, thu, fri, sat, sun, found 3"),
        ("[]", "expected at least one day, found []; to have no prompts at all"),
        ('"mon"', 'write it as a list: ["mon"]'),
    ],
)
def test_bad_work_days_name_the_item(tmp_path: Path, value: str, expected: str) -> None:
    path, message = error_for(tmp_path, f"[prompts]\nwork_days = {value}\n")
    assert message.startswith(f"{path}:2: [prompts] work_days: ")
    assert expected in message


def test_bad_work_hours_name_the_item(tmp_path: Path) -> None:
    path, message = error_for(tmp_path, '[prompts]\nwork_hours = ["09:00-17:00", "9-5"]\n')
    assert message == (
        f'{path}:2: [prompts] work_hours: item 2: expected a range like "12:00-13:30", found "9-5"'
    )


def test_show_writes_work_days_and_hours_back_as_a_person_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[prompts]\nwork_days = ["fri", "mon"]\nwork_hours = ["22:00-06:00"]\n')
    assert main(["config", "show", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert 'work_days = ["mon", "fri"]' in out
    assert 'work_hours = ["22:00-06:00"]' in out
    copy = write(tmp_path, out, "copy.toml")
    assert load_config(copy).engine == load_config(path).engine


def test_a_choice_outside_its_list_is_named_with_the_options(tmp_path: Path) -> None:
    path, message = error_for(tmp_path, '[activity]\nsource = "x12"\n')
    assert message == (
        f'{path}:2: [activity] source: expected one of "auto", "x11", "pynput", "gnome", '
        '"freedesktop", "swayidle", "logind", found "x12"; did you mean "x11"?'
    )


def test_the_users_own_file_is_picked_up(sitbreak_home: Path) -> None:
    (sitbreak_home / "config").mkdir()
    path = write(sitbreak_home / "config", "[prompts]\nmove_after = '40m'\n")
    cfg = load_config()
    assert cfg.path == path
    assert cfg.engine.move_after == 2400


def test_sitbreak_config_names_the_users_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "[prompts]\nmove_repeat = '12m'\n", "mine.toml")
    monkeypatch.setenv("SITBREAK_CONFIG", str(path))
    assert load_config().engine.move_repeat == 720


def test_a_file_named_by_sitbreak_config_must_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "mine.toml"
    monkeypatch.setenv("SITBREAK_CONFIG", str(missing))
    with pytest.raises(ConfigError, match="SITBREAK_CONFIG") as info:
        load_config()
    assert str(missing) in str(info.value)


def test_an_explicit_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_config(missing)
    assert str(info.value) == f"{missing}: no such config file"


def test_an_explicit_file_wins_over_the_users_own(sitbreak_home: Path, tmp_path: Path) -> None:
    (sitbreak_home / "config").mkdir()
    write(sitbreak_home / "config", "[prompts]\nmove_after = '40m'\n")
    other = write(tmp_path, "[prompts]\nmove_after = '50m'\n", "other.toml")
    assert load_config(other).engine.move_after == 3000


def test_an_empty_user_file_means_all_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "# nothing to change\n"))
    assert cfg.engine == EngineSettings()
    assert set(cfg.sources.values()) == {"default"}


# ---------------------------------------------------------------- errors


def test_unknown_key_suggests_the_nearest_one(tmp_path: Path) -> None:
    path, message = error_for(tmp_path, '[session]\nbreak_idel = "8m"\n')
    assert message == (f'{path}:2: [session] break_idel: unknown key; did you mean "break_idle"?')


def test_a_key_in_the_wrong_section_points_to_the_right_one(tmp_path: Path) -> None:
    path, message = error_for(tmp_path, '[prompts]\nbreak_idle = "8m"\n')
    assert message.startswith(f"{path}:2: [prompts] break_idle: unknown key")
    assert "did you mean [session] break_idle?" in message


def test_a_top_level_key_points_to_its_section(tmp_path: Path) -> None:
    path, message = error_for(tmp_path, 'timezone = "UTC"\n')
    assert message.startswith(f"{path}:1: top-level key timezone: unknown key")
    assert "did you mean [general] timezone?" in message


def test_a_hopeless_unknown_key_lists_the_known_ones(tmp_path: Path) -> None:
    _, message = error_for(tmp_path, "[session]\nzzz = 1\n")
    assert "[session] zzz: unknown key" in message
    assert "break_idle, break_locked, call_idle_max, auto_lock_idle" in message


def test_unknown_section_suggests_the_nearest_one(tmp_path: Path) -> None:
    path, message = error_for(tmp_path, '[sesion]\nbreak_idle = "8m"\n')
    assert message == f"{path}:1: [sesion]: unknown section; did you mean [session]?"


def test_unknown_subsection(tmp_path: Path) -> None:
    path, message = error_for(tmp_path, "[prompts.enable]\nmove = false\n")
    assert (
        message == f"{path}:1: [prompts.enable]: unknown section; did you mean [prompts.enabled]?"
    )


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ('[prompts.enabled]\nposture = "yes"\n', "2: [prompts.enabled] posture", 'found "yes"'),
        ("[prompts.enabled]\nmove = 1\n", "2: [prompts.enabled] move", "expected true or false"),
        ("[session.break_idle]\nminutes = 8\n", "1: [session] break_idle", "found a table"),
        ("[session]\nbreak_locked = true\n", "2: [session] break_locked", "found true"),
        ("[general]\ntimezone = 1\n", "2: [general] timezone", "found 1"),
        ('session = "8m"\n', "1: top-level key session", "expected a table [session]"),
        (
            "[prompts]\nenabled = false\n",
            "2: [prompts] enabled",
            "expected a table [prompts.enabled]",
        ),
        ("[prompts]\nquiet_hours = 5\n", "2: [prompts] quiet_hours", 'expected a list of "HH:MM'),
    ],
)
def test_wrong_types_name_the_file_key_and_what_was_found(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    path, message = error_for(tmp_path, text)
    assert message.startswith(f"{path}:{key}: ")  # the file, the line and the key
    assert expected in message


def test_bad_duration(tmp_path: Path) -> None:
    path, message = error_for(tmp_path, '[session]\nbreak_idle = "8 minutes"\n')
    assert message == (
        f'{path}:2: [session] break_idle: expected a duration like "90s", "8m" or "1h30m", '
        'found "8 minutes"'
    )


class Bound(NamedTuple):
    section: str
    key: str
    low: str  # the lowest value allowed
    below: str | None  # just below it (None: nothing is, as durations are never negative)
    high: str | None  # the highest value allowed (None: no upper bound)
    above: str | None  # just above it


BOUNDS = [
    Bound("session", "break_idle", "5s", "4s", "4h", "4h1s"),
    Bound("session", "break_locked", "0s", None, "1h", "1h1s"),
    Bound("session", "call_idle_max", "5s", "4s", "8h", "8h1s"),
    Bound("session", "auto_lock_idle", "0s", None, "1h", "1h1s"),
    Bound("prompts", "posture_after", "5s", "4s", None, None),
    Bound("prompts", "posture_guard", "0s", None, "1h", "1h1s"),
    Bound("prompts", "move_after", "5s", "4s", "4h", "4h1s"),
    Bound("prompts", "move_repeat", "5s", "4s", "4h", "4h1s"),
    Bound("prompts", "extra_every", "5s", "4s", "8h", "8h1s"),
    Bound("prompts", "hold_after_idle", "0s", None, "30m", "30m1s"),
]


def _file_with(section: str, key: str, value: str) -> str:
    """A file setting one key, with neighbours chosen so no contradiction can arise."""
    # break_locked <= break_idle <= call_idle_max must hold whatever the key tried.
    session = {"break_idle": '"5s"', "break_locked": '"0s"', "call_idle_max": '"8h"'}
    if key == "break_locked":
        session["break_idle"] = '"4h"'
    tables: dict[str, dict[str, str]] = {
        "session": session,
        "prompts": {},
        "prompts.enabled": {"posture": "false"},
    }
    tables[section][key] = f'"{value}"'
    return "".join(
        f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())
        for name, keys in tables.items()
    )


@pytest.mark.parametrize("bound", BOUNDS, ids=lambda bound: bound.key)
def test_durations_at_their_bounds_are_accepted(tmp_path: Path, bound: Bound) -> None:
    for value in (bound.low, bound.high):
        if value is not None:
            cfg = load_config(write(tmp_path, _file_with(bound.section, bound.key, value)))
            assert getattr(cfg.engine, bound.key) == parse_duration(value, "test")


@pytest.mark.parametrize("bound", BOUNDS, ids=lambda bound: bound.key)
def test_durations_out_of_range_are_rejected(tmp_path: Path, bound: Bound) -> None:
    if bound.high is None:
        expected = f"of at least {bound.low}"
    else:
        expected = f"between {bound.low} and {bound.high}"
    for value in (bound.below, bound.above):
        if value is not None:
            text = _file_with(bound.section, bound.key, value)
            line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith(bound.key))
            path, message = error_for(tmp_path, text)
            assert message == (
                f"{path}:{line}: [{bound.section}] {bound.key}: expected a duration {expected}, "
                f'found "{value}"'
            )


def test_the_minutes_hint_names_the_number_not_a_duration(tmp_path: Path) -> None:
    _, message = error_for(tmp_path, "[prompts]\nmove_after = 90\n")
    assert 'write "1h30m" for 90 minutes' in message and "1m30 minutes" not in message


def test_a_number_out_of_range_is_shown_in_human_units_too(tmp_path: Path) -> None:
    _, message = error_for(tmp_path, "[session]\nbreak_idle = 3\n")
    assert message.endswith("expected a duration between 1m and 4h, found 3 (3s)")


@pytest.mark.parametrize("value", ["30", '"30"'])
def test_a_bare_number_that_looks_like_minutes_gets_a_hint(tmp_path: Path, value: str) -> None:
    # Seconds-scale values are allowed only with a unit: "30" is nearly always 30 minutes meant.
    _, message = error_for(tmp_path, f"[prompts]\nmove_after = {value}\n")
    assert "expected a duration between 5m and 4h" in message
    assert message.endswith(
        'plain numbers are seconds: write "30m" for 30 minutes (below 5m only a value with its '
        'unit, such as "30s", is accepted, for trying sitbreak out)'
    )
    assert 'or "30s" if you really mean seconds' not in message  # it contradicts "5m to 4h"
    cfg = load_config(write(tmp_path, '[prompts]\nmove_after = "30s"\nposture_after = "10s"\n'))
    assert cfg.engine.move_after == 30


def _default(name: str) -> str:
    """The default of a duration key as `config show` writes it, e.g. "30m"."""
    return format_duration(getattr(EngineSettings(), name))


def test_posture_after_must_come_before_move_after(tmp_path: Path) -> None:
    move_after = _default("move_after")
    path, message = error_for(tmp_path, f'[prompts]\nposture_after = "{move_after}"\n')
    assert message.startswith(
        f'{path}:2: [prompts] posture_after = "{move_after}" is not shorter than '
        f'[prompts] move_after = "{move_after}" (the default)'
    )
    assert "[prompts.enabled] posture = false" in message


def test_a_contradiction_names_the_line_of_the_key_it_is_about(tmp_path: Path) -> None:
    # move_after comes first in the file; the message is about posture_after, on line 3.
    text = '[prompts]\nmove_after = "45m"\nposture_after = "50m"\n'
    path, message = error_for(tmp_path, text)
    assert message.startswith(f'{path}:3: [prompts] posture_after = "50m" is not shorter than ')
    # Only the default of the first key: the line of the one the file sets.
    path, message = error_for(tmp_path, '[prompts]\n\nmove_after = "10m"\n')
    assert message.startswith(f"{path}:3: [prompts] posture_after = ")


@pytest.mark.parametrize("disabled", ["posture", "move"])
def test_posture_after_move_after_is_fine_when_either_is_off(tmp_path: Path, disabled: str) -> None:
    text = f'[prompts]\nposture_after = "4h"\n[prompts.enabled]\n{disabled} = false\n'
    cfg = load_config(write(tmp_path, text))
    assert cfg.engine.posture_after == 4 * 3600


def test_break_locked_may_not_exceed_break_idle(tmp_path: Path) -> None:
    path, message = error_for(tmp_path, '[session]\nbreak_locked = "1h"\n')
    assert message.startswith(
        f'{path}:2: [session] break_locked = "1h" is longer than '
        f'[session] break_idle = "{_default("break_idle")}" (the default)'
    )
    assert message.endswith(
        "a locked screen is a surer sign of a break than idle input, so it should not take "
        f'longer to count as one; set break_locked to "{_default("break_idle")}" or less, '
        "or raise break_idle"
    )
    same = load_config(write(tmp_path, f'[session]\nbreak_locked = "{_default("break_idle")}"\n'))
    assert same.engine.break_locked == same.engine.break_idle


def test_a_rejected_value_does_not_cause_a_misleading_contradiction(tmp_path: Path) -> None:
    # move_after is out of range; judging posture_after against the default 30m would
    # add a bogus second complaint.
    path, message = error_for(tmp_path, '[prompts]\nposture_after = "40m"\nmove_after = "5h"\n')
    assert message == (
        f'{path}:3: [prompts] move_after: expected a duration between 5s and 4h, found "5h"'
    )


def test_bad_timezone_suggests_the_nearest_zone(tmp_path: Path) -> None:
    path, message = error_for(tmp_path, '[general]\ntimezone = "Europe/Berln"\n')
    assert message.startswith(f"{path}:2: [general] timezone: expected an IANA time zone name")
    assert 'found unknown time zone "Europe/Berln"; did you mean "Europe/Berlin"?' in message


@pytest.mark.parametrize("zone", ["../etc/passwd", "/etc/localtime", "Europe", "zone.tab"])
def test_strange_timezones_are_config_errors(tmp_path: Path, zone: str) -> None:
    _, message = error_for(tmp_path, f'[general]\ntimezone = "{zone}"\n')
    assert "[general] timezone" in message


@pytest.mark.parametrize(
    "item",
    [
        "25:00-26:00",
        "12:60-13:00",
        "12:00-24:30",
        "24:00-01:00",
        "12:00-12:00",
        "noon-1pm",
        "12-13",
        "",
    ],
)
def test_bad_quiet_hours_name_the_item(tmp_path: Path, item: str) -> None:
    path, message = error_for(tmp_path, f'[prompts]\nquiet_hours = ["12:00-13:00", "{item}"]\n')
    assert message.startswith(f"{path}:2: [prompts] quiet_hours: item 2: ")
    assert message.endswith(f'found "{item}"')


def test_quiet_hours_as_a_plain_string_suggests_a_list(tmp_path: Path) -> None:
    _, message = error_for(tmp_path, '[prompts]\nquiet_hours = "12:00-13:00"\n')
    assert message.endswith('write it as a list: ["12:00-13:00"]')


def test_toml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path, message = error_for(tmp_path, '[session]\nbreak_idle = "8m"\nbreak_locked = \n')
    # FILE:LINE up front, as every other config error reads.
    assert message.startswith(f"{path}:3: invalid TOML: ")
    assert message.endswith("(column 16)")


def test_a_table_declared_twice_is_named_as_written(tmp_path: Path) -> None:
    text = '[prompts]\nmove_after = "45m"\n[prompts]\nmove_repeat = "5m"\n'
    path, message = error_for(tmp_path, text)
    assert message == f"{path}:3: invalid TOML: Cannot declare [prompts] twice (column 9)"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('# lunch\n\n[prompts]\nquiet_hours = ["12:00-13:00",\n  "18:00-19:00"\n\n', 4),
        ('[prompts]\nmove_after = "45m"\nquiet_hours = ["12:00-13:00"\n', 3),
        ('[general]\ntimezone = """Europe/Berlin\n\n', 2),
    ],
)
def test_a_file_ending_inside_an_unclosed_value_names_where_it_begins(
    tmp_path: Path, text: str, line: int
) -> None:
    # tomllib only says "at end of document"; the person needs the line that opened it.
    path, message = error_for(tmp_path, text)
    assert message.startswith(f"{path}:{line}: invalid TOML: ")
    assert message.endswith(f"at the end of the file; what begins on line {line} is never closed")


def test_a_file_that_is_not_utf8_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[general]\ntimezone = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8") as info:
        load_config(path)
    assert str(info.value) == (
        f"{path}:2: the config file is not UTF-8 text: byte 0xff at column 13 is not UTF-8; "
        "save the file as UTF-8"
    )


def test_a_directory_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read") as info:
        load_config(tmp_path)
    assert str(info.value).startswith(str(tmp_path))


def test_all_problems_of_a_file_are_reported_at_once_in_file_order(tmp_path: Path) -> None:
    path, message = error_for(
        tmp_path,
        """
        [session]
        break_idel = "8m"
        call_idle_max = "forever"
        [prompts]
        move_after = "4s"
        quiet_hours = ["9-10", "25:00-01:00"]
        [prompts.enabled]
        stretch = "no"
        """,
    )
    lines = message.splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        "[session] break_idel",
        "[session] call_idle_max",
        "[prompts] move_after",
        "[prompts] quiet_hours",
        "[prompts] quiet_hours",
        "[prompts.enabled] stretch",
    ]
    # Each with its line in the file (the text starts with a newline: line 1 is empty).
    assert [line.split(": ")[0] for line in lines] == [f"{path}:{n}" for n in (3, 4, 6, 7, 7, 9)]


# ------------------------------------------------------ duration parsing


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (90, 90),
        (2.5, 2.5),
        (0, 0),
        ("45", 45),
        ("0", 0),
        ("2.5", 2.5),
        ("90s", 90),
        ("8m", 480),
        ("2.5m", 150),
        ("1h", 3600),
        ("1.5h", 5400),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("1m30s", 90),
        ("2h0m5s", 7205),
        (" 8m ", 480),
        ("8 m", 480),
    ],
)
def test_parse_duration_accepts(value: object, seconds: float) -> None:
    assert parse_duration(value, "here") == seconds


@pytest.mark.parametrize(
    "value",
    [
        "8 minutes",
        "",
        "m",
        "1h30",
        "30m1h",
        "--5m",
        "1e3",
        "8M",
        True,
        None,
        [1],
        {"m": 8},
        math.nan,
        math.inf,
        10**400,
    ],
)
def test_parse_duration_rejects(value: object) -> None:
    with pytest.raises(
        ConfigError, match=r'^here: expected a duration like "90s", "8m" or "1h30m", found '
    ):
        parse_duration(value, "here")


def test_parse_duration_rejects_negative_numbers() -> None:
    with pytest.raises(ConfigError, match=r"^here: expected a duration of zero or more, found -1$"):
        parse_duration(-1, "here")


@pytest.mark.parametrize("value", ["-5m", "-1h30m", " -30s", "-5"])
def test_a_negative_duration_is_called_negative_not_misspelt(value: str) -> None:
    """'-5m' was answered 'expected a duration like "90s", "8m" or "1h30m"', as
    if the person had written it wrong rather than below zero."""
    with pytest.raises(ConfigError) as caught:
        parse_duration(value, "here")
    assert str(caught.value) == f'here: expected a duration of zero or more, found "{value}"'


def test_a_negative_duration_in_the_file_names_the_key(tmp_path: Path) -> None:
    path, message = error_for(tmp_path, '[prompts]\nmove_after = "-5m"\n')
    assert (
        message
        == f'{path}:2: [prompts] move_after: expected a duration of zero or more, found "-5m"'
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (45, "45s"),
        (90, "1m30s"),
        (480, "8m"),
        (3600, "1h"),
        (5400, "1h30m"),
        (3661, "1h1m1s"),
        (2.5, "2.5s"),
        (150.25, "2m30.25s"),
    ],
)
def test_format_duration_is_the_inverse_of_parsing(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text, "here") == seconds


def test_parse_quiet_hours() -> None:
    ranges = config.parse_quiet_hours(
        ["12:00-13:00", "22:00-06:30", "22:00-24:00", "0:00-1:00", "07:15 - 07:45"], "here"
    )
    assert ranges == (
        QuietRange(720, 780),
        QuietRange(1320, 390),
        QuietRange(1320, 1440),
        QuietRange(0, 60),
        QuietRange(435, 465),
    )
    assert ranges[2].contains(1439)


# ------------------------------------------------------------------- CLI


def test_check_without_a_user_file_says_the_defaults_are_in_use(
    capsys: pytest.CaptureFixture[str], sitbreak_home: Path
) -> None:
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert "defaults are in use" in out
    assert str(sitbreak_home / "config" / "config.toml") in out


def test_check_a_valid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, '[session]\nbreak_idle = "10m"\n')
    assert main(["config", "check", str(path)]) == 0
    assert capsys.readouterr().out == f"OK: {path} is valid\n"


def test_check_warns_when_no_posture_prompt_could_ever_be_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[prompts]\nposture_after = "27m"\n')
    assert main(["config", "check", str(path)]) == 0  # valid: a warning, not an error
    assert capsys.readouterr().out == (
        f"OK: {path} is valid\n"
        f'{path}:2: warning: [prompts] posture_after = "27m" is less than [prompts] '
        'posture_guard = "5m" (the default) before [prompts] move_after = "30m" (the '
        "default): a posture prompt that close to a move prompt is dropped, so none is ever "
        "shown; set posture_after to 25m or less, raise move_after, or lower posture_guard\n"
    )


def test_the_posture_warning_offers_only_a_posture_after_that_could_be_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """move_after = "30s" for trying sitbreak out: the warning said "set posture_after
    to 0s or less", which config check refuses (at least 5s)."""
    path = write(tmp_path, '[prompts]\nmove_after = "30s"\nposture_after = "10s"\n')
    assert main(["config", "check", str(path)]) == 0
    assert capsys.readouterr().out.endswith(
        "a posture prompt that close to a move prompt is dropped, so none is ever shown; "
        "raise move_after, or lower posture_guard\n"
    )


@pytest.mark.parametrize(("posture_after", "warned"), [("25m", False), ("25m1s", True)])
def test_the_posture_warning_says_what_the_engine_does(
    tmp_path: Path, posture_after: str, warned: bool
) -> None:
    from sitbreak.core import Engine, PromptDue, PromptKind

    loaded = load_config(write(tmp_path, f'[prompts]\nposture_after = "{posture_after}"\n'))
    assert bool(loaded.warnings) is warned
    engine = Engine(loaded.engine)
    outputs = [o for t in range(0, 29 * 60, 5) for o in engine.activity(float(t))]
    shown = [o.kind for o in outputs if isinstance(o, PromptDue)]
    assert (PromptKind.POSTURE not in shown) is warned


def test_check_validates_the_users_own_file(
    sitbreak_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (sitbreak_home / "config").mkdir()
    path = write(sitbreak_home / "config", '[session]\nbreak_idle = "8 minutes"\n')
    assert main(["config", "check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sitbreak: config error: {path}:2: [session] break_idle: ")


def test_check_an_invalid_file_exits_2_with_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[session]\nbreak_idle = "8 minutes"\n[sesion]\n')
    assert main(["config", "check", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"sitbreak: config error: {path}:2: [session] break_idle")
    assert f"{path}:3: [sesion]: unknown section" in captured.err


def test_check_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", str(tmp_path / "nope.toml")]) == 2
    assert "no such config file" in capsys.readouterr().err


def test_show_defaults_is_valid_toml_with_every_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    shown = flatten(tomllib.loads(out))
    every = set(flatten(tomllib.loads(config.default_config_text())))
    # All but break_idle, which is learned: written down it would be set, so
    # it is shown as a comment.
    assert set(shown) == every - {"session.break_idle"}
    settings = [line for line in out.splitlines() if " = " in line]
    assert len(settings) == len(shown) + 1
    (learned,) = [line for line in settings if line.startswith("# break_idle = ")]
    assert learned.endswith("# default, where learning starts (see sitbreak status)")
    assert all(line.endswith("# default") for line in settings if line != learned)
    assert load_config(write(tmp_path, out)).engine == EngineSettings()


def test_break_idle_is_learned_unless_the_user_file_sets_it(tmp_path: Path) -> None:
    assert load_config().engine.break_idle_set is False
    other = write(tmp_path, '[session]\nbreak_locked = "3m"\n')
    assert load_config(other).engine.break_idle_set is False
    # Even the default value, written down, is a choice.
    same = write(tmp_path, '[session]\nbreak_idle = "8m30s"\n', name="same.toml")
    assert load_config(same).engine.break_idle_set is True


def test_show_says_where_each_value_came_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        '[session]\ncall_idle_max = 5400\n[prompts]\nquiet_hours = ["22:00-24:00"]\n'
        '[general]\ntimezone = "America/New_York"\n[prompts.enabled]\nhydrate = false\n',
    )
    assert main(["config", "show", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    lines = {line.split(" = ")[0]: line for line in out.splitlines() if " = " in line}
    assert lines["call_idle_max"].startswith('call_idle_max = "1h30m"')
    assert lines["call_idle_max"].endswith(f"# from {path}")
    assert lines["quiet_hours"].startswith('quiet_hours = ["22:00-24:00"]')
    assert lines["timezone"].endswith(f"# from {path}")
    assert lines["hydrate"].startswith("hydrate = false")
    assert lines["# break_idle"].endswith("# default, where learning starts (see sitbreak status)")


def test_show_output_is_itself_a_config_giving_the_same_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        '[session]\nbreak_idle = "1h 5m 30s"\n[prompts]\nmove_after = 2000.5\n'
        'quiet_hours = ["12:00-13:00", "23:30-06:00"]\n'
        '[general]\ntimezone = "Asia/Kolkata"\n[prompts.enabled]\nbreathe = false\n',
    )
    assert main(["config", "show", "--config", str(path)]) == 0
    copy = write(tmp_path, capsys.readouterr().out, "copy.toml")
    original, copied = load_config(path), load_config(copy)
    assert copied.engine == original.engine
    assert copied.timezone == original.timezone == "Asia/Kolkata"


def test_show_with_a_bad_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "[general]\ntimezone = 'Mars/Olympus'\n")
    assert main(["config", "show", "--config", str(path)]) == 2
    assert f"{path}:2: [general] timezone" in capsys.readouterr().err


def test_config_is_a_frozen_value() -> None:
    cfg = load_config()
    assert isinstance(cfg, Config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.timezone = "UTC"  # type: ignore[misc]


def test_a_call_may_not_end_sessions_sooner_than_plain_idle(tmp_path: Path) -> None:
    path, message = error_for(tmp_path, '[session]\ncall_idle_max = "5m"\n')
    assert message.startswith(f'{path}:2: [session] call_idle_max = "5m" is shorter than')
    assert "raise call_idle_max" in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("folder = 3", "[sync] folder: expected a string, found 3"),
        ('name = "a\\nb"', "[sync] name: expected one line of printable text"),
        (f'name = "{"x" * 65}"', "[sync] name: expected at most 64 characters, found 65"),
    ],
)
def test_sync_keys_are_checked(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[sync]\n" + text + "\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert f"{path}:2: {message}" in str(err.value)


@pytest.mark.parametrize(
    "bad", ['"localhost:5600"', '"ftp://localhost"', '"http://localhost:99999"', "5600"]
)
def test_activitywatch_server_must_be_an_address(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path, f"[activitywatch]\nserver = {bad}\n")
    with pytest.raises(ConfigError, match=r"\[activitywatch\] server: expected a server address"):
        load_config(path)


def test_history_keep_is_days_and_checked(tmp_path: Path) -> None:
    assert load_config().history_keep == 90 * 86400
    path = tmp_path / "config.toml"
    path.write_text('[history]\nkeep = "12h"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert f"{path}:2: [history] keep: expected a duration between 1d and 3650d" in str(err.value)
    path.write_text('[history]\nkeep = "a while"\n')
    with pytest.raises(ConfigError, match=r"\[history\] keep: expected a duration"):
        load_config(path)
    path.write_text('[history]\nkeep = "14d"\n')
    assert load_config(path).history_keep == 14 * 86400
    assert 'keep = "14d"' in config.render_config(load_config(path))


@pytest.mark.parametrize(
    ("written", "kept"), [('"auto"', "auto"), ("true", "true"), ("false", "false")]
)
def test_the_tray_is_shown_automatically_always_or_never(
    tmp_path: Path, written: str, kept: str
) -> None:
    assert load_config(write(tmp_path, f"[tray]\nshow = {written}\n")).tray_show == kept


@pytest.mark.parametrize("written", ['"true"', '"yes"', "1", '["auto"]'])
def test_a_tray_setting_that_is_none_of_them_says_what_is_expected(
    tmp_path: Path, written: str
) -> None:
    with pytest.raises(ConfigError, match=r'\[tray\] show: expected "auto", true or false'):
        load_config(write(tmp_path, f"[tray]\nshow = {written}\n"))


def test_each_problem_names_the_line_it_is_on_whatever_the_layout(tmp_path: Path) -> None:
    """The message said the file and the key but not the line: in a long,
    commented file one had to search for it."""
    path, message = error_for(
        tmp_path,
        "# my settings\n"
        "\n"
        "  [ prompts ]   # indented, with a comment\n"
        'posture_after = "10m"\n'
        '"move_after" = "ten"\n'
        "enabled.stretch = 3\n"
        "\n"
        "[session]\n"
        "break_idle = [1]\n"
        "[tray]\n"
        "shown = true\n",
    )
    assert [line.split(": ", 2)[:2] for line in message.splitlines()] == [
        [f"{path}:5", "[prompts] move_after"],
        [f"{path}:6", "[prompts.enabled] stretch"],
        [f"{path}:9", "[session] break_idle"],
        [f"{path}:11", "[tray] shown"],
    ]


def test_a_key_in_an_inline_table_is_named_by_the_line_of_its_table(tmp_path: Path) -> None:
    path, message = error_for(tmp_path, "\n[prompts]\nenabled = { posture = 2 }\n")
    assert message.startswith(f"{path}:3: [prompts.enabled] posture: expected true or false")


def test_sync_keep_is_days_and_checked(tmp_path: Path) -> None:
    assert load_config().sync_keep == 60 * 86400
    path = tmp_path / "config.toml"
    path.write_text('[sync]\nkeep = "3d"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert f'{path}:2: [sync] keep: expected a duration between 7d and 3650d, found "3d"' in str(
        err.value
    )
    path.write_text("[sync]\nkeep = 60\n")  # sixty seconds, not days
    with pytest.raises(ConfigError, match=r"\[sync\] keep: expected a duration between 7d"):
        load_config(path)
    path.write_text("[sync]\nkeep_days = 60\n")
    with pytest.raises(ConfigError, match=r'\[sync\] keep_days: unknown key; did you mean "keep"'):
        load_config(path)
    path.write_text('[sync]\nkeep = "90d"\n')
    assert load_config(path).sync_keep == 90 * 86400
    assert 'keep = "90d"' in config.render_config(load_config(path))


def test_a_command_refused_for_its_config_says_what_to_do_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[prompts]\nmove_after = "soon"\n')
    assert main(["report", "--config", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"sitbreak: config error: {path}:2: [prompts] move_after: ")
    assert err[-1] == (
        "sitbreak: fix what is named above and run the command again"
        " (`sitbreak config check FILE` lists every problem in a config file)"
    )
    # `config check` is that command: it does not send the person to itself.
    assert main(["config", "check", str(path)]) == 2
    assert "run the command again" not in capsys.readouterr().err
