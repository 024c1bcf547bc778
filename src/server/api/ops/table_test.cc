// The operation table and docs/protocol.md describe the same protocol: every documented
// frame and route is served, and nothing undocumented is.
#include "server/api/ops/table.h"

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace parley::api::ops {
namespace {

std::string protocol_md() {
  std::ifstream in(PARLEY_PROTOCOL_MD);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The text between "<!-- name:begin -->" and "<!-- name:end -->".
std::string block(const std::string& doc, const std::string& name) {
  const std::string begin = "<!-- " + name + ":begin -->", end = "<!-- " + name + ":end -->";
  auto b = doc.find(begin), e = doc.find(end);
  if (b == std::string::npos || e == std::string::npos || e < b) return {};
  return doc.substr(b + begin.size(), e - b - begin.size());
}

// The cells of each table row ("| `a` | b |") of `text`, backticks removed, "—" as empty.
std::vector<std::vector<std::string>> rows(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream cs(line.substr(1));
    for (std::string cell; std::getline(cs, cell, '|');) {
      std::string c;
      for (char ch : cell)
        if (ch != '`') c += ch;
      c.erase(0, c.find_first_not_of(' '));
      c.erase(c.find_last_not_of(' ') + 1);
      cells.push_back(c == "—" ? "" : c);
    }
    out.push_back(cells);
  }
  return out;
}

std::string_view runs_name(Runs r) {
  switch (r) {
    case Runs::kIoThread:
      return "I/O thread";
    case Runs::kWorker:
      return "worker";
    case Runs::kCommitter:
      return "committer";
  }
  return "?";
}

// "/api/v1/conversations/{id}/messages?x=1" -> "/api/v1/conversations/{}/messages".
std::string normalized(std::string route) {
  route = route.substr(0, route.find('?'));
  return std::regex_replace(route, std::regex(R"(\{[^}/]*\})"), "{}");
}

TEST(OperationTable, IsExactlyTheIndexOfOperationsInProtocolMd) {
  const std::string doc = protocol_md();
  ASSERT_FALSE(doc.empty()) << "cannot read " << PARLEY_PROTOCOL_MD;
  std::multiset<std::string> documented, served;
  for (const auto& r : rows(block(doc, "operations"))) {
    ASSERT_EQ(r.size(), 5u) << "an index row needs 5 cells";
    documented.insert(r[0] + " | " + r[1] + " | " + r[2] + " | " + r[3] + " | " + r[4]);
  }
  for (const Operation& op : table()) {
    std::string route = op.method.empty() ? "" : std::string(op.method) + " " + std::string(op.path);
    served.insert(std::string(op.name) + " | " + std::string(op.frame) + " | " + std::string(op.answer) +
                  " | " + route + " | " + std::string(runs_name(op.runs)));
  }
  for (const TransportFrame& f : transport_frames())
    served.insert(std::string(f.frame) + " | " + std::string(f.frame) + " | " + std::string(f.answer) +
                  " |  | " + std::string(runs_name(f.runs)));
  for (const auto& d : documented) EXPECT_TRUE(served.count(d)) << "documented, not served: " << d;
  for (const auto& s : served) EXPECT_TRUE(documented.count(s)) << "served, not in the index: " << s;
}

TEST(OperationTable, RoutesOutsideTheTableAreTheIndexedOnes) {
  std::set<std::string> documented, served(raw_routes().begin(), raw_routes().end());
  for (const auto& r : rows(block(protocol_md(), "raw-routes"))) documented.insert(r[0]);
  EXPECT_EQ(documented, served);
}

TEST(OperationTable, EveryRouteTheDocumentMentionsIsServedAndEveryServedRouteIsMentioned) {
  const std::string doc = protocol_md();
  std::set<std::string> mentioned, served;
  const std::regex mention(R"(`(GET|POST|PUT|PATCH|DELETE) (/[^`\s,]*))");
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), mention); it != std::sregex_iterator(); ++it)
    mentioned.insert((*it)[1].str() + " " + normalized((*it)[2].str()));
  for (const Operation& op : table())
    if (!op.method.empty()) served.insert(std::string(op.method) + " " + normalized(std::string(op.path)));
  for (std::string_view r : raw_routes()) served.insert(normalized(std::string(r)));
  for (const auto& m : mentioned)
    EXPECT_TRUE(served.count(m)) << "the document mentions an unserved route: " << m;
  for (const auto& s : served) EXPECT_TRUE(mentioned.count(s)) << "served but never mentioned: " << s;
}

TEST(OperationTable, ClientFramesSectionListsEveryFrameType) {
  const std::string doc = protocol_md();
  auto b = doc.find("### Client frames");
  ASSERT_NE(b, std::string::npos);
  auto e = doc.find("\n### ", b + 1);
  std::set<std::string> documented, served;
  for (const auto& r : rows(doc.substr(b, e - b))) documented.insert(r[0]);
  for (const Operation& op : table())
    if (!op.frame.empty()) served.insert(std::string(op.frame));
  for (const TransportFrame& f : transport_frames()) served.insert(std::string(f.frame));
  EXPECT_EQ(documented, served);
}

TEST(OperationTable, FramesAndRoutesAreUnique) {
  std::set<std::string> frames, routes, names;
  for (const Operation& op : table()) {
    EXPECT_TRUE(names.insert(std::string(op.name)).second) << op.name;
    if (!op.frame.empty()) {
      EXPECT_TRUE(frames.insert(std::string(op.frame)).second) << op.frame;
    }
    if (!op.method.empty()) {
      EXPECT_TRUE(routes.insert(std::string(op.method) + " " + std::string(op.path)).second) << op.path;
    }
    EXPECT_EQ(op.frame.empty(), op.answer.empty()) << op.name << ": a frame needs an answer type";
    EXPECT_TRUE(op.parse) << op.name;
  }
}

TEST(FindRoute, MatchesParametersAndTellsAWrongMethodFromAnUnknownPath) {
  RouteMatch m = find_route("DELETE", "/api/v1/conversations/7/messages/12");
  ASSERT_NE(m.op, nullptr);
  EXPECT_EQ(m.op->name, "delete");
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0].first, "conversation_id");
  EXPECT_EQ(m.params[0].second, "7");
  EXPECT_EQ(m.params[1].second, "12");
  RouteMatch wrong = find_route("PUT", "/api/v1/conversations/7/messages");
  EXPECT_EQ(wrong.op, nullptr);
  EXPECT_NE(wrong.same_path, nullptr);
  RouteMatch none = find_route("GET", "/api/v1/nope");
  EXPECT_EQ(none.op, nullptr);
  EXPECT_EQ(none.same_path, nullptr);
  EXPECT_EQ(find_frame("send")->path, "/api/v1/conversations/{conversation_id}/messages");
  EXPECT_EQ(find_frame("nope"), nullptr);
}

}  // namespace
}  // namespace parley::api::ops
