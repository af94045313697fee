"""sitbreak as a package: an sdist and a wheel that install from wheels alone.

The wheel is built once (`python -m build`, from a copy of the checkout) and
installed the ways people install it: pip into a fresh venv and pipx, with
no compiler (CC=/bin/false), no pip cache and `--only-binary=:all:`, so any
dependency without a wheel for this Python fails the test. They need PyPI.
"""

from __future__ import annotations

import email
import json
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from installs import ROOT, installed_names, run, source_copy, stub_systemctl, user_env

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.install

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
VERSION = PROJECT["version"]
#: No compiler, no cached builds, nothing but wheels.
NO_COMPILER = {"CC": "/bin/false", "CXX": "/bin/false", "PIP_NO_CACHE_DIR": "1"}
WHEELS_ONLY = ["--no-cache-dir", "--only-binary=:all:"]


@dataclass(frozen=True)
class Dist:
    sdist: Path
    wheel: Path


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    where = tmp_path_factory.mktemp("dist")
    source = source_copy(where / "sitbreak")
    env = user_env(where / "home")
    # Without --sdist/--wheel, build makes the sdist and then the wheel *from it*:
    # a file missing from the sdist is missing from the wheel too.
    run([sys.executable, "-m", "build", "--outdir", where / "out", source], env)
    (sdist,) = (where / "out").glob("sitbreak-*.tar.gz")
    (wheel,) = (where / "out").glob("sitbreak-*.whl")
    return Dist(sdist, wheel)


def test_twine_check_strict_passes(dist: Dist, tmp_path: Path) -> None:
    res = run(
        [sys.executable, "-m", "twine", "check", "--strict", dist.sdist, dist.wheel],
        user_env(tmp_path / "home"),
    )
    assert res.stdout.count("PASSED") == 2, res.stdout


def test_the_wheel_carries_every_file_of_the_package(dist: Dist) -> None:
    package = ROOT / "src" / "sitbreak"
    expected = {
        f"sitbreak/{p.relative_to(package).as_posix()}"
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    with zipfile.ZipFile(dist.wheel) as wheel:
        names = set(wheel.namelist())
    assert expected - names == set()
    for data in ("sitbreak.toml", "prompts.toml", "sample.jsonl.gz", "sample.truth.json"):
        assert f"sitbreak/data/{data}" in names
    assert "sitbreak/py.typed" in names


def test_the_wheel_metadata_is_what_an_index_page_needs(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as wheel:
        (meta,) = (n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        message = email.message_from_bytes(wheel.read(meta))
    assert message["Name"] == "sitbreak"
    assert message["Version"] == VERSION
    assert message["Requires-Python"] == ">=3.10"
    assert message["License-Expression"] == "MIT"
    assert message["Keywords"]
    classifiers = message.get_all("Classifier") or []
    for minor in (10, 11, 12, 13):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    requires = message.get_all("Requires-Dist") or []
    # pynput only where it does not drag in evdev (a C build) with it.
    assert 'pynput>=1.7; sys_platform != "linux"' in requires
    assert 'tomli>=1.1; python_version < "3.11"' in requires
    assert message.get_content_type() == "text/plain"  # the metadata; the README is the body
    assert message["Description-Content-Type"] == "text/markdown"
    urls = dict(u.split(", ", 1) for u in message.get_all("Project-URL") or [])
    assert set(urls) >= {"Homepage", "Documentation", "Issues", "Changelog"}


def test_the_project_home_is_where_its_dbus_name_says(dist: Dist) -> None:
    # io.github.ORG.Monitor1 claims the GitHub organisation ORG; the index page's links
    # must point at the same place, or one of the two names is a promise nobody keeps.
    from sitbreak.desktop.dbus_api import BUS_NAME

    org = BUS_NAME.split(".")[2]
    with zipfile.ZipFile(dist.wheel) as wheel:
        (meta,) = (n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        message = email.message_from_bytes(wheel.read(meta))
    for url in message.get_all("Project-URL") or []:
        assert url.split(", ", 1)[1].startswith(f"https://github.com/{org}/sitbreak"), url


def test_the_sdist_has_what_install_sh_and_the_tests_need(dist: Dist) -> None:
    import tarfile

    with tarfile.open(dist.sdist) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    for path in (
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "CHANGELOG.md",
        "scripts/install.sh",
        "config/sitbreak.toml",
        "systemd/sitbreak.service",
        "docs/desktops.md",
        "tests/conftest.py",
        "src/sitbreak/data/sample.jsonl.gz",
    ):
        assert path in names


def test_the_wheel_installs_without_a_compiler_and_works(dist: Dist, tmp_path: Path) -> None:
    env = user_env(tmp_path / "home", **NO_COMPILER)
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], env)
    run([venv / "bin" / "python", "-m", "pip", "install", *WHEELS_ONLY, dist.wheel], env)
    installed = installed_names(venv / "bin" / "python", env)
    assert "sitbreak" in installed
    if sys.platform.startswith("linux"):
        assert "evdev" not in installed
        assert "pynput" not in installed
    sitbreak = venv / "bin" / "sitbreak"

    assert run([sitbreak, "--version"], env).stdout.strip() == f"sitbreak {VERSION}"

    doctor = run([sitbreak, "doctor", "--json"], env, check=False)
    report = json.loads(doctor.stdout)
    assert doctor.returncode == report["exit_status"]  # 3 here: no desktop to watch
    (config,) = (c for c in report["checks"] if c["area"] == "config")
    assert config["status"] == "ok", config  # the default config, read from the wheel

    # The sample trace ships in the wheel: its replay is the checkout's, to the letter.
    replay = run([sitbreak, "replay", "--sample"], env)
    here = run([sys.executable, "-m", "sitbreak", "replay", "--sample"], env, cwd=ROOT / "src")
    assert replay.stdout == here.stdout
    assert re.search(r"^\d+ events, \d+ sessions, \d+ breaks, \d+ prompts$", replay.stdout, re.M)

    unit = run([sitbreak, "service", "install", "--print"], env).stdout
    assert f"ExecStart={venv}/bin/python -m sitbreak run\n" in unit


def test_pipx_installs_the_wheel_and_the_service_runs_from_pipx_venv(
    dist: Dist, tmp_path: Path
) -> None:
    systemctl = stub_systemctl(tmp_path / "stub", user_session=True, graphical=True)
    pipx_home, pipx_bin = tmp_path / "pipx", tmp_path / "pipx-bin"
    env = user_env(
        tmp_path / "home",
        PIPX_HOME=str(pipx_home),
        PIPX_BIN_DIR=str(pipx_bin),
        PIPX_MAN_DIR=str(tmp_path / "pipx-man"),
        SITBREAK_SYSTEMCTL=str(systemctl.bin_dir / "systemctl"),
        **NO_COMPILER,
    )
    pip_args = "--pip-args=" + " ".join(WHEELS_ONLY)
    run([sys.executable, "-m", "pipx", "install", pip_args, dist.wheel], env)
    sitbreak = pipx_bin / "sitbreak"
    assert run([sitbreak, "--version"], env).stdout.strip() == f"sitbreak {VERSION}"

    res = run([sitbreak, "service", "install"], env)
    unit = Path(env["HOME"], ".config", "systemd", "user", "sitbreak.service").read_text()
    python = pipx_home / "venvs" / "sitbreak" / "bin" / "python"
    assert f"ExecStart={python} -m sitbreak run\n" in unit
    assert "--user enable --now sitbreak.service" in systemctl.calls
    assert "running (pid 4242)" in res.stdout


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_every_dependency_has_a_wheel_for_linux_on(
    machine: str, dist: Dist, tmp_path: Path
) -> None:
    # pip resolves for that machine (this Python's version) and may take
    # nothing but wheels: a dependency with only a source release fails.
    env = user_env(tmp_path / "home", **NO_COMPILER)
    platform = f"manylinux_2_17_{machine}"
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            *WHEELS_ONLY,
            "--platform",
            platform,
            "--python-version",
            version,
            "--implementation",
            "cp",
            "-d",
            tmp_path / "wheels",
            dist.wheel,
        ],
        env,
    )
    got = sorted(p.name for p in (tmp_path / "wheels").iterdir())
    assert all(name.endswith(".whl") for name in got), got
    assert not [name for name in got if name.startswith(("evdev", "pynput"))], got
    assert any(name.startswith("psutil-") and machine in name for name in got), got
