"""Reading feeds strangers write (RSS, Atom, YouTube's channel feeds): what the blog and YouTube spiders
share, so neither spider module imports the other."""

from __future__ import annotations

import re

import scrapy
from scrapy.http import TextResponse

# A character reference: lxml turns one to a lone surrogate (&#xD800;) into bytes it then cannot decode
# itself (UnicodeDecodeError on reading the text), so references to what XML forbids go before parsing.
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")


def _xml_char_ref(match: re.Match) -> str:
    hex_digits, digits = match.groups()
    if len(hex_digits or digits) > 8:
        return ""
    code = int(hex_digits, 16) if hex_digits else int(digits)
    allowed = (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
               or 0x10000 <= code <= 0x10FFFF)
    return match.group(0) if allowed else ""


def feed_selector(response) -> scrapy.Selector:
    """A feed's XML tree, leniently parsed (lxml recovers what it can of broken XML), from any response."""
    text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
    return scrapy.Selector(text=_CHAR_REF.sub(_xml_char_ref, text), type="xml")
