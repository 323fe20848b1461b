"""Refusing checkpoints that would need their own Python code to load.

transformers runs a checkpoint's code when its configs map an auto class to a module of the
checkpoint (`auto_map`, `custom_pipelines`) or name a model type or tokenizer class it does not
ship. benchhub loads with `trust_remote_code=False`, and refuses such folders up front, with one line,
before transformers reads them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchhub.errors import UnsafeModelError
from benchhub.models.model_files import read_json_object

# The configs transformers consults while loading a model and its tokenizer or processor.
CONFIG_FILES = ("config.json", "tokenizer_config.json", "preprocessor_config.json", "processor_config.json",
                "feature_extractor_config.json", "image_processor_config.json", "generation_config.json")
CODE_KEYS = ("auto_map", "custom_pipelines")
ADVICE = ("benchhub never runs a checkpoint's own code; use a checkpoint of an architecture transformers ships "
          "(save it with `save_pretrained` where you trust the code)")


def refuse_custom_code(folder: Path, config: dict[str, Any]) -> None:
    """Raises UnsafeModelError when loading `folder` (whose config.json is `config`) would run code from it."""
    for name in CONFIG_FILES:
        document = config if name == "config.json" else _optional_json(folder, name)
        for key in CODE_KEYS:
            if document.get(key):
                modules = sorted({f"{ref.split('--')[-1].rsplit('.', 1)[0]}.py" for ref in _references(document[key])})
                files = f" ({', '.join(modules)})" if modules else ""
                raise UnsafeModelError(f"{folder / name} declares custom code in {key!r}{files}; {ADVICE}.")
    model_type = config.get("model_type")
    if not isinstance(model_type, str) or not model_type:
        raise UnsafeModelError(f"{folder / 'config.json'} names no model_type, so transformers would have to guess the "
                               f"architecture; save the checkpoint with `save_pretrained`, which records it.")
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    if model_type not in CONFIG_MAPPING_NAMES:
        raise UnsafeModelError(
            f"{folder / 'config.json'} has model_type {model_type!r}, which transformers does not ship (it would need the "
            f"checkpoint's own code); {ADVICE}."
        )
    tokenizer_class = _optional_json(folder, "tokenizer_config.json").get("tokenizer_class")
    if tokenizer_class is not None and not _known_tokenizer(tokenizer_class):
        raise UnsafeModelError(
            f"{folder / 'tokenizer_config.json'} names tokenizer_class {tokenizer_class!r}, which transformers does not ship; "
            f"{ADVICE}."
        )


def _optional_json(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    return read_json_object(folder, name) if path.exists() or path.is_symlink() else {}


def _references(value: Any) -> list[str]:
    """The "module.Class" strings inside an auto_map or custom_pipelines value, however nested."""
    if isinstance(value, str):
        return [value] if "." in value else []
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in _references(item)]
    if isinstance(value, (list, tuple)):
        return [ref for item in value for ref in _references(item)]
    return []


def _known_tokenizer(name: Any) -> bool:
    import transformers

    if not isinstance(name, str) or not name.isidentifier():
        return False
    return any(hasattr(transformers, candidate) for candidate in (name, name.removesuffix("Fast"), f"{name}Fast"))
