// One page of rows from a prepared statement, for both stores (sqlite::Stmt, pg::Stmt: any
// statement whose step() returns Result<bool>, true while a row is available).
#pragma once

#include <vector>

#include "common/result.h"

namespace parley::store {

// Steps `stmt`, bound with a LIMIT of `limit` + 1, into `out` through `read` (which reads
// the current row), at most `limit` rows. True when a further row exists: the page's
// has_more, learnt without a count.
template <class Stmt, class T, class Read>
Result<bool> collect_page(Stmt& stmt, int limit, std::vector<T>& out, Read read) {
  // Pages are usually full: one allocation rather than a growth by doubling (capped, as
  // `limit` comes from the request).
  out.reserve(out.size() + static_cast<std::size_t>(limit < 256 ? limit : 256));
  for (;;) {
    Result<bool> row = stmt.step();
    if (!row) return row.error();
    if (!*row) return false;
    if (static_cast<int>(out.size()) >= limit) return true;
    out.push_back(read(static_cast<const Stmt&>(stmt)));
  }
}

}  // namespace parley::store
