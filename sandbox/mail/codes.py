"""One-time codes in a message, THE code first: what an end-to-end test needs to type.

Candidates come from the subject and the body text (or the visible text of the HTML when there
is no text part), after URLs and email addresses are blanked so that tokens inside links never
count. A candidate stands alone (no letter, digit, `.,/@#$€£¥+=&?%-` right before it, no word
character, `@`, `/`, `-x` or `.5` right after it) and has one of these shapes:

- 4 to 8 digits: `845120`;
- digit groups split by one space or hyphen, 3+3, 4+4 or 2+2+2: `123 456`, `123-456`
  (a phone number's 3+4 or 3+3+4 is no code);
- 4 to 8 single digits split by whitespace: a code set in separate `<td>`/`<span>` boxes;
- 3 to 5 + 3 to 5 capitals or digits around a hyphen: `ABC-123`, Slack's `KMJ-T04`;
- 5 to 10 capitals and digits with at least one of each: `A7K2P9`.

Each candidate is scored on its context (whitespace collapsed):

- a code word (`code`, `passcode`, `OTP`, `one-time`, `PIN`, `Bestätigungscode`, `código`,
  `код`, `رمز`, `コード`, `验证码`, ...) in the 40 characters before: +10, up to 120 before:
  +6, or in the same sentence within 40 characters after ("482913 is your code"): +8;
  unless the word is a promo, zip, postal, bar, order, tracking or similar code, which counts
  as a negative;
- a weaker word near (`verify`, `confirm`, `sign in`, `log in`, `expires`, `2FA`): +3;
- a negative word in the 30 characters before (`order`, `invoice`, `total`, `#`, `$`, `phone`,
  `call`, `zip`, `suite`, `ref`, `ticket`, `©`, `version`, ...) or a unit after (`%`, `off`,
  `USD`, `items`, `minutes`) or a promotion in the 40 after (`% off`, `discount`,
  `checkout`): -12;
- the subject names a code and the candidate is in the body: +4; the same code is in both: +5;
- alone on its line: +4; digits only: +2; six digits: +2, other lengths 4-8: +1; groups: +2;
  boxes or hyphenated capitals: +1; capitals only: -4; a year (19xx, 20xx): -8.

Codes scoring 9 or more are returned, best first (ties: subject first, then text order). The
`code` is what to type: digit groups and boxes are joined (`123 456` → `123456`), hyphenated
capitals keep their hyphen (`ABC-123`); `display` is the code as the message shows it.
Bounded: the first `MAX_TEXT_CHARS` of the body, `MAX_SUBJECT_CHARS` of the subject, and the
first `MAX_CANDIDATES` candidates; every regex is possessive or bounded, so work is linear, and
each runs a slice at a time (`sandbox.mail.slices`): URLs and addresses are blanked in pieces
cut after white space, which neither holds (a stretch of `slices.SLICE` characters without
any is cut where it ends), and candidates are searched slice by slice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from mailyard.sandbox.mail import slices
from mailyard.sandbox.mail.htmlscan import scan

MAX_TEXT_CHARS = 1024 * 1024
MAX_SUBJECT_CHARS = 2000
MAX_CANDIDATES = 200
THRESHOLD = 9

# Each pattern opens with a lookahead on its first character: Python's engine then rejects
# other positions at once instead of trying every alternative (5x faster on "<" * 10**5).
_URL_RE = re.compile(r"""(?=[hHwW])(?:https?://|www\.)[^\s<>"']++""", re.IGNORECASE)
_EMAIL_RE = re.compile(r"(?=[\w.+-])(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_CANDIDATE_RE = re.compile(
    r"(?=[0-9A-Z])(?<![\w.,/@#$€£¥+=&?%\\-])"
    r"(?:(?P<boxes>\d(?:\s{1,80}\d){3,7})"
    r"|(?P<groups>\d{2,4}(?:[ \u00a0\u2009\u202f-]\d{2,4}){1,2})"
    r"|(?P<dashed>[A-Z0-9]{3,5}-[A-Z0-9]{3,5})"
    r"|(?P<digits>\d{4,8})"
    r"|(?P<capitals>[A-Z0-9]{5,10}))"
    r"(?![\w@/]|[.,:]\d|-\w)"
)
_SEPARATOR_RE = re.compile(r"[^0-9]")
_GROUP_SHAPES = frozenset({(3, 3), (4, 4), (2, 2, 2)})
# Matched against lower-cased text (IGNORECASE makes Python's engine several times slower).
_STRONG_RE = re.compile(
    r"code|passcode|\botp\b|one.?time|\bpin\b|\btan\b|\bkod|código|codice|код|קוד|رمز|كود|"
    r"コード|認証|验证码|代码|코드|인증"
)
_WEAK_RE = re.compile(
    r"verif|confirm|sign.?in|log.?in|authenticat|expire|valid|gültig|2fa|two.?factor|\bmfa\b"
)
_WORD_RE = re.compile(r"\w+")
# A "code" right after one of these is not one to sign in with.
_NOT_A_LOGIN_CODE = frozenset(
    """promo discount coupon voucher gift zip post postal area country dial dialling bar qr
    source error status referral ref booking order tracking product sort swift bank tax airport
    color colour html short reservation""".split()  # noqa: SIM905 - a word list
)
_NEGATIVE_WORDS = frozenset(
    """order invoice receipt total subtotal amount price tax qty quantity phone tel call fax zip
    postal postcode suite ste street st avenue ave road rd way blvd box floor ref reference
    tracking acct case ticket booking reservation id customer member version build copyright
    page step chapter issue room flight seat gate no nr item sku serial isbn since year vol
    usd eur gbp""".split()  # noqa: SIM905 - a word list
)
_NEGATIVE_SIGNS = frozenset("#$€£¥©№")
_NEGATIVE_AFTER_RE = re.compile(
    r"\W{0,2}(?:%|percent|off\b|usd|eur|gbp|items?\b|pcs\b|minutes?\b|mins?\b|hours?\b|"
    r"days?\b|seconds?\b|[kmg]b\b|px\b|people|members|points|views|users|st\b|street|ave\b|"
    r"road|blvd)"
)
_PROMO_RE = re.compile(r"%|\boff\b|discount|\bsave\b|savings|checkout|rabatt|réduction|descuento")
_SENTENCE_END_RE = re.compile(r"[.!?]\s|\n")
_YEAR_RE = re.compile(r"(?:19|20)\d\d")


@dataclass(frozen=True)
class Code:
    """A likely one-time code: what to type, where it was, the words around it, its score."""

    code: str
    source: str  # "subject" or "text"
    context: str
    score: int
    display: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "source": self.source,
            "context": self.context,
            "display": self.display or self.code,
        }


def _normal(kind: str, raw: str) -> str | None:
    """The code to type for a candidate of `kind`, or None when the shape is no code."""
    if kind == "boxes":
        return "".join(raw.split())
    if kind == "groups":
        parts = _SEPARATOR_RE.split(raw)
        return "".join(parts) if tuple(map(len, parts)) in _GROUP_SHAPES else None
    if kind == "capitals" and (raw.isdigit() or raw.isalpha()):
        return None  # all digits would be `digits`; all capitals is a word
    return raw


def _shape_score(kind: str, code: str) -> int:
    score = {"boxes": 1, "groups": 2, "dashed": 1}.get(kind, 0)
    if code.isdigit():
        score += 2 + (2 if len(code) == 6 else 1)
        score -= 8 if len(code) == 4 and _YEAR_RE.fullmatch(code) else 0
    if kind == "dashed" and not any(c.isdigit() for c in code):
        score -= 4
    return score


def _words(window: str, whole: str) -> list[str]:
    """The words of `window`, the tail of `whole`, without a word the window cut in half."""
    words = _WORD_RE.findall(window)
    cut = len(whole) > len(window) and whole[-len(window) - 1].isalnum() and window[:1].isalnum()
    return words[1:] if cut else words


def _not_a_login_code(before_word: str) -> bool:
    """Whether the text before a "code" makes it a promo, zip, order... code."""
    words = _WORD_RE.findall(before_word)
    return bool(words) and (
        words[-1] in _NOT_A_LOGIN_CODE or words[-2:] == ["confirmation", "number"]
    )


def _hint_score(before: str, after: str) -> int:
    """Points for code words near the candidate, minus points for words that say it is not one.

    `before` and `after` are lower-cased, whitespace collapsed, at most 120 and 60 characters.
    """
    score = 0
    hints = list(_STRONG_RE.finditer(before))
    if hints:
        nearest = hints[-1]
        if _not_a_login_code(before[max(0, nearest.start() - 24) : nearest.start()]):
            score -= 12
        else:
            distance = len(before) - nearest.end()
            score += 10 if distance <= 40 else 6
    ahead = _STRONG_RE.search(after)
    if score <= 0 and ahead is not None and ahead.start() <= 40:
        prefix = after[max(0, ahead.start() - 24) : ahead.start()]
        score += -12 if _not_a_login_code(prefix) else 8
    if _WEAK_RE.search(before[-80:]) or _WEAK_RE.search(after[:40]):
        score += 3
    tail = before[-30:]
    negative = (
        not _NEGATIVE_SIGNS.isdisjoint(tail)
        or not _NEGATIVE_WORDS.isdisjoint(_words(tail, before))
        or "account number" in tail
        or _NEGATIVE_AFTER_RE.match(after) is not None
        or _PROMO_RE.search(after[:40]) is not None
    )
    if negative:
        score -= 12
    return score


_DIGIT_AFTER_RE = re.compile(r"[ \t\u00a0-]?\d")
_DIGIT_BEFORE_RE = re.compile(r"\d[ \t\u00a0-]?\Z")


def _part_of_a_number(clean: str, start: int, end: int) -> bool:
    """Whether a digit group runs on: "555 123" of "1 555 123 4567" is a phone number's."""
    return bool(
        _DIGIT_AFTER_RE.match(clean, end)
        or _DIGIT_BEFORE_RE.search(clean[max(0, start - 2) : start])
    )


_HOST_PORT_RE = re.compile(r"\w:\Z")


def _after_host(clean: str, start: int) -> bool:
    """Whether the candidate follows "word:" with no space, as a port does ("localhost:3000"),
    unless that word is a code word ("code:482913")."""
    before = clean[max(0, start - 16) : start]
    return bool(_HOST_PORT_RE.search(before)) and not _STRONG_RE.search(before.lower())


def _standalone(clean: str, start: int, end: int) -> bool:
    """Whether the candidate is the only thing on its line (searched within 200 characters)."""
    line_start = clean.rfind("\n", max(0, start - 200), start) + 1
    if line_start == 0 and start > 200:
        return False
    line_end = clean.find("\n", end, end + 200)
    if line_end < 0:
        line_end = end + 200 if end + 200 < len(clean) else len(clean)
    return clean[line_start:start].strip() == "" and clean[end:line_end].strip() == ""


def _blanked(body: str) -> str:
    """`body` with URLs and email addresses made spaces."""
    pieces, at = [], 0
    for cut in slices.cuts(body, " \n\t\r", hard=True):
        pieces.append(_EMAIL_RE.sub(" ", _URL_RE.sub(" ", body[at:cut])))
        at = cut
    return "".join(pieces)


def _matches(clean: str) -> Iterator[re.Match[str]]:
    """`_CANDIDATE_RE.finditer(clean)`, a slice at a time."""
    at = 0
    while (match := slices.search(_CANDIDATE_RE, clean, at)) is not None:
        yield match
        at = match.end()


def _candidates(source: str, body: str, subject_hint: bool) -> list[Code]:
    clean = _blanked(body)
    found: list[Code] = []
    for match in _matches(clean):
        if len(found) >= MAX_CANDIDATES:
            break
        kind = match.lastgroup or "digits"
        raw = match.group(0)
        code = _normal(kind, raw)
        start, end = match.span()
        if code is None or (kind in ("boxes", "groups") and _part_of_a_number(clean, start, end)):
            continue
        if _after_host(clean, start):
            continue
        before = " ".join(clean[max(0, start - 240) : start].lower().split())[-120:]
        sentence = _SENTENCE_END_RE.search(clean, end, end + 120)
        after = " ".join(clean[end : sentence.start() if sentence else end + 120].lower().split())
        after = after[:60]
        score = _shape_score(kind, code) + _hint_score(before, after)
        score += 4 if _standalone(clean, start, end) else 0
        score += 4 if subject_hint and source == "text" else 0
        context = " ".join(clean[max(0, start - 60) : end + 60].split())
        found.append(Code(code, source, context, score, " ".join(raw.split())))
    return found


def extract_codes(subject: str, text: str, html: str = "") -> list[Code]:
    """Likely one-time codes, best first; see the module docstring for the rules.

    `text` is the text part; when it is blank and `html` is given, the HTML's visible text is
    read instead (the web layer may also pass HTML already converted to text as `text`).
    """
    subject = subject[:MAX_SUBJECT_CHARS]
    if not text.strip() and html:
        text = scan(html).text
    subject_hint = bool(_STRONG_RE.search(subject.lower()))
    in_subject = _candidates("subject", subject, subject_hint)
    in_text = _candidates("text", text[:MAX_TEXT_CHARS], subject_hint)
    both = {c.code for c in in_subject} & {c.code for c in in_text}
    best: dict[str, Code] = {}
    for candidate in in_subject + in_text:
        kept = best.get(candidate.code)
        if kept is None or candidate.score > kept.score:
            best[candidate.code] = candidate
    ranked = []
    for code in best.values():
        score = code.score + (5 if code.code in both else 0)
        if score >= THRESHOLD:
            ranked.append(Code(code.code, code.source, code.context, score, code.display))
    return sorted(ranked, key=lambda c: -c.score)  # stable: ties keep subject, then text order
