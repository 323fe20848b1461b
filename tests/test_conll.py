"""CoNLL column files: reading, writing, and token-classification splits built from files and tables."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchhub.data.readers import read_source
from benchhub.errors import ColumnNotFoundError, DatasetFormatError
from benchhub.tasks.token_classification.conll import Sentence, read_conll, write_conll
from benchhub.tasks.token_classification.splits import (
    build_tagging_split,
    split_from_sentences,
)
from benchhub.tasks.token_classification.task import TokenClassification

TASK = TokenClassification()

CONLL2003_STYLE = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP B-NP B-LOC
1996-08-22 CD I-NP O
"""


def write(tmp_path: Path, text: str, name: str = "data.conll") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_reads_conll2003_layout_with_pos_and_chunk_columns_and_docstart(tmp_path: Path) -> None:
    sentences = read_conll(write(tmp_path, CONLL2003_STYLE))
    assert sentences == [
        Sentence(("EU", "rejects", "German", "call", "."), ("B-ORG", "O", "B-MISC", "O", "O"), 3),
        Sentence(("Peter", "Blackburn"), ("B-PER", "I-PER"), 9),
        Sentence(("BRUSSELS", "1996-08-22"), ("B-LOC", "O"), 14),
    ]


def test_chosen_tag_column_picks_the_chunk_tags(tmp_path: Path) -> None:
    path = write(tmp_path, CONLL2003_STYLE)
    assert read_conll(path, tag_column=2)[1].tags == ("B-NP", "I-NP")
    assert read_conll(path, tag_column=-2)[1].tags == ("B-NP", "I-NP")
    assert read_conll(path, tag_column=1)[0].tags == ("NNP", "VBZ", "JJ", "NN", ".")


def test_crlf_tabs_bom_and_trailing_blank_lines(tmp_path: Path) -> None:
    text = "\ufeffHello\tO\r\nWorld \t B-LOC\r\n\r\n\r\n  \r\n#\tO\r\nend\tO\r\n\r\n\r\n"
    sentences = read_conll(write(tmp_path, text, "data.txt"))
    assert sentences == [Sentence(("Hello", "World"), ("O", "B-LOC"), 1), Sentence(("#", "end"), ("O", "O"), 6)]


def test_no_trailing_blank_line_and_iob_suffix(tmp_path: Path) -> None:
    assert read_conll(write(tmp_path, "a O\nb O", "x.iob")) == [Sentence(("a", "b"), ("O", "O"), 1)]


def test_unicode_spaces_stay_inside_tokens(tmp_path: Path) -> None:
    assert read_conll(write(tmp_path, "10\u00a0000 O\n"))[0].tokens == ("10\u00a0000",)


@pytest.mark.parametrize(("text", "message"), [
    ("a O\nb\n", r"data\.conll, line 2 \(sentence 1\): one column where a token and a tag need two"),
    ("a O\n\nx NN O\ny O\n", r"line 4 \(sentence 2\): 2 columns where the sentence's first row \(line 3\) has 3; every row"),
    ("# sent_id = 1\na O\n", r"line 2 \(sentence 1\): 2 columns .* has 4; .*comment lines are not supported, remove them\."),
    ("\n\n  \n", r"data\.conll has no sentences; a CoNLL file needs rows"),
    ("-DOCSTART- O\n\n", r"has no sentences"),
    ("", r"data\.conll is empty"),
], ids=["one-column", "column-count", "comment", "blank-only", "docstart-only", "empty"])
def test_bad_rows_name_file_line_and_sentence(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DatasetFormatError, match=message):
        read_conll(write(tmp_path, text))


@pytest.mark.parametrize(("tag_column", "message"), [
    (2, r"line 1 \(sentence 1\): no tag column 2 in rows of 2 columns \(the token is column 0\); choose tag_column from 1 to 1, or -1 to -1\."),
    (-2, r"no tag column -2 in rows of 2 columns"),
    (-3, r"no tag column -3 in rows of 2 columns"),
    (0, r"tag column 0 is the token column"),
], ids=["past-end", "negative-token", "negative-past-start", "zero"])
def test_missing_tag_column(tmp_path: Path, tag_column: int, message: str) -> None:
    with pytest.raises(DatasetFormatError, match=message):
        read_conll(write(tmp_path, "a O\nb O\n"), tag_column=tag_column)


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.conll"
    path.write_bytes("a O\n\ncaf\u00e9 O\n".encode("latin-1"))
    with pytest.raises(DatasetFormatError, match=r"latin\.conll is not valid UTF-8: byte 0xe9 on line 3; re-save the file as UTF-8"):
        read_conll(path)


def test_only_regular_files_with_a_conll_suffix(tmp_path: Path) -> None:
    (tmp_path / "folder.conll").mkdir()
    with pytest.raises(DatasetFormatError, match=r"folder\.conll is not a regular file"):
        read_conll(tmp_path / "folder.conll")
    with pytest.raises(DatasetFormatError, match=r"No such file: .*missing\.conll"):
        read_conll(tmp_path / "missing.conll")
    with pytest.raises(DatasetFormatError, match=r"data\.csv: unknown file type '\.csv' for a CoNLL file; use one of \.conll, \.txt, \.iob\."):
        read_conll(write(tmp_path, "a O\n", "data.csv"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.conll"
    os.mkfifo(pipe)
    with pytest.raises(DatasetFormatError, match=r"is not a regular file"):
        read_conll(pipe)


def test_file_size_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchhub.tasks.token_classification import conll

    monkeypatch.setattr(conll, "CONLL_FILE_LIMIT", 8)
    with pytest.raises(DatasetFormatError, match=r"data\.conll is larger than 8 B, the limit for a CoNLL file; split it"):
        read_conll(write(tmp_path, "token O\nother O\n"))
    assert read_conll(write(tmp_path, "ab O\n")) == [Sentence(("ab",), ("O",), 1)]


def test_write_conll_round_trip(tmp_path: Path) -> None:
    sentences = read_conll(write(tmp_path, CONLL2003_STYLE))
    out = tmp_path / "out.conll"
    write_conll(out, sentences)
    assert out.read_bytes().startswith(b"EU B-ORG\nrejects O\nGerman B-MISC\ncall O\n. O\n\nPeter B-PER\n")
    again = read_conll(out)
    assert [(s.tokens, s.tags) for s in again] == [(s.tokens, s.tags) for s in sentences]
    assert [s.line for s in again] == [1, 7, 10]


@pytest.mark.parametrize(("sentence", "message"), [
    (Sentence(("a", "b"), ("O",)), r"sentence 1: 2 tokens and 1 tags"),
    (Sentence((), ()), r"sentence 1: 0 tokens and 0 tags; a sentence to write needs at least one token"),
    (Sentence(("New York",), ("B-LOC",)), r"sentence 1: 'New York' is empty or holds whitespace"),
    (Sentence(("a",), ("",)), r"sentence 1: '' is empty or holds whitespace"),
], ids=["counts", "empty", "space-in-token", "empty-tag"])
def test_write_conll_refuses_what_it_cannot_write(tmp_path: Path, sentence: Sentence, message: str) -> None:
    with pytest.raises(DatasetFormatError, match=message):
        write_conll(tmp_path / "out.conll", [sentence])


# --- splits -------------------------------------------------------------------------------------------------------

NER_NAMES = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def test_split_from_sentences(tmp_path: Path) -> None:
    split = split_from_sentences("test", read_conll(write(tmp_path, CONLL2003_STYLE)))
    assert split.ids == [0, 1, 2]
    assert split.texts == ["EU rejects German call .", "Peter Blackburn", "BRUSSELS 1996-08-22"]
    assert split.field("tokens")[1] == ["Peter", "Blackburn"]
    assert split.field("tags")[1] == ["B-PER", "I-PER"]
    assert TASK.has_references(split) and split.labels is None
    assert split_from_sentences("test", read_conll(write(tmp_path, CONLL2003_STYLE)), ids=["a", "b", "c"]).ids == ["a", "b", "c"]


def test_split_from_sentences_checks(tmp_path: Path) -> None:
    sentences = [Sentence(("a",), ("O",), 1), Sentence(("b",), ("O",), 3)]
    with pytest.raises(DatasetFormatError, match=r"split 'test': duplicate sentence id 'x'; every sentence id must be unique\."):
        split_from_sentences("test", sentences, ids=["x", "x"])
    with pytest.raises(DatasetFormatError, match=r"split 'test': 1 ids for 2 sentences; give one id per sentence\."):
        split_from_sentences("test", sentences, ids=["x"])
    with pytest.raises(DatasetFormatError, match=r"split 'test' has no sentences"):
        split_from_sentences("test", [])


def test_build_tagging_split_with_tag_names() -> None:
    rows = [{"id": "s1", "tokens": ["Ana", "visits", "Lima", "."], "tags": ["B-PER", "O", "B-LOC", "O"]},
            {"id": "s2", "tokens": ["Nothing", "here"], "tags": ["O", "O"]}]
    split = build_tagging_split("train", rows, tokens_column="tokens", tags_column="tags", id_column="id", where="ner.jsonl")
    assert split.ids == ["s1", "s2"]
    assert split.texts == ["Ana visits Lima .", "Nothing here"]
    assert split.field("tags") == [["B-PER", "O", "B-LOC", "O"], ["O", "O"]]


def test_build_tagging_split_with_classlabel_ids_and_no_id_column() -> None:
    rows = [{"tokens": ["Ana", "Lopez", "joined", "Acme"], "ner_tags": [1, 2, 0, 3]}]
    split = build_tagging_split("test", rows, tokens_column="tokens", tags_column="ner_tags", class_names=NER_NAMES, where="hub")
    assert split.ids == [0]
    assert split.field("tags") == [["B-PER", "I-PER", "O", "B-ORG"]]


def test_build_tagging_split_without_tags_has_no_references() -> None:
    split = build_tagging_split("test", [{"tokens": ["a", "b"]}], tokens_column="tokens", tags_column=None, where="x")
    assert split.field("tags") is None and split.field("tokens") == [["a", "b"]] and not TASK.has_references(split)


@pytest.mark.parametrize(("row", "message"), [
    ({"id": "s", "tokens": "Ana visits", "tags": ["O"]}, r"sentence 's': column 'tokens' holds str, not a list of tokens"),
    ({"id": "s", "tokens": ["Ana", 3], "tags": ["O", "O"]}, r"sentence 's': token 2 is int 3, not a string"),
    ({"id": "s", "tokens": ["Ana", ""], "tags": ["O", "O"]}, r"sentence 's': token 2 is empty"),
    ({"id": "s", "tokens": ["New York"], "tags": ["B-LOC"]}, r"sentence 's': token 1 'New York' holds whitespace; texts join tokens with spaces"),
    ({"id": "s", "tokens": ["a", "b"], "tags": ["O"]}, r"sentence 's' has 2 tokens and 1 tags; give one tag per token\."),
    ({"id": "s", "tokens": [], "tags": []}, r"sentence 's' has no tokens; drop empty sentences"),
    ({"id": "s", "tokens": ["a"], "tags": [9]}, r"sentence 's': tag 1 is 9, out of range for 9 tag names; use 0 to 8\."),
    ({"id": "s", "tokens": ["a"], "tags": [-1]}, r"sentence 's': tag 1 is -1, out of range"),
    ({"id": "s", "tokens": ["a"], "tags": [True]}, r"sentence 's': tag 1 is bool True, not a tag name or an integer id"),
    ({"id": "s", "tokens": ["a"], "tags": [""]}, r"sentence 's': tag 1 '' is empty or holds whitespace"),
    ({"id": "s", "tokens": ["a"], "tags": "O"}, r"sentence 's': column 'tags' holds str, not a list of tags"),
    ({"id": True, "tokens": ["a"], "tags": ["O"]}, r"row 0: id True in column 'id' is not a non-empty string or integer"),
], ids=["tokens-str", "token-int", "token-empty", "token-space", "count", "empty", "tag-range", "tag-negative", "tag-bool",
        "tag-empty", "tags-str", "bad-id"])
def test_build_tagging_split_checks(row: dict, message: str) -> None:
    with pytest.raises(DatasetFormatError, match=r"^ner\.jsonl, split 'train'.*" + message):
        build_tagging_split("train", [row], tokens_column="tokens", tags_column="tags", id_column="id",
                            class_names=NER_NAMES, where="ner.jsonl")


def test_build_tagging_split_integer_tags_need_names() -> None:
    with pytest.raises(DatasetFormatError, match=r"sentence 0: tag 1 is the integer 1 but the tags have no names; "):
        build_tagging_split("train", [{"tokens": ["a"], "tags": [1]}], tokens_column="tokens", tags_column="tags", where="w")


def test_build_tagging_split_duplicate_ids_and_missing_columns() -> None:
    rows = [{"id": 1, "tokens": ["a"], "tags": ["O"]}, {"id": 1, "tokens": ["b"], "tags": ["O"]}]
    with pytest.raises(DatasetFormatError, match=r"^w, split 'train': duplicate sentence id 1; every sentence id must be unique\.$"):
        build_tagging_split("train", rows, tokens_column="tokens", tags_column="tags", id_column="id", where="w")
    with pytest.raises(ColumnNotFoundError, match=r"^Column 'words' not in w, split 'train', row 0\. Current columns: \['id', 'tokens', 'tags'\]\. Name the right one as tokens_column\.$"):
        build_tagging_split("train", rows, tokens_column="words", tags_column="tags", where="w")
    with pytest.raises(DatasetFormatError, match=r"^w: split 'train' has no sentences"):
        build_tagging_split("train", [], tokens_column="tokens", tags_column="tags", where="w")


def test_save_to_disk_sequence_of_classlabel_carries_tag_names(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    features = datasets.Features({
        "id": datasets.Value("string"),
        "tokens": datasets.Sequence(datasets.Value("string")),
        "ner_tags": datasets.Sequence(datasets.ClassLabel(names=NER_NAMES)),
        "label": datasets.ClassLabel(names=["no", "yes"]),
    })
    data = {"id": ["a", "b"], "tokens": [["Ana", "Lopez", "flew", "to", "Oslo"], ["Hi"]],
            "ner_tags": [[1, 2, 0, 0, 5], [0]], "label": [1, 0]}
    datasets.Dataset.from_dict(data, features=features).save_to_disk(str(tmp_path / "saved"))
    table = read_source(str(tmp_path / "saved"))
    assert table.class_labels == {"ner_tags": NER_NAMES, "label": ["no", "yes"]}
    assert table.rows[0]["ner_tags"] == [1, 2, 0, 0, 5]
    split = build_tagging_split("test", table.rows, tokens_column="tokens", tags_column="ner_tags", id_column="id",
                                class_names=table.class_labels["ner_tags"], where=str(tmp_path / "saved"))
    assert split.field("tags") == [["B-PER", "I-PER", "O", "O", "B-LOC"], ["O"]]
    assert split.texts == ["Ana Lopez flew to Oslo", "Hi"]
