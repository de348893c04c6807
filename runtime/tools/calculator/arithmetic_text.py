"""Spoken or typed arithmetic to a calculator expression.

"what is 15% of 80" -> "15 / 100 * 80", "three times seven" -> "3 * 7",
"square root of 16" -> "sqrt(16)", "add 5 and 7" -> "5 + 7".

Pipeline, each stage a small ordered table of precompiled regexes:

1. symbols: × ÷ − ^ π to their Python spelling, currency signs dropped, 1,000 -> 1000;
2. a trigger ("what is", "calculate", ...) and a trailing "equals"/"?" removed;
3. fractions ("half of", "a third of") folded, number words to digits, multi-word
   operators ("divided by", "to the power of", "% of") folded to one token;
4. two-operand verb forms ("subtract 3 from 10", "the sum of 2 and 3") rewritten;
5. `expression_builder` checks the structure and writes the expression;
6. failing that, the longest run of words that reads as a calculation, where every
   word around it only frames it ("i need 7.5 multiplied by 4", "nine cubed is what").

"that", "it" or "the result" in an operand's place ("then multiply that by 6") becomes
`PREVIOUS_RESULT`, which `references` replaces by the calculation before.

Anything left that is not arithmetic (a word, a quote, code) makes the clause
not-arithmetic: the planner then abstains rather than hand the calculator a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from crane_bench.runtime.planners.number_words import replace_number_words
from crane_bench.runtime.planners.regex_tables import Prefilter, SubstitutionTable
from crane_bench.runtime.tools.calculator.expression_builder import (
    PREVIOUS_RESULT,
    build_expression,
)

_I = re.IGNORECASE
_MAX_CHARS = 300
_DATE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b")
_TRIGGER_PASSES = 2

_SYMBOLS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[×✕✖⋅·∗]"), " * "),
    (re.compile(r"[÷∕]"), " / "),
    (re.compile(r"[−–]"), " - "),
    (re.compile(r"π"), " pi "),
    (re.compile(r"\^"), " ** "),
    (re.compile(r"[$€£]"), ""),
    (re.compile(r"’"), "'"),
)
# "1,000" and "12,500.75" are one number; "3,4" and "1,20" are not (lists, typos).
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")
# "1k", "2.5k": a number of thousands, as people type amounts.
_KILO = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)k\b", _I)


# "seven and a half" (7 and a half, once number words are digits) -> 7.5.
_AND_A_FRACTION = re.compile(r"\b(\d+)\s+and\s+a\s+(half|quarter)\b", _I)
_FRACTION_PARTS = {"half": 0.5, "quarter": 0.25}


def _add_fraction(m: re.Match[str]) -> str:
    return f"{int(m.group(1)) + _FRACTION_PARTS[m.group(2).lower()]:g}"


# "90 dollars", "45 bucks": the amount is the number.
_CURRENCY_WORD = re.compile(r"(\d)\s+(?:dollars?|bucks|euros?|pounds?|quid)\b", _I)


def _thousands(m: re.Match[str]) -> str:
    return f"{float(m.group(1)) * 1000:g}"


_TRIGGER = re.compile(
    r"^(?:(?:can|could|would|will)\s+(?:you|u|ya)\s+)?(?:please\s+)?"
    r"(?:what\s+do\s+(?:you|i|we)\s+get\s+(?:if|when)\s+(?:you|i|we)\s+"
    r"|what(?:'s|s|\s+is|\s+are|\s+does|\s+do|\s+would\s+be|\s+will\s+be)?"
    r"|how\s+much\s+(?:is|are|does|do|would\s+be)|calculate|calc|compute|evaluate|eval"
    r"|solve|work\s+out|figure\s+out|find|determine|tell\s+me|give\s+me|show\s+me"
    r"|do\s+the\s+math\s+(?:on|for)|i\s+(?:need|want)\s+to\s+know"
    r"|i(?:['’]?d|\s+would)\s+like\s+to\s+know)\b\s*:?\s*"
    r"(?:the\s+)?(?:(?:result|value|answer|outcome)\s+(?:of|for|to)\s+)?",
    _I,
)
_TRAILING = re.compile(
    r"(?:\s*(?:=|\?|!|\.(?!\d)|\bequals?(?:\s+to)?|\bis(?:\s+equal\s+to)?|\bare|\bmakes?"
    r"|\bcomes?\s+to|\bgives?|\bplease|\bfor\s+me))+\s*$",
    _I,
)

_FRACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:(?:one|a)\s+)?half\s+of\b|\bhalf\b(?=\s*[\d(])", _I), " half_of "),
    (re.compile(r"\b(?:one|a)\s+third\s+of\b", _I), " third_of "),
    (re.compile(r"\b(?:one|a)\s+(?:quarter|fourth)\s+of\b", _I), " quarter_of "),
)

# Verb phrases that say an operation another way, rewritten to the form the verb forms
# read: "take away 4 from 9" -> "subtract 4 from 9", "add up 3, 4 and 5" -> "sum of 3, 4
# and 5", "45 and 55 together" -> "sum of 45 and 55".
_VERB_SYNONYMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^take\s+away\b", _I), "subtract"),
    (re.compile(r"^(?:add|sum|total)\s+(?:up|together)\b(?:\s+of)?", _I), "sum of"),
    (re.compile(r"^multiply\s+together\b", _I), "product of"),
    (re.compile(r"^(?P<items>.+?)\s+(?:added|summed)\s+(?:together|up)$", _I), r"sum of \g<items>"),
    (re.compile(r"^(?P<items>.+?)\s+multiplied\s+together$", _I), r"product of \g<items>"),
    (re.compile(r"^(?P<items>\S+\s+and\s+\S+)\s+together$", _I), r"sum of \g<items>"),
)

_ORDINAL_EXPONENTS = {
    "second": "2", "third": "3", "fourth": "4", "fifth": "5", "sixth": "6",
    "seventh": "7", "eighth": "8", "ninth": "9", "tenth": "10",
}  # fmt: skip

_BACK = r"(?:that|it|this|the\s+(?:result|answer|total))"
_PHRASES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"\b(?:integer|floor)\s+divided\s+by\b", _I), " // "),
    (
        re.compile(
            r"\b(?:raised\s+)?to\s+the\s+(?:power\s+of|power|(?=\d|second|third|fourth|fifth"
            r"|sixth|seventh|eighth|ninth|tenth))|\braised\s+to\b|\bpower\s+of\b",
            _I,
        ),
        " ** ",
    ),
    (
        re.compile(
            r"\*\*\s*(second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\b"
            r"(?:\s+power\b)?",
            _I,
        ),
        lambda m: f"** {_ORDINAL_EXPONENTS[m.group(1).lower()]}",
    ),
    (re.compile(r"(\d)(?:st|nd|rd|th)\b(?:\s+power\b)?", _I), r"\1"),
    (re.compile(r"\b(?:multiplied|multiply|times)\s+(?:by|with)\b", _I), " * "),
    (re.compile(r"\bdivided?\s+by\b|\bdivided\s+into\b", _I), " / "),
    (re.compile(r"\b(?:added\s+to|increased\s+by)\b", _I), " + "),
    (re.compile(r"\b(?:take\s+away|decreased\s+by|subtracted\s+by)\b", _I), " - "),
    (re.compile(r"(?:\bpercent|\bper\s+cent|%)\s+of\b", _I), " pct_of "),
    (re.compile(r"\bper\s+cent\b", _I), " percent "),
    (
        re.compile(r"\b(?:square\s+root|sqrt)(?:\s+of)?\b|\broot\s+of\b", _I),
        " sqrt ",
    ),
    (re.compile(r"\babsolute\s+value\s+of\b|\babs\s+of\b", _I), " abs "),
    (re.compile(r"\bround(?:ed)?\s+(?:of\s+)?(?=[\d(])", _I), " round "),
    (re.compile(r"\bnegative\b", _I), " neg "),
    # "the answer to 45 / 9": a frame around a calculation, not the result before.
    (
        re.compile(
            r"\b(?:the\s+)?(?:answer|result|value|solution)\s+(?:to|of|for)\s+(?=[\d(-])", _I
        ),
        " ",
    ),
    # "then multiply that by 6": the result of the calculation before.
    (
        re.compile(
            r"(?P<pre>\b(?:by|to|from|of|multiply|divide|add|subtract|square|double|halve|times"
            rf"|plus|minus)\s+){_BACK}\b",
            _I,
        ),
        rf"\g<pre>{PREVIOUS_RESULT}",
    ),
    (
        re.compile(
            rf"\b{_BACK}(?=\s+(?:by|to|from|and|times|plus|minus|divided|multiplied|squared"
            r"|cubed)\b)",
            _I,
        ),
        PREVIOUS_RESULT,
    ),
    (re.compile(r"\bthe\b", _I), " "),
)

_LIST_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+", _I)
_MAX_WORDS = "max|maximum|largest|biggest|greatest|greater|larger|bigger|higher|highest"
_MIN_WORDS = "min|minimum|smallest|lowest|least|lesser|smaller|lower"
_Rewrite = Callable[[re.Match[str]], str | None]
# "... into 16 equal parts", "... evenly between 4 people": the divisor of a split.
_SHARED_BY = (
    r"(?:evenly\s+|equally\s+)?(?:into|between|among)\s+(?P<b>\S+)"
    r"(?:\s+(?:equal\s+)?(?:parts|ways|pieces|people|groups))?"
)


def _wrap(operand: str) -> str:
    operand = operand.strip()
    return operand if " " not in operand else f"( {operand} )"


def _items(text: str) -> list[str] | None:
    items = [i.strip() for i in _LIST_SPLIT.split(text)]
    return items if len(items) >= 2 and all(items) else None


def _binary(template: str, groups: str = "ab") -> _Rewrite:
    return lambda m: template.format(**{g: _wrap(m.group(g)) for g in groups})


def _chained(template: str) -> _Rewrite:
    def rewrite(m: re.Match[str]) -> str:
        return template.format(p=PREVIOUS_RESULT, op=m.groupdict().get("op", ""), b=m.group("b"))

    return rewrite


def _listed(join: str, func: str = "", *, average: bool = False) -> _Rewrite:
    def rewrite(m: re.Match[str]) -> str | None:
        items = _items(m.group("items"))
        if items is None:
            return None
        if func:
            return f"{func}( {' , '.join(items)} )"
        body = f" {join} ".join(_wrap(i) for i in items)
        return f"( {body} ) / {len(items)}" if average else body

    return rewrite


# Two-operand verb forms, tried in order on the folded text; the first that matches and
# builds wins. The rewrite only reorders; `build_expression` still validates operands.
_VERB_FORMS: tuple[tuple[re.Pattern[str], _Rewrite], ...] = tuple(
    (re.compile(source), rewrite)
    for source, rewrite in (
        (r"^(?:add|sum)\s+(?P<a>.+?)\s+(?:and|to|with|plus)\s+(?P<b>.+)$", _binary("{a} + {b}")),
        (r"^(?:subtract|take)\s+(?P<a>.+?)\s+(?:away\s+)?from\s+(?P<b>.+)$", _binary("{b} - {a}")),
        (r"^multiply\s+(?P<a>.+?)\s+(?:by|and|with|times|\*)\s+(?P<b>.+)$", _binary("{a} * {b}")),
        (r"^divide\s+(?P<a>.+?)\s+(?:by|/)\s+(?P<b>.+)$", _binary("{a} / {b}")),
        (r"^(?:sum|total)\s+of\s+(?P<items>.+)$", _listed("+")),
        (r"^product\s+of\s+(?P<items>.+)$", _listed("*")),
        (r"^difference\s+(?:between|of)\s+(?P<a>.+?)\s+and\s+(?P<b>.+)$", _binary("{a} - {b}")),
        (r"^quotient\s+of\s+(?P<a>.+?)\s+(?:and|by|/)\s+(?P<b>.+)$", _binary("{a} / {b}")),
        (r"^(?:average|mean)\s+of\s+(?P<items>.+)$", _listed("+", average=True)),
        (rf"^(?:{_MAX_WORDS})\s+(?:of\s+|between\s+)?(?P<items>.+)$", _listed("", "max")),
        (rf"^(?:{_MIN_WORDS})\s+(?:of\s+|between\s+)?(?P<items>.+)$", _listed("", "min")),
        (r"^remainder\s+(?:of|when|after)\s+(?P<a>.+?)\s+(?:is\s+)?(?:/|%)\s+(?P<b>.+)$",
         _binary("{a} % {b}")),
        (r"^remainder\s+(?:do\s+(?:you|i|we)\s+get\s+|is\s+there\s+|is\s+left\s+)?(?:of|when|after"
         r"|from)\s+(?:dividing|(?:you|i|we)\s+divide)\s+(?P<a>\S+)\s+(?:by|/)\s+(?P<b>\S+)$",
         _binary("{a} % {b}")),
        (r"^(?:how\s+many\s+times\s+(?:does|do|will|can|would)\s+)?(?P<a>\S+)\s+go(?:es)?\s+into"
         r"\s+(?P<b>.+)$", _binary("{b} / {a}")),
        (rf"^(?:split|share|divide)\s+(?P<a>.+?)\s+{_SHARED_BY}$", _binary("{a} / {b}")),
        (rf"^(?P<a>\S+)\s+(?:split|shared|divided)\s+{_SHARED_BY}$", _binary("{a} / {b}")),
        # "..., then add 5", "then multiply by 3": the result before is the first operand.
        (r"^(?:add|plus)\s+(?P<b>[\d.]+)$", _chained("{p} + {b}")),
        (r"^(?:subtract|minus)\s+(?P<b>[\d.]+)$", _chained("{p} - {b}")),
        (r"^take\s+(?P<a>[\d.]+)\s+off\s+(?:of\s+)?(?P<b>[\d.]+)$", _binary("{b} - {a}")),
        # "round 1.41421 off to three decimal places"
        (r"^round\s+(?P<a>.+?)\s+(?:off\s+)?to\s+(?P<b>\d+)\s+(?:decimal\s+places?|decimals?"
         r"|dp|places?)$", _binary("round( {a} , {b} )")),
        (r"^(?P<a>.+?)\s+rounded\s+(?:off\s+)?to\s+(?P<b>\d+)\s+(?:decimal\s+places?|decimals?"
         r"|dp|places?)$", _binary("round( {a} , {b} )")),
        (r"^(?P<op>\*\*|\*|/|//)\s+(?P<b>[\d.]+)$", _chained("{p} {op} {b}")),
        (r"^times\s+(?P<b>[\d.]+)$", _chained("{p} * {b}")),
        (r"^square\s+(?:of\s+)?(?P<a>.+)$", _binary("{a} ** 2", "a")),
        (r"^cube\s+(?:of\s+)?(?P<a>.+)$", _binary("{a} ** 3", "a")),
        (r"^raise\s+(?P<a>.+?)\s+\*\*\s+(?P<b>.+)$", _binary("{a} ** {b}")),
        (r"^subtract\s+(?P<a>\S+)\s+and\s+(?P<b>\S+)$", _binary("{a} - {b}")),
        (r"^ratio\s+(?:of\s+)?(?P<a>\S+)\s+(?:to|and)\s+(?P<b>\S+)$", _binary("{a} / {b}")),
        # "how many 7s fit in 84", "how many times does 9 go into 81"
        (r"^how\s+many\s+(?:times\s+(?:does|do|will|can|would)\s+)?(?P<a>\S+?)(?:'?s)?\s+"
         r"(?:go(?:es)?|fits?|(?:can|will|would)\s+(?:go|fit)|are(?:\s+there)?)\s+(?:in|into)"
         r"\s+(?P<b>.+)$", _binary("{b} / {a}")),
        # "what percent of 80 is 20", "20 is what percent of 80": a share, in percent.
        (r"^(?:pct_of|percentage\s+of)\s+(?P<b>\S+)\s+is\s+(?P<a>\S+)$",
         _binary("{a} / {b} * 100")),
        (r"^(?P<a>\S+)\s+is\s+what\s+(?:pct_of|percentage\s+of)\s+(?P<b>\S+)$",
         _binary("{a} / {b} * 100")),
        (r"^(?:percent|percentage)\s+is\s+(?P<a>\S+)\s+of\s+(?P<b>\S+)$",
         _binary("{a} / {b} * 100")),
        # "increase 50 by 10 percent", "15% off 200": a change by a share.
        (r"^(?:increase|raise)\s+(?P<a>\S+)\s+by\s+(?P<b>[\d.]+)\s*(?:%|percent)$",
         _binary("{a} * (1 + {b} / 100)")),
        (r"^(?:decrease|reduce|lower|cut|discount)\s+(?P<a>\S+)\s+by\s+(?P<b>[\d.]+)\s*"
         r"(?:%|percent)$", _binary("{a} * (1 - {b} / 100)")),
        # "a 15% tip on 80": a share of an amount.
        (r"^(?:a\s+)?(?P<a>[\d.]+)\s*(?:%|percent)\s+(?:tip|tax|interest|commission|fee|vat"
         r"|service\s+charge)\s+(?:on|of|for)\s+(?:a\s+)?(?P<b>[\d.]+)"
         r"(?:\s+(?:dollar|euro|pound|buck)s?)?(?:\s+(?:bill|meal|total"
         r"|purchase|loan))?$", _binary("{a} / 100 * {b}")),
        (r"^(?:tip|tax|interest)\s+(?:on|of|for)\s+(?P<b>[\d.]+)\s+at\s+(?P<a>[\d.]+)\s*"
         r"(?:%|percent)$", _binary("{a} / 100 * {b}")),
        (r"^(?P<b>[\d.]+)\s*(?:%|percent)\s+off\s+(?:of\s+)?(?P<a>\S+)$",
         _binary("{a} * (1 - {b} / 100)")),
    )
)  # fmt: skip


_SYMBOL_TABLE = SubstitutionTable(_SYMBOLS)
_FRACTION_TABLE = SubstitutionTable(_FRACTIONS)
_VERB_SYNONYM_TABLE = SubstitutionTable(_VERB_SYNONYMS)
_PHRASE_TABLE = SubstitutionTable(_PHRASES)


def _fold(text: str) -> str:
    """Stages 1-3: symbols, trigger, fractions, number words and operator phrases."""
    text = _SYMBOL_TABLE.apply(text)
    text = _THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), text)
    text = _KILO.sub(_thousands, text)
    text = _CURRENCY_WORD.sub(r"\1", text)
    text = text.strip()
    for _ in range(_TRIGGER_PASSES):  # "tell me what 2 + 2 is" carries two triggers
        text, found = _TRIGGER.subn("", text, count=1)
        if not found:
            break
    text = _TRAILING.sub("", text)
    text = _FRACTION_TABLE.apply(text)
    text = replace_number_words(text)
    text = _AND_A_FRACTION.sub(_add_fraction, text)
    text = _VERB_SYNONYM_TABLE.apply(text)
    text = _PHRASE_TABLE.apply(text)
    return " ".join(text.lower().split())


# Words that frame a calculation without being part of it: "i need 7.5 multiplied by 4",
# "fifteen squared equals what", "quick math: 2 + 3*4", "can you do 64 minus 29".
_FRAME_WORDS = frozenset(
    {
        "what", "whats", "is", "are", "was", "be", "the", "a", "an", "result", "answer",
        "of", "you", "i", "we", "get", "got", "do", "does", "did", "if", "when", "need",
        "want", "to", "know", "tell", "me", "quick", "math", "maths", "question", "equals",
        "equal", "how", "much", "please", "can", "could", "would", "will", "give", "number",
        "value", "so", "hey", "ok", "okay", "just", "now", "come", "comes", "out", "work",
        "figure", "find", "calculate", "compute", "evaluate", "for", "real", "fast", "help",
        "with", "solve", "doing", "lets", "let's", "see", "again", "exactly", "that",
        "wondering", "wonder", "curious", "i'd", "id", "like", "asap", "pls", "plz", "time",
        "hi", "hello", "thanks", "thank", "u", "mind", "say", "dollars", "dollar", "bucks",
        "euros", "euro", "pounds", "usd", "eur", "gbp", "should", "leave",
    }
)  # fmt: skip
_MAX_FRAMED_WORDS = 24
_FRAME_PUNCT = ":,;?!."


_VERB_FORM_PREFILTER = Prefilter(lambda: (pattern for pattern, _ in _VERB_FORMS), anchored=True)


def _read(text: str) -> str | None:
    """Stages 4-5 on folded text: a verb form, else the text as an expression."""
    if _VERB_FORM_PREFILTER.rules_out(text):  # most texts: no verb form applies
        return build_expression(text)
    for pattern, rewrite in _VERB_FORMS:
        m = pattern.match(text)
        if m is None:
            continue
        rewritten = rewrite(m)
        if rewritten is not None and (expression := build_expression(rewritten)):
            return expression
    return build_expression(text)


def _is_frame(words: list[str]) -> bool:
    return all(w.strip(_FRAME_PUNCT) in _FRAME_WORDS or not w.strip(_FRAME_PUNCT) for w in words)


def _framed(text: str) -> str | None:
    """The calculation inside frame words ("i need 7.5 multiplied by 4").

    The longest run of words that reads as a calculation, when every word around it
    only frames it; None when no such run exists.
    """
    words = text.split()
    if len(words) > _MAX_FRAMED_WORDS:
        return None
    n = len(words)
    # framed_before[i]: words[:i] are all frame words; framed_after[j]: words[j:] are.
    frame = [_is_frame([word]) for word in words]
    framed_before = [True] * (n + 1)
    framed_after = [True] * (n + 1)
    for i in range(n):
        framed_before[i + 1] = framed_before[i] and frame[i]
    for j in range(n - 1, -1, -1):
        framed_after[j] = framed_after[j + 1] and frame[j]
    for size in range(n - 1, 0, -1):
        for start in range(n - size + 1):
            end = start + size
            if not (framed_before[start] and framed_after[end]):
                continue
            core = " ".join(words[start:end]).strip(_FRAME_PUNCT + " ")
            if core and (expression := _read(core)):
                return expression
    return None


def spoken_to_expression(clause: str) -> str | None:
    """Read one clause as arithmetic.

    Args:
        clause: One clause of a prompt, e.g. "What's 3 times seven?".

    Returns:
        A clean Python expression for the calculator tool, or None when the clause is
        not a calculation (not arithmetic at all, a bare number, or text with code).
    """
    if len(clause) > _MAX_CHARS or _DATE.search(clause):
        return None  # "2024-01-05" is a date, not two subtractions
    text = _fold(clause)
    if not text:
        return None
    return _read(text) or _framed(text)
