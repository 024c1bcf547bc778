// ChatService: conversations, history, sync, messages and receipts.
#include <algorithm>
#include <string>

#include "common/clock.h"
#include "protocol/validate.h"
#include "server/chat/attachments.h"
#include "server/chat/service.h"
#include "server/chat/withheld.h"

namespace parley::chat {

namespace {

Error not_found() { return Error::make(Errc::kNotFound, "no such conversation"); }

Status check_limit(int limit) {
  if (limit < 1 || limit > protocol::kMaxPageLimit)
    return Error::make(Errc::kInvalidArgument, "limit must be in 1..200");
  return {};
}

// The message a new one quotes must be one its sender sees and may quote (service.h).
Status check_reply_target(store::WriteTxn& txn, const store::NewMessage& m) {
  auto target = txn.visible_message(m.sender_id, m.conversation_id, m.reply_to);
  if (!target) return target.error();
  if (!target->has_value() || (*target)->hidden)
    return Error::make(Errc::kNotFound, "no such message to reply to");
  if ((*target)->kind == "system")
    return Error::make(Errc::kInvalidArgument, "a group event cannot be replied to");
  if ((*target)->deleted_at)
    return Error::make(Errc::kInvalidArgument, "a deleted message cannot be replied to");
  return {};
}

}  // namespace

void ChatService::open_direct(const Principal& who, std::optional<int64_t> peer_id,
                              std::optional<std::string> peer_username,
                              Callback<store::DirectOutcome> done) {
  Result<std::optional<store::UserRecord>> peer = std::optional<store::UserRecord>();
  if (peer_id) {
    peer = store_.find_user(*peer_id);
  } else if (peer_username) {
    auto name = protocol::normalize_username(*peer_username);
    if (!name) return done(Error::make(Errc::kNotFound, "no such user"));
    peer = store_.find_user_by_name(*name);
  } else {
    return done(Error::make(Errc::kBadRequest, "peer_id or peer_username is required"));
  }
  if (!peer) return done(peer.error());
  if (!peer->has_value()) return done(Error::make(Errc::kNotFound, "no such user"));
  if ((*peer)->deleted()) return done(account_deleted_error());
  int64_t me = who.user.id, other = (*peer)->id;
  if (me == other)
    return done(Error::make(Errc::kInvalidArgument, "a conversation needs another user"));
  auto blocked = store_.is_blocked(other, me);
  if (!blocked) return done(blocked.error());
  if (*blocked) return done(blocked_error());
  committer_.submit(make_op<store::DirectOutcome>(
      [me, other](store::WriteTxn& txn) { return txn.get_or_create_direct(me, other, now_ms()); },
      Callback<store::DirectOutcome>([this, me, done = std::move(done)](Result<store::DirectOutcome> r) {
        if (!r) return done(r.error());
        // An existing conversation may end in messages withheld from the caller.
        if (!r->created)
          if (Status s = trim_hidden_tail(store_, me, r->conversation); !s) return done(s.error());
        // Events go out before the answer, as for every write: whoever sees the answer
        // can rely on the events being queued already.
        if (r->created)
          for (const auto& m : r->conversation.members) notifier_.on_conversation(r->conversation, m.user.id);
        done(std::move(r));
      })));
}

Result<store::ConversationRecord> ChatService::conversation(const Principal& who,
                                                            int64_t conversation_id) {
  auto c = store_.conversation_for_member(conversation_id, who.user.id);
  if (!c) return c.error();
  if (!c->has_value()) return not_found();
  if (Status s = trim_hidden_tail(store_, who.user.id, **c); !s) return s.error();
  return std::move(**c);
}

Result<store::Page<store::ConversationRecord>> ChatService::conversations(
    const Principal& who, std::optional<store::ChatListCursor> before, int limit) {
  if (auto s = check_limit(limit); !s) return s.error();
  auto page = store_.list_conversations(who.user.id, before, limit);
  if (!page) return page;
  for (auto& c : page->items)
    if (Status s = trim_hidden_tail(store_, who.user.id, c); !s) return s.error();
  return page;
}

Result<store::Page<store::MessageRecord>> ChatService::history(const Principal& who,
                                                               const store::HistoryQuery& q) {
  if (auto s = check_limit(q.limit); !s) return s.error();
  if (q.before && q.after)
    return Error::make(Errc::kInvalidArgument, "give at most one of 'before' and 'after'");
  return store_.history(who.user.id, q);
}

Result<store::SyncPage> ChatService::sync(const Principal& who, int64_t since, int limit) {
  if (auto s = check_limit(limit); !s) return s.error();
  if (since < 0) return Error::make(Errc::kInvalidArgument, "since must be >= 0");
  auto page = store_.changes_since(who.user.id, since, limit);
  if (!page) return page;
  for (auto& c : page->conversations)
    if (Status s = trim_hidden_tail(store_, who.user.id, c); !s) return s.error();
  return page;
}

Result<store::Page<store::MessageRecord>> ChatService::conversation_media(
    const Principal& who, const store::MediaQuery& q) {
  if (auto s = check_limit(q.limit); !s) return s.error();
  if (q.conversation_id <= 0) return not_found();
  if (q.before && *q.before < 1) return Error::make(Errc::kInvalidArgument, "before must be >= 1");
  return store_.conversation_media(who.user.id, q);
}

Result<int64_t> ChatService::current_version() { return store_.current_version(); }

void ChatService::send(const Principal& who, SendRequest r, uint64_t origin_connection,
                       Callback<store::AppendOutcome> done) {
  if (r.conversation_id <= 0) return done(not_found());
  if (auto s = protocol::validate_client_id(r.client_id); !s) return done(s.error());
  if (!r.media_id.empty() && !valid_media_id(r.media_id))
    return done(Error::make(Errc::kNotFound, "no such upload"));
  // A photo or document may go without a caption; any other message needs text.
  if (!(r.text.empty() && !r.media_id.empty()))
    if (auto s = protocol::validate_text(r.text, limits_.max_text_bytes); !s) return done(s.error());
  const bool voice_meta = r.duration_ms != 0 || !r.waveform.empty();
  if (voice_meta && r.media_id.empty())
    return done(Error::make(Errc::kInvalidArgument, "only a voice message has duration_ms and waveform"));
  if (voice_meta)
    if (Status s = validate_voice_meta(r.duration_ms, r.waveform); !s) return done(s.error());
  if (r.reply_to < 0) return done(Error::make(Errc::kInvalidArgument, "reply_to must be >= 1"));
  if (int64_t wait = send_limiter_.acquire(std::to_string(who.user.id), steady_ms()); wait > 0) {
    Error e = Error::make(Errc::kRateLimited, "too many messages; slow down");
    e.retry_after_ms = wait;
    return done(e);
  }
  store::NewMessage m;
  m.conversation_id = r.conversation_id;
  m.sender_id = who.user.id;
  m.client_id = std::move(r.client_id);
  m.kind = r.media_id.empty() ? "text" : "image";
  m.text = std::move(r.text);
  m.media_id = std::move(r.media_id);
  m.reply_to = r.reply_to;
  committer_.submit(make_op<store::AppendOutcome>(
      [m = std::move(m), voice_meta, duration_ms = r.duration_ms,
       waveform = std::move(r.waveform)](store::WriteTxn& txn) mutable {
        // A message to someone who blocked the sender is stored but withheld from her
        // (withheld.h), so the sender sees an ordinary send. Checked inside the
        // transaction, so a block and a send cannot race; a retry of a message stored
        // before a block gets its original ack and stays delivered.
        bool withheld = false;
        auto sent = txn.find_sent_message(m.sender_id, m.client_id);
        if (!sent) return Result<store::AppendOutcome>(sent.error());
        if (!sent->has_value()) {
          auto gone = txn.direct_peer_deleted(m.conversation_id, m.sender_id);
          if (!gone) return Result<store::AppendOutcome>(gone.error());
          if (*gone) return Result<store::AppendOutcome>(account_deleted_error());
          auto blocked = txn.blocked_in_direct(m.conversation_id, m.sender_id);
          if (!blocked) return Result<store::AppendOutcome>(blocked.error());
          withheld = *blocked;
          if (m.reply_to != 0)
            if (Status s = check_reply_target(txn, m); !s) return Result<store::AppendOutcome>(s.error());
          // Looked up inside the transaction, so that garbage collection (which runs
          // through the same committer) cannot remove the upload in between.
          if (!m.media_id.empty()) {
            auto media = txn.find_media(m.media_id);
            if (!media) return Result<store::AppendOutcome>(media.error());
            if (!media->has_value() || (*media)->owner_id != m.sender_id)
              return Result<store::AppendOutcome>(Error::make(Errc::kNotFound, "no such upload"));
            const store::MediaRecord& up = **media;
            // The message takes the upload's kind; a voice clip needs its duration and
            // waveform and has no caption, and only a voice clip has them.
            if ((up.kind == "voice") != voice_meta)
              return Result<store::AppendOutcome>(Error::make(
                  Errc::kInvalidArgument, up.kind == "voice"
                                              ? "a voice message needs duration_ms and waveform"
                                              : "only a voice message has duration_ms and waveform"));
            if (up.kind == "voice" && !m.text.empty())
              return Result<store::AppendOutcome>(
                  Error::make(Errc::kInvalidArgument, "a voice message has no text"));
            m.kind = up.kind;
            if (up.kind == "file")
              m.attachment = file_attachment(up);
            else if (up.kind == "voice")
              m.attachment = voice_attachment(up, duration_ms, waveform);
            else if (up.kind == "video")
              m.attachment = video_attachment(up);
            else
              m.attachment = image_attachment(up);
          }
        }
        // The time is taken inside the transaction so that it is the commit's time.
        m.ts = now_ms();
        auto outcome = txn.append_message(m);
        if (outcome && withheld && !outcome->duplicate)
          if (Status s = withhold(txn, *outcome); !s) return Result<store::AppendOutcome>(s.error());
        return outcome;
      },
      Callback<store::AppendOutcome>(
          [this, origin_connection, done = std::move(done)](Result<store::AppendOutcome> r) {
            if (!r || r->duplicate) return done(std::move(r));
            // The event is published before the ack is handed over, so the outcome is
            // still ours to read; both only enqueue.
            notifier_.on_message(*r, origin_connection);
            done(std::move(r));
          })));
}

void ChatService::mark(const Principal& who, int64_t conversation_id, int64_t delivered_seq,
                       int64_t read_seq, Callback<store::ReceiptOutcome> done) {
  if (conversation_id <= 0) return done(not_found());
  if (delivered_seq < 0 || read_seq < 0)
    return done(Error::make(Errc::kInvalidArgument, "seq must be >= 1"));
  int64_t user_id = who.user.id;
  committer_.submit(make_op<store::ReceiptOutcome>(
      [this, conversation_id, user_id, delivered_seq, read_seq](store::WriteTxn& txn) mutable
          -> Result<store::ReceiptOutcome> {
        // Watermarks never pass a message withheld from this user (withheld.h), so its
        // sender never sees it delivered or read.
        auto c = txn.conversation(conversation_id, user_id);
        if (!c) return c.error();
        if (c->has_value()) {
          const int64_t stored_last = (*c)->last_seq;
          if (Status s = trim_hidden_tail(store_, user_id, **c); !s) return s.error();
          if ((*c)->last_seq < stored_last) {  // beyond the stored last_seq stays an error
            delivered_seq = std::min(delivered_seq, (*c)->last_seq);
            read_seq = std::min(read_seq, (*c)->last_seq);
          }
        }
        return txn.advance_receipt(conversation_id, user_id, delivered_seq, read_seq);
      },
      Callback<store::ReceiptOutcome>([this, done = std::move(done)](Result<store::ReceiptOutcome> r) {
        if (r && r->changed) notifier_.on_receipt(*r);
        done(std::move(r));
      })));
}

Status ChatService::admit_request(const Principal& who) {
  if (int64_t wait = other_limiter_.acquire(std::to_string(who.user.id), steady_ms()); wait > 0) {
    Error e = Error::make(Errc::kRateLimited, "too many requests; slow down");
    e.retry_after_ms = wait;
    return e;
  }
  return {};
}

}  // namespace parley::chat
