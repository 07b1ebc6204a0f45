"""Every public name of lrplan.laws is documented: a summary and a runnable example, and the laws,
fit, optimize and transfer name their references."""

from __future__ import annotations

import inspect

import pytest

import lrplan.laws as L

CONSTANTS = {"HUBER_DELTA", "MIN_POINTS", "FAMILIES"}
WITH_REFERENCES = {
    "MultiPowerLaw",
    "MomentumLaw",
    "fit",
    "optimize",
    "transfer_lr",
    "convex_bound",
    "example_manifest",
    "HUBER_DELTA",
}


def test_all_lists_every_public_name():
    public = {n for n in dir(L) if not n.startswith("_") and n not in {"annotations"}}
    modules = {n for n in public if inspect.ismodule(getattr(L, n))}
    assert set(L.__all__) == public - modules


@pytest.mark.parametrize("name", sorted(set(L.__all__) - CONSTANTS))
def test_public_name_has_a_docstring_with_an_example(name):
    doc = inspect.getdoc(getattr(L, name)) or ""
    assert doc.strip(), name
    assert "Example:" in doc and ">>>" in doc, name


@pytest.mark.parametrize("name", sorted(WITH_REFERENCES - CONSTANTS))
def test_references_are_named(name):
    doc = inspect.getdoc(getattr(L, name)) or ""
    assert "arxiv.org/abs/" in doc, name
