"""What a message may say (保密与隐私): nothing of a petitioner's identity or content, nothing classified.

Messages are made from an event's routing fields only (numbers, dates, titles of unprotected
matters). For sources whose content is protected — petitions (A71, A80: the petitioner's identity
and letter are kept from the body complained about) and classified documents — the message says
only that something needs the reader's attention and links to where the reader, logged in and
checked there, may see it.
"""

from __future__ import annotations

from dataclasses import replace

from services.notify.domain.notices import Notice

# Sources whose content never travels in a message: a link instead.
PROTECTED_SOURCES = frozenset({"petitions"})
# Document secrecy levels (密级) above which a title is not sent either.
CLASSIFIED_MARKS = ("秘密", "机密", "绝密")


def protected_text(number: str, what: str, link: str) -> str:
    return f"{what}（编号 {number}）需要您处理，请登录系统查看：{link}"


def is_classified(*texts: str) -> bool:
    return any(mark in text for text in texts for mark in CLASSIFIED_MARKS)


def redacted(notice: Notice) -> Notice:
    """A notice of a classified matter keeps its link and loses its title and text."""
    if not notice.classified and not is_classified(notice.title, notice.text):
        return notice
    return replace(notice, title="您有一件涉密事项待办", text=f"请登录系统查看：{notice.link}")
