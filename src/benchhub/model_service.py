"""Registering models and turning a registered (or built-in) model into a loaded classifier."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchhub.data.records import Split, canonical_json
from benchhub.errors import InvalidInputError, ModelNotFoundError, NameTakenError
from benchhub.models.base import KINDS, Classifier
from benchhub.models.checkpoints import checkpoint_fingerprint, file_sha256, resolve_checkpoint
from benchhub.models.labels import parse_label_map
from benchhub.naming import check_name
from benchhub.results import ModelRecord
from benchhub.store.artifacts import ArtifactStore
from benchhub.store.tables import DatasetRow, ModelRow

BASELINE_PREFIX = "baseline:"
BUILTIN_BASELINES = ("majority", "keyword", "tfidf-logreg")
PREDICTION_SUFFIXES = (".jsonl", ".csv")
RULE_SUFFIXES = (".yaml", ".yml")


def add_model(session: Session, artifacts: ArtifactStore, name: str, source: str, *, kind: str | None = None,
              label_map: str | None = None, revision: str | None = None) -> ModelRecord:
    """Registers a model; predictions files and rule files are copied into the hub."""
    check_name(name, "Model")
    if session.scalar(select(ModelRow.id).where(ModelRow.name == name)) is not None:
        raise NameTakenError(f"A model named {name!r} already exists; choose another name.")
    kind = kind or infer_kind(source)
    if kind not in KINDS:
        raise InvalidInputError(f"Model kind {kind!r} is not supported; use one of {', '.join(KINDS)}.")
    options: dict[str, Any] = {}
    if label_map:
        if kind != "transformers":
            raise InvalidInputError(f"--label-map applies to transformers models; a {kind} model already names dataset labels.")
        options["label_map"] = parse_label_map(label_map)
    copied: str | None = None
    if kind == "transformers":
        folder = resolve_checkpoint(source, revision=revision)
        fingerprint = transformers_fingerprint(folder, options)
        info = _checkpoint_info(folder)
        stored_source = str(folder)
        if revision:
            options["revision"] = revision
    else:
        path = _existing_file(source, PREDICTION_SUFFIXES if kind == "predictions" else RULE_SUFFIXES, kind)
        if kind == "baseline":
            _check_rules(path)
        fingerprint = file_sha256(path)
        copied = f"models/{name}/{'predictions' if kind == 'predictions' else 'rules'}{path.suffix.lower()}"
        target = artifacts.path(copied)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        stored_source = copied
        info = {"original": str(path.resolve()), "size_bytes": path.stat().st_size}
    try:
        row = ModelRow(name=name, kind=kind, source=stored_source, fingerprint=fingerprint, options=options, info=info)
        session.add(row)
        session.commit()
    except BaseException:
        session.rollback()
        if copied:
            artifacts.remove(str(Path(copied).parent))
        raise
    return model_record(row)


def transformers_fingerprint(folder: Path, options: dict[str, Any]) -> str:
    """Fingerprints a checkpoint with its label map: under another map the same weights predict other labels."""
    fingerprint = checkpoint_fingerprint(folder)
    if not options.get("label_map"):
        return fingerprint
    document = {"checkpoint": fingerprint, "label_map": options["label_map"]}
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def infer_kind(source: str) -> str:
    path = Path(source).expanduser()
    suffix = path.suffix.lower()
    if suffix in PREDICTION_SUFFIXES:
        return "predictions"
    if suffix in RULE_SUFFIXES:
        return "baseline"
    return "transformers"


def _existing_file(source: str, suffixes: tuple[str, ...], kind: str) -> Path:
    path = Path(source).expanduser()
    if not path.is_file():
        raise InvalidInputError(f"No such file: {source}; a {kind} model is a {' or '.join(suffixes)} file.")
    if path.suffix.lower() not in suffixes:
        raise InvalidInputError(f"{path.name}: a {kind} model must be a {' or '.join(suffixes)} file.")
    return path


def _check_rules(path: Path) -> None:
    """Checks a rules file's syntax now; its labels are checked against each dataset at evaluation."""
    import yaml

    from benchhub.models.baselines.regex import RegexBaseline

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        document = None  # from_yaml below reports the problem precisely
    named = set()
    if isinstance(document, dict):
        named = {str(rule.get("label")) for rule in document.get("rules") or [] if isinstance(rule, dict)}
        if document.get("default") is not None:
            named.add(str(document["default"]))
    RegexBaseline.from_yaml(path, labels=sorted(named) or ["unlabelled"])


def _checkpoint_info(folder: Path) -> dict[str, Any]:
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    id2label = config.get("id2label") or {}
    return {
        "architectures": config.get("architectures"),
        "model_type": config.get("model_type"),
        "labels": [id2label[k] for k in sorted(id2label, key=int)] if id2label else None,
    }


def get_model_row(session: Session, name: str) -> ModelRow:
    """Finds a registered model, creating the row of a built-in baseline on first use."""
    row = session.scalar(select(ModelRow).where(ModelRow.name == name))
    if row is not None:
        return row
    if name.startswith(BASELINE_PREFIX):
        baseline = name.removeprefix(BASELINE_PREFIX)
        if baseline not in BUILTIN_BASELINES:
            raise ModelNotFoundError(
                f"No built-in baseline {name!r}; built-ins are {', '.join(BASELINE_PREFIX + b for b in BUILTIN_BASELINES)} "
                f"(a regex baseline is registered from its YAML rules: `benchhub model add NAME rules.yaml`)."
            )
        from benchhub.models.baselines import BASELINES

        version = BASELINES[baseline].version
        fingerprint = hashlib.sha256(f"{name}:{version}".encode()).hexdigest()
        row = ModelRow(name=name, kind="baseline", source=baseline, fingerprint=fingerprint, options={}, info={"builtin": True, "version": version})
        session.add(row)
        session.commit()
        return row
    names = session.scalars(select(ModelRow.name).where(ModelRow.kind != "baseline").order_by(ModelRow.name)).all()
    known = f"registered models: {', '.join(names)}" if names else "no models are registered yet"
    raise ModelNotFoundError(
        f"No model named {name!r}; {known}. Built-in baselines: {', '.join(BASELINE_PREFIX + b for b in BUILTIN_BASELINES)}."
    )


def list_models(session: Session) -> list[ModelRecord]:
    return [model_record(row) for row in session.scalars(select(ModelRow).order_by(ModelRow.name))]


def model_record(row: ModelRow) -> ModelRecord:
    return ModelRecord(row.name, row.kind, row.source, row.fingerprint, dict(row.options), dict(row.info), row.created_at)


def load_classifier(row: ModelRow, dataset: DatasetRow, *, artifacts: ArtifactStore, train: Split | None,
                    max_length: int) -> Classifier:
    """Loads the model behind `row`, ready to score examples of `dataset`."""
    labels = list(dataset.labels)
    if row.kind == "transformers":
        from benchhub.models.transformers_classifier import TransformersClassifier

        folder = resolve_checkpoint(row.source, revision=row.options.get("revision"))
        if transformers_fingerprint(folder, row.options) != row.fingerprint:
            raise InvalidInputError(
                f"The files of model {row.name!r} in {folder} changed since it was registered; "
                f"register the new version under a new name."
            )
        return TransformersClassifier(folder, dataset_labels=labels, label_map=row.options.get("label_map"), max_length=max_length)
    from benchhub.models.simple_adapters import BaselineClassifier, PredictionsClassifier

    if row.kind == "predictions":
        return PredictionsClassifier(artifacts.path(row.source), dataset_labels=labels)
    baseline, size = _fitted_baseline(row, dataset, artifacts=artifacts, train=train)
    return BaselineClassifier(baseline, size_bytes=size)


def _fitted_baseline(row: ModelRow, dataset: DatasetRow, *, artifacts: ArtifactStore, train: Split | None) -> tuple[Any, int]:
    """Fits a baseline on the train split once per dataset version; later calls load the saved parameters."""
    from benchhub.models.baselines import BASELINES, create_baseline
    from benchhub.models.baselines.base import MANIFEST_FILE
    from benchhub.models.baselines.regex import RegexBaseline

    labels = list(dataset.labels)
    builtin = row.source in BUILTIN_BASELINES and row.name.startswith(BASELINE_PREFIX)
    cls = BASELINES[row.source] if builtin else RegexBaseline
    folder = artifacts.path("baselines", f"{dataset.name}-{dataset.fingerprint[:12]}", f"{row.name.replace(':', '-')}-{row.fingerprint[:12]}")
    if (folder / MANIFEST_FILE).exists():
        return cls.load(folder), _size(folder)
    if builtin:
        baseline = create_baseline(row.source, labels)
    else:
        baseline = RegexBaseline.from_yaml(artifacts.path(row.source), labels)
    if train is None:
        raise InvalidInputError(
            f"Baseline {row.name!r} trains on a split named 'train', and dataset {dataset.name!r} has none; "
            f"register the dataset with --split train=PATH."
        )
    baseline.fit(train.joined_texts(), train.labels or [])
    with artifacts.new_folder(*folder.relative_to(artifacts.root).parts) as staging:
        baseline.save(staging)
    return baseline, _size(folder)


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
