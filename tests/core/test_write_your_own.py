"""The examples of docs/write_your_own.md run, in order, as one doctest."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

from lrplan import _registry

PAGE = Path(__file__).resolve().parents[2] / "docs" / "write_your_own.md"
BLOCKS = re.findall(r"```pycon\n(.*?)```", PAGE.read_text(), re.S)


def test_the_page_has_its_examples():
    assert len(BLOCKS) == 6


def test_the_page_examples_run():
    names = ("myproject.halving", "myproject.warm_halving")
    text = "\n".join(BLOCKS)
    test = doctest.DocTestParser().get_doctest(text, {"__name__": "write_your_own"}, PAGE.name, str(PAGE), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    try:
        runner.run(test)
    finally:
        for name in names:  # a later run registers them again
            _registry._REGISTRY.pop(name, None)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 25 and result.failed == 0
