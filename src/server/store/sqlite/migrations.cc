#include "server/store/sqlite/migrations.h"

#include <string>

namespace parley::store::sqlite {
namespace {

// Schema, version 1.
//
// meta           key/value; 'version' = the last committed store-wide version (store.h);
//                'commit' (migration 18) = the number of the last commit (wal_flush.h).
// users          username is UNIQUE (its index serves login and user lookup).
// sessions       token_hash UNIQUE (token lookup on every request);
//                sessions_by_user (user_id, id) serves the session list and revoke-others.
// conversations  direct_key "min:max" UNIQUE makes the pair's conversation unique even when
//                both users create it at once; last_seq / last_activity / last_message_id
//                are denormalised so the chat list and sync never touch messages;
//                version = the newest change to the conversation or its members.
// members        WITHOUT ROWID, clustered on (conversation_id, user_id): a conversation's
//                members are one contiguous range. members_by_user (user_id) also carries
//                the primary key, so "the user's conversations" (chat list, sync) is one
//                covering index range, O(user's conversations).
// messages       id is the rowid; UNIQUE (conversation_id, seq) makes history pages index
//                range scans and finds last_seq; UNIQUE (sender_id, client_id) is the
//                idempotency key checked by every append.
const char* const kMigration1 = R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('version', 0);

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE,
  display_name  TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users (id),
  token_hash  TEXT NOT NULL UNIQUE,
  device_name TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  revoked     INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
);
CREATE INDEX sessions_by_user ON sessions (user_id, id);

CREATE TABLE conversations (
  id              INTEGER PRIMARY KEY,
  kind            TEXT NOT NULL,
  direct_key      TEXT UNIQUE,
  created_at      INTEGER NOT NULL,
  last_seq        INTEGER NOT NULL DEFAULT 0,
  last_activity   INTEGER NOT NULL,
  last_message_id INTEGER REFERENCES messages (id),
  version         INTEGER NOT NULL
);

CREATE TABLE members (
  conversation_id INTEGER NOT NULL REFERENCES conversations (id),
  user_id         INTEGER NOT NULL REFERENCES users (id),
  delivered_seq   INTEGER NOT NULL DEFAULT 0,
  read_seq        INTEGER NOT NULL DEFAULT 0,
  joined_at       INTEGER NOT NULL,
  version         INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, user_id),
  CHECK (0 <= read_seq AND read_seq <= delivered_seq)
) WITHOUT ROWID;
CREATE INDEX members_by_user ON members (user_id);

CREATE TABLE messages (
  id              INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id),
  seq             INTEGER NOT NULL CHECK (seq >= 1),
  sender_id       INTEGER NOT NULL REFERENCES users (id),
  client_id       TEXT NOT NULL,
  kind            TEXT NOT NULL,
  text            TEXT NOT NULL,
  ts              INTEGER NOT NULL,
  version         INTEGER NOT NULL,
  UNIQUE (conversation_id, seq),
  UNIQUE (sender_id, client_id)
);
)sql";

// Schema, version 2: group conversations.
//
// conversations  name, description: a group's title and about text ('' for direct).
// members        role 'admin' | 'member'; a member sees messages with
//                joined_seq < seq <= left_seq; left_seq NULL = active. Rows are never
//                deleted: a member who left keeps their history and their place in sync.
//                members_active (conversation_id, joined_at, user_id) WHERE left_seq IS
//                NULL lists a group's active members longest-standing first without a sort
//                and without stepping over those who left; counts and fan-out lists ride
//                it too.
// receipt_log    one row per watermark change (advance_receipt, or a send that also
//                covers earlier messages), with its commit time. Watermarks only grow
//                within a membership, so "when did user U first reach seq S" is the first
//                entry at or above S in (conversation_id, user_id, watermark, ts) order:
//                one O(log entries) seek per member and watermark, answered from the
//                index alone.
//                Rows from before this migration have no recorded times; the send time of
//                the newest message each existing watermark covers is the best lower bound
//                there is, so they are seeded with it rather than shown as "not yet".
const char* const kMigration2 = R"sql(
ALTER TABLE conversations ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN description TEXT NOT NULL DEFAULT '';

ALTER TABLE members ADD COLUMN role TEXT NOT NULL DEFAULT 'member'
  CHECK (role IN ('admin', 'member'));
ALTER TABLE members ADD COLUMN joined_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN left_seq INTEGER NULL;
CREATE INDEX members_active ON members (conversation_id, joined_at, user_id)
  WHERE left_seq IS NULL;

CREATE TABLE receipt_log (
  id              INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id),
  user_id         INTEGER NOT NULL REFERENCES users (id),
  delivered_seq   INTEGER NOT NULL,
  read_seq        INTEGER NOT NULL,
  ts              INTEGER NOT NULL,
  CHECK (0 <= read_seq AND read_seq <= delivered_seq)
);
CREATE INDEX receipt_log_delivered ON receipt_log (conversation_id, user_id, delivered_seq, ts);
CREATE INDEX receipt_log_read ON receipt_log (conversation_id, user_id, read_seq, ts);

INSERT INTO receipt_log (conversation_id, user_id, delivered_seq, read_seq, ts)
  SELECT m.conversation_id, m.user_id, m.read_seq, m.read_seq, msg.ts
  FROM members m JOIN messages msg
    ON msg.conversation_id = m.conversation_id AND msg.seq = m.read_seq
  WHERE m.read_seq > 0;
INSERT INTO receipt_log (conversation_id, user_id, delivered_seq, read_seq, ts)
  SELECT m.conversation_id, m.user_id, m.delivered_seq, m.read_seq, msg.ts
  FROM members m JOIN messages msg
    ON msg.conversation_id = m.conversation_id AND msg.seq = m.delivered_seq
  WHERE m.delivered_seq > m.read_seq;
)sql";

// Schema, version 3: contacts, blocking, presence.
//
// users          last_seen_at (ms since epoch, NULL = never recorded) and hide_last_seen
//                (0/1): read by presence only, so they live on the row they describe.
// contacts       one row per (owner, contact) with the owner's private nickname ('' =
//                none). WITHOUT ROWID, clustered on (owner_id, contact_id): a user's
//                contact list is one contiguous range. contacts_by_contact (contact_id,
//                owner_id) answers "who has U as a contact" for presence.
// blocks         one row per (blocker, blocked); absent = not blocked, so unblocking
//                deletes. WITHOUT ROWID, clustered on (blocker_id, blocked_id);
//                blocks_by_blocked (blocked_id, blocker_id) is the reverse direction, so
//                "a block either way" is two primary-key-sized seeks.
// members        members_active_by_user (user_id, conversation_id) WHERE left_seq IS NULL:
//                a user's active memberships as one covering range and "is U an active
//                member of C" as one seek, so "do two users share an active conversation"
//                never visits memberships that ended.
// None of this takes a store-wide version: contacts, blocks and last-seen are not part of
// conversation sync.
const char* const kMigration3 = R"sql(
ALTER TABLE users ADD COLUMN last_seen_at INTEGER NULL;
ALTER TABLE users ADD COLUMN hide_last_seen INTEGER NOT NULL DEFAULT 0
  CHECK (hide_last_seen IN (0, 1));

CREATE TABLE contacts (
  owner_id   INTEGER NOT NULL REFERENCES users (id),
  contact_id INTEGER NOT NULL REFERENCES users (id),
  nickname   TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (owner_id, contact_id),
  CHECK (owner_id <> contact_id)
) WITHOUT ROWID;
CREATE INDEX contacts_by_contact ON contacts (contact_id, owner_id);

CREATE TABLE blocks (
  blocker_id INTEGER NOT NULL REFERENCES users (id),
  blocked_id INTEGER NOT NULL REFERENCES users (id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (blocker_id, blocked_id),
  CHECK (blocker_id <> blocked_id)
) WITHOUT ROWID;
CREATE INDEX blocks_by_blocked ON blocks (blocked_id, blocker_id);

CREATE INDEX members_active_by_user ON members (user_id, conversation_id)
  WHERE left_seq IS NULL;
)sql";

// Schema, version 4: edits, deletions and full-text search.
//
// messages         edited_at: time of the last edit (NULL = never edited). deleted_at: time
//                  of "delete for everyone" (NULL = not deleted); the text is erased (set
//                  to '') in the same transaction, and the connection runs with
//                  secure_delete so the old bytes are overwritten rather than freed.
//                  version now means "the newest change to this message" (its append, an
//                  edit or its deletion). messages_changes (conversation_id, version) lists
//                  a conversation's changes since a version as one index range.
// members          own_version: the newest change only this member sees (a message they
//                  hid with "delete for me"); the conversation's version as the member sees
//                  it is the larger of this and the shared one, so sync reports it to all
//                  their devices and to nobody else.
// hidden_messages  one row per (user, message) hidden with "delete for me"; version is the
//                  change's version. hidden_changes (user_id, conversation_id, version)
//                  lists one user's hides in a conversation since a version.
// message_search   an FTS5 index over the text of text messages (system messages are
//                  JSON, not prose). External content (the view message_search_source) so
//                  the text is stored once and snippets are cut from it; column conv holds
//                  the token 'c<conversation id>' so that a search is confined to the
//                  viewer's conversations inside the index instead of after it. The
//                  tokenizer 'parley' (tokenizer.h, registered on every connection) folds
//                  case and diacritics and splits Han and kana into one token per character.
const char* const kMigration4 = R"sql(
ALTER TABLE messages ADD COLUMN edited_at INTEGER NULL;
ALTER TABLE messages ADD COLUMN deleted_at INTEGER NULL;
CREATE INDEX messages_changes ON messages (conversation_id, version);

ALTER TABLE members ADD COLUMN own_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE hidden_messages (
  user_id         INTEGER NOT NULL REFERENCES users (id),
  message_id      INTEGER NOT NULL REFERENCES messages (id),
  conversation_id INTEGER NOT NULL REFERENCES conversations (id),
  version         INTEGER NOT NULL,
  PRIMARY KEY (user_id, message_id)
) WITHOUT ROWID;
CREATE INDEX hidden_changes ON hidden_messages (user_id, conversation_id, version);

CREATE VIEW message_search_source AS
  SELECT id, text, 'c' || conversation_id AS conv FROM messages
  WHERE kind <> 'system' AND deleted_at IS NULL;
CREATE VIRTUAL TABLE message_search USING fts5(
  text, conv, content = 'message_search_source', content_rowid = 'id',
  tokenize = 'parley');
INSERT INTO message_search (rowid, text, conv)
  SELECT id, text, conv FROM message_search_source;
)sql";


// Schema, version 5: media (photo attachments).
//
// media          one row per processed upload, owned by its uploader; the id is random.
//                sha256 / thumb_sha256 name the blobs in the media store (content-
//                addressed: identical images share a blob, so a blob may have several
//                rows). media_by_source (source_sha256) finds an earlier upload of the same
//                bytes, whose processing is reused. media_by_blob and media_by_thumb answer
//                "does any row still use this blob" after garbage collection deletes rows;
//                media_by_age (created_at) lets the collector find old uploads in order.
// messages       media_id: the upload a message of kind 'image' shows (NULL otherwise);
//                attachment: its image object as compact JSON, written once at send time
//                so that history never joins media. messages_by_media (media_id) serves the
//                access check ("a message referencing this upload visible to the user")
//                and "is this upload referenced" for garbage collection.
const char* const kMigration5 = R"sql(
CREATE TABLE media (
  id            TEXT PRIMARY KEY,
  owner_id      INTEGER NOT NULL REFERENCES users (id),
  source_sha256 TEXT NOT NULL,
  mime          TEXT NOT NULL,
  sha256        TEXT NOT NULL,
  size          INTEGER NOT NULL,
  width         INTEGER NOT NULL,
  height        INTEGER NOT NULL,
  thumb_mime    TEXT NOT NULL,
  thumb_sha256  TEXT NOT NULL,
  thumb_size    INTEGER NOT NULL,
  thumb_width   INTEGER NOT NULL,
  thumb_height  INTEGER NOT NULL,
  placeholder   TEXT NOT NULL,
  created_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX media_by_source ON media (source_sha256);
CREATE INDEX media_by_blob ON media (sha256);
CREATE INDEX media_by_thumb ON media (thumb_sha256);
CREATE INDEX media_by_age ON media (created_at);

ALTER TABLE messages ADD COLUMN media_id TEXT NULL REFERENCES media (id);
ALTER TABLE messages ADD COLUMN attachment TEXT NULL;
CREATE INDEX messages_by_media ON messages (media_id) WHERE media_id IS NOT NULL;
)sql";

// Schema, version 6: who may add a user to groups.
//
// users          groups_add: 'everyone' (the default, as before), 'contacts' (only users
//                the row's user has as a contact) or 'nobody'. Read with the candidates'
//                rows when a group is created or members are added, inside that write.
const char* const kMigration6 = R"sql(
ALTER TABLE users ADD COLUMN groups_add TEXT NOT NULL DEFAULT 'everyone'
  CHECK (groups_add IN ('everyone', 'contacts', 'nobody'));
)sql";

// Schema, version 7: accounts an operator disabled (parleyd admin disable).
//
// disabled_accounts  one row per disabled account; enabling deletes it. Read by login
//                    inside its write transaction, so a login racing a disable either
//                    commits first (and its session is revoked by the disable) or fails.
const char* const kMigration7 = R"sql(
CREATE TABLE disabled_accounts (
  user_id     INTEGER PRIMARY KEY REFERENCES users (id),
  disabled_at INTEGER NOT NULL
);
)sql";

// Schema, version 8: push notifications (src/server/push).
//
// push_subscriptions  one row per device registration; the key (user_id, kind, app_id,
//                     endpoint) makes re-registering idempotent; by_session serves the
//                     session's list, the per-session limit and the deletion on revocation;
//                     by_address the deletion of an address a push service refused.
// members             muted_until: no push for this member's conversation until then (ms
//                     since epoch); 0: not muted; 9007199254740991 (2^53 - 1, store.h's
//                     kMutedAlways): "always".
//                     Kept apart from the other per-member settings on purpose.
// users               notification_preview: 'full' (sender and text in a push) or 'hidden'
//                     (only "New message").
const char* const kMigration8 = R"sql(
CREATE TABLE push_subscriptions (
  id         INTEGER PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users (id),
  session_id INTEGER NOT NULL REFERENCES sessions (id),
  kind       TEXT NOT NULL CHECK (kind IN ('webpush', 'gateway')),
  endpoint   TEXT NOT NULL,
  app_id     TEXT NOT NULL,
  p256dh     TEXT NOT NULL,
  auth       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (user_id, kind, app_id, endpoint)
);
CREATE INDEX push_subscriptions_by_session ON push_subscriptions (session_id);
CREATE INDEX push_subscriptions_by_address ON push_subscriptions (kind, app_id, endpoint);
ALTER TABLE members ADD COLUMN muted_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN notification_preview TEXT NOT NULL DEFAULT 'full'
  CHECK (notification_preview IN ('full', 'hidden'));
)sql";

// Schema, version 9: replies.
//
// messages       reply_to: the seq of the message a reply quotes, in the same conversation
//                (NULL: not a reply). A seq rather than a row id, as clients name messages;
//                the quoted row is read where it is shown, so edits and deletions of the
//                original show through every reply.
const char* const kMigration9 = R"sql(
ALTER TABLE messages ADD COLUMN reply_to INTEGER NULL;
)sql";

// Schema, version 10: reactions.
//
// reactions      one row per (message, user): that user's one emoji on the message.
//                Setting, replacing or removing one gives the message (and its conversation)
//                a new version, so sync and message changes carry it like an edit. The key
//                reads a message's reactions as one range.
const char* const kMigration10 = R"sql(
CREATE TABLE reactions (
  message_id INTEGER NOT NULL REFERENCES messages (id),
  user_id    INTEGER NOT NULL REFERENCES users (id),
  emoji      TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (message_id, user_id)
) WITHOUT ROWID;
)sql";

// Schema, version 11: forwarded messages.
//
// messages       forwarded: 1 for a copy sent with "forward" (its text, photo and upload are
//                the original's: a photo is shared, not uploaded again), else 0.
const char* const kMigration11 = R"sql(
ALTER TABLE messages ADD COLUMN forwarded INTEGER NOT NULL DEFAULT 0;
)sql";

// Schema, version 12: pinned and archived chats, per member.
//
// members        pinned_at: when this member pinned the conversation (NULL: not pinned);
//                archived: 1 when they archived it. Both are the member's own, like
//                own_version, which a change of them moves (only their devices sync it).
const char* const kMigration12 = R"sql(
ALTER TABLE members ADD COLUMN pinned_at INTEGER NULL;
ALTER TABLE members ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
)sql";

// Schema, version 13: accounts their users deleted.
//
// users          deleted_at: when the user deleted the account (NULL: not deleted). The row
//                stays so the username stays reserved; delete_account empties display_name
//                (the mark every read goes by) and password_hash.
const char* const kMigration13 = R"sql(
ALTER TABLE users ADD COLUMN deleted_at INTEGER NULL;
)sql";

// Schema, version 14: documents and voice recordings.
//
// media          kind: what was uploaded, "image" (processed photo), "file" (a document,
//                stored as sent) or "voice" (an Opus recording); name: the sanitised file
//                name of a "file" upload (media/file_name.h), empty otherwise. Uploads of
//                any kind but "image" have no thumbnail: thumb_* repeat the full blob.
const char* const kMigration14 = R"sql(
ALTER TABLE media ADD COLUMN kind TEXT NOT NULL DEFAULT 'image';
ALTER TABLE media ADD COLUMN name TEXT NOT NULL DEFAULT '';
)sql";

// Schema, version 15: voice messages played.
//
// voice_plays    when each recipient first played a voice message (docs/protocol.md,
//                "Played"); one row per (message, player).
const char* const kMigration15 = R"sql(
CREATE TABLE voice_plays (
  conversation_id INTEGER NOT NULL REFERENCES conversations (id),
  seq             INTEGER NOT NULL,
  user_id         INTEGER NOT NULL REFERENCES users (id),
  played_at       INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, seq, user_id)
) WITHOUT ROWID;
)sql";

// Schema, version 16: videos. A video's length as the server measured it (ffprobe on the
// remuxed file), ms; 0 for every other kind.
const char* const kMigration16 = R"sql(
ALTER TABLE media ADD COLUMN duration_ms INTEGER NOT NULL DEFAULT 0;
)sql";

// Schema, version 17: calls (docs/protocol.md, "Calls").
// calls          one row per 1:1 call: its parties and the devices (sessions) in it, its
//                state, times and end reason, the caller's offer while it rings, and
//                whether it was withheld (the callee had blocked the caller). Every state
//                change is a conditional UPDATE ... WHERE state = <expected>; the partial
//                indexes keep "is this user in a call" and the start-up sweep cheap.
const char* const kMigration17 = R"sql(
CREATE TABLE calls (
  id              TEXT PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id),
  caller_id       INTEGER NOT NULL REFERENCES users (id),
  callee_id       INTEGER NOT NULL REFERENCES users (id),
  media           TEXT NOT NULL CHECK (media IN ('audio', 'video')),
  state           TEXT NOT NULL CHECK (state IN ('ringing', 'active', 'ended')),
  started_at      INTEGER NOT NULL,
  answered_at     INTEGER NULL,
  ended_at        INTEGER NULL,
  end_reason      TEXT NOT NULL DEFAULT '',
  caller_session  INTEGER NOT NULL,
  callee_session  INTEGER NOT NULL DEFAULT 0,
  withheld        INTEGER NOT NULL DEFAULT 0 CHECK (withheld IN (0, 1)),
  offer_sdp       TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX calls_open_by_caller ON calls (caller_id) WHERE state <> 'ended';
CREATE INDEX calls_open_by_callee ON calls (callee_id) WHERE state <> 'ended';
)sql";

// Commits numbered in the database, so a reader learns from its own snapshot which commits
// it holds (wal_flush.h); written by every commit when COMMIT does not flush.
const char* const kMigration18 = R"sql(
INSERT INTO meta (key, value) VALUES ('commit', 0);
)sql";

// Append new migrations here; never edit one that has shipped.
const char* const kMigrations[] = {kMigration1, kMigration2, kMigration3, kMigration4,
                                   kMigration5, kMigration6, kMigration7, kMigration8,
                                   kMigration9, kMigration10, kMigration11, kMigration12,
                                   kMigration13, kMigration14, kMigration15,
                                   kMigration16, kMigration17, kMigration18};
constexpr int kMigrationCount = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));

Result<int> user_version(Db& db) {
  PARLEY_STORE_ASSIGN(std::string text, db.query_text("PRAGMA user_version"));
  return std::stoi(text.empty() ? std::string("0") : text);
}

}  // namespace

int latest_schema_version() { return kMigrationCount; }

Status migrate(Db& db) { return migrate_to(db, kMigrationCount); }

Status migrate_to(Db& db, int target) {
  if (target < 0 || target > kMigrationCount) {
    return Error::make(Errc::kInternal, "no schema version " + std::to_string(target));
  }
  PARLEY_STORE_ASSIGN(int current, user_version(db));
  if (current > kMigrationCount) {
    return Error::make(Errc::kInternal, "database schema version " + std::to_string(current) +
                                            " is newer than this server understands (" +
                                            std::to_string(kMigrationCount) + ")");
  }
  for (int number = current + 1; number <= target; ++number) {
    // IMMEDIATE: two processes opening the same fresh file must not both migrate; the
    // loser waits, then re-reads user_version below and finds nothing left to do.
    PARLEY_STORE_TRY(db.exec("BEGIN IMMEDIATE"));
    auto done = user_version(db);
    Status status = done.ok() ? Status{} : Status(done.error());
    if (status.ok() && done.value() < number) {
      status = db.exec(kMigrations[number - 1]);
      if (status.ok()) {
        std::string set = "PRAGMA user_version = " + std::to_string(number);
        status = db.exec(set.c_str());
      }
    }
    if (status.ok()) status = db.exec("COMMIT");
    if (!status.ok()) {
      if (db.in_transaction()) (void)db.exec("ROLLBACK");
      return Error::make(Errc::kInternal, "migration " + std::to_string(number) +
                                              " failed: " + status.error().message);
    }
  }
  return Status{};
}

}  // namespace parley::store::sqlite
