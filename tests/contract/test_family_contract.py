"""Every registered task family passes the same contract (tests/contract/family_checks.py) on its own sample,
found from the registry: its baselines, a predictions file, and a tiny transformers model with its head (for the
families that run checkpoints)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from benchhub import Hub
from benchhub.tasks.registry import TASKS, runnable_heads
from tests.contract.family_checks import CHECKS, Case
from tests.fixtures.tiny_bert import build_tiny_head

FAMILIES = sorted(name for name, task in TASKS.items() if task.sample is not None)


def test_every_registered_family_has_a_sample_to_run_the_contract_on():
    assert FAMILIES == sorted(TASKS)


@pytest.fixture(scope="module", params=FAMILIES)
def case(request, tmp_path_factory) -> Case:
    task = TASKS[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    sample = Path(str(resources.files("benchhub") / "resources" / task.sample.folder))
    train, test = (sample / name for name in task.sample.files)
    hub = Hub.open(folder / "hub")
    columns = {f"{role}_column": column for role, column in task.sample.columns}
    info = hub.add_dataset("sample", splits={"train": train, "test": test}, task=task.name, **columns)
    case = Case(hub, task, "sample", folder)
    corpus = [text for text in case.split("train").texts[:200]]
    if task in runnable_heads():  # families that run no checkpoint yet are checked on their baselines and files
        hub.add_model("tiny", build_tiny_head(folder / "tiny", task, corpus=corpus, labels=info.labels))
    yield case
    hub.close()


@pytest.mark.slow
@pytest.mark.parametrize("check", CHECKS, ids=[check.__name__.removeprefix("check_") for check in CHECKS])
def test_family_contract(case, check):
    check(case)
