"""The password reset of the sample app, tested with mailyard's pytest plugin the way a user
would: the app is another process, and it sends its mail from a background thread."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sandbox.mailer import Mailer

import sandbox
import web


def test_reset_link_works_once(mailyard, app: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    email = mailyard.address("jane")
    app.post("/signup", data={"email": email, "password": "old secret"})
    app.post("/password-reset", data={"email": email})
    mail = mailyard.wait_for(to=email, subject="reset your password")
    page = mailyard.follow(mail.link(containing="/reset"))
    assert page.status_code == 200 and "Choose a new password" in page.text
    token = parse_qs(urlsplit(str(page.url)).query)["token"][0]
    assert app.post("/reset", data={"token": token, "password": "new secret"}).status_code == 200
    again = app.post("/reset", data={"token": token, "password": "other"})
    assert again.status_code == 400 and "already used" in again.text
    assert app.post("/login", data={"email": email, "password": "new secret"}).status_code == 200


def test_the_link_works_only_with_the_cookie_the_redirect_sets(mailyard, app) -> None:  # type: ignore[no-untyped-def]
    email = mailyard.address("kim")
    app.post("/signup", data={"email": email, "password": "secret"})
    app.post("/password-reset", data={"email": email})
    link = mailyard.wait_for(to=email).link(containing="token=")
    page = mailyard.follow(link)  # a browser: the 303 followed, its cookie sent back
    assert [r.status_code for r in page.history] == [303] and page.status_code == 200
    bare = httpx.get(str(page.url))  # the form, without the cookie the link set
    assert bare.status_code == 400 and "no session cookie" in bare.text


def test_an_unknown_address_gets_the_same_answer_and_no_mail(mailyard, app) -> None:  # type: ignore[no-untyped-def]
    known, unknown = mailyard.address("known"), mailyard.address("nobody")
    app.post("/signup", data={"email": known, "password": "secret"})
    answers = [app.post("/password-reset", data={"email": e}) for e in (known, unknown)]
    assert answers[0].text == answers[1].text and answers[0].status_code == 200
    mailyard.wait_for(to=known)
    mailyard.assert_no_mail(to=unknown)


@pytest.mark.parametrize("name", ["ann", "bob", "cy", "dee", "eve", "fay"])
def test_each_test_sees_only_mail_to_its_own_addresses(mailyard, app, name: str) -> None:  # type: ignore[no-untyped-def]
    mine = mailyard.address(name)
    assert mine.startswith(f"{name}+") and mailyard.token in mine
    assert mailyard.address(name) == mine and mailyard.address("other") != mine
    app.post("/signup", data={"email": mine, "password": "secret"})
    app.post("/password-reset", data={"email": mine})
    mail = mailyard.wait_for(to=mine, subject="RESET")
    assert mail.to == [mine]
    # Other tests' mail (to their addresses) is never among this test's, whoever shares mailyard.
    assert all(mailyard.token in r for m in mailyard.arrived() for r in m.to)
    mailyard.assert_no_mail(to=mine, within=0.2)  # the one reset mail, returned once


def test_an_app_the_test_configures_itself_sends_to_the_tests_mailbox(mailyard) -> None:  # type: ignore[no-untyped-def]
    smtp = mailyard.smtp
    mailer = Mailer(smtp.host, smtp.port, smtp.username, smtp.password)
    mailer.send_later("anyone@example.test", "Your code", "Your code is 482913", "<p>482913</p>")
    mail = mailyard.wait_for(subject="your code")  # no `to`: the test's own mailbox
    assert mail.mailbox == mailyard.mailbox and mail.code() == "482913"
    assert [e.kind for e in mail.events()][:1] == ["send"]


def test_the_projects_own_web_and_sandbox_packages_are_the_ones_imported() -> None:
    here = Path(__file__).resolve().parent.parent
    assert Path(web.__file__).resolve().parent == here / "web"
    assert Path(sandbox.__file__).resolve().parent == here / "sandbox"
