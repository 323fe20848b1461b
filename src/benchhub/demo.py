"""The offline end-to-end tour behind `benchhub demo` and `make demo`.

Registers the bundled support-intents dataset, fine-tunes all-MiniLM-L6-v2 into a classifier
(cached after the first run), evaluates it next to every built-in baseline and prints the
leaderboard. Everything runs locally on CPU.
"""

from __future__ import annotations

import hashlib
import json
import time
from importlib import resources
from pathlib import Path
from typing import Callable

from benchhub.data.records import Split
from benchhub.engine.finetune import FinetuneConfig, finetune_classifier
from benchhub.errors import BenchhubError, DatasetNotFoundError, ModelNotFoundError
from benchhub.hub import Hub
from benchhub.results import Leaderboard
from benchhub.models.pretrained import MINILM_SHA256, minilm_folder

DATASET = "support-intents"
MODEL = "minilm-support-intents"


def sample_folder() -> Path:
    return Path(str(resources.files("benchhub") / "resources" / "sample"))


def run_demo(hub: Hub, *, progress: bool = True, epochs: float = 4.0, echo: Callable[[str], None] = print,
             show_leaderboard: Callable[[Leaderboard], None] | None = None) -> dict:
    """Runs the tour; returns the leaderboard and the fine-tuned model's evaluation."""
    started = time.perf_counter()
    echo(f"benchhub demo — hub at {hub.config.home}")
    sample = sample_folder()
    dataset = _ensure_dataset(hub, sample)
    echo(f"1. dataset {dataset.name!r}: {', '.join(f'{s.name}={s.num_rows}' for s in dataset.splits)} examples, "
         f"{len(dataset.labels)} labels (data card: {sample / 'DATA_CARD.md'})")

    base = minilm_folder()
    echo(f"2. encoder all-MiniLM-L6-v2 from {base} (SHA-256 {MINILM_SHA256[:12]}… verified)")
    config = FinetuneConfig(epochs=epochs)
    checkpoint = _ensure_checkpoint(hub, base, dataset.fingerprint, config, progress=progress, echo=echo)
    model = _ensure_model(hub, checkpoint)
    echo(f"3. registered model {model.name!r} (safetensors checkpoint at {checkpoint})")

    evaluation = hub.evaluate(model=MODEL, dataset=DATASET, split="test", progress=progress)
    echo(f"4. evaluated {MODEL} on {DATASET}/test"
         f"{' (from cache)' if evaluation.cached else ''}: {evaluation.efficiency['examples_per_second']:.0f} examples/s")
    board = hub.leaderboard(dataset=DATASET, split="test", progress=progress)
    echo("5. leaderboard (built-in baselines trained on the train split and evaluated as reference rows):")
    (show_leaderboard or (lambda b: echo(json.dumps(b.to_dict(), indent=2))))(board)

    keyword = next(row for row in board.rows if row.model == "baseline:keyword")
    ours = next(row for row in board.rows if row.model == MODEL)
    mine, theirs = ours.metrics["macro_f1"], keyword.metrics["macro_f1"]
    separated = mine["ci_low"] > theirs["ci_high"]
    echo(f"6. {MODEL} macro-F1 {mine['value']:.3f} [{mine['ci_low']:.3f}, {mine['ci_high']:.3f}] vs keyword baseline "
         f"{theirs['value']:.3f} [{theirs['ci_low']:.3f}, {theirs['ci_high']:.3f}]: "
         + ("the transformer clearly beats the keyword baseline (CIs do not overlap)." if separated
            else "the CIs overlap: the transformer is NOT clearly better than the keyword baseline."))
    echo(f"   artifacts: {hub.artifacts.root} (datasets/, checkpoints/, baselines/, evaluations/)")
    echo(f"   per-example predictions: benchhub predictions --model {MODEL} --dataset {DATASET} --errors")
    echo(f"   the same leaderboard as CSV: benchhub leaderboard --dataset {DATASET} --format csv")
    echo(f"done in {time.perf_counter() - started:.0f} s")
    return {"leaderboard": board, "evaluation": evaluation, "beats_keyword": separated}


def _ensure_dataset(hub: Hub, sample: Path):
    try:
        return hub.dataset(DATASET)
    except DatasetNotFoundError:
        return hub.add_dataset(
            DATASET, splits={"train": sample / "train.jsonl", "test": sample / "test.jsonl"},
            task="text-classification", id_column="id",
        )


def _ensure_checkpoint(hub: Hub, base: Path, dataset_fingerprint: str, config: FinetuneConfig, *,
                       progress: bool, echo: Callable[[str], None]) -> Path:
    recipe = json.dumps({"base": MINILM_SHA256, "data": dataset_fingerprint, "config": config.__dict__}, sort_keys=True)
    folder = hub.artifacts.path("checkpoints", f"{MODEL}-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}")
    if (folder / "model.safetensors").is_file():
        echo(f"   reusing the fine-tuned checkpoint from an earlier run ({folder.name})")
        return folder
    train = _train_split(hub)
    echo(f"   fine-tuning on {len(train)} train examples ({config.epochs:g} epochs, seed {config.seed}, CPU)…")
    with hub.artifacts.new_folder(*folder.relative_to(hub.artifacts.root).parts) as staging:
        summary = finetune_classifier(base, train, list(hub.dataset(DATASET).labels), staging, config=config, show_progress=progress)
    echo(f"   fine-tuned in {summary['seconds']:.0f} s ({summary['steps']} steps, final loss {summary['final_loss']:.3f})")
    return folder


def _train_split(hub: Hub) -> Split:
    from benchhub.dataset_service import get_dataset_row, load_split

    with hub._sessions() as session:
        return load_split(hub.artifacts, get_dataset_row(session, DATASET), "train")


def _ensure_model(hub: Hub, checkpoint: Path):
    try:
        existing = hub.model(MODEL)
    except ModelNotFoundError:
        return hub.add_model(MODEL, checkpoint, kind="transformers")
    if Path(existing.source) != checkpoint.resolve():
        raise BenchhubError(
            f"Model {MODEL!r} in this hub points at {existing.source}, not the demo checkpoint {checkpoint}; "
            f"run the demo in a fresh hub (e.g. BENCHHUB_HOME=/tmp/benchhub-demo benchhub demo)."
        )
    return existing
