"""`sitbreak config check|show` (commands/config.py; tests/test_config.py is the reading
of the file) as a new person meets them: no config file yet."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitbreak.cli import main
from sitbreak.config import tomllib


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["config", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _described_in(text: str) -> Path:
    """The file the text points at for what every key does."""
    words = text.split("every key, its default and why is described in ", 1)[1]
    return Path(words.split()[0].rstrip("."))


def test_check_without_a_file_says_where_to_write_one_and_where_keys_are_described(
    capsys: pytest.CaptureFixture[str], sitbreak_home: Path
) -> None:
    code, out, err = run(capsys, "check")
    assert (code, err) == (0, "")
    first, second = out.splitlines()
    mine = sitbreak_home / "config" / "config.toml"
    assert first == f"No config file at {mine}: the defaults are in use."
    assert second.startswith("To change a value, write only that key there; ")
    described = _described_in(second)
    assert "move_after" in described.read_text(encoding="utf-8")


def test_show_without_a_file_ends_with_the_next_step_and_stays_toml(
    capsys: pytest.CaptureFixture[str], sitbreak_home: Path
) -> None:
    code, out, _err = run(capsys, "show")
    assert code == 0
    tomllib.loads(out)  # still a config file one can copy from
    mine = sitbreak_home / "config" / "config.toml"
    assert f"# To change a value, write only that key in {mine};" in out
    assert _described_in(out).is_file()


def test_with_a_file_show_names_it_and_adds_nothing(
    capsys: pytest.CaptureFixture[str], sitbreak_home: Path
) -> None:
    mine = sitbreak_home / "config" / "config.toml"
    mine.parent.mkdir(parents=True)
    mine.write_text('[prompts]\nmove_after = "45m"\n')
    code, out, _err = run(capsys, "show")
    assert code == 0
    assert f"# user file: {mine}" in out
    assert "To change a value" not in out
    code, out, _err = run(capsys, "check")
    assert (code, out) == (0, f"OK: {mine} is valid\n")


def test_check_reads_the_prompt_library_too_as_run_does(
    capsys: pytest.CaptureFixture[str], sitbreak_home: Path
) -> None:
    """A prompts.toml with a missing cause stops `sitbreak run`, while `config check`
    said "OK"; and `config check prompts.toml` read it as a config ("top-level key
    prompt: unknown key")."""
    prompts = sitbreak_home / "config" / "prompts.toml"
    prompts.parent.mkdir(parents=True, exist_ok=True)
    prompts.write_text('# mine\n[[prompt]]\nid = "mine"\nkind = "move"\ntitle = "T"\nbody = "B"\n')
    for args in (["check"], ["check", str(prompts)]):
        code, out, err = run(capsys, *args)
        assert code == 2
        assert "OK" not in out
        assert err == (
            f"sitbreak: config error: {prompts}:2: prompt 'mine': cause must be one of posture, "
            "sitting, stiffness, dehydration, stress, eyes, but it is missing\n"
        )
    prompts.write_text(prompts.read_text() + 'cause = "sitting"\n')
    code, out, err = run(capsys, "check")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == f"OK: {prompts} is valid"
    assert run(capsys, "check", str(prompts)) == (0, f"OK: {prompts} is valid\n", "")
