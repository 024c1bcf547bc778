// Request shapes that several operations share: an operation derives from one and adds its
// run(); one with more fields parses the shape first, then its own.
#pragma once

#include <cstdint>

#include "common/result.h"
#include "server/api/ops/args.h"

namespace parley::api::ops {

struct NoFields {
  struct Request {};
  static Result<Request> parse(const Args&) { return Request{}; }
};

// {conversation_id}
struct InConversation {
  struct Request {
    int64_t conversation_id;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(int64_t conversation_id, a.required_int("conversation_id", 1));
    return Request{conversation_id};
  }
};

// {conversation_id, seq}: one message.
struct AtMessage {
  struct Request {
    int64_t conversation_id, seq;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(int64_t conversation_id, a.required_int("conversation_id", 1));
    PARLEY_ARG(int64_t seq, a.required_int("seq", 1));
    return Request{conversation_id, seq};
  }
};

// {user_id}: another user.
struct ToUser {
  struct Request {
    int64_t user_id;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(int64_t user_id, a.required_int("user_id", 1));
    return Request{user_id};
  }
};

// {conversation_id, user_id}: a member of a group.
struct MemberOf {
  struct Request {
    int64_t conversation_id, user_id;
  };
  static Result<Request> parse(const Args& a) {
    PARLEY_ARG(int64_t conversation_id, a.required_int("conversation_id", 1));
    PARLEY_ARG(int64_t user_id, a.required_int("user_id", 1));
    return Request{conversation_id, user_id};
  }
};

}  // namespace parley::api::ops
