"""Every table, as SQLAlchemy Core. Migrations in `db/migrations/` create exactly this.

Every row belongs to a workspace and every query filters on `workspace_id`. Times are aware UTC
datetimes (`UtcDateTime`). Identifiers Customer.io exposes keep its names (`cio_id`, `id`, `email`).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tidings.db.types import Json, UtcDateTime

__all__ = [
    "accounts",
    "activities",
    "anonymous_merges",
    "app_api_keys",
    "deliveries",
    "delivery_reports",
    "email_suppressions",
    "devices",
    "events",
    "layouts",
    "log_cursors",
    "message_ids",
    "message_log",
    "metadata",
    "object_types",
    "objects",
    "people",
    "rejected_calls",
    "relationships",
    "segment_changes",
    "segment_members",
    "segment_rechecks",
    "segments",
    "snippets",
    "sources",
    "subscription_centers",
    "subscription_channels",
    "subscription_topics",
    "suppressions",
    "track_credentials",
    "transactional_messages",
    "workspaces",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments a plain INTEGER primary key.
BigId = BigInteger().with_variant(Integer(), "sqlite")

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("region", String(2), nullable=False, server_default="us"),
    Column("created_at", UtcDateTime, nullable=False),
)

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", ForeignKey("accounts.id"), nullable=False),
    Column("name", String(200), nullable=False),
    # "email_or_id" (default) or "id_only": which identifiers add and update people.
    Column("identifier_mode", String(20), nullable=False, server_default="email_or_id"),
    # "cio_id_or_id" (default) or "cio_id": which identifiers may change an existing email.
    Column("email_update_policy", String(20), nullable=False, server_default="cio_id_or_id"),
    Column("anonymous_merge", Boolean, nullable=False, server_default="1"),
    Column("multi_identifier_merge", Boolean, nullable=False, server_default="1"),
    # Set by the first suppression, so the common workspace skips suppression look-ups.
    Column("has_suppressions", Boolean, nullable=False, server_default="0"),
    # Per-workspace overrides of ingest limits ({"attribute_value_bytes": 2000, ...}).
    Column("limits", Json, nullable=False, server_default="{}"),
    # Signs the workspace's tracking links (clicks, opens); rotating it breaks links already sent.
    Column("link_key", String(64)),
    # "normal", "test" (everything goes to test_address) or "never" (nothing leaves).
    Column("send_mode", String(10), nullable=False, server_default="normal"),
    Column("test_address", String(320)),
    Column("is_open_tracking", Boolean, nullable=False, server_default="1"),
    # The person attribute holding their language, which picks a message's language variant.
    Column("language_attribute", String(150), nullable=False, server_default="language"),
    Column("created_at", UtcDateTime, nullable=False),
)

track_credentials = Table(
    "track_credentials",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("site_id", String(64), nullable=False, unique=True),
    # Customer.io shows Track API keys again in its UI, so they are kept, like site ids.
    Column("api_key", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
)

app_api_keys = Table(
    "app_api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    # App API keys are shown once and stored hashed, as at Customer.io.
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", ForeignKey("workspaces.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    # Pipelines write keys travel in browsers and apps; they are identifiers, not secrets.
    Column("write_key", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
)

message_log = Table(
    "message_log",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("partition", Integer, nullable=False),
    Column("workspace_id", Integer, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("body", LargeBinary, nullable=False),
    # Which API took the call ("pipelines", "track"), for the data-in log.
    Column("origin", String(20)),
    Index("ix_message_log_partition_seq", "partition", "seq"),
)

log_cursors = Table(
    "log_cursors",
    metadata,
    Column("partition", Integer, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False, server_default="0"),
)

people = Table(
    "people",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    Column("cio_id", String(32), primary_key=True),
    Column("id", String(150)),
    Column("email", String(320)),
    # Lower-cased email: Customer.io matches email identifiers case-insensitively.
    Column("email_key", String(320)),
    Column("attributes", Json, nullable=False),
    # Per attribute, the unix time of its last accepted update (`_timestamp` ordering).
    Column("attribute_timestamps", Json, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("workspace_id", "id"),
    Index("ix_people_workspace_id_email_key", "workspace_id", "email_key"),
)

events = Table(
    "events",
    metadata,
    Column("pk", BigId, primary_key=True, autoincrement=True),
    Column("workspace_id", Integer, nullable=False),
    Column("cio_id", String(32)),
    Column("anonymous_id", String(150)),
    # The client's event id (a ULID at Customer.io) or one we generate; repeats are dropped.
    Column("event_id", String(150), nullable=False),
    Column("type", String(10), nullable=False),
    Column("name", Text, nullable=False),
    Column("data", Json, nullable=False),
    Column("timestamp", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    # When the event was attached to a person; anonymous events have none until merged.
    Column("processed_at", UtcDateTime),
    UniqueConstraint("workspace_id", "event_id"),
    Index("ix_events_person", "workspace_id", "cio_id", "timestamp"),
    Index("ix_events_anonymous", "workspace_id", "anonymous_id"),
)

activities = Table(
    "activities",
    metadata,
    Column("pk", BigId, primary_key=True, autoincrement=True),
    Column("workspace_id", Integer, nullable=False),
    Column("cio_id", String(32), nullable=False),
    Column("type", String(40), nullable=False),
    Column("name", Text),
    Column("data", Json, nullable=False),
    Column("timestamp", UtcDateTime, nullable=False),
    Index("ix_activities_person", "workspace_id", "cio_id", "timestamp"),
)

devices = Table(
    "devices",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    Column("cio_id", String(32), primary_key=True),
    Column("token", String(500), primary_key=True),
    Column("platform", String(20), nullable=False),
    Column("last_used", UtcDateTime, nullable=False),
    Column("last_status", String(20), nullable=False, server_default=""),
    Column("attributes", Json, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

suppressions = Table(
    "suppressions",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    # "id" or "email" (email values lower-cased).
    Column("identifier_type", String(10), primary_key=True),
    Column("value", String(320), primary_key=True),
    # The suppressed person's cio_id, so `cio_<id>` can name them after deletion.
    Column("cio_id", String(32), nullable=False),
    Column("suppressed_at", UtcDateTime, nullable=False),
    Index("ix_suppressions_cio_id", "workspace_id", "cio_id"),
)

message_ids = Table(
    "message_ids",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    Column("message_id", String(200), primary_key=True),
    # When the id was first accepted; a repeat within 12 hours of it is a duplicate.
    Column("received_at", UtcDateTime, nullable=False),
)

anonymous_merges = Table(
    "anonymous_merges",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    Column("anonymous_id", String(150), primary_key=True),
    Column("cio_id", String(32), nullable=False),
    Column("merged_at", UtcDateTime, nullable=False),
)

# Devices registered before their person is known (a mobile SDK sends the push token as soon as it
# has one): they join the person an identify merges the anonymous id into.
anonymous_devices = Table(
    "anonymous_devices",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    Column("anonymous_id", String(150), primary_key=True),
    Column("token", String(500), primary_key=True),
    Column("platform", String(20), nullable=False),
    Column("last_used", UtcDateTime, nullable=False),
    Column("attributes", Json, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Index("ix_anonymous_devices_received_at", "received_at"),
)

# Relationships to objects of people known only by an anonymous id (Track v2 `identify_anonymous`):
# they carry over to the person an identify merges the anonymous id into.
anonymous_relationships = Table(
    "anonymous_relationships",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    Column("anonymous_id", String(150), primary_key=True),
    Column("cio_object_id", String(32), primary_key=True),
    Column("attributes", Json, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Index("ix_anonymous_relationships_object", "workspace_id", "cio_object_id"),
    Index("ix_anonymous_relationships_received_at", "received_at"),
)

object_types = Table(
    "object_types",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    # Customer.io numbers types from 1 and never reuses a number.
    Column("type_id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("singular_name", String(100), nullable=False),
    # How Liquid names the type's objects: `{{ objects.<liquid_identifier> }}`.
    Column("liquid_identifier", String(100), nullable=False),
    Column("is_enabled", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

objects = Table(
    "objects",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    # Generated and immutable, like a person's cio_id.
    Column("cio_object_id", String(32), primary_key=True),
    Column("type_id", Integer, nullable=False),
    Column("object_id", String(150), nullable=False),
    Column("attributes", Json, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("workspace_id", "type_id", "object_id"),
)

relationships = Table(
    "relationships",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    Column("cio_id", String(32), primary_key=True),
    Column("cio_object_id", String(32), primary_key=True),
    Column("attributes", Json, nullable=False),
    # Relationships have no history at Customer.io: this is when the relationship was first set.
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_relationships_object", "workspace_id", "cio_object_id"),
)

delivery_reports = Table(
    "delivery_reports",
    metadata,
    Column("pk", BigId, primary_key=True, autoincrement=True),
    Column("workspace_id", Integer, nullable=False),
    # Metrics that devices and apps report about a message (Pipelines "Report Delivery Event",
    # Track v2 delivery events), kept by delivery id for the delivery they describe.
    Column("delivery_id", String(200), nullable=False),
    Column("metric", String(20), nullable=False),
    Column("recipient", Text),
    Column("data", Json, nullable=False),
    Column("timestamp", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Index("ix_delivery_reports_delivery", "workspace_id", "delivery_id"),
)

rejected_calls = Table(
    "rejected_calls",
    metadata,
    Column("pk", BigId, primary_key=True, autoincrement=True),
    Column("workspace_id", Integer, nullable=False),
    Column("origin", String(20), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("call_type", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("field", Text),
    # The start of the call as sent, for the data-in log.
    Column("body", Text, nullable=False),
    Index("ix_rejected_calls_workspace", "workspace_id", "received_at"),
)

transactional_messages = Table(
    "transactional_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    # The friendly id calls may use instead of the number, matched case-insensitively.
    Column("trigger_name", String(200)),
    Column("trigger_key", String(200)),
    Column("description", Text, nullable=False, server_default=""),
    # send_to_unsubscribed, tracked, queue_draft, disable_message_retention, disable_css_preprocessing, topic_id.
    Column("settings", Json, nullable=False),
    # Per channel ("email", "push", "sms"): the template's fields.
    Column("content", Json, nullable=False),
    # Per language code (lowercased), the variant's fields per channel.
    Column("translations", Json, nullable=False, server_default="{}"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("workspace_id", "trigger_key"),
    Index("ix_transactional_messages_workspace", "workspace_id", "id"),
)

# Workspace snippets: `{{snippets.<name>}}` in any message (Customer.io's `/v1/snippets`).
snippets = Table(
    "snippets",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    Column("name", String(150), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Email layouts: HTML around a message body, which goes where `{{content}}` is.
layouts = Table(
    "layouts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("html", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_layouts_workspace", "workspace_id", "id"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("cio_id", String(32), nullable=False),
    Column("channel", String(20), nullable=False),
    # What made it: "transactional" (later campaigns and broadcasts).
    Column("source", String(20), nullable=False),
    Column("transactional_message_id", Integer),
    Column("status", String(20), nullable=False),
    # The request's fields: overrides of the template, recipients, liquid data, options.
    Column("request", Json, nullable=False),
    # What was sent (subject, body, ...), unless retention is disabled.
    Column("rendered", Json),
    # Unix time of each milestone reached: queued, sent, delivered, opened, ...
    Column("milestones", Json, nullable=False),
    Column("failure_message", Text),
    Column("attempts", Integer, nullable=False, server_default="0"),
    # When the sender may next take it (send_at, then retry backoff); null once finished.
    Column("due_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_deliveries_due", "due_at"),
    Index("ix_deliveries_id", "id"),
    Index("ix_deliveries_person", "workspace_id", "cio_id", "created_at"),
    Index("ix_deliveries_recent", "workspace_id", "created_at"),
)

email_suppressions = Table(
    "email_suppressions",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    # Lower-cased address: a hard bounce or spam complaint stops later email to it.
    Column("email_key", String(320), primary_key=True),
    Column("reason", String(20), nullable=False),
    Column("detail", Text),
    Column("created_at", UtcDateTime, nullable=False),
)

segments = Table(
    "segments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workspace_id", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    # "manual" (people are added and removed) or "data_driven" (conditions decide).
    Column("kind", String(20), nullable=False),
    # The condition document of a data-driven segment.
    Column("conditions", Json),
    # "building" while a new or edited data-driven segment is evaluated over everyone, then "ready".
    Column("state", String(20), nullable=False),
    Column("progress", Integer, nullable=False, server_default="100"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_segments_workspace", "workspace_id", "id"),
)

segment_members = Table(
    "segment_members",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    Column("segment_id", Integer, primary_key=True),
    Column("cio_id", String(32), primary_key=True),
    Column("entered_at", UtcDateTime, nullable=False),
    # When the person started to match (for time conditions, the moment the condition became true).
    Column("matchtime", UtcDateTime, nullable=False),
    # Covering: a person's memberships are read on every change that touches a live segment.
    Index("ix_segment_members_person", "workspace_id", "cio_id", "segment_id"),
)

segment_rechecks = Table(
    "segment_rechecks",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    Column("segment_id", Integer, primary_key=True),
    Column("cio_id", String(32), primary_key=True),
    # The next instant time alone can change whether the person matches.
    Column("due_at", UtcDateTime, nullable=False),
    Index("ix_segment_rechecks_due", "due_at"),
    Index("ix_segment_rechecks_person", "workspace_id", "cio_id"),
)

segment_changes = Table(
    "segment_changes",
    metadata,
    # The change feed of segment membership: every entry and exit, appended in the transaction
    # that made it, for campaigns to read after a cursor (segments.read_membership_changes).
    Column("position", BigId, primary_key=True, autoincrement=True),
    # PostgreSQL: the writing transaction's id, so a reader can leave out rows of transactions
    # still running, whose positions may be lower than rows already committed. 0 on SQLite,
    # where one writer at a time commits positions in order.
    Column("transaction_id", BigInteger, nullable=False, server_default="0"),
    Column("workspace_id", Integer, nullable=False),
    Column("segment_id", Integer, nullable=False),
    Column("cio_id", String(32), nullable=False),
    # "entered" or "exited".
    Column("change", String(10), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    # When the person's data made them match (entered) or stop matching (exited).
    Column("matchtime", UtcDateTime, nullable=False),
    Index("ix_segment_changes_order", "transaction_id", "position"),
    Index("ix_segment_changes_at", "at"),
)

subscription_centers = Table(
    "subscription_centers",
    metadata,
    Column("workspace_id", Integer, primary_key=True, autoincrement=False),
    # Topics and channels gate sending only once the center is enabled.
    Column("is_enabled", Boolean, nullable=False, server_default="0"),
    # The last topic and channel ids given out: never reused, since stored preferences name them.
    Column("last_topic_id", Integer, nullable=False, server_default="0"),
    Column("last_channel_id", Integer, nullable=False, server_default="0"),
    Column("updated_at", UtcDateTime, nullable=False),
)

subscription_topics = Table(
    "subscription_topics",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    # Numbered from 1 per workspace; people's preferences name it as `topic_<id>`.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    # True for an opt-out topic (people get it until they unsubscribe), false for opt-in; fixed.
    Column("subscribed_by_default", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

subscription_channels = Table(
    "subscription_channels",
    metadata,
    Column("workspace_id", Integer, primary_key=True),
    # email, sms, push, in_app, whatsapp, slack, line or inbox: the key in people's preferences.
    Column("type", String(20), primary_key=True),
    Column("id", Integer, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("subscribed_by_default", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
