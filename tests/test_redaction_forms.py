"""Every form a server may echo a secret in is redacted: raw, URL-encoded (quote, quote_plus,
upper- or lower-case hex), HTML-escaped (named, decimal and hex character references) and
JSON-escaped (``\\/``, ``\\uXXXX``), and copies that mix them."""

from __future__ import annotations

import base64
import collections
import html
import json
import logging
import random
import re
import time
import traceback
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterator
from urllib.parse import quote, quote_plus

import anyio.abc
import httpx
import pytest

import omsclient
from omsclient import _redact, errors
from omsclient._redact import REDACTED, Redactor
from omsclient.legacy import Condition, Op, OrderField

from .conftest import LEGACY, ok
from .hostile import HostileServer, Request, frame_variables, hostile_server, write_response

PASSWORD = "S3cret&pw/x y"
SINCE = Condition(OrderField.DATE_ORDERED, Op.GE, date1="2024-01-01")


def lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def each_char(form: Callable[[str], str]) -> Callable[[str], str]:
    """Encode every character that is not a letter or digit with ``form``."""
    return lambda secret: "".join(c if c.isalnum() else form(c) for c in secret)


def php_json(secret: str) -> str:
    # PHP's json_encode escapes "/" and writes every non-ASCII character as \uXXXX.
    return json.dumps(secret)[1:-1].replace("/", "\\/")


def json_u(char: str) -> str:
    """``char`` as JSON \\uXXXX escapes (a surrogate pair beyond the BMP)."""
    return json.dumps(char)[1:-1] if ord(char) > 0xFFFF else f"\\u{ord(char):04x}"


FORMS: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "quote": quote,
    "quote safe=''": lambda s: quote(s, safe=""),
    "quote_plus": quote_plus,
    "quote lower hex": lambda s: lower_hex(quote(s, safe="")),
    "quote twice": lambda s: quote(quote(s, safe=""), safe=""),
    "quote_plus twice": lambda s: quote_plus(quote_plus(s)),
    "quote_plus lower hex": lambda s: lower_hex(quote_plus(s)),
    "html.escape": html.escape,
    "html named (HTML5)": each_char(
        lambda c: {"&": "&amp;", "/": "&sol;", " ": " ", '"': "&quot;", "<": "&lt;"}.get(c, c)
    ),
    "decimal entities": each_char(lambda c: f"&#{ord(c)};"),
    "decimal entities, PHP zeros": each_char(lambda c: f"&#{ord(c):03d};"),
    "hex entities": each_char(lambda c: f"&#x{ord(c):x};"),
    "hex entities upper": each_char(lambda c: f"&#X{ord(c):X};"),
    "json": lambda s: json.dumps(s)[1:-1],
    "json ensure_ascii=False": lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    "json php": php_json,
    "json \\u lower": each_char(lambda c: json_u(c).lower()),
    "json \\u upper": each_char(lambda c: json_u(c).upper().replace("\\U", "\\u")),
    "json in json": lambda s: json.dumps(php_json(s))[1:-1],
    "html of json": lambda s: html.escape(php_json(s)),
    # h11 and aiohttp quote a malformed header line as a bytes repr; aiohttp's message quotes
    # that repr once more.
    "python bytes repr": lambda s: repr(s.encode())[2:-1],
    "python bytes repr quoted again": lambda s: repr(repr(s.encode())[2:-1])[1:-1],
    "python ascii()": lambda s: ascii(s)[1:-1],
    "mixed": lambda s: "".join(
        (c, quote(c), f"&#{ord(c)};", f"\\u{ord(c):04x}")[i % 4] for i, c in enumerate(s)
    ),
}
SECRETS = [PASSWORD, 'p@ss w0rd&<"sec+ret>/é', "tok\\en\U0001f511\tx"]


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("form", list(FORMS))
def test_every_form_of_a_secret_is_redacted(secret: str, form: str) -> None:
    echoed = FORMS[form](secret)
    text = f"bad password [{echoed}] for user fred"
    assert Redactor([secret])(text) == f"bad password [{REDACTED}] for user fred"


PLAIN = "Tsk 3n-Alpha9_zzKs"
"""An ASCII secret holding none of ``%&\\+``, which are in every other form of a character:
the redactor tells a text with no echo of it without building its patterns."""


# Every character encoded, letters and digits too, as a server escaping all it echoes does.
EVERY_CHAR: dict[str, Callable[[str], str]] = {
    "URL-encoded": lambda s: "".join(f"%{b:02X}" for b in s.encode()),
    "URL-encoded twice": lambda s: "".join(f"%25{b:02x}" for b in s.encode()),
    "decimal entities": lambda s: "".join(f"&#{ord(c)};" for c in s),
    "json \\u": lambda s: "".join(f"\\u{ord(c):04x}" for c in s),
}
PLAIN_FORMS = {**FORMS, **{f"{name}, every character": f for name, f in EVERY_CHAR.items()}}


@pytest.mark.parametrize("form", list(PLAIN_FORMS))
def test_every_form_of_a_plain_ascii_secret_is_redacted(form: str) -> None:
    echoed = PLAIN_FORMS[form](PLAIN)
    redact = Redactor([PLAIN])
    assert redact(f"bad key [{echoed}] for user fred") == f"bad key [{REDACTED}] for user fred"
    assert redact.read_as_ascii(f"x-echo: {echoed}") == f"x-echo: {REDACTED}"


@pytest.mark.parametrize(
    "echoed",
    [
        PLAIN.upper(),
        PLAIN.lower(),
        PLAIN.swapcase(),
        PLAIN[:6],  # cut short: its first 6 characters
        PLAIN[:6].upper(),
        # Characters a case-blind match takes for ASCII ones: the Kelvin sign for "K", the
        # long s for "s".
        PLAIN.replace("k", chr(0x212A)).replace("s", chr(0x17F)),
    ],
)
def test_a_plain_ascii_secret_in_another_case_or_cut_short_is_redacted(echoed: str) -> None:
    assert Redactor([PLAIN])(f"<{echoed}>") == f"<{REDACTED}>"


def test_telling_a_text_holds_no_secret_agrees_with_the_patterns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Texts made of the secrets' characters in every case, pieces of their echoes, the
    # characters that start other forms and look-alikes beyond ASCII: whatever the shortcut
    # leaves, the patterns leave too.
    secrets = [PLAIN, "abc", "Zq9-Zq9-Zq9-Zq9-Zq9-Zq9-x"]
    pieces = [
        *PLAIN,
        *PLAIN.swapcase(),
        *"abcZQq9-x%&\\+ ;#",
        *map(chr, (0x212A, 0x17F, 0x131, 0x130, 0xE9)),
        PLAIN[:6].replace("s", chr(0x17F)),
        PLAIN[:6].replace("k", chr(0x212A)),
        *(
            PLAIN_FORMS[form](secret)[:n]
            for form in PLAIN_FORMS
            for secret in secrets
            for n in (6, 12, 99)
        ),
    ]
    rng = random.Random(20261203)
    texts = ["".join(rng.choices(pieces, k=rng.randint(1, 12))) for _ in range(20_000)]
    redact = Redactor(secrets)
    shortcut = [redact(text) for text in texts]
    assert any(REDACTED in text for text in shortcut)
    assert any(REDACTED not in text for text in shortcut)
    monkeypatch.setattr(Redactor, "_may_hold", lambda self, text: True)
    assert [redact(text) for text in texts] == shortcut


async def test_debug_logs_of_calls_through_views_with_new_secret_headers_build_no_pattern(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A web app's view per request with its tenant's key, logging at DEBUG: each call logged
    # its request and answer, and each line built the patterns of the view's key (16 ms).
    built = 0

    class Counted(_redact._Patterns):
        def __init__(self, *args: object) -> None:
            nonlocal built
            built += 1
            super().__init__(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(_redact, "_Patterns", Counted)
    caplog.set_level(logging.DEBUG)
    answer = httpx.Response(200, json=ok(total=0, orders=[]))
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: answer))
    async with omsclient.AsyncClient(
        legacy_url=LEGACY, username="fred", password="pw-of-fred", http_client=http
    ) as oms:
        for n in range(6):
            if n == 1:
                built = 0  # the client's own, built once for the views to share
            view = oms.with_options(default_headers={"X-Api-Key": f"tenant-key-{n:04d}-ab"})
            await view.legacy.orders.search(SINCE, limit=1)
    assert "HTTP Request: POST" in caplog.text  # the lines are written
    assert built == 0


# How a server that works in a one-byte charset echoes a secret sent as UTF-8.
CHARSET_FORMS: dict[str, Callable[[str], str]] = {
    "UTF-8 read as Latin-1": lambda s: s.encode().decode("latin-1"),
    "UTF-8 read as cp1252": lambda s: s.encode().decode("cp1252"),
    "Latin-1 bytes read as UTF-8": lambda s: s.encode("latin-1").decode(errors="replace"),
    "Latin-1 URL-encoded": lambda s: quote(s, encoding="latin-1"),
    "cp1252 URL-encoded": lambda s: quote(s, encoding="cp1252"),
    "decomposed (NFD)": lambda s: unicodedata.normalize("NFD", s),
    # httpcore logs headers as bytes: their repr escapes each byte beyond ASCII.
    "cp1252 bytes repr": lambda s: repr(s.encode("cp1252"))[2:-1],
    "Latin-1 bytes repr": lambda s: repr(s.encode("latin-1"))[2:-1],
}


LOCAL_CHARSETS = [
    ("пароль-2024-12", "cp1251"),
    ("пароль-2024-12", "koi8-r"),
    ("zażółć-2024-12", "cp1250"),
    ("κωδικός-2024-12", "iso-8859-7"),
    ("密码password1", "gbk"),
    ("日本語password1", "euc-jp"),
    ("비밀번호password1", "euc-kr"),
    # The second byte of a character may be ASCII, which a bytes repr writes as it is.
    ("密碼密碼密碼", "big5"),
    ("パスワード表示", "shift_jis"),
]


@pytest.mark.parametrize(("secret", "charset"), LOCAL_CHARSETS)
def test_a_secret_in_a_local_charset_read_as_latin_1_is_redacted(secret: str, charset: str) -> None:
    # httpx reads a header or a status line in Latin-1: "пароль" in cp1251 becomes "ïàðîëü",
    # which gives the password back to anyone who reads it in cp1251.
    local = secret.encode(charset)
    redact = Redactor([secret])
    assert redact(f"x-echo: {local.decode('latin-1')}.") == f"x-echo: {REDACTED}."
    # httpcore logs headers as bytes.
    assert redact(f"(b'x-echo', {local!r})") == f"(b'x-echo', b'{REDACTED}')"


@pytest.mark.parametrize(
    ("secret", "text"),
    [
        ("pässwort-geheim", "Refused psswort-geheim"),
        ("пароль-2024-12", "Refused -2024-12"),
        ("密码password1", "Refused password1"),
    ],
)
def test_what_is_left_of_a_secret_read_as_ascii_is_redacted_there_alone(
    secret: str, text: str
) -> None:
    # httpx reads a status line's text as ASCII, every other byte dropped. Elsewhere what is
    # left of a secret so is ordinary text: an order number, a word.
    redact = Redactor([secret])
    assert redact.read_as_ascii(text) == f"Refused {REDACTED}"
    ordinary = f"order INV-2024-11-0042, ref ORD-2024-12-7: {text}, wrong username or password"
    assert redact(ordinary) == ordinary
    # Nor is its start alone, in a header or a URL.
    header = "location: https://shop.test/account/password-reset?file=orders-2024-11.csv"
    assert redact.read_as_ascii(header) == header


def test_what_is_left_of_a_secret_read_as_ascii_is_kept_when_short() -> None:
    # Three letters of a six-letter secret: as likely any text's.
    assert Redactor(["äöüsig"]).read_as_ascii("the sig field") == "the sig field"


@pytest.mark.parametrize("form", list(CHARSET_FORMS))
def test_a_non_ascii_secret_through_a_one_byte_charset_is_redacted(form: str) -> None:
    secret = "pässwort-geheim" if "Latin-1" in form else "pä€sswort-geheim"
    echoed = CHARSET_FORMS[form](secret)
    assert echoed != secret
    assert Redactor([secret])(f"login failed: {echoed}.") == f"login failed: {REDACTED}."


@pytest.mark.parametrize(
    ("secret", "echoed"),
    [
        ("pä-ß€cret-1", "PÄ-SS€CRET-1"),  # str.upper() writes "ß" as "SS"
        ("Straße-geheim", "strasse-geheim"),  # and casefold() as "ss"
        ("ﬁle-secret-9", "FILE-SECRET-9"),  # a ligature shouted is two letters
    ],
)
def test_a_secret_in_another_case_of_another_length_is_redacted(secret: str, echoed: str) -> None:
    assert len(echoed) != len(secret)
    assert Redactor([secret])(f"refused: {echoed}.") == f"refused: {REDACTED}."


KEY = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    "url",
    [
        f"https:\\/\\/s.test\\/q.pdf?user[id]=7\\u0026key={KEY}",  # PHP's JSON_HEX_AMP
        f"https%3A%2F%2Fs.test%2Fq.pdf%3Fuser%5Bid%5D%3D7%26key%3D{KEY}",  # a URL in a URL
        f"q.pdf?user[id]=7&amp;key&#61;{KEY}",
        f"q.pdf?user[id]=7&key\\u003d{KEY}",
        f"q.pdf?login_token%3D{KEY}",
        # PHP's htmlentities(ENT_HTML5) names "=" too
        f"q&period;pdf&quest;user&lbrack;id&rsqb;&equals;7&amp;key&equals;{KEY}",
        f"next=https%253A%252F%252Fs.test%252Fq.pdf%253Fuser%255Bid%255D%253D7%2526key%253D{KEY}",
        # A print file's signed link, quoted by an error about its answer: whoever holds the
        # message could download the file until the link expires.
        f"https://bucket.s3.amazonaws.com/pf/1.pdf?X-Amz-Expires=3600&X-Amz-Signature={KEY}",
        f"https://storage.googleapis.com/b/1.pdf?X-Goog-Date=20261201&X-Goog-Signature={KEY}",
        f"https://d1.cloudfront.net/1.pdf?Expires=1&Signature={KEY}&Key-Pair-Id=K2",
        f"https://acct.blob.core.windows.net/c/1.pdf?sv=2022-11-02&sp=r&sig={KEY}",
        f"https:\\/\\/bucket.test\\/1.pdf?X-Amz-Signature\\u003d{KEY}",
        f"https%3a%2f%2facct.test%2fc%2f1.pdf%3fsig%3d{KEY}",
        f"https%3A%2F%2Fb.test%2F1.pdf%3FX%2DAmz%2DSignature%3D{KEY}",
        f"p.pdf?Expires=1767225600&#038;Signature={KEY}&#038;Key-Pair-Id=K2",
        f"c/1.pdf?sv=2022-11-02&#x26;sig={KEY}",
        f"c/1.pdf&#63;sig={KEY}",
        f"c/1.pdf&#x3F;sig={KEY}",
        f"p.pdf&quest;Signature&equals;{KEY}",
        f"c\\/1.pdf\\u003fsig\\u003d{KEY}",
        f"c/1.pdf?sv=1&amp;sig&equals;AbC&percnt;2B{KEY}",
        f"c/1.pdf?sv=1&#38;sig=AbC&#43;{KEY}",
        f"p.pdf?Expires=1&amp;amp;Signature={KEY}",
        f"p.pdf?Expires=1&ampSignature={KEY}",
        f"b/1.pdf?X&#45;Amz&#45;Signature={KEY}",
    ],
)
def test_a_secret_parameter_behind_an_escaped_separator_is_redacted(url: str) -> None:
    redacted = Redactor()(f"see {url} now")
    assert KEY not in redacted
    assert REDACTED in redacted


def test_a_parameter_name_inside_a_word_is_kept() -> None:
    for text in ["monkey=1", "turnkey=yes", "mytoken=x", "design=a", "mysignature=b", "md5sig=1"]:
        assert Redactor()(text) == text


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (
            "https://example.com/track?order=5&sig=abc&amp;order_id=77&#38;x=1",
            "https://example.com/track?order=5&sig=[REDACTED]&amp;order_id=77&#38;x=1",
        ),
        (
            '{"url":"https://s3.test/f.pdf?X-Amz-Signature=abc123\\u0026order_id=77"}',
            '{"url":"https://s3.test/f.pdf?X-Amz-Signature=[REDACTED]\\u0026order_id=77"}',
        ),
        (
            "go?to=https%3A%2F%2Fs3.test%2Ff.pdf%3FX-Amz-Signature%3Dabc123%26order_id%3D77",
            "go?to=https%3A%2F%2Fs3.test%2Ff.pdf%3FX-Amz-Signature%3D[REDACTED]%26order_id%3D77",
        ),
    ],
)
def test_the_parameters_after_a_signature_are_kept(text: str, redacted: str) -> None:
    assert Redactor()(text) == redacted


def test_a_signature_outside_a_link_is_kept() -> None:
    for text in [
        "Delivery: signature=required, leave with neighbour",
        "SKU sig=RED-XL not found",
        "e-signature=required",
        "Contract terms: co-signature=both parents",
        "SKU MUG-SIG=RED-XL",
    ]:
        assert Redactor()(text) == text


def test_a_basic_credential_is_redacted_and_a_basic_word_kept() -> None:
    # A proxy on the caller's own http_client sends one the client never knew as a secret.
    basic = base64.b64encode(b"corp-user:Pr0xy-S3cret").decode()
    text = f"proxy-authorization: Basic {basic}; BASIC {basic}"
    assert Redactor([])(text) == f"proxy-authorization: Basic {REDACTED}; BASIC {REDACTED}"
    # A key given as the password, and passwords of a tab or of latin-1 bytes.
    for credential in (
        b":tok_9f8e7d6c5b4a3210",
        b"user:pa\tss",
        "user:pässwörd".encode("latin-1"),
        b"John Smith:S3cret-pass",  # a user of spaces, of accents, of any script
        "José Pérez:pw123456".encode(),
        "用户:pass1234".encode(),
    ):
        basic = base64.b64encode(credential).decode()
        assert Redactor([])(f"Basic {basic}") == f"Basic {REDACTED}", credential
    # Words after "Basic", and base64 that holds no user and password, are not credentials.
    kept_texts = (
        "Basic information is missing",
        "Basic plan",
        "Basic aGVsbG8=",
        "Plan must be Basic Only or Pro",  # "Only" decodes to bytes holding a colon
        "size Basic 2006",
        "Basic Optional fields",  # "O" is base64 of a colon, with no user before it
    )
    for kept in kept_texts:
        assert Redactor([])(kept) == kept


def test_a_basic_credential_of_exactly_eight_base64_characters_is_redacted() -> None:
    # The shortest credential the length check lets through: "u:pass" is 8 characters of
    # base64, the length that separates a credential from a short word after "Basic".
    basic = base64.b64encode(b"u:pass").decode()
    assert len(basic) == 8
    text = f"407 Proxy Authentication Required; you sent Proxy-Authorization: Basic {basic}"
    assert Redactor([])(text) == (
        f"407 Proxy Authentication Required; you sent Proxy-Authorization: Basic {REDACTED}"
    )


def test_a_secret_echoed_as_a_json_number_is_redacted() -> None:
    redact = Redactor(["73920518"])
    body = {"errors": {"password": [73920518, 73920518.0, 7392051, 73920, 1.5, True]}, "total": 2}
    # 7392051 is the secret cut short; 73920, five digits, shorter than any cut redacted.
    assert redact.value(body) == {
        "errors": {"password": [REDACTED, REDACTED, REDACTED, 73920, 1.5, True]},
        "total": 2,
    }


def test_a_named_tuple_keeps_its_type() -> None:
    Info = collections.namedtuple("Info", "url headers")
    redacted = Redactor(["tok-secret"]).value(Info("https://x.test", "Bearer tok-secret"))
    assert type(redacted) is Info
    assert redacted.headers == f"Bearer {REDACTED}"


def test_text_that_shares_less_than_a_cut_echo_with_a_secret_is_kept() -> None:
    # A cut echo is redacted from a third of the secret on, 6 characters at least.
    redact = Redactor([PASSWORD, "tok-LIVE-9f8e7d6c5b4aTOKEN"])
    for text in ["S3cre", "S3cre&pw/x y", "S3cr3t&pw/x y", "tok-LIV", "tok-LIVX-9f8"]:
        assert redact(text) == text
    assert redact("tok-LIVE-9f8…") == f"{REDACTED}…"  # 12 of its 26 characters


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("S3cret", REDACTED),
        ("S3cret&", REDACTED),
        ("'S3cret&pw/…'", f"'{REDACTED}…'"),  # a server quoting a value's first characters
        ('{"echo": "S3cret%26pw%2Fx', f'{{"echo": "{REDACTED}'),  # a body cut in the middle
        ("S3cret&pw/x  y", f"{REDACTED} y"),  # the start of a near miss is the secret's
        ("S3cret&pw&nbsp;x y", f"{REDACTED}&nbsp;x y"),
    ],
)
def test_a_secret_echoed_cut_short_is_redacted_from_a_third_of_its_length(
    text: str, redacted: str
) -> None:
    assert Redactor([PASSWORD])(text) == redacted


def test_a_long_secret_echoed_whole_is_redacted_whole() -> None:
    # A cut echo is followed for 128 characters past its shortest: a whole echo of a longer
    # secret (a JWT) is still replaced whole.
    token = "eyJ" + "a1B2c3D4" * 40
    assert Redactor([token])(f"<{token}>") == f"<{REDACTED}>"
    assert Redactor([token])(f"<{token[:200]}") == f"<{REDACTED}"


def test_a_secret_in_another_case_is_redacted() -> None:
    # httpx lowercases header names; a server may upper-case its message.
    redact = Redactor([PASSWORD])
    for text in ["s3cret&pw/x y", "S3CRET&AMP;PW%2fX+Y"]:
        assert redact(text) == REDACTED


def test_a_secret_containing_another_is_replaced_whole() -> None:
    redact = Redactor(["abc", "xxabcxx"])
    assert redact("-xxabcxx-abc-") == f"-{REDACTED}-{REDACTED}-"


def test_redaction_stays_linear_on_large_text() -> None:
    # A hostile body full of near misses: each starts like the secret and fails late.
    redact = Redactor([PASSWORD, "tok/en+with spaces&<secret>"])
    # (Failing before half the secret: a longer start is redacted as a cut echo.)
    near_miss = "S3cre&#116%20&amp;pw&#47;x%20" * 40_000  # about 1 MB
    small, large = near_miss[: len(near_miss) // 10], near_miss
    # The CPU time of this thread, not the wall clock's: a loaded machine leaves this thread
    # waiting for a core, which stretches wall time by any factor, but not the work it does.
    started = time.thread_time()
    redact(small)
    small_time = time.thread_time() - started
    started = time.thread_time()
    assert redact(large) == large
    # Generous: ten times the text may take fifty times as long, never the hundred of a
    # quadratic pass (and a whole megabyte stays well under the bound of the error path).
    assert time.thread_time() - started < max(50 * small_time, 0.5)


def test_an_error_leaving_the_block_keeps_no_variables_of_the_frames_it_left() -> None:
    redact = Redactor([PASSWORD])

    def reads_an_answer() -> None:
        body = f"password={PASSWORD}"  # noqa: F841 - what the frame must not keep
        raise ValueError("cannot read it")

    def callers_own() -> None:
        mine = "the caller's"  # noqa: F841
        raise KeyError("handled by the caller")

    here = "a frame still running"
    try:
        callers_own()
    except KeyError as exc:
        handled = exc
        with pytest.raises(ValueError, match="cannot read it") as caught, redact.errors():
            reads_an_answer()
    assert caught.value.__context__ is handled
    frames = [frame for frame, _ in traceback.walk_tb(caught.value.__traceback__)]
    assert frames[-1].f_code.co_name == "reads_an_answer"
    assert frames[-1].f_locals == {}
    assert PASSWORD not in "\n".join(frame_variables(caught.value))
    # The frames still running and the error the caller was handling keep theirs.
    assert here in frames[0].f_locals.values()
    [*_, (own, _)] = traceback.walk_tb(handled.__traceback__)
    assert own.f_locals == {"mine": "the caller's"}


# --- over a real socket, as the hostile tester found them ------------------------------------


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with hostile_server() as running:
        yield running


@pytest.fixture
async def oms(
    server: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[omsclient.AsyncClient]:
    for name in ("LEGACY_URL", "USERNAME", "PASSWORD", "REST_URL", "API_TOKEN", "STORE_ID"):
        monkeypatch.delenv(f"OMS_{name}", raising=False)
    async with omsclient.AsyncClient(
        legacy_url=server.url, username="fred", password=PASSWORD, max_retries=0, timeout=5
    ) as client:
        yield client


def rendered(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc)), *frame_variables(exc)]
    parts += [f"{name}={value!r}" for name, value in vars(exc).items()]
    parts.append(str(getattr(response, "text", "")))
    return "\n".join(parts)


def assert_no_secret(exc: BaseException) -> None:
    text = rendered(exc)
    for echoed in {f(PASSWORD) for f in FORMS.values()}:
        assert echoed not in text
    assert "S3cret" not in text


async def test_a_php_escaped_password_in_a_truncated_body_is_redacted(
    oms: omsclient.AsyncClient, server: HostileServer
) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        escaped = php_json(request.form["password"])
        body = '{"response_status": {"code": 10002, "description": "bad password '
        await write_response(stream, (body + escaped + '"}, "orders": [').encode())

    server.handler = handler
    with pytest.raises(errors.DecodeError) as caught:
        await oms.legacy.orders.search(SINCE)
    assert_no_secret(caught.value)
    assert REDACTED in caught.value.snippet


@pytest.mark.parametrize(
    "form", ["quote lower hex", "decimal entities", "hex entities", "json \\u lower"]
)
async def test_an_encoded_password_in_a_description_is_redacted(
    oms: omsclient.AsyncClient, server: HostileServer, form: str
) -> None:
    async def handler(request: Request, stream: anyio.abc.SocketStream) -> None:
        # Written into the JSON text as is: the \\u form is decoded by the JSON parser.
        echoed = FORMS[form](request.form["password"])
        status = '"code": 50005, "severity": "ERROR", "description": "bad ' + echoed + ' here"'
        await write_response(stream, ('{"response_status": {' + status + "}}").encode())

    server.handler = handler
    with pytest.raises(errors.InvalidParametersError) as caught:
        await oms.legacy.orders.search(SINCE)
    assert_no_secret(caught.value)
    assert caught.value.description == f"bad {REDACTED} here"


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        # A database URL's hidden password, then libpq's words: the colon went with "***".
        (
            "cannot connect to postgresql://etl@db/shop?password=***: connection failed",
            "cannot connect to postgresql://etl@db/shop?password=***: connection failed",
        ),
        ("?password=***&sslmode=require", "?password=***&sslmode=require"),
        ("?password=***x: no", f"?password={REDACTED} no"),
        ("?password=hunter2: no", f"?password={REDACTED} no"),
        ("(password=***) failed", "(password=***) failed"),
        # A secret that starts with "***" and a mark is no value hidden already.
        ("GET /x?password=***.hunter2", f"GET /x?password={REDACTED}"),
        ("login failed: password=***;S3cr3t!", f"login failed: password={REDACTED}"),
        ("token=***,abc123def456", f"token={REDACTED}"),
        ("api_key=***)sk_live_abcdef", f"api_key={REDACTED}"),
        ("password=***:x", f"password={REDACTED}"),
        # Redacted a second time (a message quoting a Location redacted before): the comma
        # after it went with it, "key=[REDACTED] which is not followed".
        (
            f"a redirect to /doc?user[id]=7&key={REDACTED}, which is not followed",
            f"a redirect to /doc?user[id]=7&key={REDACTED}, which is not followed",
        ),
        (f"token={REDACTED}.hunter2", f"token={REDACTED}"),
    ],
)
def test_a_value_hidden_already_is_left_as_it_is(text: str, redacted: str) -> None:
    assert Redactor([])(text) == redacted
