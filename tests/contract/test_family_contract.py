"""Every registered task family passes the same contract (tests/contract/family_checks.py) on its own sample,
found from the registry: its baselines, a predictions file, and a tiny transformers model with its head where
BERT has that head (a family of language-model heads, such as multiple choice, is checked without one).

A family's sample is its demo tour's; a family without a tour ships one as `resources/<family>_sample/`
(`train.jsonl` and `test.jsonl` in its default columns, with an `id` column)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from benchhub import Hub
from benchhub.tasks.registry import TASKS
from tests.contract.family_checks import CHECKS, Case
from tests.fixtures.tiny_bert import build_tiny_head

FAMILIES = sorted(TASKS)


def _sample(task) -> tuple[Path, tuple[str, str], dict[str, str]]:
    """The family's sample folder, its train and test files, and the columns it names."""
    resources_folder = Path(str(resources.files("benchhub") / "resources"))
    if task.demo is not None:
        return resources_folder / task.demo.sample, task.demo.files, {f"{role}_column": c for role, c in task.demo.columns}
    return resources_folder / f"{task.name.replace('-', '_')}_sample", ("train.jsonl", "test.jsonl"), {}


def test_every_registered_family_has_a_sample_to_run_the_contract_on():
    for name in FAMILIES:
        folder, files, _ = _sample(TASKS[name])
        assert all((folder / file).is_file() for file in files), name


@pytest.fixture(scope="module", params=FAMILIES)
def case(request, tmp_path_factory) -> Case:
    task = TASKS[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    sample, files, columns = _sample(task)
    train, test = (sample / name for name in files)
    hub = Hub.open(folder / "hub")
    info = hub.add_dataset("sample", splits={"train": train, "test": test}, task=task.name, **columns)
    case = Case(hub, task, "sample", folder)
    import transformers

    if hasattr(transformers, f"Bert{task.head_suffix}"):
        corpus = [text for text in case.split("train").texts[:200]]
        hub.add_model("tiny", build_tiny_head(folder / "tiny", task, corpus=corpus, labels=info.labels))
    yield case
    hub.close()


@pytest.mark.slow
@pytest.mark.parametrize("check", CHECKS, ids=[check.__name__.removeprefix("check_") for check in CHECKS])
def test_family_contract(case, check):
    check(case)
