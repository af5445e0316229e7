"""Personal data in text: card numbers, phone numbers and e-mail addresses are redacted
before a transcript, caption, ticket or log line is stored."""

from cbcs.privacy.redact import Redaction, redact

__all__ = ["Redaction", "redact"]
