import pytest

from attnviz.errors import InputError
from attnviz.textfile import MAX_TEXT_CHARS, decode_text


def test_utf8_with_and_without_bom():
    assert decode_text("Grüße ✓".encode(), "a.txt") == "Grüße ✓"
    assert decode_text(b"\xef\xbb\xbfhello", "a.txt") == "hello"


@pytest.mark.parametrize("data,message", [
    (b"PK\x03\x04\x00\x00", "a.txt looks binary"),
    ("café".encode("latin-1"), "a.txt is not UTF-8 text"),
    (b"a" * (MAX_TEXT_CHARS + 1), "the limit is 1,000,000"),
])
def test_refusals_name_the_file(data, message):
    with pytest.raises(InputError, match=message):
        decode_text(data, "a.txt")
