"""Shell completion: the candidates of a partial command line, and the bash function that asks for them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import neurobridge as nb
from neurobridge.cli import main
from neurobridge.completion import complete_line


@pytest.mark.parametrize(("line", "expected"), [
    ("neurobridge ru", ["run"]),
    ("neurobridge run experiment=cu", ["cuba"]),  # bash's word is what follows the "="
    ("neurobridge run -m backend=nu", ["numpy"]),
    ("neurobridge run --mul", ["--multirun"]),
    ("neurobridge validate --backends ne", ["nest", "neuron"]),
    ("neurobridge completion b", ["bash"]),
])
def test_candidates_of_a_partial_line(line: str, expected: list[str]) -> None:
    assert complete_line(line) == expected


def test_model_files_and_config_dirs_are_completed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "brunel.yaml").write_text("name: b\n")
    (tmp_path / "nets" / "notes.txt").write_text("")
    (tmp_path / "conf" / "model").mkdir(parents=True)
    (tmp_path / "conf" / "model" / "mine.yaml").write_text("name: m\n")
    monkeypatch.chdir(tmp_path)
    assert complete_line("neurobridge run model=ne") == ["nets/"]
    assert complete_line("neurobridge run model=nets/") == ["nets/brunel.yaml"]
    shipped_and_dirs = ["microcircuit", "microcircuit_poisson", "mine"]
    assert complete_line("neurobridge run --config-dir conf model=mi") == shipped_and_dirs


def test_hydras_completion_flag_points_to_ours(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "-sc", "install=bash"]) == 2
    assert capsys.readouterr().err.strip() == (
        "neurobridge: error: Hydra's shell completion (-sc) does not know neurobridge's subcommands; use "
        "neurobridge's own: eval \"$(neurobridge completion bash)\"")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_bash_function_completes_an_installed_command(tmp_path: Path) -> None:
    program = tmp_path / "neurobridge"
    program.write_text(f"#!/bin/sh\nexec {sys.executable} -m neurobridge.cli \"$@\"\n")
    program.chmod(0o755)
    root = str(Path(nb.__file__).resolve().parent.parent)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": root}
    shell = ('eval "$(neurobridge completion bash)"; COMP_LINE="neurobridge run experiment=cu"; '
             'COMP_POINT=${#COMP_LINE}; _neurobridge_complete; printf "%s\\n" "${COMPREPLY[@]}"')
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["cuba"]
