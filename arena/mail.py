"""Development email: each message becomes one INFO log line (recipients, subject and the links
it carries, such as a verification link) instead of the console backend's raw MIME dump."""

import logging
import re

from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger("arena.mail")
LINK = re.compile(r"https?://[^\s\"'<>]+")


class LogEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            links = list(dict.fromkeys(LINK.findall(message.body)))
            logger.info(
                "Email to %s: %s%s",
                ", ".join(message.recipients()),
                message.subject,
                f" — {' '.join(links)}" if links else "",
            )
            logger.debug("Email body:\n%s", message.body)
        return len(email_messages)
