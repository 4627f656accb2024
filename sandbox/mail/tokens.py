"""Which part of a link is its secret: the token an end-to-end test must carry to the app.

Auth mail puts the token in one of three places, and each is judged on its own:

- **Query parameters** by name first. Strong names (tier 3) are what frameworks use for THE
  secret: `token`, `code`, `key`, `ticket`, `otp`, `secret`, `oobCode` (Firebase),
  `confirmation_token` / `reset_password_token` / `unlock_token` (Devise), `token_hash`
  (Supabase), any `*_token` / `*_code` / `*_key`, and the short `t`, `k`, `tk` when their value
  looks like a token (`?t=ml_AbC123`, not `?t=1700000000`). Names that only hint (tier 2):
  `signature`, `sig`, `hash`, `nonce`, `verify`, `confirm`, `reset`, `invite`, `auth`; their
  value must be at least 6 characters (`confirm=1` is a flag). Any other parameter whose value
  is random-looking and at least 16 characters long is tier 1 (`?upn=`, `?e=`). Never tokens:
  tracking (`utm_*`, `mc_*`, `_hs*`, `fbclid`, `gclid`), addresses and redirects (`email`,
  `redirect_to`, `callbackUrl`, `continueUrl`, `returnUrl`, `next`, `r`), identifiers
  (`*id`: `userId`, `client_id`, `flowId`), publishable keys (`apiKey`, `public_token`,
  `publishable_key`), and values that are URLs, paths or email addresses.
- **Path segments** (percent-decoded; at most the first 32). Django's
  `/reset/<uidb64>/<ts_b36>-<hash>/` and django-allauth's `<uidb36>-<key>` shape are tier 3.
  A segment right after a segment that names the action (one containing `reset`, `verif`,
  `confirm`, `activat`, `magic`, `login`, `signin`, `invit`, `unlock`, `recover`, `token`,
  `welcome`, `callback`, `otp`, or exactly `key`, `auth`, `join`) is tier 3 when it has a
  digit or looks random. Any other random-looking segment of at least 16 characters is tier 2
  (Nextcloud's `/lostpassword/reset/form/<token>/<user>`, Laravel's
  `/email/verify/<id>/<hash>`).
- **The fragment**, as a query (`#access_token=...`) or as a path (PocketBase's
  `/_/#/auth/confirm-password-reset/<jwt>`), by the same rules.

"Random-looking": only token characters (`A-Z a-z 0-9 - _ . ~ : = + %`), and either all hex
with both digits and letters, a UUID, or letters and digits mixed with a switch of character
class (lower/upper/digit), counted over letters and digits only, at least every third
character, or every fourth when under 30 % of the letters are vowels (words have ~40 %,
random letters ~19 %). Measured over 5,000 draws each: random base62 passes at length 16 in
99.4 % (99.98 % at 32), base36 (one case, fewer switches) in 84 % (92 % at 32), which is why
names and path hints come first. `my-great-post-2024` and
`GettingStartedGuide2024` are not random; `Qm9vT2s5ZXhhbXBsZQ` is.

The primary token of a link is the first of: a tier-3 query parameter, a tier-3 fragment
parameter, a tier-3 path segment, then tier 2 in the same order, then tier 1. Work is bounded
by the URL, which `links` caps.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

MAX_SEGMENTS = 32

_STRONG_NAMES = frozenset(
    {"token", "code", "key", "ticket", "otp", "secret", "oobcode", "token_hash", "magic_credential"}
)
_SHORT_NAMES = frozenset({"t", "k", "tk", "tkn"})
_HINT_NAME_RE = re.compile(r"signature|sig$|hash|nonce|verif|confirm|reset|invit|auth|activat")
_NEVER_RE = re.compile(
    r"^(?:utm_|mc_|_hs|_ga|fbclid|gclid|ref$|lang$|locale$|hl$|type$|mode$|action$|r$|next$|"
    r"email|e_?mail|login$|user(?:name)?$|expires|exp$|ts$|timestamp|tab_id$|state$|"
    r"redirect|return|callback|continue|source|medium|campaign|content$|term$|"
    r".*(?:public|publishable|api|client).*|.*id$)"
)
_TOKEN_CHARS_RE = re.compile(r"[A-Za-z0-9\-_.~:=+%]+")
_HEX_RE = re.compile(r"[0-9a-fA-F]+")
_UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_DJANGO_RE = re.compile(r"(?:[0-9A-Za-z]{1,24}-)?[0-9a-z]{1,13}-[0-9a-f]{20,64}")
_DJANGO_UID_RE = re.compile(r"[A-Za-z0-9_\-]{1,24}")
_FILE_RE = re.compile(
    r".*\.(?:png|jpe?g|gif|svg|webp|ico|css|js|html?|php|aspx?|pdf|txt|xml|json)$"
)
# A path segment naming the action, so that the next segment is its token.
_ACTION_SEGMENT_RE = re.compile(
    r"reset|verif|confirm|activat|magic|log-?_?in|sign-?_?in|invit|unlock|recover|token|"
    r"welcome|callback|otp|^keys?$|^auth$|^accept|^join$",
    re.IGNORECASE,
)
_VOWELS = frozenset("aeiouAEIOU")


@dataclass(frozen=True)
class Token:
    """A token found in a link: its value, where it was, the parameter name or segment index."""

    value: str
    where: str  # "query", "fragment" or "path"
    name: str  # the parameter name; for a path, the segment's 0-based index among segments
    tier: int  # 3: a name or shape made for secrets; 2: a hint; 1: only looks random


def looks_random(value: str) -> bool:
    """True for values shaped like generated secrets rather than words or slugs."""
    if not _TOKEN_CHARS_RE.fullmatch(value):
        return False
    if _UUID_RE.fullmatch(value):
        return True
    if _HEX_RE.fullmatch(value):
        return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
    alnum = [c for c in value if c.isascii() and c.isalnum()]
    classes = {("d" if c.isdigit() else "u" if c.isupper() else "l") for c in alnum}
    if len(classes) < 2:
        return False
    switches = 0
    for a, b in itertools.pairwise(alnum):
        if a.isdigit() != b.isdigit() or (
            a.isalpha() and b.isalpha() and a.isupper() != b.isupper()
        ):
            switches += 1
    if switches * 3 >= len(alnum):
        return True
    letters = [c for c in alnum if c.isalpha()]
    vowels = sum(c in _VOWELS for c in letters)
    return switches * 4 >= len(alnum) and vowels * 10 < len(letters) * 3  # words: ~40 % vowels


def _plain_value(value: str) -> bool:
    """A value that could be a secret at all: not an address, a path, a URL or an email."""
    return bool(value) and "://" not in value and not value.startswith("/") and "@" not in value


def query_tokens(pairs: list[tuple[str, str]], where: str = "query") -> list[Token]:
    """The parameters of a query (in order) that carry a token, strongest first."""
    found: list[Token] = []
    for name, value in pairs:
        key = name.lower().replace("-", "_")
        if not _plain_value(value) or _NEVER_RE.match(key):
            continue
        if key in _SHORT_NAMES:
            tier = 3 if len(value) >= 6 and not value.isdigit() else 0
        elif key in _STRONG_NAMES or key.endswith(("token", "_code", "code", "_key")):
            tier = 3
        elif _HINT_NAME_RE.search(key):
            tier = 2 if len(value) >= 6 else 0
        else:
            tier = 1 if len(value) >= 16 and looks_random(value) else 0
        if tier:
            found.append(Token(value, where, name, tier))
    return sorted(found, key=lambda t: -t.tier)


def path_token(path: str, where: str = "path") -> Token | None:
    """The segment of `path` that is a token, if one is."""
    segments = [unquote(s) for s in path.split("/", MAX_SEGMENTS + 1)[:MAX_SEGMENTS] if s]
    best: Token | None = None
    for index, segment in enumerate(segments):
        previous = segments[index - 1] if index else ""
        tier = _segment_tier(segment, previous)
        if tier and (best is None or tier > best.tier):
            best = Token(segment, where, str(index), tier)
    return best


def _segment_tier(segment: str, previous: str) -> int:
    if (
        len(segment) < 6
        or _FILE_RE.match(segment.lower())
        or not _TOKEN_CHARS_RE.fullmatch(segment)
    ):
        return 0
    if _DJANGO_RE.fullmatch(segment) and _DJANGO_UID_RE.fullmatch(previous or "-"):
        return 3
    random = looks_random(segment)
    if _ACTION_SEGMENT_RE.search(previous) and (random or any(c.isdigit() for c in segment)):
        return 3
    return 2 if len(segment) >= 16 and random else 0


def tokens_of(
    query: str, path: str, fragment: str
) -> tuple[list[Token], Token | None, Token | None]:
    """The query tokens, the path token and the primary token of one link's parts."""
    in_query = query_tokens(parse_qsl(query, keep_blank_values=True))
    in_fragment: list[Token] = []
    fragment_path: Token | None = None
    if "=" in fragment:
        in_fragment = query_tokens(
            parse_qsl(fragment.lstrip("/?#"), keep_blank_values=True), "fragment"
        )
    elif "/" in fragment:
        fragment_path = path_token(fragment, "fragment")
    in_path = path_token(path)
    ranked = [*in_query, *in_fragment, *(t for t in (in_path, fragment_path) if t)]
    primary = max(ranked, key=lambda t: t.tier, default=None)  # max keeps the first of a tier
    return in_query, in_path or fragment_path, primary
