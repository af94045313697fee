"""Where sitbreak keeps its files: the XDG base directories, via platformdirs.

Two environment variables override the defaults:

- ``SITBREAK_HOME`` puts config, data and runtime files under one directory
  (``config/``, ``data/``, ``run/``), so tests and experiments never touch the
  real home directory;
- ``SITBREAK_CONFIG`` names the config file itself, wherever it is.

Without them, ``$XDG_CONFIG_HOME``, ``$XDG_DATA_HOME`` and ``$XDG_RUNTIME_DIR``
are respected (platformdirs reads them on Linux).

Nothing here creates a directory except `ensure_private_dir`: looking up a path
must not leave traces behind.

`sitbreak status` finds the control socket here (`runtime_dir_name`) and
status bars run it every few seconds, so pathlib and platformdirs (10 ms of
imports between them) are imported only by the functions that use them.
"""

from __future__ import annotations

import os
import stat
import sys

from sitbreak.errors import StorageError

TYPE_CHECKING = False  # not typing's: `sitbreak status` does not import typing
if TYPE_CHECKING:
    from pathlib import Path

APP_NAME = "sitbreak"
HOME_ENV = "SITBREAK_HOME"
CONFIG_ENV = "SITBREAK_CONFIG"
CONFIG_FILE_NAME = "config.toml"


def _home_override() -> Path | None:
    from pathlib import Path

    # An empty value counts as unset, as with the XDG variables.
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    """The directory of the user's config file."""
    from pathlib import Path

    import platformdirs

    home = _home_override()
    if home is not None:
        return home / "config"
    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """The directory of persistent data (the database, daily summaries)."""
    from pathlib import Path

    import platformdirs

    home = _home_override()
    if home is not None:
        return home / "data"
    return Path(platformdirs.user_data_dir(APP_NAME))


def runtime_dir() -> Path:
    """The directory of sockets and pid files, which live only as long as the login."""
    from pathlib import Path

    return Path(runtime_dir_name())


def runtime_dir_name() -> str:
    """`runtime_dir()` as a string, found without importing pathlib and, where
    $XDG_RUNTIME_DIR plainly is the user's private directory (`_plainly_private`),
    without platformdirs: the answer platformdirs gives there, at a fraction of
    the cost. Everywhere else platformdirs decides."""
    home = os.environ.get(HOME_ENV)  # an empty value counts as unset
    if home:
        return os.path.join(os.path.expanduser(home), "run")
    xdg = os.environ.get("XDG_RUNTIME_DIR", "")
    if sys.platform.startswith("linux") and _plainly_private(xdg):
        return os.path.join(xdg, APP_NAME)
    import warnings

    import platformdirs

    # Without $XDG_RUNTIME_DIR (a cron job, `su`, a bare ssh login) platformdirs
    # falls back to a private directory of its own and says so with a warning,
    # which would be printed on every command; the fallback is what we want.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return platformdirs.user_runtime_dir(APP_NAME)


def _plainly_private(directory: str) -> bool:
    """Whether `directory` is, beyond doubt, what the XDG spec asks a runtime
    directory to be: an absolute path written plainly (no ".", "..", "//" or
    trailing "/"), with no symlink on the way, every directory above it owned by
    root or by us and writable by nobody else unless sticky, and itself a
    directory of ours with mode 0700. platformdirs takes every such directory as
    it is (4.x checks each of these, 3.x none), so where this says yes its
    answer is known; anything less plain is left to it.
    """
    if not directory.startswith("/") or directory.startswith("//"):
        return False
    if directory != os.path.normpath(directory):
        return False
    uid = os.geteuid()
    parts = directory.split("/")[1:]
    current = ""
    for depth, name in enumerate(parts, start=1):
        current += "/" + name
        try:
            info = os.lstat(current)
        except OSError:
            return False
        if not stat.S_ISDIR(info.st_mode):  # lstat: a symlink is not a directory
            return False
        if depth == len(parts):
            return info.st_uid == uid and stat.S_IMODE(info.st_mode) == 0o700
        if info.st_uid not in (0, uid):
            return False
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not info.st_mode & stat.S_ISVTX:
            return False
    return False  # "/" itself


def explicit_config_path() -> Path | None:
    """The config file named by ``$SITBREAK_CONFIG``, or None when it is not set.

    A file named this way was asked for on purpose, so callers treat its absence
    as an error rather than silently falling back to the defaults.
    """
    from pathlib import Path

    value = os.environ.get(CONFIG_ENV)
    return Path(value).expanduser() if value else None


def user_config_path() -> Path:
    """The user's config file (which need not exist)."""
    explicit = explicit_config_path()
    if explicit is not None:
        return explicit
    return config_dir() / CONFIG_FILE_NAME


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as a directory only its owner can enter.

    Activity data says when someone was at their desk, so it is kept at mode
    0700. An existing directory of ours with looser permissions is tightened;
    one owned by somebody else is refused, since we could neither tighten it nor
    trust what is in it.
    """
    home = _home_override()
    if home is not None and home in path.parents and not home.exists():
        # mkdir(parents=True) gives the parents it makes the umask's mode: make ours first.
        ensure_private_dir(home)
    try:
        # mkdir's mode is filtered by the umask, hence the explicit check below.
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
    except OSError as exc:
        raise StorageError(f"{path}: cannot create directory: {exc.strerror or exc}") from exc
    if info.st_uid != os.getuid():
        raise StorageError(
            f"{path}: directory is owned by uid {info.st_uid}, not by you (uid {os.getuid()}); "
            "refusing to keep private data there"
        )
    if stat.S_IMODE(info.st_mode) != 0o700:
        try:
            path.chmod(0o700)
        except OSError as exc:
            raise StorageError(
                f"{path}: cannot make directory private: {exc.strerror or exc}"
            ) from exc
    return path
