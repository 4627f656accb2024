"""The lenient MIME reader that ingest and the message view share."""

from __future__ import annotations

from mailyard.sandbox.mail import view as mime
from mailyard.sandbox.mail.mimetree import parse, split_headers

NESTED = (
    b"Subject: nested\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\npreamble\r\n"
    b"--b1\r\nContent-Type: multipart/alternative; boundary=b10\r\n\r\n"
    b"--b10\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    b"caf=E9\r\n--b10\r\nContent-Type: text/html\r\n\r\n<p>caf&eacute;</p>\r\n--b10--\r\n"
    b"--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
    b"Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n\r\nSGVsbG8=\r\n"
    b"--b1\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"!!not*base64==\r\n--b1--\r\nepilogue\r\n"
)


def test_part_ids_follow_the_tree_and_prefix_boundaries_do_not_confuse() -> None:
    root, notes = parse(NESTED)
    assert notes == []
    assert [leaf.part_id for leaf in root.leaves()] == ["1.1", "1.2", "2", "3"]
    assert root.leaves()[0].text() == "café"


def test_view_describes_attachments_and_inline_parts() -> None:
    view = mime.view_message(NESTED)
    assert view.text == "café" and view.html == "<p>caf&eacute;</p>"
    (attachment,) = view.attachments
    assert (
        attachment.filename == "résumé.pdf" and attachment.part_id == "2" and attachment.size == 5
    )
    (inline,) = view.inline
    assert inline.content_id == "logo@x"
    info, data = mime.message_part(NESTED, "2")
    assert data == b"Hello" and info.content_type == "application/octet-stream"


def test_lf_only_and_unterminated_multipart() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nfirst\n--x\n\nsecond, never closed"
    root, _ = parse(raw)
    assert [leaf.body for leaf in root.leaves()] == [b"first", b"second, never closed"]


def test_missing_boundary_makes_a_leaf() -> None:
    root, _ = parse(b"Content-Type: multipart/mixed; boundary=nowhere\r\n\r\njust text")
    assert root.leaves() == [root] and root.body == b"just text"


def test_folded_and_8bit_headers() -> None:
    headers, at = split_headers(
        "Subject: a\r\n  folded line\r\nFrom: Zoë <z@x>\r\n\r\nbody".encode()
    )
    assert headers == [("Subject", "a  folded line"), ("From", "Zoë <z@x>")]
    assert at == len("Subject: a\r\n  folded line\r\nFrom: Zoë <z@x>\r\n\r\n".encode())


def test_latin1_header_bytes_do_not_fail() -> None:
    headers, _ = split_headers(b"Subject: caf\xe9\r\n\r\nx")
    assert headers == [("Subject", "café")]


def test_parts_are_offsets_into_the_one_message() -> None:
    root, _ = parse(NESTED)
    for leaf in root.leaves():
        assert leaf.source is NESTED and NESTED[leaf.start : leaf.end] == leaf.body
    assert root.leaves()[2].raw_body().obj is NESTED  # a view, not a copy


def test_an_outer_boundary_ends_inner_parts_left_open() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=out\r\n\r\n--out\r\n"
        b"Content-Type: multipart/alternative; boundary=in\r\n\r\n--in\r\n\r\nunclosed inner\r\n"
        b"--out\r\n\r\nsecond\r\n--out--\r\n"
    )
    root, _ = parse(raw)
    assert [(leaf.part_id, leaf.body) for leaf in root.leaves()] == [
        ("1.1", b"unclosed inner"),
        ("2", b"second"),
    ]


def test_empty_parts_reused_boundaries_and_latin1_boundaries() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n--b\r\n\r\nx\r\n--b--\r\n"
    assert [leaf.body for leaf in parse(raw)[0].leaves()] == [b"", b"x"]
    reused = (
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\ninner\r\n--b--\r\n"
    )
    (leaf,) = parse(reused)[0].leaves()  # the outer boundary wins: the inner one is a leaf
    assert leaf.part_id == "1" and leaf.content_type == "multipart/mixed"
    latin = (
        b"Content-Type: multipart/mixed; boundary=caf\xe9\r\n\r\n--caf\xe9\r\n\r\nx\r\n--caf\xe9--"
    )
    assert [leaf.body for leaf in parse(latin)[0].leaves()] == [b"x"]
