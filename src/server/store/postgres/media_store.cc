// The media rows of the PostgreSQL store: the WriteTxn primitives and the reads, including
// the one access check every download goes through.
#include <string>
#include <utility>
#include <vector>

#include "server/store/postgres/pg_store_impl.h"
#include "server/store/postgres/rows.h"
#include "server/store/postgres/write_txn.h"

namespace parley::store::pg {
namespace {

#define PARLEY_PG_MEDIA_COLUMNS                                                  \
  "md.id, md.owner_id, md.source_sha256, md.mime, md.sha256, md.size, md.width," \
  " md.height, md.thumb_mime, md.thumb_sha256, md.thumb_size, md.thumb_width,"   \
  " md.thumb_height, md.placeholder, md.created_at, md.kind, md.name, md.duration_ms"

MediaRecord read_media(const Stmt& stmt) {
  MediaRecord m;
  m.id = stmt.text(0);
  m.owner_id = stmt.i64(1);
  m.source_sha256 = stmt.text(2);
  m.mime = stmt.text(3);
  m.sha256 = stmt.text(4);
  m.size = stmt.i64(5);
  m.width = stmt.i64(6);
  m.height = stmt.i64(7);
  m.thumb_mime = stmt.text(8);
  m.thumb_sha256 = stmt.text(9);
  m.thumb_size = stmt.i64(10);
  m.thumb_width = stmt.i64(11);
  m.thumb_height = stmt.i64(12);
  m.placeholder = stmt.text(13);
  m.created_at = stmt.i64(14);
  m.kind = stmt.text(15);
  m.name = stmt.text(16);
  m.duration_ms = stmt.i64(17);
  return m;
}

Result<std::optional<MediaRecord>> one_media(Stmt& stmt) {
  PARLEY_PG_ASSIGN(bool row, stmt.step());
  if (!row) return std::optional<MediaRecord>();
  return std::optional<MediaRecord>(read_media(stmt));
}

Result<std::optional<MediaRecord>> load_media(Conn& db, std::string_view media_id) {
  PARLEY_PG_ASSIGN(Stmt stmt,
                   db.prepare("SELECT " PARLEY_PG_MEDIA_COLUMNS " FROM media md WHERE md.id = ?"));
  stmt.bind_all(media_id);
  return one_media(stmt);
}

// Whether any upload still uses the blob `key`, as full image or thumbnail.
Result<bool> blob_in_use(Conn& db, const std::string& key) {
  PARLEY_PG_ASSIGN(Stmt stmt,
                   db.prepare("SELECT EXISTS (SELECT 1 FROM media WHERE sha256 = ?1)"
                              " OR EXISTS (SELECT 1 FROM media WHERE thumb_sha256 = ?1)"));
  stmt.bind_all(key);
  PARLEY_PG_ASSIGN(bool row, stmt.step());
  return row && stmt.i64(0) != 0;
}

}  // namespace

// ---- write transaction --------------------------------------------------------------

Status PgWriteTxn::insert_media(const MediaRecord& media) {
  if (failed()) return failed_error();
  return guard(do_insert_media(media));
}

Result<std::optional<MediaRecord>> PgWriteTxn::find_media(std::string_view media_id) {
  if (failed()) return failed_error();
  return guard(load_media(db_, media_id));
}

Result<std::vector<std::string>> PgWriteTxn::delete_unreferenced_media(int64_t created_before,
                                                                       int limit) {
  if (failed()) return failed_error();
  return guard(do_delete_unreferenced_media(created_before, limit));
}

Status PgWriteTxn::do_insert_media(const MediaRecord& m) {
  PARLEY_PG_ASSIGN(Stmt stmt,
                   db_.prepare("INSERT INTO media (id, owner_id, source_sha256, mime, sha256,"
                               " size, width, height, thumb_mime, thumb_sha256, thumb_size,"
                               " thumb_width, thumb_height, placeholder, created_at, kind, name,"
                               " duration_ms)"
                               " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                               " ON CONFLICT (id) DO NOTHING"));
  stmt.bind_all(m.id, m.owner_id, m.source_sha256, m.mime, m.sha256, m.size, m.width, m.height,
                m.thumb_mime, m.thumb_sha256, m.thumb_size, m.thumb_width, m.thumb_height,
                m.placeholder, m.created_at, m.kind, m.name, m.duration_ms);
  PARLEY_PG_TRY(stmt.run());
  if (stmt.changes() == 0) return Error::make(Errc::kInvalidArgument, "media id taken");
  return Status{};
}

Result<std::vector<std::string>> PgWriteTxn::do_delete_unreferenced_media(int64_t created_before,
                                                                          int limit) {
  std::vector<MediaRecord> doomed;
  {
    // media_by_age in order; each candidate costs one seek of messages_by_media.
    PARLEY_PG_ASSIGN(Stmt stmt, db_.prepare("SELECT " PARLEY_PG_MEDIA_COLUMNS " FROM media md"
                                            " WHERE md.created_at < ? AND NOT EXISTS"
                                            " (SELECT 1 FROM messages x WHERE x.media_id = md.id"
                                            "  AND x.deleted_at IS NULL)"
                                            " ORDER BY md.created_at LIMIT ?"));
    stmt.bind_all(created_before, static_cast<int64_t>(limit));
    for (;;) {
      PARLEY_PG_ASSIGN(bool row, stmt.step());
      if (!row) break;
      doomed.push_back(read_media(stmt));
    }
  }
  for (const MediaRecord& m : doomed) {
    // Messages deleted for everyone still name the upload (so that its uploader's access
    // stays closed); they let go of it with the row.
    PARLEY_PG_ASSIGN(Stmt release, db_.prepare("UPDATE messages SET media_id = NULL"
                                               " WHERE media_id = ? AND deleted_at IS NOT NULL"));
    release.bind_all(m.id);
    PARLEY_PG_TRY(release.run());
    PARLEY_PG_ASSIGN(Stmt del, db_.prepare("DELETE FROM media WHERE id = ?"));
    del.bind_all(m.id);
    PARLEY_PG_TRY(del.run());
  }
  std::vector<std::string> unused;
  for (const MediaRecord& m : doomed) {
    for (const std::string* key : {&m.sha256, &m.thumb_sha256}) {
      bool seen = false;
      for (const auto& k : unused) seen = seen || k == *key;
      if (seen) continue;
      PARLEY_PG_ASSIGN(bool used, blob_in_use(db_, *key));
      if (!used) unused.push_back(*key);
    }
  }
  return unused;
}

// ---- reads --------------------------------------------------------------------------

Result<std::optional<MediaRecord>> PgStore::media_for_user(std::string_view media_id,
                                                           int64_t user_id) {
  return read([&](Conn& db) -> Result<std::optional<MediaRecord>> {
    // One query: the uploader before the upload is sent anywhere, or a member who can see
    // a message that references it (the same window as history: joined_seq < seq <=
    // left_seq). Once any message references the upload, the uploader's access too goes
    // through that message, so deleting it for everyone leaves nobody with access.
    PARLEY_PG_ASSIGN(
        Stmt stmt,
        db.prepare("SELECT " PARLEY_PG_MEDIA_COLUMNS " FROM media md WHERE md.id = ?1 AND ("
                   " (md.owner_id = ?2 AND NOT EXISTS"
                   "   (SELECT 1 FROM messages x WHERE x.media_id = md.id))"
                   " OR EXISTS (SELECT 1 FROM messages msg JOIN members m"
                   "   ON m.conversation_id = msg.conversation_id AND m.user_id = ?2"
                   "   WHERE msg.media_id = md.id AND msg.seq > m.joined_seq"
                   "   AND (m.left_seq IS NULL OR msg.seq <= m.left_seq)"
                   // A message deleted for everyone grants nobody access.
                   "   AND msg.deleted_at IS NULL"
                   "))"));
    stmt.bind_all(media_id, user_id);
    return one_media(stmt);
  });
}

Result<std::optional<MediaRecord>> PgStore::media_by_source(std::string_view source_sha256) {
  return read([&](Conn& db) -> Result<std::optional<MediaRecord>> {
    PARLEY_PG_ASSIGN(Stmt stmt, db.prepare("SELECT " PARLEY_PG_MEDIA_COLUMNS
                                           " FROM media md WHERE md.source_sha256 = ? LIMIT 1"));
    stmt.bind_all(source_sha256);
    return one_media(stmt);
  });
}

// ---- voice plays ---------------------------------------------------------------------

Result<PlayOutcome> PgWriteTxn::mark_played(int64_t conversation_id, int64_t seq,
                                                int64_t user_id, int64_t now) {
  if (failed()) return failed_error();
  auto run = [&]() -> Result<PlayOutcome> {
    PlayOutcome out{conversation_id, seq, user_id, now, false, 0};
    PARLEY_PG_ASSIGN(Stmt ins, db_.prepare("INSERT INTO voice_plays (conversation_id, seq, user_id, played_at)"
                                              " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"));
    ins.bind_all(conversation_id, seq, user_id, now);
    PARLEY_PG_TRY(ins.run());
    out.changed = ins.changes() > 0;
    PARLEY_PG_ASSIGN(Stmt get, db_.prepare("SELECT played_at FROM voice_plays"
                                              " WHERE conversation_id = ? AND seq = ? AND user_id = ?"));
    get.bind_all(conversation_id, seq, user_id);
    PARLEY_PG_ASSIGN(bool row, get.step());
    if (row) out.played_at = get.i64(0);
    return out;
  };
  return guard(run());
}

Result<std::vector<std::pair<int64_t, int64_t>>> PgStore::voice_plays(int64_t conversation_id,
                                                                          int64_t seq) {
  return read([&](Conn& db) -> Result<std::vector<std::pair<int64_t, int64_t>>> {
    PARLEY_PG_ASSIGN(Stmt stmt, db.prepare("SELECT user_id, played_at FROM voice_plays"
                                              " WHERE conversation_id = ? AND seq = ? ORDER BY user_id"));
    stmt.bind_all(conversation_id, seq);
    std::vector<std::pair<int64_t, int64_t>> out;
    for (;;) {
      PARLEY_PG_ASSIGN(bool row, stmt.step());
      if (!row) break;
      out.emplace_back(stmt.i64(0), stmt.i64(1));
    }
    return out;
  });
}

}  // namespace parley::store::pg
