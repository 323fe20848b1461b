"""The majority-tag and feature-logreg tagging baselines (memorization: tests/test_ner_memorization.py)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from benchhub.errors import InvalidInputError
from benchhub.models.baselines.base import NotFittedError
from benchhub.tasks.token_classification.baselines import BASELINES
from benchhub.tasks.token_classification.baselines.feature_logreg import (
    FeatureLogRegBaseline,
)
from benchhub.tasks.token_classification.baselines.majority_tag import (
    MajorityTagBaseline,
)
from benchhub.tasks.token_classification.baselines.word_features import (
    shape,
    word_features,
)

SENTENCES = [["Ada", "met", "Bo", "in", "Paris"], ["Bo", "left"], ["Paris", "is", "big"]]
TAGS = [["B-PER", "O", "B-PER", "O", "B-LOC"], ["B-PER", "O"], ["B-LOC", "O", "O"]]


def test_majority_tag_predicts_trains_most_frequent_tag_with_its_share():
    baseline = MajorityTagBaseline().fit(SENTENCES, TAGS, "IOB2")
    (first,) = baseline.predict([["x", "y"]])
    assert first.tags == ("O", "O") and first.confidences == (0.5, 0.5)  # 5 of the 10 train words are O
    tie = MajorityTagBaseline().fit([["a", "b"]], [["B-X", "A-Y"]])
    assert tie.tag == "A-Y"  # equal counts: the alphabetically first


def test_word_features_of_a_hand_made_sentence():
    assert shape("McDonald's") == "XxXx'x" and shape("1999") == "d" and shape("U.S.") == "X.X."
    assert word_features(["Ada", "met", "Bo"], 0) == [
        "bias", "w=ada", "shape=Xx", "p1=a", "p2=ad", "p3=ada", "s1=a", "s2=da", "s3=ada", "title", "first",
        "w-1=<s>", "w+1=met", "shape+1=x",
    ]
    assert word_features(["Ada", "met", "Bo"], 2)[-4:] == ["last", "w-1=met", "shape-1=x", "w+1=</s>"]


def test_feature_logreg_learns_a_separable_tagging_task_and_predicts_sentence_by_sentence_as_in_a_batch():
    sentences = [["Dr", name, "spoke"] for name in ("Ada", "Bo", "Cy", "Di")] * 5
    tags = [["O", "B-PER", "O"]] * len(sentences)
    baseline = FeatureLogRegBaseline(C=10.0).fit(sentences, tags)
    test = [["Dr", "Ed", "spoke"], ["Dr", "Fi", "spoke"]]
    together = baseline.predict(test)
    assert [p.tags for p in together] == [("O", "B-PER", "O")] * 2
    assert [baseline.predict([sentence])[0] for sentence in test] == together


def test_a_saved_feature_logreg_predicts_the_same_probabilities_without_pickle(tmp_path):
    baseline = FeatureLogRegBaseline().fit(SENTENCES, TAGS)
    baseline.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arrays.npz", "baseline.json", "features.json"]
    assert np.load(tmp_path / "arrays.npz", allow_pickle=False).files == ["coef", "intercept"]
    loaded = FeatureLogRegBaseline.load(tmp_path)
    probe = [["Bo", "met", "Ada", "in", "Rome"]]
    assert np.abs(loaded.predict_proba(probe) - baseline.predict_proba(probe)).max() <= 1e-9
    # The same probabilities scikit-learn gives when fitted directly on the same matrix.
    direct = LogisticRegression(max_iter=300, random_state=0).fit(
        baseline._matrix([f for s in SENTENCES for f in _features(s)]),
        [baseline.tags.index(t) for s in TAGS for t in s])
    assert np.abs(direct.predict_proba(baseline._matrix(_features(probe[0]))) - baseline.predict_proba(probe)).max() <= 1e-9


def _features(sentence):
    from benchhub.tasks.token_classification.baselines.word_features import (
        sentence_features,
    )

    return sentence_features(sentence)


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_every_tagging_baseline_refuses_use_before_fit_and_bad_training_data(name):
    cls = BASELINES[name]
    with pytest.raises(NotFittedError, match="not fitted"):
        cls().predict([["a"]])
    with pytest.raises(InvalidInputError, match=r"has 2 words but 1 tags|2 words but 1 tags"):
        cls().fit([["a", "b"]], [["O"]], "IOB2")
    with pytest.raises(InvalidInputError, match=r"must be a list of sentences"):
        cls().fit("a b", [["O"]], "IOB2")
