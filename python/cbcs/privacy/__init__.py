"""Personal data in text: card, phone and personal ID numbers and e-mail addresses are
redacted before a transcript, caption, ticket or log line is stored."""

from cbcs.privacy.redact import Redaction, redact

__all__ = ["Redaction", "redact"]
