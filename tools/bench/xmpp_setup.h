// Setting up an XMPP run: accounts by in-band registration, and logged-in sessions. Each
// call spreads the work over the Runtime's shards and blocks until it is done.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "net.h"
#include "options.h"
#include "xmpp_session.h"

namespace bench {

constexpr const char* kXmppPassword = "bench-password-1";

XmppEndpoint xmpp_endpoint(const Options& opt);

// The local parts `<base>u<i>` for i in [from, from + n).
std::vector<std::string> xmpp_usernames(const std::string& base, std::size_t from, std::size_t n);

// Registers every name (XEP-0077), `per_stream` accounts per WebSocket, `concurrency`
// streams at a time per shard. Fails on the first refused registration.
parley::Status register_xmpp_accounts(Runtime& rt, const Target& target, const XmppEndpoint& ep,
                                            const std::vector<std::string>& names, int concurrency, int per_stream);

// Logs every name in (session i lives on rt.shard_for(i)), with stream management when
// `stream_management`, and initial presence. Stanzas that arrive before the caller calls
// on_stanza() are kept for it. Fails on the first failed login.
parley::Result<std::vector<std::unique_ptr<XmppSession>>> xmpp_connect_all(Runtime& rt, const Target& target,
                                                                           const XmppEndpoint& ep,
                                                                           const std::vector<std::string>& names,
                                                                           bool stream_management, int concurrency,
                                                                           const char* latency_hist);

// The address of a user of the run.
inline std::string xmpp_bare_jid(const std::string& user, const XmppEndpoint& ep) { return user + "@" + ep.domain; }

}  // namespace bench
