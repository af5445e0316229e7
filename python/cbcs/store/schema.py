"""The tables of the store (SQLAlchemy Core), shared by SQLite and PostgreSQL. Migrations in
``migrations/versions`` create them; a test checks that the two agree."""

from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, Float, ForeignKey, Index, Integer, MetaData,
                        String, Table, Text, UniqueConstraint)

metadata = MetaData()

customers = Table(
    "customers", metadata,
    Column("id", String(128), primary_key=True),
    Column("language", String(16), nullable=False),
    Column("market", String(2), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("name", String(200), nullable=False, server_default=""),
    Column("created_at", Float, nullable=False),
)

agents = Table(
    "agents", metadata,
    Column("id", String(128), primary_key=True),
    Column("profile", JSON, nullable=False),       # name, kind, languages, skills, markets...
    Column("presence", String(16), nullable=False),
    # capacity and load as columns: the assignment's conditional update reads them
    Column("cap_chat", Integer, nullable=False),
    Column("cap_voice", Integer, nullable=False),
    Column("cap_video", Integer, nullable=False),
    Column("calls_block_chat", Boolean, nullable=False),
    Column("load_chat", Integer, nullable=False, server_default="0"),
    Column("load_voice", Integer, nullable=False, server_default="0"),
    Column("load_video", Integer, nullable=False, server_default="0"),
    Column("idle_since", Float, nullable=False),
    Column("missed", Integer, nullable=False, server_default="0"),
    Column("updated_at", Float, nullable=False),
)

queues = Table(
    "queues", metadata,
    Column("name", String(64), primary_key=True),
    Column("spec", JSON, nullable=False),
    Column("updated_at", Float, nullable=False),
)

conversations = Table(
    "conversations", metadata,
    Column("id", String(128), primary_key=True),
    Column("customer_id", String(128), nullable=False, index=True),
    Column("channel", String(8), nullable=False),
    Column("state", String(16), nullable=False),
    Column("language", String(16), nullable=False),
    Column("market", String(2), nullable=False),
    Column("order_id", String(128)),
    Column("queue", String(64)),
    Column("agent_id", String(128)),
    Column("ticket_id", String(128)),
    Column("intent", String(64)),
    Column("sentiment", Float),
    Column("last_seq", Integer, nullable=False, server_default="0"),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

messages = Table(
    "messages", metadata,
    Column("conversation_id", String(128), ForeignKey("conversations.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("author_role", String(16), nullable=False),
    Column("author_id", String(128), nullable=False),
    Column("client_id", String(128)),
    Column("kind", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("lang", String(16)),
    Column("translations", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("conversation_id", "author_id", "client_id", name="uq_messages_client_id"),
)

tasks = Table(
    "tasks", metadata,
    Column("id", String(128), primary_key=True),
    Column("queue", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("language", String(16), nullable=False),
    Column("market", String(2), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("tier", String(16), nullable=False),
    Column("attributes", JSON, nullable=False),   # skill, intent, sentiment, ids, preferred
    Column("rejected_by", JSON, nullable=False),
    Column("agent_id", String(128)),
    Column("reservation_id", String(64)),
    Column("translate", Boolean, nullable=False, server_default="0"),
    Column("created_at", Float, nullable=False),
    Column("answered_at", Float),
    Column("ended_at", Float),
    Column("wrap_until", Float),
    Index("ix_tasks_status", "status"),
    Index("ix_tasks_created_at", "created_at"),
)

reservations = Table(
    "reservations", metadata,
    Column("id", String(64), primary_key=True),
    Column("task_id", String(128), ForeignKey("tasks.id"), nullable=False),
    Column("agent_id", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("translate", Boolean, nullable=False, server_default="0"),
    Column("node", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("decided_at", Float),
    Index("ix_reservations_status_expires", "status", "expires_at"),
    Index("ix_reservations_agent", "agent_id", "status"),
)

tickets = Table(
    "tickets", metadata,
    Column("id", String(128), primary_key=True),
    Column("customer_id", String(128), nullable=False, index=True),
    Column("conversation_id", String(128)),
    Column("category", String(32), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("summary", Text, nullable=False),
    Column("order_ref", String(128)),
    Column("due_at", Float),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

articles = Table(
    "articles", metadata,
    Column("market", String(2), primary_key=True),
    Column("language", String(16), primary_key=True),
    Column("slug", String(128), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)

orders = Table(
    "orders", metadata,
    Column("id", String(128), primary_key=True),
    Column("customer_id", String(128), nullable=False, index=True),
    Column("market", String(2), nullable=False),
    Column("status", String(16), nullable=False),
    Column("items", JSON, nullable=False),          # [{sku, name, qty, unit_price}]
    Column("currency", String(3), nullable=False),
    Column("total", String(32), nullable=False),    # a decimal as text: exact on both databases
    Column("tracking", String(128)),
    Column("placed_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),    # by the seller's systems
    Column("delivered_at", Float),
    Column("synced_at", Float, nullable=False),     # when the store last heard of it
)

# What the AI tier remembers of each customer across turns and channels (cbcs.ai.Memory).
ai_memory = Table(
    "ai_memory", metadata,
    Column("customer_id", String(128), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# Examples labelled by people at work (an intent an agent corrected, a resolved
# conversation), redacted, per market and language; the AI tier's classifiers learn from them.
examples = Table(
    "examples", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),       # intent | sentiment
    Column("market", String(2), nullable=False),
    Column("language", String(16), nullable=False),
    Column("label", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("source", String(64), nullable=False),     # correction | resolved
    Column("created_at", Float, nullable=False),
    Index("ix_examples_kind_market_language", "kind", "market", "language"),
)

# Settings a seller changes at run time (the AI tier's rollout), as JSON per key.
settings = Table(
    "settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# The originals of redacted messages and captions, only where the builder keeps them
# (ServerConfig.keep_originals); admins read them.
originals = Table(
    "originals", metadata,
    Column("conversation_id", String(128), ForeignKey("conversations.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

# What supervisors and admins did (cbcs.contact.audit): append-only, no personal data.
audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("role", String(16), nullable=False),
    Column("subject", String(128), nullable=False),
    Column("action", String(128), nullable=False),
    Column("target", String(256), nullable=False),
    Column("status", Integer, nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_at", "at"),
)
