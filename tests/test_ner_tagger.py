"""The transformers tagger with a tiny random BERT: windows, sub-token aggregation, label maps, ONNX parity."""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import numpy as np
import pytest

from benchhub.data.records import Split
from benchhub.engine.runner import run_model
from benchhub.errors import InvalidInputError, LabelMappingError
from benchhub.tasks.token_classification.subwords import (
    TagWindow,
    make_windows,
    word_probabilities,
)
from benchhub.tasks.token_classification.transformers_tagger import (
    TransformersTagger,
    tag_columns,
)

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
COMMON = ["alice", "bob", "went", "to", "the", "market", "in", "paris", "and", "met", "carol", "near", "berlin",
          "yesterday", ",", "."]
RARE = ["quixotically", "xylophonists", "unbelievably", "grandiloquence"]  # not in the vocabulary's corpus: split
WORDS = COMMON + RARE
ZERO_WIDTH = "\u200b"  # BERT's normaliser drops it: a word with no sub-token


def sentences(n: int, *, seed: int, low: int = 3, high: int = 14, vocabulary: list[str] = WORDS) -> list[list[str]]:
    rng = random.Random(seed)
    return [[rng.choice(vocabulary) for _ in range(rng.randint(low, high))] for _ in range(n)]


def make_split(words: list[list[str]], name: str = "test") -> Split:
    rng = random.Random(len(words))
    tags = [[rng.choice(TAGS) for _ in sentence] for sentence in words]
    return Split(name, list(range(len(words))), [" ".join(s) for s in words], fields={"tokens": words, "tags": tags})


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tagger_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.fixtures.tiny_bert import build_tiny_bert_tagger

    rng = random.Random(1)
    corpus = [" ".join(rng.choice(COMMON) for _ in range(10)) for _ in range(60)] + [
        " ".join("abcdefghijklmnopqrstuvwxyz"), " ".join("z" + c for c in "abcdefghijklmnopqrstuvwxyz")]  # every ##letter
    return build_tiny_bert_tagger(tmp_path_factory.mktemp("tiny-tagger"), TAGS, corpus=corpus)


@pytest.fixture(scope="module")
def tokenizer(tagger_folder: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tagger_folder, trust_remote_code=False)


@pytest.fixture(scope="module")
def per_token_folder(tagger_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny tagger with attention outputs and position embeddings zeroed: each token's logits depend on
    that token alone, so any window of a sentence gives exactly the whole sentence's sub-token logits."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    model = AutoModelForTokenClassification.from_pretrained(tagger_folder, trust_remote_code=False)
    with torch.no_grad():
        model.bert.embeddings.position_embeddings.weight.zero_()
        for layer in model.bert.encoder.layer:
            layer.attention.output.dense.weight.zero_()
            layer.attention.output.dense.bias.zero_()
    folder = tmp_path_factory.mktemp("per-token")
    model.save_pretrained(folder, safe_serialization=True)
    AutoTokenizer.from_pretrained(tagger_folder, trust_remote_code=False).save_pretrained(folder)
    return folder


def oracle(folder: Path, words: list[str], aggregation: str) -> np.ndarray:
    """The network run directly on the whole sentence, each word's sub-token distributions aggregated by hand."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
    model = AutoModelForTokenClassification.from_pretrained(folder, trust_remote_code=False).eval()
    encoded = tokenizer(words, is_split_into_words=True, return_tensors="pt")
    with torch.no_grad():
        probabilities = torch.softmax(model(**encoded).logits[0].double(), dim=-1).numpy()
    word_ids = encoded.word_ids(0)
    result = np.full((len(words), len(TAGS)), np.nan)
    for word in range(len(words)):
        rows = probabilities[[p for p, w in enumerate(word_ids) if w == word]]
        if len(rows) == 0:
            continue
        if aggregation == "first":
            result[word] = rows[0]
        elif aggregation == "max":
            result[word] = max(rows, key=lambda row: row.max())
        else:
            result[word] = rows.sum(axis=0) / len(rows)
    return result


def tagger_probabilities(tagger: TransformersTagger, split: Split) -> list[np.ndarray]:
    windows = tagger.encode(split)
    outputs = tagger.predict(windows)
    return [word_probabilities(len(words), [w for w in windows if w.sentence == s],
                               [o for w, o in zip(windows, outputs) if w.sentence == s],
                               aggregation=tagger.aggregation).probabilities
            for s, words in enumerate(split.field("tokens"))]


def test_the_data_has_words_of_several_sub_tokens_and_a_word_with_none(tokenizer):
    encoded = tokenizer(["xylophonists", "grandiloquence", ZERO_WIDTH, "alice"], is_split_into_words=True)
    counts = [encoded.word_ids().count(word) for word in range(4)]
    assert counts[0] > 1 and counts[1] > 1 and counts[2] == 0 and counts[3] == 1


@pytest.mark.parametrize("aggregation", ["first", "max", "average"])
def test_word_probabilities_match_the_network_run_on_the_whole_sentence(tagger_folder, aggregation):
    split = make_split(sentences(12, seed=3) + [["quixotically", "grandiloquence", "xylophonists"]])
    tagger = TransformersTagger(tagger_folder, dataset_tags=TAGS, aggregation=aggregation, device="cpu")
    got = tagger_probabilities(tagger, split)
    decoded = tagger.decode(split, tagger.encode(split), tagger.predict(tagger.encode(split)))
    for words, probabilities, tags in zip(split.field("tokens"), got, decoded, strict=True):
        expected = oracle(tagger_folder, words, aggregation)
        np.testing.assert_allclose(probabilities, expected, atol=1e-6)
        assert list(tags.tags) == [TAGS[i] for i in expected.argmax(axis=1)]
        np.testing.assert_allclose(tags.confidences, expected.max(axis=1), atol=1e-6)


def test_the_aggregations_differ_on_words_of_several_sub_tokens(tagger_folder):
    split = make_split([["quixotically", "grandiloquence", "xylophonists", "unbelievably"]])
    results = {a: tagger_probabilities(TransformersTagger(tagger_folder, dataset_tags=TAGS, aggregation=a), split)[0]
               for a in ("first", "max", "average")}
    assert not np.allclose(results["first"], results["average"])
    assert not np.allclose(results["max"], results["average"])
    for row in results["average"]:
        assert math.isclose(row.sum(), 1.0)


def test_a_word_with_no_sub_token_is_tagged_outside_with_a_nan_confidence_and_counted(tagger_folder):
    split = make_split([["alice", ZERO_WIDTH, "went"], [ZERO_WIDTH], []])
    tagger = TransformersTagger(tagger_folder, dataset_tags=TAGS)
    windows = tagger.encode(split)
    assert tagger.info.extra["words_without_subtokens"] == 2
    decoded = tagger.decode(split, windows, tagger.predict(windows))
    assert decoded[0].tags[1] == "O" and math.isnan(decoded[0].confidences[1])
    assert not math.isnan(decoded[0].confidences[0]) and not math.isnan(decoded[0].confidences[2])
    assert decoded[1].tags == ("O",) and math.isnan(decoded[1].confidences[0])
    assert decoded[2].tags == () and decoded[2].confidences == ()
    expected = oracle(tagger_folder, split.field("tokens")[0], "first")
    assert decoded[0].tags[0] == TAGS[int(expected[0].argmax())]


@pytest.mark.parametrize("max_length,stride", [(6, 0), (6, 2), (9, 3), (16, 7), (128, 10)])
def test_every_window_is_a_slice_of_the_whole_sentence_in_the_same_special_tokens(tokenizer, max_length, stride):
    words_list = sentences(20, seed=5, low=0, high=40) + [["xylophonists"] * 12]
    windows = make_windows(tokenizer, words_list, max_length=max_length, stride=stride)
    for index, words in enumerate(words_list):
        whole = tokenizer(words, is_split_into_words=True)
        ids, word_ids = whole["input_ids"], whole.word_ids()
        content = [p for p, w in enumerate(word_ids) if w is not None]
        first, last = (content[0], content[-1] + 1) if content else (1, 1)
        mine = [w for w in windows if w.sentence == index]
        assert mine, "every sentence has at least one window"
        covered = []
        for window in mine:
            assert len(window.input_ids) <= max_length
            size = window.size
            assert window.input_ids == (ids[:first] + ids[first + window.start : first + window.start + size] + ids[last:])
            assert window.word_ids == (word_ids[:first] + word_ids[first + window.start : first + window.start + size]
                                       + word_ids[last:])
            assert window.token_type_ids == [0] * len(window.input_ids)
            covered.append((window.start, window.start + size))
        assert covered[0][0] == 0 and covered[-1][1] == last - first
        for (start, end), (next_start, _) in itertools.pairwise(covered):
            assert end == start + (max_length - 2) and next_start == end - stride
        if last - first <= max_length - 2:
            assert len(mine) == 1


def test_windows_refuse_a_stride_that_leaves_no_progress(tokenizer, tagger_folder):
    with pytest.raises(InvalidInputError, match=r"--stride must be an int in the range \[0, 4\)"):
        make_windows(tokenizer, [["alice"]], max_length=6, stride=4)
    with pytest.raises(InvalidInputError, match=r"--stride must be an int in the range \[0, 14\)"):
        TransformersTagger(tagger_folder, dataset_tags=TAGS, max_length=16, stride=14)


def test_the_default_stride_is_half_the_room_up_to_128(tagger_folder):
    assert TransformersTagger(tagger_folder, dataset_tags=TAGS, max_length=32).stride == 15
    tagger = TransformersTagger(tagger_folder, dataset_tags=TAGS)  # 512 is cut to the tokenizer's 128
    assert (tagger.max_length, tagger.stride) == (128, 63)
    assert {k: tagger.info.extra[k] for k in ("max_length", "stride", "aggregation")} == {
        "max_length": 128, "stride": 63, "aggregation": "first"}


def test_max_context_reads_each_word_in_the_window_where_it_is_farthest_from_an_edge(tokenizer):
    words = ["alice"] * 10  # one sub-token each
    windows = make_windows(tokenizer, [words], max_length=6, stride=2)  # room 4: [0,4) [2,6) [4,8) [6,10)
    assert [(w.start, w.size) for w in windows] == [(0, 4), (2, 4), (4, 4), (6, 4)]
    # Window k says "window k" through a one-hot distribution on every token.
    outputs = [np.tile(np.eye(len(windows))[k], (len(w.input_ids), 1)) for k, w in enumerate(windows)]
    chosen = word_probabilities(10, windows, outputs).probabilities.argmax(axis=1)
    assert chosen.tolist() == [0, 0, 0, 1, 1, 2, 2, 3, 3, 3]


def test_a_word_cut_by_a_window_edge_is_read_where_all_its_sub_tokens_are():
    # Word 1 has three sub-tokens; window 0 holds only two of them, at its edge, window 1 all three.
    windows = [TagWindow(0, [2, 5, 6, 7, 6, 3], None, [None, 0, 0, 1, 1, None], 0, 1),
               TagWindow(0, [2, 6, 7, 6, 7, 3], None, [None, 1, 1, 1, 2, None], 3, 1)]
    outputs = [np.tile([1.0, 0.0], (6, 1)), np.tile([0.0, 1.0], (6, 1))]
    result = word_probabilities(3, windows, outputs, aggregation="average")
    assert result.probabilities.argmax(axis=1).tolist() == [0, 1, 1] and result.missing == ()


def test_long_sentences_windowed_tag_like_one_window_for_a_per_token_network(per_token_folder):
    split = make_split([s + RARE[:2] for s in sentences(6, seed=8, low=30, high=60, vocabulary=COMMON)])
    whole = TransformersTagger(per_token_folder, dataset_tags=TAGS, max_length=128, aggregation="average")
    windowed = TransformersTagger(per_token_folder, dataset_tags=TAGS, max_length=20, stride=12, aggregation="average")
    long_items = windowed.encode(split)
    assert len(long_items) > 3 * len(split) and len(whole.encode(split)) == len(split)
    longest_word = max(w.word_ids.count(word) for w in whole.encode(split) for word in set(w.word_ids) - {None})
    assert 1 < longest_word <= 12 + 1  # at most stride + 1 sub-tokens: every word lies whole in some window
    expected = whole.decode(split, whole.encode(split), whole.predict(whole.encode(split)))
    got = windowed.decode(split, long_items, windowed.predict(long_items))
    assert [s.tags for s in got] == [s.tags for s in expected]
    np.testing.assert_allclose(np.concatenate([s.confidences for s in got]),
                               np.concatenate([s.confidences for s in expected]), atol=1e-6)


@pytest.mark.parametrize("batch_size", [8, 32])
def test_batch_size_does_not_change_predictions(tagger_folder, batch_size):
    split = make_split(sentences(40, seed=11, low=1, high=50))
    tagger = TransformersTagger(tagger_folder, dataset_tags=TAGS, max_length=24, stride=6)
    one = run_model(tagger, split, batch_size=1, show_progress=False)
    many = run_model(tagger, split, batch_size=batch_size, show_progress=False)
    assert len(one.items) > len(split)  # some sentences were windowed
    first, second = tagger.decode(split, one.items, one.outputs), tagger.decode(split, many.items, many.outputs)
    assert [s.tags for s in first] == [s.tags for s in second]
    np.testing.assert_allclose(np.concatenate([s.confidences for s in first]),
                               np.concatenate([s.confidences for s in second]), atol=1e-6)


def test_a_model_whose_labels_are_not_dataset_tags_is_refused_in_one_line(tmp_path):
    from tests.fixtures.tiny_bert import build_tiny_bert_tagger

    folder = build_tiny_bert_tagger(tmp_path / "other", TAGS, corpus=["alice went to paris"],
                                    label_names=["O", "B-PER", "I-PER", "B-ORG", "I-ORG"])
    with pytest.raises(LabelMappingError) as caught:
        TransformersTagger(folder, dataset_tags=TAGS)
    message = str(caught.value)
    assert "\n" not in message
    assert "'B-ORG', 'I-ORG' are not among the dataset's tags" in message and "--label-map" in message
    tagger = TransformersTagger(folder, dataset_tags=TAGS, label_map={"B-ORG": "B-LOC", "I-ORG": "I-LOC"})
    assert tagger.columns == [0, 1, 2, 3, 4]


def test_a_label_map_may_send_several_model_labels_to_one_tag_and_their_probabilities_add():
    assert tag_columns(["O", "B-PER", "B-MISC", "I-MISC"], ["O", "B-PER"], {"B-MISC": "O", "I-MISC": "O"}) == [0, 1, 0, 0]
    with pytest.raises(LabelMappingError, match="'B-X', which is not a model label"):
        tag_columns(["O"], ["O"], {"B-X": "O"})


def test_many_to_one_probabilities_add_up_and_unpredicted_tags_are_noted(tmp_path):
    from tests.fixtures.tiny_bert import build_tiny_bert_tagger

    names = ["O", "B-PER", "I-PER", "B-MISC"]
    folder = build_tiny_bert_tagger(tmp_path / "misc", TAGS, corpus=["alice went to paris"], label_names=names)
    tagger = TransformersTagger(folder, dataset_tags=TAGS, label_map={"B-MISC": "O"})
    split = make_split([["alice", "went", "to", "paris"]])
    windows = tagger.encode(split)
    scores = tagger.predict(windows)[0]
    assert np.allclose(scores.sum(axis=1), 1.0) and np.all(scores[:, 3:] == 0)
    assert "words tagged 'B-LOC', 'I-LOC' can never be right" in tagger.info.extra["notes"][0]


@pytest.mark.slow
def test_onnx_runtime_matches_torch(tagger_folder, tmp_path):
    from benchhub.optimize.export import export_onnx

    exported = export_onnx(tagger_folder, "token-classification", tmp_path / "onnx")
    assert exported.outputs == ("logits",)
    split = make_split(sentences(30, seed=13, low=1, high=45))
    for aggregation in ("first", "average"):
        torch_tagger = TransformersTagger(tagger_folder, dataset_tags=TAGS, max_length=20, aggregation=aggregation)
        onnx_tagger = TransformersTagger(tmp_path / "onnx", dataset_tags=TAGS, max_length=20, aggregation=aggregation,
                                         runtime="onnx", device="cpu")
        assert onnx_tagger.info.extra["runtime"] == "onnxruntime"
        for expected, got in zip(tagger_probabilities(torch_tagger, split), tagger_probabilities(onnx_tagger, split)):
            np.testing.assert_allclose(got, expected, atol=1e-4)
        runs = [run_model(t, split, batch_size=8, show_progress=False) for t in (torch_tagger, onnx_tagger)]
        tags = [t.decode(split, run.items, run.outputs) for t, run in zip((torch_tagger, onnx_tagger), runs)]
        assert [s.tags for s in tags[0]] == [s.tags for s in tags[1]]
