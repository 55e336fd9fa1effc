"""Jars from the Maven registry, with their runtime dependencies, cached for offline runs.

``resolve(name, artifact)`` returns a directory of jars, from the first of:

1. the directory named by the environment variable ``KASPAR_<NAME>_JARS`` (for example the
   ``libs/`` of an unpacked Apache Kafka download), if it holds jars;
2. the cache ``~/.cache/kaspar/<name>/<version>/`` (``$KASPAR_CACHE`` instead of
   ``~/.cache/kaspar``), filled by an earlier fetch: later runs need no network;
3. a fetch: a one-dependency pom is written to the cache and
   ``mvn dependency:copy-dependencies`` (runtime scope) copies the artifact and everything it
   needs into it; a ``complete`` file marks a fetch that finished.

When none works, :class:`JarsUnavailableError` says why (no ``mvn``, registry unreachable, ...),
for a test to skip with.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

FETCH_TIMEOUT_S = 600
_CAUSES = re.compile(
    r"(Unknown host [^:]+|Could not find artifact \S+|Connect\w* (?:timed out|refused)[^\n]*)"
)
_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"
_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kaspar.tests</groupId>
  <artifactId>{name}-jars</artifactId>
  <version>0</version>
  <dependencies>
{dependencies}
  </dependencies>
</project>
"""
_DEPENDENCY = (
    "    <dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
    "<version>{version}</version></dependency>"
)


class JarsUnavailableError(Exception):
    """The jars are neither given, nor cached, nor fetchable here (the message says why)."""


@dataclass(frozen=True)
class Artifact:
    """``group:artifact:version`` of Maven coordinates."""

    group: str
    artifact: str
    version: str

    def __str__(self) -> str:
        return f"{self.group}:{self.artifact}:{self.version}"


def cache_root() -> Path:
    return Path(os.environ.get("KASPAR_CACHE", Path.home() / ".cache" / "kaspar"))


def resolve(name: str, artifacts: list[Artifact]) -> Path:
    """A directory holding the jars of ``artifacts`` and their runtime dependencies."""
    variable = f"KASPAR_{name.upper().replace('-', '_')}_JARS"
    given = os.environ.get(variable)
    if given:
        if not any(Path(given).glob("*.jar")):
            raise JarsUnavailableError(f"${variable}={given} holds no jars")
        return Path(given)
    target = cache_root() / name / "-".join(a.version for a in artifacts[:1])
    if (target / "complete").exists():
        return target / "libs"
    fetch(artifacts, target)
    return target / "libs"


def fetch(artifacts: list[Artifact], target: Path) -> None:
    """Copy ``artifacts`` and their runtime dependencies into ``target/libs`` with Maven."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise JarsUnavailableError("mvn is not installed (apt-get install maven)")
    target.mkdir(parents=True, exist_ok=True)
    dependencies = "\n".join(
        _DEPENDENCY.format(group=a.group, artifact=a.artifact, version=a.version) for a in artifacts
    )
    (target / "pom.xml").write_text(_POM.format(name=target.parent.name, dependencies=dependencies))
    libs = target / "libs"
    shutil.rmtree(libs, ignore_errors=True)
    command = [
        mvn,
        "--batch-mode",
        "--quiet",
        "--update-snapshots",  # -U: retry what an earlier failed fetch left cached as missing
        "--file",
        str(target / "pom.xml"),
        f"{_DEPENDENCY_PLUGIN}:copy-dependencies",
        f"-DoutputDirectory={libs}",
        "-DincludeScope=runtime",
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=FETCH_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise JarsUnavailableError(
            f"mvn did not fetch {', '.join(map(str, artifacts))} in {FETCH_TIMEOUT_S} s"
        ) from None
    if done.returncode != 0 or not any(libs.glob("*.jar")):
        output = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
        cause = next((m for m in _CAUSES.findall(output)), output.strip()[-300:])
        raise JarsUnavailableError(
            f"mvn could not fetch {', '.join(map(str, artifacts))} from the Maven registry "
            f"(exit {done.returncode}): {cause}"
        )
    (target / "complete").write_text("\n".join(map(str, artifacts)) + "\n")
