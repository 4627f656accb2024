"""Signup, confirmation, password reset and login, over a real store and the real mailer.

Time is the frozen clock, moved forward: expiry is tested at the second, never slept through."""

from __future__ import annotations

import pytest
from support.authrig import PUBLIC, Rig

from mailyard.sandbox.auth.errors import (
    AccountExistsError,
    CredentialsError,
    SignupClosedError,
    TokenError,
)
from mailyard.sandbox.auth.events import UserCreated
from mailyard.sandbox.errors import InvalidInputError

JANE = "jane@example.com"
PASSWORD = "correct horse battery"


async def token_error(call: object) -> str:
    with pytest.raises(TokenError) as caught:
        await call()  # type: ignore[operator]
    return caught.value.code


async def reset_link_for(rig: Rig, address: str = JANE) -> str:
    before = len(rig.provider.to(address, "password-reset"))
    rig.auth.users.request_reset(address)
    await rig.auth.outbox.idle()
    sent = rig.provider.to(address, "password-reset")
    assert len(sent) == before + 1
    return rig.provider.action_link(sent[-1]).token


# -- signup and confirmation ----------------------------------------------------------------


async def test_signup_sends_one_confirmation_with_a_link_and_a_code(rig: Rig) -> None:
    result = await rig.auth.users.signup(JANE, PASSWORD, name="Jane")
    assert not result.user.verified and result.verification is not None
    assert result.verification.outcome == "sent"
    (email,) = rig.provider.sent
    link = rig.provider.action_link(email)
    assert link.url.startswith(f"{PUBLIC}/auth/confirm?token=")
    assert len(link.token) == 43
    assert "Jane" in email.text
    assert next(e for e in rig.events if isinstance(e, UserCreated)).source == "signup"
    # The token is stored only as its hash.
    dump = "\n".join(rig.store.reader().iterdump())
    assert link.token not in dump


async def test_confirming_welcomes_once_and_the_link_is_single_use(rig: Rig) -> None:
    await rig.auth.users.signup(JANE, PASSWORD)
    token = rig.provider.action_link(rig.provider.sent[0]).token
    rig.auth.users.peek_verification(token)  # what a link scanner's GET does
    rig.auth.users.peek_verification(token)
    confirmed = await rig.auth.users.confirm(token)
    assert confirmed.user.verified and confirmed.welcome is not None
    assert await token_error(lambda: rig.auth.users.confirm(token)) == "token_used"
    assert len(rig.provider.to(JANE, "welcome")) == 1


async def test_the_code_confirms_too_and_retires_the_link(rig: Rig) -> None:
    await rig.auth.users.signup(JANE, PASSWORD)
    email = rig.provider.sent[0]
    token = rig.provider.action_link(email).token
    code = next(w for w in email.text.split() if w.isdigit() and len(w) == 6)
    confirmed = await rig.auth.users.confirm_code(JANE.upper(), code)
    assert confirmed.user.verified and confirmed.welcome is not None
    assert await token_error(lambda: rig.auth.users.confirm(token)) == "token_revoked"
    assert await token_error(lambda: rig.auth.users.confirm_code(JANE, code)) == "code_wrong"
    assert len(rig.provider.to(JANE, "welcome")) == 1


async def test_wrong_codes_lock_the_code_after_five_and_read_alike(rig: Rig) -> None:
    await rig.auth.users.signup(JANE, PASSWORD)
    code = next(w for w in rig.provider.sent[0].text.split() if w.isdigit() and len(w) == 6)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(TokenError) as unknown:
        await rig.auth.users.confirm_code("nobody@example.com", wrong)
    for _ in range(4):
        with pytest.raises(TokenError) as attempt:
            await rig.auth.users.confirm_code(JANE, wrong)
        assert str(attempt.value) == str(unknown.value)  # no account is told apart
    assert await token_error(lambda: rig.auth.users.confirm_code(JANE, wrong)) == "code_locked"
    assert await token_error(lambda: rig.auth.users.confirm_code(JANE, code)) == "code_wrong"


async def test_the_confirmation_expires_after_24_hours(rig: Rig) -> None:
    await rig.auth.users.signup(JANE, PASSWORD)
    token = rig.provider.action_link(rig.provider.sent[0]).token
    rig.clock.advance(24 * 3600)
    assert await token_error(lambda: rig.auth.users.confirm(token)) == "token_expired"


async def test_without_verification_signup_welcomes_at_once_exactly_once(open_rig: Rig) -> None:
    result = await open_rig.auth.users.signup(JANE, PASSWORD)
    assert result.user.verified and result.welcome is not None and result.verification is None
    assert [("concept", "welcome") in e.tags for e in open_rig.provider.sent] == [True]
    welcome = open_rig.provider.sent[0]
    assert f"{PUBLIC}/auth/login" in welcome.text


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [("not-an-address", PASSWORD, "email"), (JANE, "short", "password"), (None, PASSWORD, "email")],
)
async def test_bad_signup_input_names_the_field(
    rig: Rig, email: object, password: str, field: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await rig.auth.users.signup(email, password)
    assert caught.value.field == field
    assert rig.provider.sent == []


async def test_one_account_per_address_whatever_its_case(rig: Rig) -> None:
    await rig.auth.users.signup(JANE, PASSWORD)
    with pytest.raises(AccountExistsError):
        await rig.auth.users.signup(" Jane@Example.COM ", PASSWORD)


async def test_a_client_without_self_signup_refuses_it(rig: Rig) -> None:
    client = await rig.auth.tenants.create_client({"name": "Closed", "selfSignup": False})
    with pytest.raises(SignupClosedError):
        await rig.auth.users.signup(JANE, PASSWORD, client_id=client.id)
    with pytest.raises(InvalidInputError) as unknown:
        await rig.auth.users.signup(JANE, PASSWORD, client_id="nope")
    assert unknown.value.field == "clientId"


# -- password reset -------------------------------------------------------------------------


async def test_a_reset_for_an_unknown_address_sends_nothing(rig: Rig) -> None:
    rig.auth.users.request_reset("nobody@example.com")
    await rig.auth.outbox.idle()
    assert rig.provider.sent == []
    assert rig.auth.outbox.done == 1


async def test_a_reset_link_works_once_and_sets_the_password(open_rig: Rig) -> None:
    rig = open_rig
    await rig.auth.users.signup(JANE, PASSWORD)
    token = await reset_link_for(rig)
    email = rig.provider.to(JANE, "password-reset")[0]
    assert (
        rig.provider.action_link(email).url == f"{PUBLIC}/auth/password-reset/confirm?token={token}"
    )
    for _ in range(3):  # scanners: GET and HEAD, as often as they like
        rig.auth.users.peek_reset(token)
    user = await rig.auth.users.reset_password(token, "a brand new secret")
    assert user.email == JANE
    assert (
        await token_error(lambda: rig.auth.users.reset_password(token, "another new secret"))
        == "token_used"
    )
    assert (await rig.auth.users.login(JANE, "a brand new secret")).id == user.id
    with pytest.raises(CredentialsError):
        await rig.auth.users.login(JANE, PASSWORD)


async def test_a_reset_link_expires_after_one_hour(open_rig: Rig) -> None:
    await open_rig.auth.users.signup(JANE, PASSWORD)
    token = await reset_link_for(open_rig)
    open_rig.clock.advance(3599)
    open_rig.auth.users.peek_reset(token)  # still good a second before
    open_rig.clock.advance(1)
    code = await token_error(lambda: open_rig.auth.users.reset_password(token, "new secret 1"))
    assert code == "token_expired"
    with pytest.raises(TokenError) as caught:
        open_rig.auth.users.peek_reset(token)
    assert "expired at" in str(caught.value)


async def test_a_used_reset_retires_the_users_other_reset_links(open_rig: Rig) -> None:
    await open_rig.auth.users.signup(JANE, PASSWORD)
    first, second = await reset_link_for(open_rig), await reset_link_for(open_rig)
    assert first != second
    await open_rig.auth.users.reset_password(second, "the newest secret")
    code = await token_error(lambda: open_rig.auth.users.reset_password(first, "older secret!"))
    assert code == "token_revoked"


async def test_a_reset_confirms_the_address_but_does_not_welcome(rig: Rig) -> None:
    await rig.auth.users.signup(JANE, PASSWORD)
    token = await reset_link_for(rig)
    user = await rig.auth.users.reset_password(token, "brand new secret")
    assert user.verified
    assert rig.provider.to(JANE, "welcome") == []


async def test_an_expired_token_costs_no_password_hash(open_rig: Rig) -> None:
    await open_rig.auth.users.signup(JANE, PASSWORD)
    token = await reset_link_for(open_rig)
    open_rig.clock.advance(7200)
    hashed: list[str] = []
    hasher = open_rig.auth.parts.hasher
    original = hasher.hash

    async def counting(password: str) -> str:
        hashed.append(password)
        return await original(password)

    hasher.hash = counting  # type: ignore[method-assign]
    await token_error(lambda: open_rig.auth.users.reset_password(token, "new secret 123"))
    assert hashed == []


async def test_the_bluauth_style_link_points_at_better_auths_path(open_rig: Rig) -> None:
    await open_rig.auth.users.signup(JANE, PASSWORD)
    open_rig.auth.users.request_reset(JANE, style="bluauth")
    await open_rig.auth.outbox.idle()
    link = open_rig.provider.action_link(open_rig.provider.to(JANE, "password-reset")[0])
    assert link.url.startswith(f"{PUBLIC}/api/auth/reset-password?token=")


async def test_login_needs_a_confirmed_address(rig: Rig) -> None:
    await rig.auth.users.signup(JANE, PASSWORD)
    with pytest.raises(CredentialsError) as caught:
        await rig.auth.users.login(JANE, PASSWORD)
    assert caught.value.code == "email_not_verified"
    with pytest.raises(CredentialsError) as unknown:
        await rig.auth.users.login("nobody@example.com", PASSWORD)
    assert unknown.value.code == "invalid_credentials"
