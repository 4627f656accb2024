"""Which messages a wait is about: the server's narrowing query and the check that decides."""

from __future__ import annotations

from typing import Any

from mailyard.web.testing.matching import Filter, another_tests, describe_message, recipients


def summary(
    to: tuple[str, ...] = (),
    cc: tuple[str, ...] = (),
    bcc: tuple[str, ...] = (),
    subject: str = "Reset your password",
    mailbox: str = "default",
) -> dict[str, Any]:
    def people(items: tuple[str, ...]) -> list[dict[str, str]]:
        return [{"Name": "", "Address": a} for a in items]

    return {
        "ID": "abc",
        "To": people(to),
        "Cc": people(cc),
        "Bcc": people(bcc),
        "Subject": subject,
        "Mailbox": mailbox,
    }


def test_the_address_is_read_from_a_display_form() -> None:
    assert Filter.of("Jane <jane+x@example.test>", None, None).to == "jane+x@example.test"
    assert Filter.of("  jane@example.test ", None, None).to == "jane@example.test"
    assert Filter.of(None, "", "") == Filter()


def test_the_query_names_the_address_and_the_quoted_subject() -> None:
    wanted = Filter.of("jane+x@example.test", "reset your", None)
    assert wanted.query() == 'addressed:jane+x@example.test subject:"reset your"'


def test_what_cannot_be_written_exactly_is_left_to_the_check() -> None:
    assert Filter.of(None, 'say "hi"', None).query() == ""
    assert Filter.of(None, "   ", None).query() == ""
    assert Filter(to='"odd person"@example.test').query() == ""
    assert Filter(subject="x" * 1001).query() == ""


def test_the_address_must_be_a_recipient_whole_in_any_case() -> None:
    wanted = Filter.of("Jane+X@Example.test", None, None)
    assert wanted.matches(summary(to=("jane+x@example.test",)))
    assert wanted.matches(summary(cc=("jane+x@example.test",)))
    assert wanted.matches(summary(bcc=("JANE+X@EXAMPLE.TEST",)))
    assert not wanted.matches(summary(to=("xjane+x@example.test",)))
    assert not wanted.matches(summary(to=("other@example.test",)))


def test_the_subject_is_a_case_insensitive_substring() -> None:
    assert Filter(subject="RESET YOUR").matches(summary(subject="Reset your password"))
    assert Filter(subject="straße").matches(summary(subject="STRASSE ahead"))  # casefolded
    assert not Filter(subject="welcome").matches(summary())


def test_the_mailbox_must_be_the_one_named() -> None:
    assert Filter(mailbox="ci").matches(summary(mailbox="ci"))
    assert not Filter(mailbox="ci").matches(summary(mailbox="default"))


def test_descriptions_name_what_was_asked_and_what_came() -> None:
    wanted = Filter("a@example.test", "Reset", "ci")
    assert (
        wanted.describe()
        == "mail to a@example.test with a subject containing 'Reset' in mailbox 'ci'"
    )
    came = summary(to=("b@example.test",), bcc=("c@example.test",))
    assert recipients(came) == ["b@example.test", "c@example.test"]
    assert describe_message(came) == (
        "to b@example.test, c@example.test: 'Reset your password' (mailbox default, id abc)"
    )


def test_another_tests_mail_is_told_by_its_token() -> None:
    mine, theirs = "0123456789ab", "ba9876543210"
    assert another_tests(summary(to=(f"jane+{theirs}@example.test",)), mine)
    assert another_tests(summary(mailbox=f"pytest-{theirs}"), mine)
    assert not another_tests(summary(to=(f"jane+{mine}@example.test",)), mine)
    assert not another_tests(summary(to=(f"JANE+{mine.upper()}@x.test",)), mine)
    assert not another_tests(summary(to=("jane@example.test",)), mine)  # stray: shown
    assert not another_tests(summary(to=(f"a+{theirs}@x.test", "b@x.test")), mine)
    assert not another_tests(summary(mailbox=f"pytest-{mine}", to=(f"a+{theirs}@x.test",)), mine)
    assert not another_tests(summary(), mine)
