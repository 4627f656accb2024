"""The errors of mailyard's pytest plugin, one tree.

    MailyardTestingError
    ├── ServiceError            mailyard could not be started or reached, or answered oddly
    └── MailAssertionError      (also an AssertionError: pytest shows it as a test failure)
        ├── NoMailError         `wait_for` timed out; the message lists what did arrive
        ├── UnexpectedMailError `assert_no_mail` saw a matching message
        ├── NoLinkError         `Message.link` found no link containing the text
        └── NoCodeError         `Message.code` found no one-time code

The assertion errors are `AssertionError`s so that a failed expectation about mail reads as a
failed test, not as an error in the test's set-up; their messages say what was expected and what
was found instead.
"""

from __future__ import annotations


class MailyardTestingError(Exception):
    """The root of the plugin's errors."""


class ServiceError(MailyardTestingError):
    """mailyard could not be started or reached, or answered what the plugin cannot use."""


class MailAssertionError(MailyardTestingError, AssertionError):
    """An expectation about the mail of a test did not hold."""


class NoMailError(MailAssertionError):
    """No matching message arrived in time."""


class UnexpectedMailError(MailAssertionError):
    """A message arrived that the test said must not."""


class NoLinkError(MailAssertionError):
    """The message has no link containing the text asked for."""


class NoCodeError(MailAssertionError):
    """The message holds no one-time code."""
