// The headers every HTTP answer carries (docs/protocol.md, "Security headers"), set in this
// one place so that no answer (static file, API JSON, error, photo) goes out without them
// (internal to net/).
#pragma once

#include <boost/beast/http/fields.hpp>

namespace parley::net {

// The web client's files: scripts, styles, fonts, the manifest and the service worker only
// from this origin, with no inline code and no eval; connections (fetch, WebSocket) only to
// this origin; images also from blob: (a photo being sent, shown before upload) and data:
// (the blurred placeholders in messages). No plugins, no <base>, forms post only here, and
// no page may frame it.
inline constexpr const char* kClientContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

// Everything else (JSON, photos, errors) is never meant to run as a document: if a browser
// opens one, it may load nothing and be framed by no one.
inline constexpr const char* kApiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

// Sets nosniff, no referrer, no framing and the policy above for a file of the web client
// (`client_file`) or any other answer.
inline void set_security_headers(boost::beast::http::fields& f, bool client_file) {
  f.set("X-Content-Type-Options", "nosniff");
  f.set("Referrer-Policy", "no-referrer");
  f.set("X-Frame-Options", "DENY");
  f.set("Content-Security-Policy", client_file ? kClientContentSecurityPolicy : kApiContentSecurityPolicy);
}

}  // namespace parley::net
