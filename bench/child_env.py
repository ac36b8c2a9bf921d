"""The environment whole-process benchmarks run their commands in."""

from __future__ import annotations

import os


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment with ``extra`` set and without ``PYTHONDONTWRITEBYTECODE``.

    An installed program runs from compiled ``.pyc`` files (pip writes them at install time; an editable
    install writes them on first import). A shell that sets ``PYTHONDONTWRITEBYTECODE`` would make every
    timed run compile every module of the project from source again: 0.05 to 0.07 s more for one
    `planner compare` on a 2-core x86_64 machine, which is not what a user waits for.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env
