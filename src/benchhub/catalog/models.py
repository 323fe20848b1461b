"""Registering models, and finding registered or built-in ones by name."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from benchhub.data.records import canonical_json
from benchhub.errors import (
    InvalidInputError,
    ModelNotFoundError,
    NameTakenError,
    PredictionsFormatError,
)
from benchhub.models.base import KINDS, NETWORK_KINDS
from benchhub.models.checkpoints import (
    checkpoint_fingerprint,
    file_sha256,
    folder_size,
    resolve_checkpoint,
)
from benchhub.models.endpoints import Endpoint
from benchhub.models.fingerprints import FINGERPRINT_VERSION
from benchhub.models.labels import parse_label_map
from benchhub.models.model_files import read_json_object
from benchhub.models.onnx_files import onnx_fingerprint, vet_onnx_folder
from benchhub.naming import check_name
from benchhub.results import ModelRecord
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.database import commit_or_undo
from benchhub.store.tables import ModelRow
from benchhub.tasks.base import head_suffixes
from benchhub.tasks.registry import (
    TASKS,
    checkpoint_refusal,
    runnable_heads,
    tasks_with_head,
)

BASELINE_PREFIX = "baseline:"
# Every family's predictions-file suffixes, in registry order (a predictions model is bound to a task only when it runs).
PREDICTION_SUFFIXES = tuple(dict.fromkeys(suffix for task in TASKS.values() for suffix in task.predictions_suffixes))
RULE_SUFFIXES = (".yaml", ".yml")


def add_model(session: Session, artifacts: ArtifactStore, name: str, source: str, *, kind: str | None = None,
              label_map: str | None = None, na_probs: str | None = None, revision: str | None = None,
              exist_ok: bool = False, owner_id: int | None = None, in_hub: bool = False,
              check: Callable[[ModelRow], None] | None = None, endpoint: dict[str, Any] | None = None) -> ModelRecord:
    """Registers a model; predictions files (and no-answer probabilities) and rule files are copied into the hub.
    `owner_id` is the user who uploaded it through the server.

    With `in_hub`, a transformers or ONNX `source` is a folder inside `artifacts` that the hub keeps (an upload):
    it is stored relative to the artifact store, so the hub's home can move. A folder registered from elsewhere is
    the user's and keeps its absolute path. `check(row)` runs in the transaction that inserts the row, once its
    files are in place, and may refuse it (an upload's storage quota, under its owner's lock).

    An http(s) `source` is an OpenAI-compatible server's base URL (kind "openai"); `endpoint` holds the rest of
    `models.endpoints.Endpoint` (model, route, api_key_env, concurrency, timeout_seconds). Its key's *name* is
    stored, never the key. The fingerprint is the URL, model name and route: benchhub cannot see the weights
    behind a server, so a model changed behind the same name is the same model to it (its provenance says so).

    With `exist_ok`, a model of this name with the same kind, fingerprint and options is returned as it is (so a
    script can run again); one with other content is refused.
    """
    check_name(name, "Model")
    existing = session.scalar(select(ModelRow).where(ModelRow.name == name))
    if existing is not None and not exist_ok:
        raise NameTakenError(f"A model named {name!r} already exists; choose another name.")
    kind = kind or infer_kind(source)
    if kind == "baseline":  # what rules files were called before they were a kind of their own
        kind = "rules"
    if kind not in KINDS or kind == "baseline":
        registered = [k for k in KINDS if k != "baseline"]
        raise InvalidInputError(f"Model kind {kind!r} is not supported; use one of {', '.join(registered)}.")
    options: dict[str, Any] = {}
    if label_map:
        if kind not in NETWORK_KINDS:
            raise InvalidInputError(f"--label-map applies to transformers and ONNX models; a {kind} model already names dataset labels.")
        options["label_map"] = parse_label_map(label_map)
    if na_probs and kind != "predictions":
        raise InvalidInputError(f"--na-probs belongs to a SQuAD predictions file (kind predictions), not a {kind} model.")
    if endpoint and kind != "openai":
        raise InvalidInputError(f"--endpoint-model and the other endpoint options belong to an OpenAI-compatible server "
                                f"(a SOURCE of http://HOST:PORT/v1), not a {kind} model.")
    # An existing row is compared under the fingerprint definition it was stored with.
    version = int((existing.info or {}).get("fingerprint_version", 1)) if existing is not None else FINGERPRINT_VERSION
    copies: dict[str, Path] = {}  # hub path -> the user's file, copied once nothing is left to refuse
    if kind == "transformers":
        folder = resolve_checkpoint(source, revision=revision)
        info = checkpoint_info(folder)
        fingerprint = transformers_fingerprint(folder, options, version=version)
        stored_source = artifacts.relative(folder) if in_hub else str(folder)
        if revision:
            options["revision"] = revision
    elif kind == "openai":
        served = Endpoint(source, **(endpoint or {}))
        options["endpoint"] = served.options()
        fingerprint = hashlib.sha256(canonical_json(
            {"openai": served.base_url, "model": served.model, "route": served.route}).encode("utf-8")).hexdigest()
        stored_source = served.base_url
        info = {"served_by": "an OpenAI-compatible server; benchhub sees its answers, not its weights"}
    elif kind == "onnx":
        folder = Path(source).expanduser().resolve()
        external = vet_onnx_folder(folder)
        info = {**checkpoint_info(folder), "size_bytes": folder_size(folder)}
        fingerprint = onnx_model_fingerprint(folder, options, version=version, external=external)
        stored_source = artifacts.relative(folder) if in_hub else str(folder)
    else:
        path = _existing_file(source, PREDICTION_SUFFIXES if kind == "predictions" else RULE_SUFFIXES, kind)
        if kind == "rules":
            _check_rules(path)
        else:
            _check_predictions(path)
        fingerprint = file_sha256(path)
        stored_source = f"models/{name}/{'predictions' if kind == 'predictions' else 'rules'}{path.suffix.lower()}"
        copies[stored_source] = path
        info = {"original": str(path.resolve()), "size_bytes": path.stat().st_size}
        if na_probs:
            probabilities = _existing_file(na_probs, (".json",), "no-answer probabilities")
            fingerprint = hashlib.sha256(f"{fingerprint}:{file_sha256(probabilities)}".encode()).hexdigest()
            options["na_probs"] = f"models/{name}/na_probs.json"
            copies[options["na_probs"]] = probabilities
    if existing is not None:
        return _same_model(existing, kind, fingerprint, options)
    if in_hub and kind in NETWORK_KINDS:
        options["in_hub"] = True
    for copied, original in copies.items():
        target = artifacts.path(copied)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, target)
    row = ModelRow(name=name, kind=kind, source=stored_source, fingerprint=fingerprint, options=options, info=info,
                   owner_id=owner_id)
    commit_or_undo(session, row, undo=lambda: artifacts.remove(f"models/{name}") if copies else None,
                   check=(lambda: check(row)) if check else None)
    return model_record(row)


def _same_model(row: ModelRow, kind: str, fingerprint: str, options: dict[str, Any]) -> ModelRecord:
    """The record of `row` when it holds what was given again, else the error that says how they differ."""
    if row.kind != kind or row.fingerprint != fingerprint:
        differs = (f"registered: {row.kind} model, fingerprint {row.fingerprint[:12]}; "
                   f"given: {kind} model, fingerprint {fingerprint[:12]}")
    elif _content_options(row.options) != options:
        stored = _content_options(row.options)
        keys = sorted(key for key in {*stored, *options} if stored.get(key) != options.get(key))
        differs = f"other options: {', '.join(keys)}"
    else:
        return model_record(row)
    raise NameTakenError(
        f"A model named {row.name!r} already exists with other content ({differs}); remove it first "
        f"(`benchhub model remove {row.name}`) or choose another name."
    )


def _content_options(options: dict[str, Any]) -> dict[str, Any]:
    """A row's options but where its files are kept, which is no part of what the model is."""
    return {key: value for key, value in options.items() if key != "in_hub"}


def transformers_fingerprint(folder: Path, options: dict[str, Any], *, version: int = FINGERPRINT_VERSION) -> str:
    """Fingerprints a checkpoint with its label map (under another map the same weights predict other labels)
    and, for a PyTorch variant, the precision it runs at and whether it is compiled: each is a model of its own."""
    fingerprint = _with_label_map("checkpoint", checkpoint_fingerprint(folder, version=version), options)
    variant = {key: options[key] for key in ("precision", "compiled") if options.get(key) not in (None, False, "fp32")}
    if not variant:
        return fingerprint
    return hashlib.sha256(canonical_json({"model": fingerprint, **variant}).encode("utf-8")).hexdigest()


def onnx_model_fingerprint(folder: Path, options: dict[str, Any], *, version: int = FINGERPRINT_VERSION,
                           external: list[Path] | None = None) -> str:
    """Fingerprints a vetted ONNX folder (graph, external data, configs, tokenizer) with its label map, as for checkpoints."""
    files = vet_onnx_folder(folder) if external is None else external
    return _with_label_map("onnx", onnx_fingerprint(folder, files, version=version), options)


def _with_label_map(kind: str, fingerprint: str, options: dict[str, Any]) -> str:
    if not options.get("label_map"):
        return fingerprint
    document = {kind: fingerprint, "label_map": options["label_map"]}
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def model_folder(row: ModelRow, artifacts: ArtifactStore) -> Path:
    """Where a transformers or ONNX model's folder is: in the hub for models it keeps (`in_hub`: uploaded or made by
    benchhub, stored relative to the artifact store; rows stored before that was so hold an absolute path, which is
    kept), else the folder it was registered from (for a hub id, its snapshot in the model hub's cache)."""
    return artifacts.path(row.source) if row.options.get("in_hub") else Path(row.source)


def checkpoint_folder(row: ModelRow, artifacts: ArtifactStore) -> Path:
    """A transformers model's checkpoint folder (`model_folder`), vetted as at registration."""
    source = str(artifacts.path(row.source)) if row.options.get("in_hub") else row.source
    return resolve_checkpoint(source, revision=row.options.get("revision"))


def infer_kind(source: str) -> str:
    if source.startswith(("http://", "https://")):
        return "openai"
    path = Path(source).expanduser()
    if (path / "model.onnx").is_file():
        return "onnx"
    suffix = path.suffix.lower()
    if suffix in PREDICTION_SUFFIXES:
        return "predictions"
    if suffix in RULE_SUFFIXES:
        return "rules"
    return "transformers"


def _existing_file(source: str, suffixes: tuple[str, ...], kind: str) -> Path:
    path = Path(source).expanduser()
    if not path.is_file():
        what = "Not a regular file (a folder, a pipe or a device)" if path.exists() else "No such file"
        raise InvalidInputError(f"{what}: {source}; a {kind} model is a {_either(suffixes)} file.")
    if path.suffix.lower() not in suffixes:
        raise InvalidInputError(f"{path.name}: a {kind} model must be a {_either(suffixes)} file.")
    return path


def _either(suffixes: tuple[str, ...]) -> str:
    return suffixes[0] if len(suffixes) == 1 else f"{', '.join(suffixes[:-1])} or {suffixes[-1]}"


def _check_predictions(path: Path) -> None:
    """Checks a predictions file's syntax now, as the file of some family that takes its suffix; its ids are
    checked against each split at evaluation. A file no family reads is refused with each family's reason."""
    candidates = [task for task in TASKS.values() if path.suffix.lower() in task.predictions_suffixes]
    with path.open("rb") as handle:
        head = handle.read(65536).decode("utf-8", errors="replace")
    # The family whose key the file names ("label", "tags") is tried first, and its reason is the one given.
    candidates.sort(key=lambda task: not any(f'"{key}"' in head for key in task.predictions_keys))
    reasons = []
    for task in candidates:
        try:
            task.check_predictions_syntax(path)
            return
        except PredictionsFormatError as error:
            reasons.append(error)
    raise reasons[0]


def _check_rules(path: Path) -> None:
    """Checks a rules file's syntax now; its labels are checked against each dataset at evaluation."""
    from benchhub.data.yaml_documents import read_yaml
    from benchhub.tasks.text_classification.baselines.regex import RegexBaseline

    document = read_yaml(path, what="rules file")
    named = set()
    if isinstance(document, dict):
        named = {str(rule.get("label")) for rule in document.get("rules") or [] if isinstance(rule, dict)}
        if document.get("default") is not None:
            named.add(str(document["default"]))
    RegexBaseline.from_yaml(path, labels=sorted(named) or ["unlabelled"])


def checkpoint_info(folder: Path) -> dict[str, Any]:
    """What config.json says about a checkpoint or ONNX folder; refuses one without a head any task evaluates."""
    config = read_json_object(folder, "config.json")
    architectures = config.get("architectures")
    if not tasks_with_head(architectures):
        # Refused only where no family runs it: a causal LM one family cannot score yet may be another's model.
        refusal = checkpoint_refusal(architectures)
        if refusal is not None:
            raise InvalidInputError(f"{folder}: {refusal}")
        named = ", ".join(map(str, architectures)) if isinstance(architectures, list) and architectures else "none"
        raise InvalidInputError(
            f"{folder} has no task head (config.json architectures: {named}); benchhub evaluates "
            f"{_heads()} heads, and a head transformers would add now is random. Fine-tune it first (as `benchhub demo` "
            f"fine-tunes MiniLM) or compare against a baseline (e.g. baseline:tfidf-logreg)."
        )
    id2label = config.get("id2label") or {}
    return {
        "architectures": architectures,
        "model_type": config.get("model_type"),
        "labels": [id2label[k] for k in sorted(id2label, key=int)] if isinstance(id2label, dict) and id2label else None,
        "fingerprint_version": FINGERPRINT_VERSION,
    }


def _heads() -> str:
    """The heads families run, each once with the families that run it: "text-classification (*ForSequence...),
    ..., summarization and translation (*ForConditionalGeneration, ...)"."""
    families: dict[tuple[str, ...], list[str]] = {}
    for task in runnable_heads():
        families.setdefault(head_suffixes(task), []).append(task.name)
    names = [f"{_listed(named)} ({', '.join(f'*{suffix}' for suffix in suffixes)})" for suffixes, named in families.items()]
    return "; ".join(names[:-1]) + f"; and {names[-1]}" if len(names) > 1 else names[0]


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def get_model_row(session: Session, name: str) -> ModelRow:
    """Finds a registered model, creating the row of a built-in baseline on first use."""
    row = session.scalar(select(ModelRow).where(ModelRow.name == name))
    if row is not None:
        return row
    if not is_builtin(name):
        raise unknown_model(session, name)
    baseline = name.removeprefix(BASELINE_PREFIX)
    cls = builtin_registry()[baseline]
    version = cls.version
    fingerprint = hashlib.sha256(f"{name}:{version}".encode()).hexdigest()
    info: dict[str, Any] = {"builtin": True, "version": version}
    if getattr(cls, "upper_bound", False):
        info["upper_bound"] = UPPER_BOUND_NOTE
    row = ModelRow(name=name, kind="baseline", source=baseline, fingerprint=fingerprint, options={}, info=info)
    session.add(row)
    session.commit()
    return row


UPPER_BOUND_NOTE = "an oracle: it reads the references, so it is an upper bound, not a baseline to beat"


def is_builtin(name: str) -> bool:
    """Whether `name` is a built-in baseline (`baseline:` and the name of one)."""
    return name.startswith(BASELINE_PREFIX) and builtin_family(name.removeprefix(BASELINE_PREFIX)) is not None


def unknown_model(session: Session, name: str) -> ModelNotFoundError:
    """The error for a name that is neither a registered model nor a built-in baseline, listing both."""
    if name.startswith(BASELINE_PREFIX):
        return ModelNotFoundError(
            f"No built-in baseline {name!r}; built-ins are {', '.join(_builtin_names())} "
            f"(a regex baseline is registered from its YAML rules: `benchhub model add NAME rules.yaml`)."
        )
    names = session.scalars(select(ModelRow.name).where(ModelRow.kind != "baseline").order_by(ModelRow.name)).all()
    known = f"registered models: {', '.join(names)}" if names else "no models are registered yet"
    return ModelNotFoundError(f"No model named {name!r}; {known}. Built-in baselines: {', '.join(_builtin_names())}.")


def list_models(session: Session) -> list[ModelRecord]:
    return [model_record(row) for row in session.scalars(select(ModelRow).order_by(ModelRow.name))]


def model_record(row: ModelRow) -> ModelRecord:
    parent = None
    if row.parent_id is not None and (session := object_session(row)) is not None:
        parent = session.scalar(select(ModelRow.name).where(ModelRow.id == row.parent_id))
    return ModelRecord(row.name, row.kind, row.source, row.fingerprint, dict(row.options), dict(row.info), row.created_at, parent)


def builtin_registry() -> dict[str, type]:
    """Every built-in baseline class by name, across task families (names are unique across them)."""
    return {name: cls for task in TASKS.values() for name, cls in task.baseline_classes().items()}


def builtin_family(baseline: str) -> str | None:
    """The task family whose built-in baseline this is, or None."""
    return next((task.name for task in TASKS.values() if baseline in task.baselines), None)


def _builtin_names() -> list[str]:
    return [BASELINE_PREFIX + b for task in TASKS.values() for b in task.baselines]
