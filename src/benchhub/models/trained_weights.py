"""Loading a transformers model only when every weight it needs comes from the checkpoint.

Loading a checkpoint into a class with a head it lacks (an encoder saved as `BertModel` loaded for
sequence classification, a QA model loaded as a classifier) makes transformers initialise that head
at random and carry on; benchhub refuses instead, so no path evaluates, exports or ranks random weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchhub.errors import InvalidInputError

SHOWN_KEYS = 3


def load_trained(auto_class: Any, folder: Path, **options: Any) -> Any:
    """Loads `folder` into `auto_class` (safetensors, no remote code); refuses when weights would be newly initialised."""
    model, loading = auto_class.from_pretrained(folder, trust_remote_code=False, use_safetensors=True, output_loading_info=True, **options)
    untrained = sorted(set(loading.get("missing_keys") or ()) | {_key(k) for k in loading.get("mismatched_keys") or ()})
    if untrained:
        shown = ", ".join(untrained[:SHOWN_KEYS]) + (f" and {len(untrained) - SHOWN_KEYS} more" if len(untrained) > SHOWN_KEYS else "")
        raise InvalidInputError(
            f"{folder} has no trained weights for {shown}, which {type(model).__name__} needs (transformers would initialise "
            f"them at random, and benchhub never evaluates random weights); evaluate it on the task its head was trained "
            f"for, or fine-tune it first (see `benchhub demo`)."
        )
    return model


def _key(entry: Any) -> str:
    return str(entry[0]) if isinstance(entry, (tuple, list)) else str(entry)
