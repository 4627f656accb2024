"""The end-user flows: self-signup, email confirmation (link or code), password reset, login.

Rules the spec and the field's bug reports set, and where each is kept:

- A reset request answers the same whether or not the address has an account, in status, body,
  headers and time: `reset_request` checks the address's syntax and hands back what queues the
  rest (`Outbox`); the lookup, the token and the send happen after the answer has gone.
- Tokens are single-use and checked before any slow work: an expired or used link costs no
  password hash. Consuming a token and applying its effect are one transaction.
- Reading a token (`peek`) never consumes it: link scanners prefetch links with GET and HEAD.
- The welcome email is sent exactly once per user: whoever claims `welcomed` in the store sends
  it (signup without verification, the first confirmation, or an accepted invitation).
- A successful reset kills every other reset link of the user (the password they protected has
  changed) and confirms the address (the user proved they read mail sent to it).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

# The renderer's names are read at the first send (`renderer.X`): it loads on first use, so
# `mailyard serve` does not import templates and catalogues to start (issue 10).
from mailyard import renderer
from mailyard.sandbox.auth.errors import (
    AccountExistsError,
    CredentialsError,
    SignupClosedError,
    TokenError,
)
from mailyard.sandbox.auth.events import UserCreated
from mailyard.sandbox.auth.inputs import check_email, check_name
from mailyard.sandbox.auth.links import MIOSA, STYLES
from mailyard.sandbox.auth.parts import AuthParts
from mailyard.sandbox.auth.passwords import check_password
from mailyard.sandbox.auth.tokens import RESET, VERIFY, VERIFY_CODE, judge
from mailyard.sandbox.errors import InvalidInputError
from mailyard.sandbox.outbound.mailer import SendResult
from mailyard.sandbox.store.accounts import Accounts, TokenRecord, UserRecord
from mailyard.sandbox.store.writer import Tx

log = logging.getLogger("mailyard.auth")


@dataclass(frozen=True)
class SignupResult:
    user: UserRecord
    verification: SendResult | None  # sent when email verification is on
    welcome: SendResult | None  # sent when it is off (the account is active at once)


@dataclass(frozen=True)
class Confirmed:
    user: UserRecord
    welcome: SendResult | None  # None when the user had been welcomed already


class UserFlows:
    def __init__(self, parts: AuthParts) -> None:
        self.parts = parts
        self.accounts: Accounts = parts.accounts

    # -- signup and confirmation ------------------------------------------------------------

    async def signup(
        self,
        email: object,
        password: object,
        *,
        name: object = None,
        client_id: object = None,
    ) -> SignupResult:
        address = check_email(email)
        secret = check_password(password)
        display = check_name(name)
        client = self._client(client_id)
        if client is not None and not self.parts.tenants.client(client).self_signup:
            raise SignupClosedError(f"self-signup is not enabled for the client {client!r}")
        if self.accounts.user_by_email(address) is not None:
            raise AccountExistsError(
                "an account with this email exists: sign in, or reset its password",
                field="email",
            )
        password_hash = await self.parts.hasher.hash(secret)
        clock, config, codec = self.parts.clock, self.parts.config, self.parts.codec
        now = clock.now()
        user = UserRecord(
            id=self.parts.new_id(),
            email=address,
            name=display,
            verified=not config.email_verification,
            client_id=client,
            source="signup",
            created=now,
            updated=now,
            welcomed=None,
            password_hash=password_hash,
        )
        link = codec.mint(VERIFY)
        code, code_hash = codec.mint_code(user.id)

        def job(tx: Tx) -> bool:
            if Accounts.user_by_email_in(tx, address) is not None:
                raise AccountExistsError(
                    "an account with this email exists: sign in, or reset its password",
                    field="email",
                )
            Accounts.add_user_in(tx, user)
            tx.emit(UserCreated(now, user.id, address, display, client, "signup"))
            if config.email_verification:
                expires = now + config.verify_ttl
                for token_hash, kind in ((link.hash, VERIFY), (code_hash, VERIFY_CODE)):
                    Accounts.add_token_in(
                        tx, TokenRecord(token_hash, kind, user.id, now, expires, None, None, 0)
                    )
                return False
            return Accounts.claim_welcome_in(tx, user.id, now)

        welcome_claimed = await self.accounts.writer.run(job)
        if config.email_verification:
            concept = renderer.EmailVerification(
                verify_url=self.parts.links.verify(link.text),
                code=code,
                user_name=display,
                ttl=timedelta(seconds=config.verify_ttl),
            )
            verification = await self.parts.send(concept, address, client)
            return SignupResult(user, verification, None)
        welcome = await self._welcome(user) if welcome_claimed else None
        return SignupResult(user, None, welcome)

    async def confirm(self, token: object) -> Confirmed:
        """Confirm an address with the link's token (POST; GET only peeks)."""
        token_hash = self.parts.codec.read(_text(token), VERIFY)
        now = self.parts.clock.now()

        def job(tx: Tx) -> tuple[UserRecord, bool]:
            record = judge(Accounts.token_in(tx, token_hash), now)
            return self._confirmed_in(tx, record, now)

        user, claimed = await self.accounts.writer.run(job)
        return Confirmed(user, await self._welcome(user) if claimed else None)

    async def confirm_code(self, email: object, code: object) -> Confirmed:
        """Confirm an address with the 6-digit code. Every failure reads the same, so the code
        form tells nothing about which addresses have accounts."""
        address = check_email(email)
        typed = code.strip() if isinstance(code, str) else ""
        wrong = TokenError(
            "the code is wrong or no longer valid; use the link in the email, or ask for a new one",
            "code_wrong",
            "code",
        )
        user = self.accounts.user_by_email(address)
        now = self.parts.clock.now()
        live = self.accounts.live_token(user.id, VERIFY_CODE, now) if user else None
        if user is None or live is None:
            raise wrong
        expected = self.parts.codec.code_hash(user.id, typed)
        if not hmac.compare_digest(expected, live.hash):
            limit = self.parts.config.code_attempts

            def count(tx: Tx) -> int:
                attempts = Accounts.count_attempt_in(tx, live.hash)
                if attempts >= limit:
                    Accounts.revoke_tokens_in(tx, user.id, (VERIFY_CODE,), now)
                return attempts

            if await self.accounts.writer.run(count) >= limit:
                raise TokenError(
                    f"{limit} wrong codes: this code no longer works; use the link in the email",
                    "code_locked",
                    "code",
                )
            raise wrong

        def job(tx: Tx) -> tuple[UserRecord, bool]:
            record = judge(Accounts.token_in(tx, live.hash), now, what="code")
            return self._confirmed_in(tx, record, now)

        confirmed, claimed = await self.accounts.writer.run(job)
        return Confirmed(confirmed, await self._welcome(confirmed) if claimed else None)

    def _confirmed_in(self, tx: Tx, record: TokenRecord, now: float) -> tuple[UserRecord, bool]:
        if not Accounts.use_token_in(tx, record.hash, now):
            judge(Accounts.token_in(tx, record.hash), now)  # raises: used meanwhile
        # The link and the code confirm the same thing: using one retires the other.
        Accounts.revoke_tokens_in(tx, record.subject, (VERIFY, VERIFY_CODE), now)
        Accounts.set_verified_in(tx, record.subject, now)
        claimed = Accounts.claim_welcome_in(tx, record.subject, now)
        user = Accounts.user_in(tx, record.subject)
        if user is None:
            raise TokenError("the account of this link no longer exists", "token_unknown", "token")
        return user, claimed

    # -- password reset ---------------------------------------------------------------------

    def reset_request(self, email: object, *, style: str = MIOSA) -> Callable[[], None]:
        """Check `email`'s syntax and return what queues its reset email. Nothing else happens
        before the answer: the caller runs the result once its answer is out (the web layer:
        a background task after the response), so not even the queueing is in its timing."""
        address = check_email(email)
        if style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}")
        return lambda: self.parts.outbox.put(lambda: self.send_reset(address, style))

    def request_reset(self, email: object, *, style: str = MIOSA) -> None:
        """Queue a reset email for `email` now (callers without an answer to send first)."""
        self.reset_request(email, style=style)()

    async def send_reset(self, address: str, style: str = MIOSA) -> SendResult | None:
        """Issue a reset token for the account of `address` and mail it (None: no account)."""
        user = self.accounts.user_by_email(address)
        if user is None:
            log.debug("password reset for an address without an account: nothing sent")
            return None
        config, now = self.parts.config, self.parts.clock.now()
        minted = self.parts.codec.mint(RESET)
        expires = now + config.reset_ttl
        record = TokenRecord(minted.hash, RESET, user.id, now, expires, None, None, 0)
        await self.accounts.writer.run(lambda tx: Accounts.add_token_in(tx, record))
        concept = renderer.PasswordReset(
            reset_url=self.parts.links.reset(minted.text, style),
            user_name=user.name,
            ttl=timedelta(seconds=config.reset_ttl),
        )
        return await self.parts.send(concept, user.email, user.client_id)

    async def reset_password(self, token: object, password: object) -> UserRecord:
        """Set a new password with a reset token (POST). The token is judged before the slow
        hash, and again inside the transaction that consumes it."""
        token_hash = self.parts.codec.read(_text(token), RESET)
        judge(self.accounts.token(token_hash), self.parts.clock.now())
        new_hash = await self.parts.hasher.hash(check_password(password))
        now = self.parts.clock.now()

        def job(tx: Tx) -> UserRecord:
            record = judge(Accounts.token_in(tx, token_hash), now)
            if not Accounts.use_token_in(tx, token_hash, now):
                judge(Accounts.token_in(tx, token_hash), now)
            Accounts.set_password_in(tx, record.subject, new_hash, now)
            Accounts.set_verified_in(tx, record.subject, now)
            Accounts.revoke_tokens_in(tx, record.subject, (RESET,), now)
            user = Accounts.user_in(tx, record.subject)
            if user is None:
                raise TokenError("the account of this link no longer exists", "token_unknown")
            return user

        return await self.accounts.writer.run(job)

    # -- reading tokens (GET) and signing in ------------------------------------------------

    def peek(self, token: object, kind: str) -> TokenRecord:
        """The token if it can be used now; never changes anything (GET, HEAD, scanners)."""
        token_hash = self.parts.codec.read(_text(token), kind)
        return judge(self.accounts.token(token_hash), self.parts.clock.now())

    def peek_reset(self, token: object) -> TokenRecord:
        return self.peek(token, RESET)

    def peek_verification(self, token: object) -> TokenRecord:
        return self.peek(token, VERIFY)

    async def login(self, email: object, password: object) -> UserRecord:
        address = check_email(email)
        given = password if isinstance(password, str) else ""
        user = self.accounts.user_by_email(address)
        # An unknown address costs a hash as well: the time taken does not say which it was.
        ok = await self.parts.hasher.verify(given[:1024], user.password_hash if user else None)
        if user is None or not ok:
            raise CredentialsError("the email or the password is wrong")
        if not user.verified:
            raise CredentialsError(
                "confirm your email address first: follow the link in the email we sent",
                "email_not_verified",
            )
        return user

    # -- helpers ----------------------------------------------------------------------------

    def _client(self, client_id: object) -> str | None:
        if client_id is None:
            return None
        if not isinstance(client_id, str) or self.parts.tenants.store.client(client_id) is None:
            raise InvalidInputError(f"no client has the id {str(client_id)[:80]!r}", "clientId")
        return client_id

    async def _welcome(self, user: UserRecord) -> SendResult:
        concept = renderer.Welcome(
            sign_in_url=self.parts.sign_in_url(user.client_id), user_name=user.name
        )
        return await self.parts.send(concept, user.email, user.client_id)


def _text(token: object) -> str:
    if not isinstance(token, str) or not token:
        raise InvalidInputError("token is required: the token from the link", "token")
    return token
