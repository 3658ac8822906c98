"""Development mail: every email as a readable text file, and one line saying where.

Django's console backend prints the MIME message: quoted-printable bodies whose long
links are cut by `=` line breaks, among the web server's and the poller's log lines
under `make run`, so a link copied from there does not work. This backend writes what
a person reads instead (the headers that matter, then the decoded UTF-8 body) to one
file per email in a folder, and prints a single line naming the file. Settings use it
in development when no EMAIL_URL is set; production sends through EMAIL_URL.
"""

import os
import re
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.mail import EmailMessage, InvalidMailer
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import slugify

_SLUG_LENGTH = 50


class FolderEmailBackend(BaseEmailBackend):
    """Write each email to `<directory>/<time>-<subject>.txt`, decoded, and say so."""

    def __init__(
        self,
        *,
        directory: str | os.PathLike[str] | None = None,
        alias: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(alias=alias, **kwargs)
        if not directory:
            raise InvalidMailer("OPTIONS must define 'directory'.", alias=alias)
        self.directory = Path(directory)
        self._lock = threading.Lock()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Write every message; an unwritable folder raises (mail must not vanish)."""
        written = 0
        with self._lock:
            for message in email_messages:
                path = self.write(message)
                announce(message, path)
                written += 1
        return written

    def write(self, message: EmailMessage) -> Path:
        """Write one message as text (and its HTML version beside it, if it has one)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        stem = f"{timezone.localtime():%Y%m%d-%H%M%S}-{subject_slug(message.subject)}"
        path = unused_path(self.directory, stem, ".txt")
        lines = [f"{name}: {value}" for name, value in headers(message)]
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html_path = path.with_suffix(".html")
                html_path.write_text(str(content), encoding="utf-8")
                lines.append(f"HTML version: {html_path.name}")
        for attachment in message.attachments:
            name = getattr(attachment, "filename", None) or "(inline part)"
            lines.append(f"Attachment (not saved): {name}")
        path.write_text("\n".join(lines) + "\n\n" + message.body + "\n", "utf-8")
        return path


def headers(message: EmailMessage) -> list[tuple[str, str]]:
    """The headers a person checks, in the order a mail client shows them."""
    found = [
        # str(): Django's types allow a lazy subject; a missing one stays empty.
        ("Subject", str(message.subject or "")),
        ("From", message.from_email),
        ("To", ", ".join(message.to)),
        ("Cc", ", ".join(message.cc)),
        ("Bcc", ", ".join(message.bcc)),
        ("Reply-To", ", ".join(message.reply_to)),
        ("Date", f"{timezone.localtime():%Y-%m-%d %H:%M:%S %Z}"),
    ]
    return [(name, value) for name, value in found if value]


def subject_slug(subject: str | Promise | None) -> str:
    """A file-name-safe piece of the subject, so a folder listing says what is what."""
    slug = slugify(re.sub(r"^\[[^\]]*\]\s*", "", str(subject or "")))
    return slug[:_SLUG_LENGTH].rstrip("-") or "email"


def unused_path(directory: Path, stem: str, suffix: str) -> Path:
    """Claim a new file name: two emails in the same second get -2, -3, …"""
    for number in range(1, 1000):
        candidate = directory / f"{stem}{'' if number == 1 else f'-{number}'}{suffix}"
        try:
            candidate.open("x").close()
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"no free file name for {stem}{suffix} in {directory}")


def announce(message: EmailMessage, path: Path) -> None:
    """One short console line; flushed, because under honcho stdout is a pipe."""
    shown = os.path.relpath(path)
    if shown.startswith(".."):
        shown = str(path)
    recipients = ", ".join(message.to) or "(no recipient)"
    sys.stdout.write(f"Email to {recipients} written to {shown}\n")
    sys.stdout.flush()
