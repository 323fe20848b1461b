"""What a user may see of results computed from hidden labels: one rule, in one place (`Viewer`).

A split is *hidden* from a user when a hosted benchmark has a phase over it whose labels are not
public, and the user is neither an admin nor a maintainer of that benchmark
(`benchmark_service.hidden_from`, the rule phase inputs follow too). Every API route and
page that shows a dataset, an evaluation, a probe run, a ranking, a board or a submission asks
the request's `Viewer`. For a user a split is hidden from:

- fingerprints: the split's SHA-256 fingerprint, and its dataset's (a hash over every split, the
  hidden one included), are never shown, nor any prefix: they hash rows with labels, so anyone
  holding the inputs a phase releases could try label guesses offline until one matches. A keyed
  `digest` stands in (HMAC-SHA256 of the fingerprint under the server's secret): equal for equal
  data, so results can still be matched, but not checkable without the secret. This holds for
  evaluations on *other* splits of that dataset too, whose provenance names the dataset's fingerprint.
- a predictions file evaluated on the split is a list of labels by id (a maintainer's "oracle" is
  the gold itself): its model's fingerprint and file size are withheld the same way.
- evaluations and probe runs on the split are listed with nothing computed from it (no metrics,
  CIs, details, efficiency, probe results or per-example rows); `hidden` names the benchmark that
  hides it. The hub's own ranking of the split is refused: the benchmark's boards rank it.
- benchmark boards and submissions of hidden phases carry point metrics only, no confidence
  intervals. The bootstrap's seed is fixed and public, so two submissions with the same score get
  different intervals depending on exactly which examples they got right: an interval is a
  per-example signal. Participants get nothing finer than the public half's point metrics (and the
  private half's once the phase closes); the benchmark's maintainers and admins keep the intervals.

Anonymous users never read per-example rows, even of splits no benchmark hides.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from benchhub.competitions.benchmarks import hidden_from, is_maintainer
from benchhub.errors import PermissionDeniedError
from benchhub.results import Board, Evaluation, ModelRecord, ProbeReport, Submission
from benchhub.server.auth import OptionalUser
from benchhub.server.dependencies import SessionDep
from benchhub.store.tables import (
    BenchmarkRow,
    DatasetRow,
    EvaluationRow,
    ModelRow,
    UserRow,
)

_DIGEST_CONTEXT = b"benchhub fingerprint digest\x00"
PREDICTIONS_KIND = "predictions"


class Viewer:
    """One request's user and what is hidden from them (looked up once per dataset and benchmark)."""

    def __init__(self, session: Session, user: UserRow | None, secret: bytes) -> None:
        self.session = session
        self.user = user
        self._secret = secret
        self._hiding: dict[str, dict[str, list[str]]] = {}
        self._maintains: dict[int, bool] = {}
        self._benchmarks: dict[str, BenchmarkRow | None] = {}
        self._models: dict[str, bool] = {}

    def hidden_by(self, dataset: str, split: str) -> list[str]:
        """The benchmarks that hide `dataset`/`split` from this user, by name; none: the user may see it all."""
        return self._hidden_splits(dataset).get(split, [])

    def hides_any(self, dataset: str) -> bool:
        """Whether a split of `dataset` is hidden from this user (so its dataset fingerprint, over every split, is too)."""
        return any(self._hidden_splits(dataset).values())

    def reason(self, dataset: str, split: str) -> str | None:
        """Why results on `dataset`/`split` are withheld from this user, or None when they are not."""
        names = self.hidden_by(dataset, split)
        if not names:
            return None
        return f"labels of {dataset}/{split} are hidden by benchmark {', '.join(names)}"

    def refuse_evaluation(self, datasets: list[str], split: str) -> None:
        """Refuses evaluating on a split a hosted benchmark hides from this user: its board is where it is scored."""
        for dataset in dict.fromkeys(datasets):
            reason = self.reason(dataset, split)
            if reason is not None:
                raise PermissionDeniedError(f"You cannot evaluate on {dataset}/{split}: {reason}; submit to that "
                                            "benchmark instead.")

    def may_rank(self, dataset: str, split: str) -> bool:
        """Whether the user may read the hub's ranking of a split (a hidden one is ranked on its benchmark's boards)."""
        return not self.hidden_by(dataset, split)

    def may_read_examples(self, row: EvaluationRow) -> bool:
        """Whether the user may read an evaluation's per-example rows, which carry the gold labels."""
        return self.user is not None and not self.hidden_by(row.dataset.name, row.split)

    def fingerprint(self, value: str, *, dataset: str, split: str | None = None) -> dict[str, str | None]:
        """A split's fingerprint (the dataset's without `split`) as the user may see it:
        `{"fingerprint": value}`, or `{"fingerprint": None, "digest": keyed}` where it covers a hidden split."""
        covers_hidden = self.hidden_by(dataset, split) if split is not None else any(self._hidden_splits(dataset).values())
        if not covers_hidden:
            return {"fingerprint": value}
        return {"fingerprint": None, "digest": self.digest(value)}

    def digest(self, fingerprint: str) -> str:
        """HMAC-SHA256 of a fingerprint under the server's secret: stable, and not checkable offline."""
        return hmac.new(self._secret, _DIGEST_CONTEXT + fingerprint.encode("utf-8"), hashlib.sha256).hexdigest()

    def model(self, record: ModelRecord) -> dict[str, Any]:
        """What the user may see of a model's identity: `fingerprint` (or `digest`) and `info`."""
        if not self._model_hidden(record.name, record.kind):
            return {"fingerprint": record.fingerprint, "info": dict(record.info)}
        info = {key: value for key, value in record.info.items() if key != "size_bytes"}  # a file's size counts label lengths
        return {"fingerprint": None, "digest": self.digest(record.fingerprint), "info": info}

    def evaluation(self, evaluation: Evaluation) -> Evaluation:
        """The evaluation without what it would tell of hidden labels: its fingerprints, and on a hidden split
        its metrics, details and efficiency too."""
        provenance = dict(evaluation.provenance)
        model = dict(provenance.get("model") or {})
        if model.get("fingerprint") and self._model_hidden(evaluation.model, evaluation.model_kind):
            model["digest"] = self.digest(model["fingerprint"])
            model["fingerprint"] = None
            provenance["model"] = model
        data = dict(provenance.get("dataset") or {})
        if data.get("fingerprint"):
            masked = self.fingerprint(data["fingerprint"], dataset=evaluation.dataset)
            data["fingerprint"] = masked["fingerprint"]
            data.update({"digest": masked["digest"]} if "digest" in masked else {})
        if data.get("split_fingerprint"):
            masked = self.fingerprint(data["split_fingerprint"], dataset=evaluation.dataset, split=evaluation.split)
            data["split_fingerprint"] = masked["fingerprint"]
            data.update({"split_digest": masked["digest"]} if "digest" in masked else {})
        provenance["dataset"] = data
        if self.hidden_by(evaluation.dataset, evaluation.split):
            return replace(evaluation, metrics={}, details={}, efficiency={}, provenance=provenance)
        return replace(evaluation, provenance=provenance)

    def probe_report(self, report: ProbeReport) -> ProbeReport:
        """A probe run; on a hidden split without its results (rates, metric changes, calibration)."""
        if self.hidden_by(report.dataset, report.split):
            return replace(report, summary={}, results={})
        return report

    def board(self, board: Board) -> Board:
        """A benchmark board; of a hidden phase, point metrics only unless the user maintains the benchmark."""
        if not self._coarse(board.benchmark, board.phase):
            return board
        return replace(board, rows=[replace(row, metrics=point_metrics(row.metrics)) for row in board.rows])

    def submission(self, submission: Submission) -> Submission:
        """A submission; of a hidden phase, point metrics only unless the user maintains the benchmark."""
        if not self._coarse(submission.benchmark, submission.phase):
            return submission
        return replace(submission, public_metrics=point_metrics(submission.public_metrics),
                       private_metrics=point_metrics(submission.private_metrics))

    def _coarse(self, benchmark: str, phase: str) -> bool:
        """Whether scores of this phase must come without intervals for this user."""
        if benchmark not in self._benchmarks:
            self._benchmarks[benchmark] = self.session.scalar(select(BenchmarkRow).where(BenchmarkRow.name == benchmark))
        bench = self._benchmarks[benchmark]
        phase_row = next((p for p in bench.phases if p.name == phase), None) if bench is not None else None
        if bench is None or phase_row is None or self._maintainer(bench):
            return False
        return not phase_row.labels_public or bool(self.hidden_by(bench.dataset.name, phase_row.split))

    def _maintainer(self, bench: BenchmarkRow) -> bool:
        if bench.id not in self._maintains:
            self._maintains[bench.id] = is_maintainer(self.session, bench, self.user.id if self.user else None)
        return self._maintains[bench.id]

    def _model_hidden(self, name: str, kind: str) -> bool:
        """Whether a model is a predictions file evaluated on a split hidden from the user."""
        if kind != PREDICTIONS_KIND:
            return False
        if name not in self._models:
            evaluated = self.session.execute(
                select(DatasetRow.name, EvaluationRow.split).join(EvaluationRow, EvaluationRow.dataset_id == DatasetRow.id)
                .join(ModelRow, ModelRow.id == EvaluationRow.model_id).where(ModelRow.name == name).distinct()
            ).all()
            self._models[name] = any(self.hidden_by(dataset, split) for dataset, split in evaluated)
        return self._models[name]

    def _hidden_splits(self, dataset: str) -> dict[str, list[str]]:
        if dataset not in self._hiding:
            dataset_id = self.session.scalar(select(DatasetRow.id).where(DatasetRow.name == dataset))
            self._hiding[dataset] = hidden_from(self.session, self.user, dataset_id) if dataset_id is not None else {}
        return self._hiding[dataset]


def point_metrics(metrics: dict[str, Any] | None) -> dict[str, Any] | None:
    """Metrics with their confidence intervals left out (kept as None, so every metric keeps its shape)."""
    if metrics is None:
        return None
    return {name: {**entry, "ci_low": None, "ci_high": None} if isinstance(entry, dict) else entry
            for name, entry in metrics.items()}


def request_viewer(request: Request, session: SessionDep, user: OptionalUser) -> Viewer:
    return Viewer(session, user, request.app.state.secret)


ViewerDep = Annotated[Viewer, Depends(request_viewer)]
