"""Tests that fail on purpose, to show what the plugin says when mail is not what a test waits
for. Run alone by tests/e2e/test_pytest_plugin.py, which checks the failure messages."""

from __future__ import annotations


def test_waits_for_a_subject_that_never_comes(mailyard, app) -> None:  # type: ignore[no-untyped-def]
    email = mailyard.address("jane")
    app.post("/signup", data={"email": email, "password": "secret"})
    app.post("/password-reset", data={"email": email})
    mailyard.wait_for(to=email, subject="welcome aboard", timeout=1)


def test_waits_for_another_address(mailyard, app) -> None:  # type: ignore[no-untyped-def]
    jane = mailyard.address("jane")
    app.post("/signup", data={"email": jane, "password": "secret"})
    app.post("/password-reset", data={"email": jane})
    mailyard.wait_for(to=jane)
    mailyard.wait_for(to=mailyard.address("bob"), timeout=1)


def test_says_no_mail_but_mail_comes(mailyard, app) -> None:  # type: ignore[no-untyped-def]
    email = mailyard.address("jane")
    app.post("/signup", data={"email": email, "password": "secret"})
    app.post("/password-reset", data={"email": email})
    mailyard.assert_no_mail(to=email)


def test_waits_when_nothing_is_sent(mailyard) -> None:  # type: ignore[no-untyped-def]
    mailyard.wait_for(to=mailyard.address("jane"), timeout=0.5)
