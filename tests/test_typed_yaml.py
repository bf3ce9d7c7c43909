"""Tests for the generic typed-config layer (lamp_pyg.typed_yaml).

The toy schemas below are defined at module level under ``from __future__ import
annotations`` on purpose: every annotation is a string that the module must resolve.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

import pytest
import yaml

from lamp_pyg.typed_yaml import (
    ConfigError,
    apply_overrides,
    dump_yaml,
    from_dict,
    load_yaml,
    parse_override,
    to_dict,
    yaml_load,
)


# --------------------------------------------------------------------------- toy schemas

@dataclass
class Data:
    name: str
    max_len: Optional[int] = None
    splits: list[str] = field(default_factory=lambda: ["train", "test"])


@dataclass
class Model:
    d_model: int
    heads: int = 4
    dropout: float = 0.1
    activation: Literal["relu", "gelu"] = "relu"

    def validate(self):
        if self.d_model % self.heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by heads ({self.heads})")


@dataclass
class Train:
    lr: float = 1e-3
    epochs: int = 10
    shuffle: bool = True
    milestones: tuple[int, ...] = ()
    loss_weights: dict[str, float] = field(default_factory=dict)
    seed: int | None = None


@dataclass
class Eval:
    k: int = 3
    metrics: list[Literal["acc", "hamming"]] = field(default_factory=lambda: ["acc"])


@dataclass
class Config:
    data: Data
    model: Model
    train: Train = field(default_factory=Train)
    eval: Eval = field(default_factory=Eval)

    def validate(self):
        if self.data.max_len is not None and self.eval.k > self.data.max_len:
            raise ValueError("eval.k must not exceed data.max_len")


@dataclass
class Window:
    lo: int = 0
    hi: int = 1

    def __post_init__(self):
        if self.lo > self.hi:
            raise ValueError(f"lo ({self.lo}) must be <= hi ({self.hi})")


@dataclass
class Misc:
    pair: tuple[int, str] = (0, "a")
    number: float | int = 0
    either: int | str = 0
    anything: Any = None
    maybe_list: Optional[list[int]] = None
    section: Optional[Eval] = None
    window: Window = field(default_factory=Window)
    flag: Literal[1, 2] = 1


MINIMAL = {"data": {"name": "bibtex"}, "model": {"d_model": 8}}


def build(**sections):
    """MINIMAL with some sections replaced, through from_dict."""
    return from_dict(Config, {**MINIMAL, **sections})


def error_of(fn, *args, **kwargs) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        fn(*args, **kwargs)
    return info.value


def write(tmp_path, text, name="cfg.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


# --------------------------------------------------------------------------- building

def test_builds_nested_config_with_defaults_and_conversions():
    cfg = from_dict(Config, {
        "data": {"name": "bibtex", "max_len": 500},
        "model": {"d_model": 8, "heads": 2, "dropout": 0, "activation": "gelu"},
        "train": {"milestones": [3, 6], "loss_weights": {"bce": 1}, "seed": 7},
    })
    assert cfg == Config(
        data=Data(name="bibtex", max_len=500),
        model=Model(d_model=8, heads=2, dropout=0.0, activation="gelu"),
        train=Train(milestones=(3, 6), loss_weights={"bce": 1.0}, seed=7),
    )
    assert type(cfg.model.dropout) is float          # int converted for a float field
    assert type(cfg.train.loss_weights["bce"]) is float
    assert isinstance(cfg.train.milestones, tuple)   # list converted for a tuple field
    assert cfg.eval == Eval()                         # omitted section -> defaults


def test_from_dict_does_not_modify_its_input():
    raw = {"data": {"name": "x"}, "model": {"d_model": 8}, "train": {"milestones": [1]}}
    snapshot = yaml.safe_dump(raw)
    from_dict(Config, raw)
    assert yaml.safe_dump(raw) == snapshot


def test_unknown_nested_key_names_full_path_and_suggests():
    err = error_of(build, model={"d_model": 8, "d_modle": 4})
    assert str(err) == ("config: unknown key 'model.d_modle'; did you mean 'd_model'? "
                        "Valid keys: d_model, heads, dropout, activation")
    assert err.key == "model.d_modle"
    assert err.where == "config"


def test_unknown_top_level_key_suggests():
    err = error_of(from_dict, Config, {**MINIMAL, "modle": {}})
    assert "unknown key 'modle'; did you mean 'model'?" in str(err)
    assert "Valid keys: data, model, train, eval" in str(err)


def test_unknown_key_without_close_match_has_no_suggestion():
    err = error_of(build, train={"zzzzzz": 1})
    assert "unknown key 'train.zzzzzz'." in str(err)
    assert "did you mean" not in str(err)
    assert "Valid keys: lr, epochs, shuffle, milestones, loss_weights, seed" in str(err)


def test_where_label_prefixes_messages():
    err = error_of(from_dict, Config, {**MINIMAL, "train": {"lr": "fast"}}, where="my.yaml")
    assert str(err).startswith("my.yaml: key 'train.lr': expected float")


def test_non_string_key_is_rejected():
    # YAML 1.1 reads an unquoted `on:` key as True
    err = error_of(build, train={True: 1})
    assert "invalid key True in section 'train': keys must be strings" in str(err)


@pytest.mark.parametrize("section, value, key, expected", [
    ({"train": {"epochs": True}}, "True (bool)", "train.epochs", "int"),
    ({"train": {"epochs": 3.0}}, "3.0 (float)", "train.epochs", "int"),
    ({"train": {"epochs": "3"}}, "'3' (str)", "train.epochs", "int"),
    ({"train": {"lr": True}}, "True (bool)", "train.lr", "float"),
    ({"train": {"lr": "fast"}}, "'fast' (str)", "train.lr", "float"),
    ({"train": {"shuffle": "true"}}, "'true' (str)", "train.shuffle", "bool"),
    ({"train": {"shuffle": 1}}, "1 (int)", "train.shuffle", "bool"),
    ({"train": {"seed": 1.5}}, "1.5 (float)", "train.seed", "int or None"),
    ({"train": {"milestones": 3}}, "3 (int)", "train.milestones", "tuple[int, ...]"),
    ({"train": {"milestones": [1, "x"]}}, "'x' (str)", "train.milestones[1]", "int"),
    ({"train": {"loss_weights": [1.0]}}, "[1.0] (list)", "train.loss_weights", "dict[str, float]"),
    ({"train": {"loss_weights": {"bce": "a"}}}, "'a' (str)", "train.loss_weights.bce", "float"),
    ({"data": {"name": "x", "splits": "train"}}, "'train' (str)", "data.splits", "list[str]"),
    ({"data": {"name": "x", "max_len": "long"}}, "'long' (str)", "data.max_len", "int or None"),
])
def test_wrong_type_names_key_expected_type_and_value(section, value, key, expected):
    err = error_of(build, **section)
    assert f"key '{key}': expected {expected}, got {value}" in str(err)
    assert err.key == key


def test_non_string_for_str_field_suggests_quoting():
    err = error_of(build, data={"name": 2007})
    assert "key 'data.name': expected str, got 2007 (int) (quote it to make it a string)" in str(err)


def test_section_that_is_not_a_mapping():
    err = error_of(build, model=[8])
    assert "key 'model' must be a mapping (Model section), got [8] (list)" in str(err)


def test_top_level_that_is_not_a_mapping():
    err = error_of(from_dict, Config, ["data"])
    assert "the top level must be a mapping (Config section), got ['data'] (list)" in str(err)


def test_empty_section_means_defaults():
    assert build(train=None).train == Train()


def test_missing_required_key():
    err = error_of(from_dict, Config, {"data": {"name": "x"}, "model": {}})
    assert str(err) == "config: missing required key 'model.d_model'"
    assert err.key == "model.d_model"


def test_missing_required_keys_are_all_named():
    err = error_of(from_dict, Config, {})
    assert str(err) == "config: missing required keys 'data', 'model'"


def test_float_field_accepts_yaml11_scientific_string():
    cfg = build(train={"lr": "1e-4"})
    assert cfg.train.lr == pytest.approx(1e-4)
    assert type(cfg.train.lr) is float


# --------------------------------------------------------------------------- Literal / Optional / unions

def test_literal_accepts_allowed_value():
    assert build(model={"d_model": 8, "activation": "gelu"}).model.activation == "gelu"


def test_literal_error_lists_allowed_values_and_suggests():
    err = error_of(build, model={"d_model": 8, "activation": "rleu"})
    assert ("key 'model.activation': expected one of 'relu', 'gelu', got 'rleu' (str); "
            "did you mean 'relu'?") in str(err)


def test_literal_inside_list_names_the_item():
    err = error_of(build, eval={"metrics": ["acc", "f1"]})
    assert "key 'eval.metrics[1]': expected one of 'acc', 'hamming', got 'f1' (str)" in str(err)


def test_literal_does_not_confuse_bool_with_int():
    assert from_dict(Misc, {"flag": 2}).flag == 2
    err = error_of(from_dict, Misc, {"flag": True})
    assert "expected one of 1, 2, got True (bool)" in str(err)


def test_optional_accepts_none_and_value():
    assert build(data={"name": "x", "max_len": None}).data.max_len is None
    assert build(data={"name": "x", "max_len": 12}).data.max_len == 12
    assert build(train={"seed": None}).train.seed is None   # `int | None` syntax
    assert build(train={"seed": 3}).train.seed == 3


def test_optional_container_reports_the_inner_error():
    assert from_dict(Misc, {"maybe_list": [1, 2]}).maybe_list == [1, 2]
    err = error_of(from_dict, Misc, {"maybe_list": [1, "two"]})
    assert "key 'maybe_list[1]': expected int, got 'two' (str)" in str(err)


def test_optional_section():
    assert from_dict(Misc, {"section": None}).section is None
    assert from_dict(Misc, {"section": {"k": 5}}).section == Eval(k=5)
    err = error_of(from_dict, Misc, {"section": {"kk": 5}})
    assert "unknown key 'section.kk'; did you mean 'k'?" in str(err)


def test_required_field_cannot_be_none():
    err = error_of(build, data={"name": None})
    assert "key 'data.name': expected str, got None (NoneType)" in str(err)


def test_union_prefers_exact_type_and_reports_alternatives():
    assert type(from_dict(Misc, {"number": 3}).number) is int      # float | int keeps ints
    assert type(from_dict(Misc, {"number": 2.5}).number) is float
    assert from_dict(Misc, {"either": "x"}).either == "x"
    err = error_of(from_dict, Misc, {"either": 1.5})
    assert "key 'either': expected int or str, got 1.5 (float)" in str(err)


def test_fixed_length_tuple():
    assert from_dict(Misc, {"pair": [3, "b"]}).pair == (3, "b")
    err = error_of(from_dict, Misc, {"pair": [3]})
    assert "key 'pair': expected tuple[int, str], got [3] (list) (a list of exactly 2 items)" in str(err)
    err = error_of(from_dict, Misc, {"pair": ["3", "b"]})
    assert "key 'pair[0]': expected int, got '3' (str)" in str(err)


def test_any_accepts_anything():
    assert from_dict(Misc, {"anything": {"a": [1]}}).anything == {"a": [1]}


# --------------------------------------------------------------------------- validate / __post_init__

def test_validate_error_names_the_section():
    err = error_of(build, model={"d_model": 10, "heads": 4})
    assert str(err) == ("config: invalid section 'model': d_model (10) must be divisible "
                        "by heads (4)")
    assert err.key == "model"
    assert isinstance(err.__cause__, ValueError)


def test_top_level_validate_runs_after_sections():
    err = error_of(build, data={"name": "x", "max_len": 2}, eval={"k": 5})
    assert str(err) == "config: invalid configuration: eval.k must not exceed data.max_len"


def test_post_init_value_error_is_wrapped():
    err = error_of(from_dict, Misc, {"window": {"lo": 3, "hi": 1}})
    assert "invalid section 'window': lo (3) must be <= hi (1)" in str(err)


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


def test_programming_errors_are_type_errors():
    with pytest.raises(TypeError, match="needs a dataclass type"):
        from_dict(dict, {})
    with pytest.raises(TypeError, match="needs a dataclass instance"):
        to_dict({"a": 1})


# --------------------------------------------------------------------------- overrides

@pytest.mark.parametrize("text, value", [
    ("a=3", 3),
    ("a=1e-4", 1e-4),
    ("a=2.5E3", 2500.0),
    ("a=true", True),
    ("a=[1, 2]", [1, 2]),
    ("a=null", None),
    ("a=", None),
    ("a=hello", "hello"),
    ("a='3'", "3"),
    ("a=x=y", "x=y"),
])
def test_parse_override_values(text, value):
    key, parsed = parse_override(text)
    assert key == ("a",)
    assert parsed == value and type(parsed) is type(value)


def test_parse_override_splits_dotted_key():
    assert parse_override(" train.lr = 0.5") == (("train", "lr"), 0.5)


def test_override_without_equals_is_an_error():
    err = error_of(parse_override, "train.lr")
    assert "override 'train.lr' must look like dotted.key=value" in str(err)


def test_override_with_empty_key_part_is_an_error():
    err = error_of(parse_override, "train..lr=1")
    assert "override 'train..lr=1': invalid key 'train..lr'" in str(err)


def test_override_with_invalid_yaml_value():
    err = error_of(parse_override, "a=[1, 2")
    assert "override 'a=[1, 2': value is not valid YAML" in str(err)


def test_apply_overrides_sets_creates_and_does_not_mutate():
    raw = {"model": {"d_model": 8}, "train": None}
    out = apply_overrides(raw, ["model.d_model=16", "eval.k=5", "train.lr=0.1", "model.heads=2",
                                "model.heads=8"])
    assert out == {"model": {"d_model": 16, "heads": 8}, "train": {"lr": 0.1}, "eval": {"k": 5}}
    assert raw == {"model": {"d_model": 8}, "train": None}


def test_apply_overrides_into_a_non_section_is_an_error():
    err = error_of(apply_overrides, {"model": 3}, ["model.d_model=4"])
    assert "cannot set a key inside 'model', which is 3 (int), not a section" in str(err)


def test_load_yaml_with_overrides(tmp_path):
    path = write(tmp_path, """
        data:
          name: bibtex
        model:
          d_model: 8
        """)
    cfg = load_yaml(Config, path, ["model.d_model=16", "train.lr=1e-4", "train.shuffle=false",
                                   "train.milestones=[2, 4]", "data.max_len=null", "eval.k=2"])
    assert cfg.model.d_model == 16
    assert cfg.train.lr == pytest.approx(1e-4) and type(cfg.train.lr) is float
    assert cfg.train.shuffle is False
    assert cfg.train.milestones == (2, 4)
    assert cfg.data.max_len is None
    assert cfg.eval.k == 2                      # section the file did not have


def test_override_unknown_key_is_checked_like_the_file(tmp_path):
    path = write(tmp_path, "data: {name: x}\nmodel: {d_model: 8}\n")
    err = error_of(load_yaml, Config, path, ["model.d_modle=16"])
    assert str(err) == (f"{path}: unknown key 'model.d_modle'; did you mean 'd_model'? "
                        "Valid keys: d_model, heads, dropout, activation "
                        "(from override 'model.d_modle=16')")


def test_override_unknown_section_is_reported(tmp_path):
    path = write(tmp_path, "data: {name: x}\nmodel: {d_model: 8}\n")
    err = error_of(load_yaml, Config, path, ["evl.k=3"])
    assert "unknown key 'evl'; did you mean 'eval'?" in str(err)
    assert "(from override 'evl.k=3')" in str(err)


def test_override_wrong_type_is_reported(tmp_path):
    path = write(tmp_path, "data: {name: x}\nmodel: {d_model: 8}\n")
    err = error_of(load_yaml, Config, path, ["train.epochs=ten"])
    assert str(err) == (f"{path}: key 'train.epochs': expected int, got 'ten' (str) "
                        "(from override 'train.epochs=ten')")


def test_error_not_caused_by_override_does_not_blame_it(tmp_path):
    path = write(tmp_path, "data: {name: x}\nmodel: {d_model: 8, heads: 3}\n")
    err = error_of(load_yaml, Config, path, ["train.epochs=2"])
    assert "invalid section 'model'" in str(err)
    assert "override" not in str(err)


def test_override_without_equals_in_load_yaml_names_the_file(tmp_path):
    path = write(tmp_path, "data: {name: x}\nmodel: {d_model: 8}\n")
    err = error_of(load_yaml, Config, path, ["model.d_model"])
    assert str(err).startswith(f"{path}: override 'model.d_model' must look like")


# --------------------------------------------------------------------------- YAML files

def test_load_yaml_reads_file(tmp_path):
    path = write(tmp_path, """
        data:
          name: bibtex
          splits: [train, valid, test]
        model:
          d_model: 8
          heads: 2
        train:
          lr: 1e-4        # YAML 1.1 would read this as a string
          loss_weights: {bce: 1, l2: 2.5e3}
        """)
    cfg = load_yaml(Config, path)
    assert cfg.data.splits == ["train", "valid", "test"]
    assert cfg.model == Model(d_model=8, heads=2)
    assert cfg.train.lr == pytest.approx(1e-4) and type(cfg.train.lr) is float
    assert cfg.train.loss_weights == {"bce": 1.0, "l2": 2500.0}


def test_load_yaml_error_names_the_file(tmp_path):
    path = write(tmp_path, "data: {name: x}\nmodel: {d_model: 8, d_modle: 4}\n", name="bibtex.yaml")
    err = error_of(load_yaml, Config, path)
    assert str(err) == (f"{path}: unknown key 'model.d_modle'; did you mean 'd_model'? "
                        "Valid keys: d_model, heads, dropout, activation")
    assert err.where == str(path)


def test_yaml_syntax_error_gives_line_and_column(tmp_path):
    path = write(tmp_path, """\
        data:
          name: x
        model:
          d_model: [8
          heads: 2
        train: {}
        """)
    err = error_of(load_yaml, Config, path)
    # PyYAML notices the unclosed '[' at the ':' of line 5 and names where it started
    assert str(err) == (f"{path}: invalid YAML at line 5, column 8: expected ',' or ']', "
                        "but got ':' (while parsing a flow sequence at line 4, column 12)")
    assert err.key is None


def test_yaml_syntax_error_exact_line(tmp_path):
    path = write(tmp_path, "data:\n  name: x\nmodel:\n\td_model: 8\n")   # tab indentation
    err = error_of(load_yaml, Config, path)
    assert "invalid YAML at line 4, column 1:" in str(err)


def test_yaml_duplicate_key_is_an_error(tmp_path):
    path = write(tmp_path, "data: {name: x}\nmodel:\n  d_model: 8\n  d_model: 16\n")
    err = error_of(load_yaml, Config, path)
    assert "invalid YAML at line 4, column 3:" in str(err)
    assert "found duplicate key 'd_model' (first defined on line 3)" in str(err)


def test_yaml_top_level_must_be_a_mapping(tmp_path):
    path = write(tmp_path, "- data\n- model\n")
    err = error_of(load_yaml, Config, path)
    assert str(err) == (f"{path}: the top level must be a mapping of keys to values, "
                        "got ['data', 'model'] (list)")


def test_empty_file_is_an_empty_mapping(tmp_path):
    path = write(tmp_path, "# nothing yet\n")
    assert load_yaml(Eval, path) == Eval()
    err = error_of(load_yaml, Config, path)
    assert "missing required keys 'data', 'model'" in str(err)
    cfg = load_yaml(Config, path, ["data.name=x", "model.d_model=4"])
    assert cfg == Config(data=Data(name="x"), model=Model(d_model=4))


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    err = error_of(load_yaml, Config, path)
    assert str(err).startswith(f"{path}: cannot read config file")


def test_yaml_load_reads_scientific_notation_as_float():
    assert yaml.safe_load("a: 1e-4") == {"a": "1e-4"}      # the pitfall being fixed
    assert yaml_load("a: 1e-4\nb: -2E+3\nc: 1.5e3\nd: .5e-1\ne: 1.0\nf: 10\ng: e5") == {
        "a": 1e-4, "b": -2000.0, "c": 1500.0, "d": 0.05, "e": 1.0, "f": 10, "g": "e5"}


# --------------------------------------------------------------------------- round trip

FULL = Config(
    data=Data(name="bibtex", max_len=300, splits=["train", "valid", "test"]),
    model=Model(d_model=12, heads=3, dropout=0.25, activation="gelu"),
    train=Train(lr=1e-20, epochs=3, shuffle=False, milestones=(1, 2), loss_weights={"a": 0.5},
                seed=None),
    eval=Eval(k=5, metrics=["hamming", "acc"]),
)


def test_to_dict_is_plain_and_safe_dumpable():
    d = to_dict(FULL)
    assert d["train"]["milestones"] == [1, 2]
    assert list(d) == ["data", "model", "train", "eval"]
    assert list(d["model"]) == ["d_model", "heads", "dropout", "activation"]
    yaml.safe_dump(d)                                # raises on tuples or dataclasses


def test_round_trip_through_dict():
    assert from_dict(Config, to_dict(FULL)) == FULL
    misc = Misc(pair=(5, "z"), number=2.5, either="s", anything=[1], maybe_list=[3],
                section=Eval(k=1), window=Window(2, 3), flag=2)
    assert from_dict(Misc, to_dict(misc)) == misc


def test_round_trip_through_yaml_file(tmp_path):
    path = tmp_path / "out" / "config.yaml"
    text = dump_yaml(FULL, path)
    assert path.read_text() == text
    assert text.index("data:") < text.index("model:") < text.index("train:")
    assert load_yaml(Config, path) == FULL
