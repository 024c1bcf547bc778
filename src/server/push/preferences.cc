#include "server/push/preferences.h"

#include "common/clock.h"

namespace parley::push {

Result<int64_t> mute_until(std::string_view duration, int64_t now) {
  if (duration == "8h") return now + 8LL * 3600 * 1000;
  if (duration == "1w") return now + 7LL * 24 * 3600 * 1000;
  if (duration == "always") return store::kMutedAlways;
  if (duration == "off") return int64_t{0};
  return Error::make(Errc::kInvalidArgument, "duration must be \"8h\", \"1w\", \"always\" or \"off\"");
}

void Preferences::mute(const chat::Principal& who, int64_t conversation_id, std::string_view duration,
                       chat::Callback<int64_t> done) const {
  auto until = mute_until(duration, now_ms());
  if (!until) return done(until.error());
  const int64_t user = who.user.id, value = *until;
  committer_.submit(chat::make_op<int64_t>(
      [conversation_id, user, value](store::WriteTxn& txn) -> Result<int64_t> {
        auto version = txn.set_muted_until(conversation_id, user, value);
        if (!version) return version.error();
        return value;
      },
      std::move(done)));
}

void Preferences::set_preview(const chat::Principal& who, std::string preview, chat::Callback<chat::Done> done) const {
  if (preview != "full" && preview != "hidden")
    return done(Error::make(Errc::kInvalidArgument, "preview must be \"full\" or \"hidden\""));
  const int64_t user = who.user.id;
  committer_.submit(chat::make_op<chat::Done>(
      [user, preview = std::move(preview)](store::WriteTxn& txn) -> Result<chat::Done> {
        if (Status s = txn.set_notification_preview(user, preview); !s) return s.error();
        return chat::Done{};
      },
      std::move(done)));
}

Result<std::string> Preferences::preview(const chat::Principal& who) const {
  auto p = store_.notification_preview(who.user.id);
  if (!p) return p.error();
  if (!*p) return Error::make(Errc::kNotFound, "no such user");
  return std::move(**p);
}

}  // namespace parley::push
