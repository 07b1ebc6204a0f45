"""The spec language: same syntax as the API, parsed with a whitelist; never executes anything."""

from __future__ import annotations

import ast
import dataclasses
import json
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan as L


def test_issue_example_parses():
    s = L.parse("warmup(cosine(init_value=3e-4, decay_steps=100_000), steps=2_000)")
    assert s == L.warmup(L.cosine(init_value=3e-4, decay_steps=100_000), steps=2000)
    assert str(s) == "warmup(cosine(init_value=0.0003, decay_steps=100000), steps=2000)"


def test_lists_tuples_negative_numbers_and_whitespace():
    s = L.parse("  join([constant(1.0), linear(init_value=1, end_value=0, decay_steps=1e3)], boundaries=(10,)) \n")
    assert s(5) == 1.0 and s(10) == 1.0 and s(1010) == 0
    assert L.parse("shift(constant(0.5), steps=-10)").steps == -10
    assert L.parse("constant(value=+0.5)") == L.constant(0.5)


@pytest.mark.parametrize(
    "text, message, column",
    [
        ("cosin(init_value=1.0, decay_steps=10)", "Unknown schedule 'cosin'. Did you mean 'cosine'?", 0),
        ("cosine(init_value=1.0, decay_steps=10", "Invalid syntax", None),
        (
            "cosine(init_value=1.0, decay_step=10)",
            "cosine() has no argument 'decay_step'. Did you mean 'decay_steps'?",
            23,
        ),
        ("cosine(init_value=1.0)", "cosine() is missing required argument(s): decay_steps", 0),
        ("cosine(init_value=1.0, decay_steps=0)", "cosine: `decay_steps` must be > 0. Received: decay_steps=0.", 35),
        ("cosine(1.0, decay_steps=10)", "cosine() takes keyword arguments", 7),
        ("__import__('os').system('echo hacked')", "Expected a schedule name", 0),
        ("constant(value=__import__('os'))", "Unknown schedule '__import__'", 15),
        ("constant(value=x)", "Names are not values here", 15),
        ("constant(value=1.0).__class__", "A spec must be a schedule call", 0),
        ("constant(value=[1.0][0])", "Unsupported syntax (Subscript)", 15),
        ("constant(value=(lambda: 1)())", "Expected a schedule name", 16),
        ("constant(value=1 + 1)", "Unsupported syntax (BinOp)", 15),
        ("constant(value=-x)", "A sign may only precede a number", 15),
        ("constant(value=1e999)", "Numbers must be finite", 15),
        ("constant(**{'value': 1})", "Unsupported syntax (**)", 11),
        ("", "Empty spec", None),
        ("constant(value=1.0, value=2.0)", "got argument 'value' twice", 20),
    ],
)
def test_errors_point_at_the_column(text, message, column):
    with pytest.raises(L.SpecError) as info:
        L.parse(text)
    err = info.value
    assert message in err.message
    if column is not None:
        assert err.column == column
        rendered = str(err).splitlines()
        assert rendered[-1] == "  " + " " * column + "^"
        assert rendered[-2] == "  " + text


def test_unicode_columns_are_characters_not_bytes():
    with pytest.raises(L.SpecError) as info:
        L.parse("constant(value='é', extra=1)")
    assert info.value.column == 20


def test_spec_error_is_a_value_error():
    assert issubclass(L.SpecError, ValueError)


# ----------------------------------------------------------------------------------------------- fuzzing
ALPHABET = string.ascii_letters + string.digits + "()[]{},=._-+*/ '\"\\:;\n\t@#!%^&|<>?~`é\x00"
FRAGMENTS = [
    "cosine(",
    "warmup(",
    "join(",
    "constant(",
    "init_value=",
    "decay_steps=",
    "steps=",
    "1e-3",
    "100_000",
    ")",
    "[",
    "]",
    ",",
    "__import__",
    "os",
    ".system",
    "lambda",
    ":",
    "'x'",
    "-",
    "+",
    "*",
    "None",
    "True",
    "__class__",
    "exec",
    "eval",
    "open(",
    "((((",
    "))))",
    "1e999",
    "0x10",
    "1j",
    "...",
    "b'x'",
    "f'{1}'",
]


def _random_text(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 60)))
    return "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 12)))


def test_fuzz_random_text_only_raises_spec_error(monkeypatch):
    # Anything executed would have to go through one of these: make them fail loudly.
    import builtins

    for name in ("eval", "exec", "open"):
        monkeypatch.setattr(builtins, name, _forbidden(name))
    rng = random.Random(1234)
    parsed = 0
    for _ in range(6000):
        text = _random_text(rng)
        try:
            L.parse(text)
            parsed += 1
        except L.SpecError:
            pass
    assert parsed < 6000


def _forbidden(name):
    def fail(*args, **kwargs):
        raise AssertionError(f"{name} was called while parsing a spec")

    return fail


_names = st.sampled_from(["cosine", "warmup", "constant", "join", "os", "__import__", "eval", "cosin", "wsd"])
_leaf = st.one_of(
    st.integers(-10, 10**6).map(lambda i: ast.Constant(i)),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: ast.Constant(f)),
    st.text(max_size=5).map(lambda t: ast.Constant(t)),
    st.sampled_from([ast.Constant(None), ast.Constant(True), ast.Constant(b"x"), ast.Constant(1j)]),
    _names.map(lambda n: ast.Name(n, ast.Load())),
)


def _extend(children):
    kw = st.lists(
        st.tuples(
            st.sampled_from(["value", "init_value", "decay_steps", "steps", "schedules", "x", "__class__"]), children
        ),
        max_size=3,
    )
    return st.one_of(
        st.builds(
            lambda f, a, k: ast.Call(f, a, [ast.keyword(n, v) for n, v in k]),
            _names.map(lambda n: ast.Name(n, ast.Load())),
            st.lists(children, max_size=2),
            kw,
        ),
        st.builds(lambda v, a: ast.Attribute(v, a, ast.Load()), children, st.sampled_from(["system", "__class__"])),
        st.builds(lambda v: ast.Subscript(v, ast.Constant(0), ast.Load()), children),
        st.builds(lambda v: ast.UnaryOp(ast.USub(), v), children),
        st.builds(lambda a, b: ast.BinOp(a, ast.Add(), b), children, children),
        st.builds(lambda e: ast.List(e, ast.Load()), st.lists(children, max_size=3)),
        st.builds(lambda b: ast.Lambda(ast.arguments([], [], None, [], [], None, []), b), children),
    )


_trees = st.recursive(_leaf, _extend, max_leaves=12)


@settings(max_examples=4500, deadline=None)
@given(tree=_trees)
def test_fuzz_random_syntax_trees_only_raise_spec_error(tree):
    try:
        text = ast.unparse(ast.fix_missing_locations(ast.Expression(tree)))
    except Exception:  # an unparseable synthetic tree is not an input anyone can type
        return
    try:
        s = L.parse(text)
    except L.SpecError:
        return
    assert isinstance(s, L.Schedule)
    assert L.parse(str(s)) == s


def test_registered_user_schedule_round_trips():
    @L.register("testpkg.halving")
    @L.fields.schedule_dataclass
    class Halving(L.Schedule):
        init_value: float = L.fields.value()
        every: float = L.fields.steps(positive=True)

        def formula(self, s, ops):
            return self.init_value * 0.5 ** ops.floor(s / self.every)

    s = L.parse("testpkg.halving(init_value=1.0, every=10)")
    assert s(25) == 0.25 and str(s) == "testpkg.halving(init_value=1.0, every=10)"
    assert L.from_config(json.loads(json.dumps(L.to_config(s)))) == s
    assert L.parse(str(L.warmup(s, steps=3))) == L.warmup(s, steps=3)
    assert "testpkg.halving" in L.registered()
    with pytest.raises(L.ConfigError, match="already taken"):
        L.register("cosine")(Halving)
    with pytest.raises(L.ConfigError, match="identifier"):
        L.register("my-pkg>x")
    assert dataclasses.is_dataclass(s)


def test_config_errors():
    with pytest.raises(L.UnknownScheduleError, match="Did you mean 'cosine'"):
        L.from_config({"format": 1, "name": "cosin", "args": {}})
    with pytest.raises(L.UnknownScheduleError, match="Import the package that registers it"):
        L.from_config({"format": 1, "name": "otherpkg.ramp", "args": {}})
    with pytest.raises(L.ConfigError, match="unsupported config format 99"):
        L.from_config({"format": 99, "name": "constant", "args": {"value": 1}})
    with pytest.raises(L.ConfigError, match=r"constant has no argument\(s\) \['T_max'\]"):
        L.from_config({"format": 1, "name": "constant", "args": {"value": 1, "T_max": 3}})
    with pytest.raises(L.ConfigError, match="decay_steps"):
        L.from_config({"format": 1, "name": "cosine", "args": {"init_value": 1.0, "decay_steps": 0}})
    with pytest.raises(L.ConfigError, match="missing"):
        L.from_config({"format": 1, "name": "cosine", "args": {"init_value": 1.0}})
    with pytest.raises(L.ConfigError, match="unknown key"):
        L.from_config({"format": 1, "name": "constant", "args": {"value": 1}, "extra": 1})
