"""CSV / TSV / JSON Lines tables of texts and label lists (lamp_pyg.io.text_table)."""
import json

import pytest

from lamp_pyg.io.base import DataFormatError
from lamp_pyg.io.text_table import (get_tokenizer, read_jsonl, read_text_dataset,
                                    read_text_table, split_labels)


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_with_header_quotes_and_label_strings(tmp_path):
    f = write(tmp_path / "train.csv", 'id,text,labels\n'
                                      'a1,"Oil prices, again",crude ship\n'
                                      'a2,"Two\nlines",grain\n'
                                      'a3,,\n')
    split, skipped = read_text_table(f, id_field="id")
    assert split.kind == "text" and split.ids == ["a1", "a2", "a3"]
    assert split.inputs == [["oil", "prices", "again"], ["two", "lines"], []]
    assert split.labels == [["crude", "ship"], ["grain"], []]  # empty text and labels kept
    assert skipped == {}


def test_the_words_tokenizer_keeps_pre_tokenised_inputs_whole(tmp_path):
    """reuters (default) splits at ``_`` and punctuation, so ``w3_1`` and ``w1_3`` make the
    same bag; ``words`` splits on whitespace only. Both lower-case."""
    f = write(tmp_path / "t.csv", "text,labels\nW3_1 w1_3 C01.2 #ml,a\n")
    j = write(tmp_path / "t.jsonl", json.dumps({"text": "W3_1 w1_3 C01.2 #ml", "labels": ["a"]}))
    assert read_text_table(f)[0].inputs == [["w3", "1", "w1", "3", "c01", "2", "ml"]]
    words = ["w3_1", "w1_3", "c01.2", "#ml"]
    assert read_text_table(f, tokenizer="words")[0].inputs == [words]
    assert read_jsonl(j, tokenizer="words")[0].inputs == [words]
    assert read_jsonl(j, tokenizer="reuters")[0].inputs == read_text_table(f)[0].inputs
    with pytest.raises(ValueError, match="unknown tokenizer 'spaces': expected one of "
                                         "reuters, words"):
        get_tokenizer("spaces")


def test_libmultilabel_tsv_without_header(tmp_path):
    f = write(tmp_path / "train.txt", 'd1\tearn acq\tProfit "rose" 5%\n\nd2\tacq\tBid\n')
    split, skipped = read_text_table(f, columns=["id", "labels", "text"], id_field="id")
    assert split.ids == ["d1", "d2"] and split.labels == [["earn", "acq"], ["acq"]]
    assert split.inputs[0][0] == "profit"  # quotes are text in a TSV, not quoting
    assert skipped == {"blank lines": 1}


def test_several_text_columns_and_a_label_separator(tmp_path):
    f = write(tmp_path / "t.csv", "title,body,tags\nHi,There,a;b; a\n")
    split, _ = read_text_table(f, text_field=["title", "body"], label_field="tags",
                               label_sep=";")
    assert split.inputs == [["hi", "there"]] and split.labels == [["a", "b"]]
    assert split_labels(" x  y x ", None) == ["x", "y"]


@pytest.mark.parametrize("text, kwargs, line, words", [
    ("text,labels\na,b,c\n", {}, 2, ["3 fields", "expected 2"]),
    ("body,labels\nx,y\n", {}, 1, ["no column 'text'", "data.text_field"]),
    ("text,tags\nx,y\n", {}, 1, ["no column 'labels'", "data.label_field"]),
    ("", {}, None, ["empty file", "header row"]),
    ('text,labels\n"open,a\n', {}, 2, ["malformed row"]),
])
def test_table_errors_name_file_and_line(tmp_path, text, kwargs, line, words):
    f = write(tmp_path / "bad.csv", text)
    with pytest.raises(DataFormatError) as e:
        read_text_table(f, **kwargs)
    assert e.value.path == str(f) and e.value.line == line, str(e.value)
    for w in words:
        assert w in str(e.value)


def test_jsonl_lists_strings_ids_and_blank_lines(tmp_path):
    rows = [{"text": "Good movie", "labels": ["pos", "en"], "id": 7},
            {"text": "", "labels": "neg en"}, {"text": "x", "labels": [1, 2]}]
    f = write(tmp_path / "t.jsonl", "\n".join(json.dumps(r) for r in rows[:2]) + "\n\n"
              + json.dumps(rows[2]) + "\n")
    split, skipped = read_jsonl(f)
    assert split.inputs == [["good", "movie"], [], ["x"]]
    assert split.labels == [["pos", "en"], ["neg", "en"], ["1", "2"]]
    assert split.ids == ["t.jsonl:1", "t.jsonl:2", "t.jsonl:4"] and skipped == {"blank lines": 1}


@pytest.mark.parametrize("line, words", [
    ("{bad json", ["not valid JSON"]),
    ("[1, 2]", ["JSON object"]),
    ('{"text": "a"}', ["no key 'labels'"]),
    ('{"text": 3, "labels": []}', ["'text' must be a string"]),
    ('{"text": "a", "labels": {"x": 1}}', ["'labels'", "list of label strings"]),
])
def test_jsonl_errors_name_file_and_line(tmp_path, line, words):
    f = write(tmp_path / "bad.jsonl", '{"text": "ok", "labels": ["a"]}\n' + line + "\n")
    with pytest.raises(DataFormatError) as e:
        read_jsonl(f)
    assert e.value.path == str(f) and e.value.line == 2
    for w in words:
        assert w in str(e.value)


def test_dataset_label_names_are_sorted_strings_over_all_splits(tmp_path):
    tr = write(tmp_path / "train.csv", "text,labels\na b,z y\nc,y\n")
    te = write(tmp_path / "test.csv", "text,labels\nd,x\n")
    raw = read_text_dataset("t", {"train": tr, "test": te})
    assert raw.label_names == ["x", "y", "z"]
    assert raw.splits["train"].labels == [[1, 2], [1]] and raw.splits["test"].labels == [[0]]
    assert raw.kind == "text" and raw.sources == [str(tr), str(te)]


def test_undecodable_bytes_name_the_line(tmp_path):
    f = tmp_path / "latin.csv"
    f.write_bytes(b"text,labels\ncaf\xe9,a\n")
    with pytest.raises(DataFormatError, match="line 2.*not valid utf-8"):
        read_text_table(f)
