"""Load a script that is not in an importable package (``scripts/``, ``bench/``) as a module."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_script(name: str, path: Path) -> ModuleType:
    """Execute the file at ``path`` as module ``name`` and return it.

    Side effects: registers the module in ``sys.modules`` first (dataclasses look their
    module up there while being built).
    """
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
