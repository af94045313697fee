"""Where sitbreak keeps its files, and the overrides people (and tests) use."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitbreak import paths
from sitbreak.errors import StorageError


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[None]:
    """Let a test change the umask, restoring it afterwards."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_sitbreak_home_holds_config_data_and_runtime(sitbreak_home: Path) -> None:
    assert paths.config_dir() == sitbreak_home / "config"
    assert paths.data_dir() == sitbreak_home / "data"
    assert paths.runtime_dir() == sitbreak_home / "run"
    assert paths.user_config_path() == sitbreak_home / "config" / "config.toml"
    assert paths.explicit_config_path() is None


def test_looking_paths_up_creates_nothing(sitbreak_home: Path) -> None:
    paths.config_dir()
    paths.data_dir()
    paths.runtime_dir()
    paths.user_config_path()
    assert list(sitbreak_home.iterdir()) == []


def test_sitbreak_config_names_the_file_even_with_sitbreak_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = tmp_path / "elsewhere" / "mine.toml"
    monkeypatch.setenv("SITBREAK_CONFIG", str(chosen))
    assert paths.user_config_path() == chosen
    assert paths.explicit_config_path() == chosen


def test_sitbreak_config_expands_the_home_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SITBREAK_CONFIG", "~/sitbreak.toml")
    assert paths.user_config_path() == tmp_path / "sitbreak.toml"


def test_xdg_directories_are_respected_without_sitbreak_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)  # XDG requires (and platformdirs checks) a private runtime dir
    runtime.chmod(0o700)
    monkeypatch.delenv("SITBREAK_HOME")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))

    assert paths.config_dir() == tmp_path / "cfg" / "sitbreak"
    assert paths.user_config_path() == tmp_path / "cfg" / "sitbreak" / "config.toml"
    assert paths.data_dir() == tmp_path / "share" / "sitbreak"
    assert paths.runtime_dir() == runtime / "sitbreak"


def test_an_empty_sitbreak_home_counts_as_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITBREAK_HOME", "")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert paths.config_dir() == tmp_path / "cfg" / "sitbreak"


def test_private_dir_is_created_with_its_parents_at_mode_0700(tmp_path: Path, umask: None) -> None:
    target = tmp_path / "a" / "b" / "data"
    assert paths.ensure_private_dir(target) == target
    assert target.is_dir()
    assert _mode(target) == 0o700


def test_private_dir_is_0700_even_under_a_restrictive_umask(tmp_path: Path, umask: None) -> None:
    # mkdir's mode is filtered by the umask; 0o277 would leave the owner unable to write.
    os.umask(0o277)
    target = paths.ensure_private_dir(tmp_path / "data")
    assert _mode(target) == 0o700


def test_an_existing_dir_of_ours_is_tightened(tmp_path: Path) -> None:
    target = tmp_path / "data"
    target.mkdir()
    target.chmod(0o755)
    paths.ensure_private_dir(target)
    assert _mode(target) == 0o700
    paths.ensure_private_dir(target)  # a second call is harmless
    assert _mode(target) == 0o700


def test_a_dir_owned_by_someone_else_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "data"
    target.mkdir(mode=0o755)
    target.chmod(0o755)
    owner = target.stat().st_uid
    monkeypatch.setattr(os, "getuid", lambda: owner + 1)
    with pytest.raises(StorageError, match="owned by uid") as info:
        paths.ensure_private_dir(target)
    assert str(target) in str(info.value)
    assert _mode(target) == 0o755  # left alone


def test_a_file_in_the_way_is_a_storage_error_naming_it(tmp_path: Path) -> None:
    target = tmp_path / "data"
    target.write_text("not a directory")
    with pytest.raises(StorageError) as info:
        paths.ensure_private_dir(target)
    assert str(target) in str(info.value)


def test_no_warning_on_any_command_without_xdg_runtime_dir(tmp_path: Path) -> None:
    # platformdirs warns (RuntimeDirWarning) when $XDG_RUNTIME_DIR is unset;
    # a person would see it printed above every command's output.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "SITBREAK_"))}
    env["HOME"] = str(tmp_path)
    env["PYTHONWARNINGS"] = "default"
    done = subprocess.run(
        [sys.executable, "-m", "sitbreak", "status"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Warning" not in done.stderr
    assert done.stderr.startswith("sitbreak: the monitor is not running")


def _platformdirs_runtime_dir() -> str:
    import warnings

    import platformdirs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return platformdirs.user_runtime_dir("sitbreak")


@pytest.mark.parametrize(
    ("make", "plain"),
    [
        ("a private directory", True),
        ("one others may read", False),
        ("a symlink to a private one", False),
        ("a missing one", False),
        ("a file", False),
        ("written with a trailing slash", False),
        ("relative", False),
    ],
)
def test_the_runtime_dir_is_found_without_platformdirs_only_where_its_answer_is_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: str, plain: bool
) -> None:
    # `sitbreak status` looks the socket's directory up at every start; where
    # $XDG_RUNTIME_DIR plainly is ours it skips platformdirs (10 ms of imports),
    # and must then say what platformdirs would. Anywhere else platformdirs says it.
    private = tmp_path / "run"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    value = str(private)
    if make == "one others may read":
        private.chmod(0o755)
    elif make == "a symlink to a private one":
        (tmp_path / "link").symlink_to(private)
        value = str(tmp_path / "link")
    elif make == "a missing one":
        value = str(tmp_path / "gone")
    elif make == "a file":
        (tmp_path / "file").write_text("")
        value = str(tmp_path / "file")
    elif make == "written with a trailing slash":
        value += "/"
    elif make == "relative":
        monkeypatch.chdir(tmp_path)
        value = "run"
    monkeypatch.delenv("SITBREAK_HOME")
    monkeypatch.setenv("XDG_RUNTIME_DIR", value)
    assert paths._plainly_private(value) is plain
    assert paths.runtime_dir_name() == _platformdirs_runtime_dir()
    assert paths.runtime_dir() == Path(_platformdirs_runtime_dir())


def test_a_runtime_dir_below_a_directory_others_may_write_is_left_to_platformdirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # not sticky: anyone could swap the directory below
    private = shared / "run"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    monkeypatch.delenv("SITBREAK_HOME")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(private))
    assert not paths._plainly_private(str(private))
    assert paths.runtime_dir_name() == _platformdirs_runtime_dir()
    shared.chmod(0o1777)  # sticky, as /tmp is: nobody can swap another's entry
    assert paths._plainly_private(str(private))
    assert paths.runtime_dir_name() == _platformdirs_runtime_dir() == str(private / "sitbreak")


def test_the_runtime_dir_name_is_the_runtime_dir(sitbreak_home: Path) -> None:
    assert paths.runtime_dir_name() == str(paths.runtime_dir()) == str(sitbreak_home / "run")
