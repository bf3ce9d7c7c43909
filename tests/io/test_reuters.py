"""Tests for lamp_pyg.io.reuters: SGML parsing, ModApte rules, errors, real data."""
import functools
import time

import pytest

from lamp_pyg.io import DataFormatError, RawDataset, read_reuters
from lamp_pyg.io.reuters import REUTERS_FILES, TOKEN_PATTERN, iter_reuters_records, tokenize

DOCTYPE = '<!DOCTYPE lewis SYSTEM "lewis.dtd">\n'


def record(newid, split="TRAIN", topics_attr="YES", topics=(), title="Title", body="Body text",
           text_type=None, text=None):
    """One <REUTERS> record in the layout of the real files (14+ lines)."""
    ds = "".join(f"<D>{t}</D>" for t in topics)
    ttype = f' TYPE="{text_type}"' if text_type else ""
    if text is None:
        text = (f"&#2;\n<TITLE>{title}</TITLE>\n<DATELINE>    CITY, March 1 - </DATELINE>"
                f"<BODY>{body}\n Reuter\n&#3;</BODY>")
    return (f'<REUTERS TOPICS="{topics_attr}" LEWISSPLIT="{split}" CGISPLIT="TRAINING-SET" '
            f'OLDID="{int(newid) + 5000}" NEWID="{newid}">\n'
            f"<DATE>26-FEB-1987 15:01:01.79</DATE>\n"
            f"<TOPICS>{ds}</TOPICS>\n<PLACES><D>usa</D></PLACES>\n<PEOPLE></PEOPLE>\n"
            f"<ORGS></ORGS>\n<EXCHANGES></EXCHANGES>\n<COMPANIES></COMPANIES>\n"
            f"<UNKNOWN> \n&#5;&#5;&#5;C T\n&#22;&#22;&#1;f0704&#31;reute\n</UNKNOWN>\n"
            f"<TEXT{ttype}>{text}\n</TEXT>\n</REUTERS>\n")


def write(path, text):
    path.write_bytes(text.encode("latin-1"))
    return path


# ---------------------------------------------------------------- tokenizer

def test_tokenize_words_numbers_and_punctuation():
    text = "U.S. sold 1,750 dlrs at 5.93 mln; the company's mid-1987 plan_b, 36-1/2 pct."
    assert tokenize(text) == ["u", "s", "sold", "1,750", "dlrs", "at", "5.93", "mln", "the",
                              "company", "s", "mid", "1987", "plan", "b", "36", "1", "2", "pct"]


def test_tokenize_keeps_case_when_asked_and_ignores_control_chars():
    assert tokenize("Bahia COCOA\x03\x7f Review", lowercase=False) == ["Bahia", "COCOA", "Review"]
    assert TOKEN_PATTERN  # documented, public


# ---------------------------------------------------------------- one file

def test_iter_records_fields_entities_and_lines(tmp_path):
    body = "Profit &lt;ABC Corp&gt; rose &amp; fell\x7f &#127;Z\xfcrich"
    p = write(tmp_path / "reut2-000.sgm",
              DOCTYPE + record("1", topics=["cocoa", "grain", "cocoa"], title="BAHIA &amp; CO",
                               body=body)
              + record("2", split="TEST", topics_attr="NO"))
    recs = list(iter_reuters_records(p))
    assert [r.newid for r in recs] == ["1", "2"]
    r = recs[0]
    assert (r.lewissplit, r.topics_attr) == ("TRAIN", "YES")
    assert r.topics == ["cocoa", "grain"] and r.duplicate_topics == 1
    assert r.title == "BAHIA & CO"
    assert r.body.startswith("Profit <ABC Corp> rose & fell   Z\xfcrich")
    assert "&" not in r.body.replace(" & ", "") and "\x03" not in r.body
    assert r.line == 2 and recs[1].line == 2 + record("1").count("\n")
    assert recs[1].topics == [] and recs[1].lewissplit == "TEST"
    assert tokenize(r.text) == ["bahia", "co", "profit", "abc", "corp", "rose", "fell", "z\xfcrich",
                                "reuter"]


def test_unproc_story_uses_text_content(tmp_path):
    p = write(tmp_path / "reut2-000.sgm", DOCTYPE + record(
        "7", topics=["earn"], text_type="UNPROC",
        text="&#2;\nCORRECTED - BANCA NAZIONALE =2 LONDON\n    The warrants will be issued.\n REUTER\n&#3;"))
    (r,) = iter_reuters_records(p)
    assert r.title == r.body == ""
    assert tokenize(r.text) == ["corrected", "banca", "nazionale", "2", "london", "the", "warrants",
                                "will", "be", "issued", "reuter"]


def test_brief_story_has_title_only(tmp_path):
    p = write(tmp_path / "reut2-000.sgm", DOCTYPE + record(
        "8", topics=["earn"], text_type="BRIEF", text="&#2;\n******<TITLE>FIRM SEES PROFIT</TITLE>\n"))
    (r,) = iter_reuters_records(p)
    assert tokenize(r.text) == ["firm", "sees", "profit"]


# ---------------------------------------------------------------- malformed input

def _err(tmp_path, text):
    p = write(tmp_path / "reut2-000.sgm", text)
    with pytest.raises(DataFormatError) as ei:
        list(iter_reuters_records(p))
    assert ei.value.path == str(p)
    return ei.value


def test_error_record_without_closing_tag(tmp_path):
    first = record("1", topics=["a"]).replace("</REUTERS>\n", "")
    e = _err(tmp_path, DOCTYPE + first + record("2"))
    assert e.line == 2
    assert "no </REUTERS>" in e.message and f"line {2 + first.count(chr(10))}" in e.message


def test_error_unterminated_file(tmp_path):
    ok = record("1")
    cut = record("2")[:200]
    e = _err(tmp_path, DOCTYPE + ok + cut)
    assert e.line == 2 + ok.count("\n")
    assert "file ends" in e.message and "</REUTERS>" in e.message


@pytest.mark.parametrize("attr", ["NEWID", "LEWISSPLIT", "TOPICS"])
def test_error_missing_attribute(tmp_path, attr):
    bad = record("2")
    start = bad.index(f'{attr}="')
    bad = bad[:start] + bad[bad.index('"', start + len(attr) + 2) + 1:]
    e = _err(tmp_path, DOCTYPE + record("1") + bad)
    assert e.line == 2 + record("1").count("\n")
    assert f"lacks the {attr} attribute" in e.message


@pytest.mark.parametrize("old,new,what", [
    ('NEWID="2"', 'NEWID="x2"', "NEWID must be a decimal number"),
    ('LEWISSPLIT="TRAIN"', 'LEWISSPLIT="DEV"', "LEWISSPLIT must be one of"),
    ('NEWID="2"', "NEWID=2", 'expected NAME="value"'),
    ('NEWID="2"', 'NEWID="2" NEWID="3"', "repeats attribute NEWID"),
])
def test_error_bad_attribute(tmp_path, old, new, what):
    e = _err(tmp_path, DOCTYPE + record("2").replace(old, new))
    assert e.line == 2 and what in e.message


@pytest.mark.parametrize("text", ["", "\n\n", DOCTYPE, DOCTYPE + "\n  \n"])
def test_error_file_without_records(tmp_path, text):
    """An empty or recordless .sgm file is an error (a truncated or failed download),
    never 0 documents without a word."""
    e = _err(tmp_path, text)
    assert e.line is None and "no <REUTERS" in e.message


def test_read_reuters_names_the_empty_file(tmp_path):
    write(tmp_path / "reut2-000.sgm", DOCTYPE + record("1", topics=["a"])
          + record("2", split="TEST", topics=["a"]))
    write(tmp_path / "reut2-001.sgm", "")
    with pytest.raises(DataFormatError) as ei:
        read_reuters(tmp_path, files=["reut2-000.sgm", "reut2-001.sgm"])
    assert ei.value.path == str(tmp_path / "reut2-001.sgm") and "empty" in ei.value.message
    write(tmp_path / "reut2-002.sgm", DOCTYPE)
    with pytest.raises(DataFormatError) as ei:
        read_reuters(tmp_path, files=["reut2-002.sgm"])
    assert ei.value.path == str(tmp_path / "reut2-002.sgm")


def test_read_reuters_without_any_modapte_document(tmp_path):
    """Records, but none left by the ModApte rules (only train records here): an error
    with the counts, not an empty dataset."""
    write(tmp_path / "reut2-000.sgm", DOCTYPE + record("1", topics=["a"]) + record("2", topics=[]))
    with pytest.raises(DataFormatError) as ei:
        read_reuters(tmp_path, files=["reut2-000.sgm"])
    assert ei.value.path == str(tmp_path) and ei.value.line is None
    assert "no ModApte document" in ei.value.message and "no_topics" in ei.value.message


def test_error_unterminated_reuters_tag(tmp_path):
    e = _err(tmp_path, DOCTYPE + record("1").replace('NEWID="1">', 'NEWID="1"'))
    assert e.line == 2 and "expected '>'" in e.message


def test_error_stray_closing_tag_and_text_between_records(tmp_path):
    e = _err(tmp_path, DOCTYPE + record("1") + "</REUTERS>\n")
    assert e.line == 2 + record("1").count("\n") and "without an opening" in e.message
    e = _err(tmp_path, DOCTYPE + record("1") + "\ngarbage\n" + record("2"))
    assert e.line == 3 + record("1").count("\n") and "found text 'garbage'" in e.message


def test_error_unknown_entity_names_its_line(tmp_path):
    rec = record("1", body="line one\nline two &nbsp; here")
    e = _err(tmp_path, DOCTYPE + rec)
    assert e.line == 2 + rec.split("line two")[0].count("\n") == 17
    assert "unknown entity &nbsp;" in e.message


# record("1", topics=["a"]) starts on line 2: <TOPICS> is on line 4, <BODY> on line 16
@pytest.mark.parametrize("old,new,line,what", [
    ("<TOPICS><D>a</D></TOPICS>\n", "", 2, "expected one <TOPICS>...</TOPICS> element, found 0"),
    ("<TOPICS><D>a</D>", "<TOPICS>cocoa<D>a</D>", 4, "only contain <D>"),
    ("<D>a</D>", "<D></D>", 4, "empty or malformed topic"),
    ("</TOPICS>", "", 4, "<TOPICS> opened here: expected </TOPICS>"),
    ("</TEXT>", "</TEXT><TEXT>x</TEXT>", 2, "expected one <TEXT>...</TEXT> element"),
    ("<BODY>", "<BODY>a</BODY><BODY>", 16, "more than one <BODY>"),
    ("</BODY>", "", 16, "<BODY> opened here: expected </BODY>"),
])
def test_error_record_structure(tmp_path, old, new, line, what):
    rec = record("1", topics=["a"])
    assert rec.split("<BODY>")[0].count("\n") == 14 and old in rec
    e = _err(tmp_path, DOCTYPE + rec.replace(old, new))
    assert what in e.message and e.line == line


def test_read_reuters_duplicate_newid_and_missing_files(tmp_path):
    write(tmp_path / "reut2-000.sgm", DOCTYPE + record("1", topics=["a"]))
    write(tmp_path / "reut2-001.sgm", DOCTYPE + record("1", split="TEST", topics=["a"]))
    with pytest.raises(DataFormatError, match="NEWID 1 already used") as ei:
        read_reuters(tmp_path, files=["reut2-000.sgm", "reut2-001.sgm"])
    assert ei.value.path.endswith("reut2-001.sgm") and ei.value.line == 2
    with pytest.raises(FileNotFoundError, match="20 of 22 files missing"):
        read_reuters(tmp_path)


# ---------------------------------------------------------------- ModApte rules (synthetic)

def test_modapte_rules_on_a_small_corpus(tmp_path):
    f0 = DOCTYPE + "".join([
        record("1", topics=["a", "b"], title="ONE"),               # train, keeps a, drops b
        record("2", topics=["b"]),                                 # train, b has no test doc
        record("3", topics=[]),                                    # train, no topics
        record("4", topics_attr="NO", topics=["a"]),               # TOPICS="NO" even with a topic
        record("5", topics_attr="BYPASS"),
        record("6", split="NOT-USED", topics=["a"]),
        record("7", topics=["c", "a", "c"], title="Seven"),        # duplicate c
    ])
    f1 = DOCTYPE + "".join([
        record("10", split="TEST", topics=["a"]),
        record("11", split="TEST", topics=["c", "d"]),             # d: test only
        record("12", split="TEST", topics=["d"]),
        record("13", split="TEST", topics=[]),
    ])
    write(tmp_path / "reut2-000.sgm", f0)
    write(tmp_path / "reut2-001.sgm", f1)
    ds = read_reuters(tmp_path, files=["reut2-000.sgm", "reut2-001.sgm"])
    assert isinstance(ds, RawDataset) and ds.kind == "text" and ds.name == "reuters"
    assert ds.label_names == ["a", "c"]
    tr, te = ds.splits["train"], ds.splits["test"]
    assert tr.ids == ["1", "7"] and tr.labels == [[0], [0, 1]]
    assert te.ids == ["10", "11"] and te.labels == [[0], [1]]
    assert tr.inputs[0] == ["one", "body", "text", "reuter"]
    assert tr.inputs[1][0] == "seven"
    assert ds.skipped == {"no_topics": 2, "topics_attr_not_yes": 2, "lewissplit_not_used": 1,
                          "duplicate_topic_entries": 1, "no_modapte_topic": 2,
                          "non_modapte_topic_labels": 2}
    assert ds.sources == [str(tmp_path / "reut2-000.sgm"), str(tmp_path / "reut2-001.sgm")]
    cased = read_reuters(tmp_path, lowercase=False, files=["reut2-000.sgm", "reut2-001.sgm"])
    assert cased.splits["train"].inputs[0][:3] == ["ONE", "Body", "text"]


# ---------------------------------------------------------------- real data

RECORD_REASONS = ("lewissplit_not_used", "topics_attr_not_yes", "no_topics", "no_modapte_topic")


@functools.lru_cache(maxsize=None)
def _real(folder):
    t0, c0 = time.perf_counter(), time.process_time()
    ds = read_reuters(folder)
    return ds, time.perf_counter() - t0, time.process_time() - c0


@pytest.fixture
def reuters(data_root):
    folder = data_root / "reuters21578"
    if not all((folder / f).is_file() for f in REUTERS_FILES):
        pytest.skip(f"Reuters-21578 SGML files not found in {folder}")
    return _real(str(folder))


def test_real_modapte_statistics(reuters):
    ds, _, _ = reuters
    # 7770, not NLTK's 7769: see the read_reuters docstring
    assert len(ds.splits["train"]) == 7770
    assert len(ds.splits["test"]) == 3019
    assert len(ds.label_names) == 90
    st = ds.stats()
    assert st["instances"] == 10789
    assert round(st["cardinality"], 3) == 1.235
    assert ds.skipped == {"lewissplit_not_used": 722, "topics_attr_not_yes": 7954, "no_topics": 2108,
                          "no_modapte_topic": 5, "duplicate_topic_entries": 2,
                          "non_modapte_topic_labels": 61}
    assert sum(ds.skipped[k] for k in RECORD_REASONS) + st["instances"] == 21578
    assert len(ds.sources) == 22


def test_real_labels_and_documents(reuters):
    ds, _, _ = reuters
    names = ds.label_names
    assert names == sorted(names) and {"earn", "acq", "castor-oil", "sun-meal"} <= set(names)
    assert not {"inventories", "stg", "wool"} & set(names)  # train-only topics
    Y_train, Y_test = ds.label_matrix("train"), ds.label_matrix("test")
    assert Y_train.sum(0).min() >= 1 and Y_test.sum(0).min() >= 1
    assert Y_train[:, names.index("earn")].sum() == 2877
    tr = ds.splits["train"]
    i = tr.ids.index("1")
    assert tr.inputs[i][:6] == ["bahia", "cocoa", "review", "showers", "continued", "throughout"]
    assert [names[j] for j in tr.labels[i]] == ["cocoa"]
    j = tr.ids.index("5467")  # lists corn twice in the file
    assert [names[k] for k in tr.labels[j]] == ["barley", "corn", "cotton", "grain", "sorghum", "wheat"]
    for split in ds.splits.values():
        assert all(lab == sorted(set(lab)) and lab for lab in split.labels)
        assert len(set(split.ids)) == len(split)
        assert all(toks for toks in split.inputs)


def test_real_tokens_are_clean(reuters):
    import re
    ds, _, _ = reuters
    tok = re.compile(TOKEN_PATTERN)
    for split in ds.splits.values():
        for toks in split.inputs[::50]:
            for t in toks:
                assert tok.fullmatch(t) and t == t.lower(), t
