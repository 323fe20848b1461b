"""`dataset remove` and `model remove`: refused while something depends on the name, everything at once with
--cascade (rows in one transaction, files after the commit), benchmarks never; and `exist_ok` registration."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from benchhub import (
    ConflictError,
    DatasetNotFoundError,
    Hub,
    InvalidInputError,
    ModelNotFoundError,
    NameTakenError,
    Removal,
)
from benchhub.catalog import removal as removal_service
from benchhub.cli.app import app
from benchhub.competitions.benchmarks import PhaseSpec
from benchhub.store.tables import DatasetRow, EvaluationRow, ModelRow, SplitRow
from tests.conftest import review_rows, write_jsonl
from tests.test_cli import one_error_line, run_cli

TEST = review_rows(24, seed=2, prefix="test")


def add_reviews(hub: Hub, folder: Path, name: str = "reviews") -> None:
    hub.add_dataset(name, id_column="id", splits={
        "train": write_jsonl(folder / "train.jsonl", review_rows(40, seed=1, prefix="train")),
        "test": write_jsonl(folder / "test.jsonl", TEST)})


def oracle_file(folder: Path, name: str = "oracle.jsonl") -> Path:
    return write_jsonl(folder / name, [{"id": r["id"], "label": r["label"]} for r in TEST])


@pytest.fixture
def hub(open_hub, tmp_path: Path) -> Hub:
    """`reviews` with a predictions model `oracle`; oracle, baseline:majority and baseline:tfidf-logreg evaluated."""
    hub = open_hub()
    add_reviews(hub, tmp_path)
    hub.add_model("oracle", oracle_file(tmp_path))
    for model in ("oracle", "baseline:majority", "baseline:tfidf-logreg"):
        hub.evaluate(model=model, dataset="reviews", progress=False)
    return hub


def counts(hub: Hub) -> dict[str, int]:
    with hub.session() as session:
        return {table.__tablename__: session.scalar(select(func.count()).select_from(table))
                for table in (DatasetRow, SplitRow, ModelRow, EvaluationRow)}


def files(hub: Hub) -> list[str]:
    root = hub.artifacts.root
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_a_dataset_in_use_is_refused_and_nothing_changes(hub):
    before, stored = counts(hub), files(hub)
    assert before == {"datasets": 1, "dataset_splits": 2, "models": 3, "evaluations": 3}
    with pytest.raises(ConflictError) as refused:
        hub.remove_dataset("reviews")
    assert str(refused.value) == ("Dataset 'reviews' is used by 3 evaluations; nothing was removed "
                                  "(pass --cascade to remove the dataset with what uses it).")
    assert counts(hub) == before and files(hub) == stored
    assert hub.evaluate(model="oracle", dataset="reviews", progress=False).cached


def test_cascade_removes_a_dataset_with_its_evaluations_and_files(hub, tmp_path):
    stored = files(hub)
    assert "datasets/reviews/test.jsonl" in stored and sum(f.startswith("evaluations/") for f in stored) == 3
    assert any(f.startswith("baselines/reviews-") for f in stored)
    removal = hub.remove_dataset("reviews", cascade=True)
    assert removal == Removal(kind="dataset", name="reviews", evaluations=3, files=5)  # dataset, baselines, 3 predictions
    assert counts(hub) == {"datasets": 0, "dataset_splits": 0, "models": 3, "evaluations": 0}
    assert files(hub) == ["models/oracle/predictions.jsonl"]  # the models stay, with their files
    with pytest.raises(DatasetNotFoundError, match=r"^No dataset named 'reviews'; no datasets are registered yet\."):
        hub.dataset("reviews")
    # The name is free again, and the same data evaluates afresh.
    add_reviews(hub, tmp_path)
    assert not hub.evaluate(model="oracle", dataset="reviews", progress=False).cached


def test_a_model_in_use_is_refused_and_cascade_removes_it_with_its_results(hub):
    before, stored = counts(hub), files(hub)
    with pytest.raises(ConflictError) as refused:
        hub.remove_model("oracle")
    assert str(refused.value) == ("Model 'oracle' is used by 1 evaluation; nothing was removed "
                                  "(pass --cascade to remove the model with what uses it).")
    assert counts(hub) == before and files(hub) == stored
    assert hub.remove_model("oracle", cascade=True) == Removal(kind="model", name="oracle", evaluations=1, files=2)
    assert counts(hub) == {"datasets": 1, "dataset_splits": 2, "models": 2, "evaluations": 2}
    assert not any(f.startswith("models/oracle") for f in files(hub))
    assert sum(f.startswith("evaluations/") for f in files(hub)) == 2
    with pytest.raises(ModelNotFoundError, match=r"^No model named 'oracle'; no models are registered yet\."):
        hub.model("oracle")


def test_a_model_without_results_goes_without_cascade(hub, tmp_path):
    hub.add_model("vendor", oracle_file(tmp_path, "vendor.jsonl"))
    assert "models/vendor/predictions.jsonl" in files(hub)
    assert hub.remove_model("vendor") == Removal(kind="model", name="vendor", files=1)
    assert not any(f.startswith("models/vendor") for f in files(hub))
    assert (tmp_path / "vendor.jsonl").is_file()  # the file it was registered from is the user's


def test_a_built_in_baseline_stays_and_cascade_removes_its_results(hub):
    with pytest.raises(InvalidInputError) as refused:
        hub.remove_model("baseline:tfidf-logreg")
    assert str(refused.value) == ("Model 'baseline:tfidf-logreg' is built in and cannot be removed; nothing was removed "
                                  "(pass --cascade to remove its 1 evaluation; the baseline stays available).")
    with pytest.raises(InvalidInputError, match=r"^Model 'baseline:keyword' is built in and cannot be removed; "
                                                r"it has no stored results either\.$"):
        hub.remove_model("baseline:keyword")
    fitted = [f for f in files(hub) if "/baseline-tfidf-logreg-" in f]
    assert fitted
    removal = hub.remove_model("baseline:tfidf-logreg", cascade=True)
    assert removal == Removal(kind="model", name="baseline:tfidf-logreg", evaluations=1, files=2, builtin=True)
    assert not any(f in files(hub) for f in fitted)
    assert counts(hub)["evaluations"] == 2
    again = hub.evaluate(model="baseline:tfidf-logreg", dataset="reviews", progress=False)  # fitted anew
    assert not again.cached and again.provenance["model"]["fitted"] is True


def test_unknown_names_are_refused_as_lookups_are(hub):
    with pytest.raises(DatasetNotFoundError, match=r"^No dataset named 'nope'; registered datasets: reviews\. "
                                                   r"Add one with `benchhub dataset add`\.$"):
        hub.remove_dataset("nope")
    with pytest.raises(ModelNotFoundError, match=r"^No model named 'nope'; registered models: oracle\. Built-in baselines: "):
        hub.remove_model("nope")
    with pytest.raises(ModelNotFoundError, match=r"^No built-in baseline 'baseline:nope'; built-ins are baseline:majority, "):
        hub.remove_model("baseline:nope")


def test_a_benchmark_keeps_its_dataset_even_with_cascade(hub, tmp_path):
    hub.create_user("root", admin=True)
    hub.create_benchmark("sentiment", dataset="reviews", phases=[PhaseSpec("test", "test")], user="root")
    hub.submit("sentiment", oracle_file(tmp_path, "submitted.jsonl"), user="root")
    before, stored = counts(hub), files(hub)
    for cascade in (False, True):
        with pytest.raises(ConflictError) as refused:
            hub.remove_dataset("reviews", cascade=cascade)
        assert str(refused.value) == (
            "Dataset 'reviews' is used by benchmark 'sentiment' (1 submission), and by 3 evaluations; a dataset a hosted "
            "benchmark uses is never removed, not even with --cascade, since the benchmark holds its participants' "
            "submissions (nothing was removed).")
    assert counts(hub) == before and files(hub) == stored
    assert [s.id for s in hub.submissions("sentiment", user="root")] == [1]


def test_a_failed_commit_leaves_rows_and_files(hub, monkeypatch):
    before, stored = counts(hub), files(hub)
    real = removal_service._delete

    def half_then_fail(session, rows):
        real(session, rows)  # every delete ran in the transaction, then the database gives up
        raise RuntimeError("disk I/O error")

    monkeypatch.setattr(removal_service, "_delete", half_then_fail)
    with pytest.raises(RuntimeError, match="disk I/O error"):
        hub.remove_dataset("reviews", cascade=True)
    assert counts(hub) == before and files(hub) == stored


def test_the_folder_of_a_model_is_the_hubs_only_inside_its_model_folders(hub, tmp_path):
    with hub.session() as session:
        oracle = session.scalar(select(ModelRow).where(ModelRow.name == "oracle"))
        assert removal_service.model_folder_of(oracle, hub.artifacts) == "models/oracle"
        elsewhere = ModelRow(name="mine", kind="transformers", source=str(tmp_path / "my-bert"), fingerprint="0", options={}, info={})
        assert removal_service.model_folder_of(elsewhere, hub.artifacts) is None
        checkpoint = ModelRow(name="tuned", kind="transformers", source=str(hub.artifacts.path("checkpoints", "finetuned-ab")),
                              fingerprint="0", options={}, info={})
        assert removal_service.model_folder_of(checkpoint, hub.artifacts) == "checkpoints/finetuned-ab"
        variant = ModelRow(name="tuned@onnx", kind="onnx", source="models/tuned@onnx", fingerprint="0", options={"in_hub": True}, info={})
        assert removal_service.model_folder_of(variant, hub.artifacts) == "models/tuned@onnx"
        assert removal_service.shared_folders(session, hub.artifacts) == {"models/oracle"}


def test_fine_tuned_models_depend_on_their_base_and_data_and_a_shared_checkpoint_stays(tmp_path, tiny_bert, isolated_hub):
    hub = Hub.open()
    add_reviews(hub, tmp_path)
    hub.add_model("tiny", tiny_bert)
    recipe = {"dataset": "reviews", "epochs": 1, "batch_size": 8, "seed": 0, "evaluate_on": None, "progress": False}
    one = hub.finetune("tiny", name="one", **recipe).model
    two = hub.finetune("tiny", name="two", **recipe).model
    checkpoint = hub.artifacts.path(one.source)
    assert two.source == one.source and one.source.startswith("checkpoints/finetuned-") and (checkpoint / "model.safetensors").is_file()
    hub.evaluate(model="two", dataset="reviews", progress=False)

    with pytest.raises(ConflictError, match=re.escape(
            "Dataset 'reviews' is used by 1 evaluation and 2 models made from it (one, two); nothing was removed")):
        hub.remove_dataset("reviews")
    with pytest.raises(ConflictError, match=re.escape("Model 'tiny' is used by 1 evaluation and 2 models made from it (one, two); nothing")):
        hub.remove_model("tiny")
    # `one` has no results of its own; its checkpoint is also `two`'s, so it stays.
    assert hub.remove_model("one") == Removal(kind="model", name="one")
    assert (checkpoint / "model.safetensors").is_file()
    assert hub.remove_model("tiny", cascade=True) == Removal(kind="model", name="tiny", evaluations=1, models=["two"], files=2)
    assert not checkpoint.exists()  # the last model that used it is gone
    assert (tiny_bert / "config.json").is_file()  # the folder `tiny` was registered from is the user's
    assert [m.name for m in hub.models()] == []
    assert hub.remove_dataset("reviews") == Removal(kind="dataset", name="reviews", files=1)
    hub.close()


def test_exist_ok_returns_the_same_dataset_and_refuses_other_data(open_hub, tmp_path):
    hub = open_hub()
    add_reviews(hub, tmp_path)
    first = hub.dataset("reviews")
    again = hub.add_dataset("reviews", id_column="id", exist_ok=True,
                            splits={"train": tmp_path / "train.jsonl", "test": tmp_path / "test.jsonl"})
    assert again == first
    with pytest.raises(NameTakenError, match=r"^A dataset named 'reviews' already exists; choose another name\.$"):
        hub.add_dataset("reviews", id_column="id", splits={"train": tmp_path / "train.jsonl", "test": tmp_path / "test.jsonl"})
    other = write_jsonl(tmp_path / "other.jsonl", TEST[:-1])
    with pytest.raises(NameTakenError) as refused:
        hub.add_dataset("reviews", id_column="id", exist_ok=True, splits={"train": tmp_path / "train.jsonl", "test": other})
    assert re.fullmatch(
        rf"A dataset named 'reviews' already exists with other content \(registered fingerprint {first.fingerprint[:12]}, "
        r"given [0-9a-f]{12}\); remove it first \(`benchhub dataset remove reviews`\) or choose another name\.",
        str(refused.value))
    assert hub.datasets() == [first]


def test_exist_ok_returns_the_same_model_and_refuses_another(open_hub, tmp_path, tiny_bert):
    hub = open_hub()
    first = hub.add_model("oracle", oracle_file(tmp_path))
    assert hub.add_model("oracle", tmp_path / "oracle.jsonl", exist_ok=True) == first
    stored = hub.artifacts.path(first.source).read_bytes()
    changed = write_jsonl(tmp_path / "changed.jsonl", [{"id": r["id"], "label": "positive"} for r in TEST])
    with pytest.raises(NameTakenError) as refused:
        hub.add_model("oracle", changed, exist_ok=True)
    assert re.fullmatch(
        rf"A model named 'oracle' already exists with other content \(registered: predictions model, fingerprint "
        rf"{first.fingerprint[:12]}; given: predictions model, fingerprint [0-9a-f]{{12}}\); remove it first "
        r"\(`benchhub model remove oracle`\) or choose another name\.", str(refused.value))
    assert hub.artifacts.path(first.source).read_bytes() == stored  # the hub's copy is untouched
    tiny = hub.add_model("tiny", tiny_bert)
    assert hub.add_model("tiny", tiny_bert, exist_ok=True) == tiny
    # Under another label map the same weights predict other labels: another fingerprint.
    with pytest.raises(NameTakenError, match=r"^A model named 'tiny' already exists with other content \(registered: "
                                             r"transformers model, fingerprint [0-9a-f]{12}; given: transformers model, "):
        hub.add_model("tiny", tiny_bert, exist_ok=True, label_map="negative=positive,positive=negative")
    assert [m.name for m in hub.models()] == ["oracle", "tiny"]


def test_the_web_pages_of_removed_things_are_404(hub):
    from benchhub.server import create_app

    evaluation = hub.evaluate(model="oracle", dataset="reviews", progress=False)
    client = TestClient(create_app(hub.config))
    assert client.get(f"/evaluations/{evaluation.id}").status_code == 200
    hub.remove_dataset("reviews", cascade=True)
    assert client.get(f"/evaluations/{evaluation.id}").status_code == 404
    assert client.get("/leaderboards/reviews").status_code == 404
    assert client.get("/datasets/reviews").status_code == 404
    assert client.get("/models/oracle").status_code == 200 and client.get("/").status_code == 200


runner = CliRunner()


def test_the_cli_removes_and_registers_again(tmp_path, isolated_hub):
    with Hub.open() as hub:
        add_reviews(hub, tmp_path)
    predictions = str(oracle_file(tmp_path))
    added = runner.invoke(app, ["model", "add", "oracle", predictions])
    assert added.exit_code == 0, added.output
    again = runner.invoke(app, ["model", "add", "oracle", predictions, "--exist-ok"])
    assert again.exit_code == 0, again.output
    assert re.fullmatch(r"Model 'oracle' is registered with these files already \(fingerprint [0-9a-f]{12}\); kept it\.\n",
                        again.output)
    kept = runner.invoke(app, ["dataset", "add", "reviews", "--split", f"train={tmp_path / 'train.jsonl'}",
                               "--split", f"test={tmp_path / 'test.jsonl'}", "--id-column", "id", "--exist-ok"])
    assert kept.exit_code == 0 and kept.output.startswith("Dataset 'reviews' is registered with this data already")
    assert runner.invoke(app, ["eval", "--model", "oracle", "--dataset", "reviews", "--quiet"]).exit_code == 0

    refused = runner.invoke(app, ["dataset", "remove", "reviews"])
    assert refused.exit_code == 1 and isinstance(refused.exception, ConflictError)
    removed = runner.invoke(app, ["model", "remove", "oracle", "--cascade"])
    assert removed.exit_code == 0, removed.output
    assert removed.output == "Removed model 'oracle' with 1 evaluation.\n"
    document = runner.invoke(app, ["dataset", "remove", "reviews", "--json"])
    assert document.exit_code == 0, document.output
    assert '"kind": "dataset"' in document.output and '"evaluations": 0' in document.output
    builtin = runner.invoke(app, ["model", "remove", "baseline:majority", "--cascade"])
    assert builtin.output == "Built-in baseline 'baseline:majority' has no stored results; it stays available.\n"


def test_a_refused_removal_is_one_line_on_stderr(tmp_path, isolated_hub):
    with Hub.open() as hub:
        add_reviews(hub, tmp_path)
        hub.evaluate(model="baseline:majority", dataset="reviews", progress=False)
    assert one_error_line(run_cli("dataset", "remove", "reviews")) == (
        "error: Dataset 'reviews' is used by 1 evaluation; nothing was removed "
        "(pass --cascade to remove the dataset with what uses it).")
    removed = run_cli("dataset", "remove", "reviews", "--cascade")
    assert removed.returncode == 0 and removed.stdout == "Removed dataset 'reviews' with 1 evaluation.\n"
    assert one_error_line(run_cli("dataset", "remove", "reviews")).startswith("error: No dataset named 'reviews'; ")


@pytest.mark.parametrize("removed", ["model", "dataset"])
def test_an_evaluation_whose_model_or_dataset_is_removed_while_it_runs_stores_nothing_and_says_why(hub, tmp_path, monkeypatch,
                                                                                                     removed):
    from benchhub.evaluation import evaluations

    hub.add_model("late", oracle_file(tmp_path, "late.jsonl"))
    before = files(hub)
    real = evaluations.evaluate

    def removed_meanwhile(*args, **kwargs):
        output = real(*args, **kwargs)
        if removed == "model":
            hub.remove_model("late")
        else:
            hub.remove_dataset("reviews", cascade=True)
        return output

    monkeypatch.setattr(evaluations, "evaluate", removed_meanwhile)
    with pytest.raises(ConflictError) as refused:
        hub.evaluate(model="late", dataset="reviews", progress=False)
    what = "Model 'late'" if removed == "model" else "Dataset 'reviews'"
    assert str(refused.value) == f"{what} was removed while the evaluation ran; nothing was stored. Register it again to evaluate it."
    left = counts(hub)
    assert left["evaluations"] == (3 if removed == "model" else 0)
    assert not [path for path in files(hub) if path.startswith("evaluations/") and path not in before]
