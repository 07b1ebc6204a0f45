# ruff: noqa: RUF001 (Greek letters and math symbols are the point of this module)
"""Docstrings as terminal text, for ``lrplan list`` and ``lrplan explain``.

reST markup becomes plain text (``code``, roles, emphasis), formulas written in LaTeX become readable
Unicode (``\\eta_0\\, r^{s/K}`` -> ``η₀ r^(s/K)``), a ``cases`` environment becomes one aligned line
per case, and prose is wrapped at the terminal's width at word boundaries. Doctest examples and
other literal blocks are kept as they are.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import textwrap
from typing import Any

__all__ = ["latex", "inline", "render", "summary_line", "sections", "arg_docs", "is_combinator"]

_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π",
    "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Omega": "Ω",
}  # fmt: skip
_SYMBOLS = {
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "times": "×", "cdot": "·",
    "infty": "∞", "approx": "≈", "gg": "≫", "ll": "≪", "in": "∈", "to": "→", "lfloor": "⌊", "rfloor": "⌋",
    "lceil": "⌈", "rceil": "⌉", "prod": "∏", "sum": "Σ", "pm": "±", "mid": "|", "ldots": "…", "dots": "…",
    "cdots": "…", "quad": "  ", "qquad": "    ", "lvert": "|", "rvert": "|", "colon": ":",
}  # fmt: skip
_SPACES = {",": " ", ";": " ", ":": " ", " ": " ", "!": "", "{": "{", "}": "}", "#": "#", "%": "%", "_": "_", "|": "‖"}
_FUNCTIONS = {"cos", "sin", "tan", "tanh", "cosh", "sinh", "log", "ln", "exp", "min", "max", "arg", "sgn"}
_SIZES = {"left", "right", "bigl", "bigr", "Bigl", "Bigr", "big", "Big", "biggl", "biggr", "displaystyle"}
_TEXT = {"text", "mathrm", "operatorname", "mathbf", "mathit", "textrm", "textit", "mathsf", "texttt", "boldsymbol"}
_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "check": "\u030c", "bar": "\u0304", "tilde": "\u0303"}
_SUB = str.maketrans("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUP = str.maketrans("0123456789+-=()in", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿ")
_TOKEN = re.compile(r"\\([A-Za-z]+)|\\(.)|(\s+)|(.)", re.S)


class _Tex:
    """A small reader of the LaTeX our docstrings use: commands, groups, sub- and superscripts."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        for m in _TOKEN.finditer(text):
            if m.group(1) is not None:
                self.tokens.append(("cmd", m.group(1)))
            elif m.group(2) is not None:
                self.tokens.append(("sym", m.group(2)))
            elif m.group(3) is not None:
                self.tokens.append(("space", " "))
            else:
                self.tokens.append(("char", m.group(4)))
        self.i = 0

    def read(self, closing: str | None = None) -> str:
        out: list[str] = []
        while self.i < len(self.tokens):
            kind, value = self.tokens[self.i]
            if kind == "char" and value == closing:
                self.i += 1
                break
            out.append(self.atom())
        return "".join(out)

    def argument(self) -> tuple[str, bool]:
        """The next argument: a ``{group}`` or one token; and whether it needs parentheses around it."""
        while self.i < len(self.tokens) and self.tokens[self.i][0] == "space":
            self.i += 1
        if self.i >= len(self.tokens):
            return "", False
        if self.tokens[self.i] == ("char", "{"):
            self.i += 1
            text = self.read("}").strip()
            return text, len(text) > 1 and not _simple(text)
        return self.atom().strip(), False

    def raw(self) -> str:
        """The next ``{group}`` as written (``\\text{1-sqrt}`` stays ``1-sqrt``)."""
        while self.i < len(self.tokens) and self.tokens[self.i][0] == "space":
            self.i += 1
        if self.i >= len(self.tokens) or self.tokens[self.i] != ("char", "{"):
            return self.atom() if self.i < len(self.tokens) else ""
        self.i += 1
        depth, out = 1, []
        while self.i < len(self.tokens):
            kind, value = self.tokens[self.i]
            self.i += 1
            if (kind, value) == ("char", "{"):
                depth += 1
            elif (kind, value) == ("char", "}"):
                depth -= 1
                if depth == 0:
                    break
            if (kind == "cmd" and value in _TEXT) or (kind, value) in (("char", "{"), ("char", "}")):
                continue  # \\texttt{x} inside \\text{...}: the words only
            out.append(value)
        return "".join(out)

    def atom(self) -> str:
        kind, value = self.tokens[self.i]
        self.i += 1
        if kind == "space":
            return " "
        if kind == "sym":
            return _SPACES.get(value, value)
        if kind == "char":
            if value == "{":
                return self.read("}")
            if value in "^_":
                text, compound = self.argument()
                table = _SUP if value == "^" else _SUB
                if text and (text.isdigit() or len(text) == 1) and all(c in _TABLE_KEYS[value] for c in text):
                    return text.translate(table)
                return f"{value}({text})" if compound else f"{value}{text}"
            return {"'": "′"}.get(value, value)
        return self.command(value)

    def command(self, name: str) -> str:
        if name in _GREEK:
            return _GREEK[name]
        if name in _SYMBOLS:
            return _SYMBOLS[name]
        if name in _FUNCTIONS:
            return f" {name} "
        if name in _SIZES:
            return ""
        if name in _TEXT:
            return self.raw()
        if name in _ACCENTS:
            text = self.argument()[0]
            return text[:1] + _ACCENTS[name] + text[1:]
        if name in ("frac", "tfrac", "dfrac"):
            (top, a), (bottom, b) = self.argument(), self.argument()
            if (top, bottom) == ("1", "2"):
                return "½"
            return f"{f'({top})' if a else top}/{f'({bottom})' if b else bottom}"
        if name == "sqrt":
            text, compound = self.argument()
            return f"√({text})" if compound else f"√{text}"
        if name in ("begin", "end"):
            self.argument()
            return ""
        return name


_TABLE_KEYS = {"^": set("0123456789+-=()in"), "_": set("0123456789+-=()aehijklmnoprstuvx")}


def _simple(text: str) -> bool:
    """Whether ``text`` reads as one term: a name with sub- or superscripts, a number, a bracketed group."""
    return bool(
        re.fullmatch(r"[\wα-ωΑ-Ω₀-₉ᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓₐₑₕ⁰-⁹ⁱⁿ.′̂̌̄̃]+|\w*\([^()]*\)|√\S+", re.sub(r"\s+\(", "(", text.strip()))
    )


def latex(text: str) -> str:
    """A LaTeX formula as readable plain text.

    Example:
        >>> latex(r"\\eta(s) = \\eta_0\\, r^{s/K}")
        'η(s) = η₀ r^(s/K)'
        >>> latex(r"\\eta_{end} + (\\eta_0 - \\eta_{end})\\,\\tfrac12\\left(1 + \\cos\\frac{\\pi s}{K}\\right)")
        'η_end + (η₀ - η_end) ½(1 + cos(π s)/K)'
    """
    out = _Tex(text).read()
    out = re.sub(r"(?<=\S)\s*([=<>≤≥≠→])\s*(?=\S)", r" \1 ", out)
    out = re.sub(r"[ \t]+", " ", out)
    out = re.sub(r"([(\[⌊⌈]) ", r"\1", out)  # no space inside brackets
    out = re.sub(r" ([)\]⌋⌉,])", r"\1", out)
    out = re.sub(rf"\b({'|'.join(sorted(_FUNCTIONS))}) \(", r"\1(", out)  # min(s, K), not min (s, K)
    return out.strip()


_ROLE = re.compile(r":(\w+):`~?([^`]*)`")


def inline(text: str) -> str:
    """A line of reST as plain text: roles, ``literals``, emphasis and inline formulas.

    Example:
        >>> inline(r"Decay :math:`\\eta_0 r^{s/K}` of ``init_value`` (see :func:`~lrplan.cosine`), *then* hold.")
        'Decay η₀ r^(s/K) of init_value (see cosine), then hold.'
    """

    def role(m: re.Match[str]) -> str:
        kind, body = m.group(1), m.group(2)
        if kind == "math":
            return latex(body)
        return body.rsplit(".", 1)[-1] if m.group(0).startswith(f":{kind}:`~") else body

    text = _ROLE.sub(role, text).replace("``", "")
    return re.sub(r"(?<![\w*])\*{1,2}([^*\s][^*]*?)\*{1,2}(?![\w*])", r"\1", text)


def _formula(tex: str) -> list[str]:
    """A displayed formula as lines of text; each case of a ``cases`` environment on a line of its own."""
    m = re.search(r"\\begin\{cases\}(.*?)\\end\{cases\}", tex, re.S)
    if m is None:
        return [latex(line) for line in re.split(r"\\\\", tex) if line.strip()]
    head, tail = latex(tex[: m.start()]), latex(tex[m.end() :]).lstrip(",; ")
    cells = [row.split("&") for row in re.split(r"\\\\", m.group(1)) if row.strip()]
    rows = [[latex(cell) for cell in row] for row in cells]
    width = max(len(r[0]) for r in rows)
    lines = []
    for n, (row, raw) in enumerate(zip(rows, cells, strict=True)):
        cond = row[1] if len(row) > 1 else ""
        worded = raw[-1].strip().startswith("\\text")  # "linear", "staircase": a name, not a condition
        if cond and not worded and re.search(r"[<>≤≥=≠∈]", cond) and not cond.startswith(("if ", "for ")):
            cond = "if " + cond
        prefix = head + " " if n == 0 else " " * (len(head) + 1)
        lines.append((prefix + row[0].ljust(width) + ("    " + cond if cond else "")).rstrip())
    if tail:
        lines.append(tail)
    return lines


def render(doc: str, width: int) -> str:
    """A docstring (or part of one) as terminal text wrapped at ``width`` characters.

    Example:
        >>> print(render(r'''Decay to the floor.
        ...
        ... .. math::
        ...     \\eta(s) = \\begin{cases} \\eta_0 & s < K \\\\ \\eta_K & s \\ge K \\end{cases}
        ... ''', 40))
        Decay to the floor.
        <BLANKLINE>
            η(s) = η₀    if s < K
                   η_K   if s ≥ K
    """
    lines = doc.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        indent = line[: len(line) - len(line.lstrip())]
        stripped = line.strip()
        if not stripped:
            out.append("")
            i += 1
            continue
        directive = re.match(r"\.\. math::\s*(.*)$", stripped)
        if directive:
            body = [directive.group(1)]
            i += 1
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > len(indent)):
                body.append(lines[i])
                i += 1
            while body and not body[-1].strip() and len(body) > 1:  # the blank lines after it separate
                body.pop()
                i -= 1
            while out and not out[-1]:
                out.pop()
            out += ["", *(indent + "    " + f for f in _formula(" ".join(b.strip() for b in body)))]
            continue
        if stripped.startswith((">>>", "...")) or (out and out[-1].lstrip().startswith(">>>")):
            out.append(line)  # a doctest example and its output stay as written
            i += 1
            continue
        bullet = re.match(r"([*-]|\d+\.)\s+", stripped)
        para = [stripped]
        i += 1
        while i < len(lines) and lines[i].strip() and not re.match(r"\s*(\.\. |>>>|[*-]\s|\d+\.\s)", lines[i]):
            para.append(lines[i].strip())
            i += 1
        hanging = indent + " " * (bullet.end() if bullet else 0)
        out.append(_wrap(inline(" ".join(para)), width, indent, hanging))
    return "\n".join(out).strip("\n")


def _wrap(text: str, width: int, indent: str, hanging: str) -> str:
    return "\n".join(
        textwrap.wrap(
            text,
            width=width,
            initial_indent=indent,
            subsequent_indent=hanging,
            break_long_words=False,
            break_on_hyphens=False,
        )
    )


def summary_line(obj: Any) -> str:
    """The first line of ``obj``'s docstring, as plain text.

    Example:
        >>> import lrplan
        >>> summary_line(lrplan.power_law)
        'Power-law schedule: η(s) = η₀ (1 + s/S)^c.'
    """
    doc = inspect.getdoc(obj) or ""
    return inline(doc.strip().split("\n", 1)[0])


_SECTION = re.compile(r"^(Args|Arguments|Returns|Raises|Example|Examples|References|Notes?|See Also):\s*$")


def sections(doc: str) -> tuple[str, dict[str, str]]:
    """``(head, {"Args": text, "Example": text, ...})`` of a Google-style docstring."""
    head: list[str] = []
    found: dict[str, list[str]] = {}
    current: list[str] = head
    for line in doc.split("\n"):
        m = _SECTION.match(line)
        if m:
            current = found.setdefault(m.group(1), [])
        else:
            current.append(line)
    return "\n".join(head).strip(), {k: inspect.cleandoc("\n".join(v)) for k, v in found.items()}


def arg_docs(text: str) -> dict[str, str]:
    """``{argument: its description}`` from the text of an ``Args:`` section."""
    out: dict[str, str] = {}
    name = None
    for line in text.split("\n"):
        m = re.match(r"^(\w+)(?: \([^)]*\))?:\s*(.*)$", line)
        if m:
            name = m.group(1)
            out[name] = m.group(2)
        elif name and line.strip():
            out[name] += " " + line.strip()
    return {k: inline(v) for k, v in out.items()}


def is_combinator(cls: type) -> bool:
    """Whether a schedule class takes other schedules as arguments."""
    return any("Schedule" in str(f.type) for f in dataclasses.fields(cls) if f.init)
