#include "server/chat/attachments.h"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace parley::chat {
namespace {

TEST(Attachments, MediaIdsAreThirtyTwoLowerHexDigits) {
  EXPECT_TRUE(valid_media_id("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(valid_media_id("0123456789ABCDEF0123456789abcdef"));
  EXPECT_FALSE(valid_media_id("0123456789abcdef0123456789abcde"));
  EXPECT_FALSE(valid_media_id("../../../../etc/passwd0123456789a"));
  EXPECT_FALSE(valid_media_id(""));
}

TEST(Attachments, ImageObjectCarriesDimensionsPlaceholderAndThumbnail) {
  store::MediaRecord m;
  m.id = "0123456789abcdef0123456789abcdef";
  m.mime = "image/jpeg";
  m.width = 640;
  m.height = 480;
  m.size = 1234;
  m.thumb_mime = "image/jpeg";
  m.thumb_width = 320;
  m.thumb_height = 240;
  m.thumb_size = 99;
  m.placeholder = "data:image/jpeg;base64,AAAA";
  m.sha256 = "secret-not-on-the-wire";
  auto v = boost::json::parse(image_attachment(m)).as_object();
  EXPECT_EQ(v.at("media_id").as_string(), m.id);
  EXPECT_EQ(v.at("width").as_int64(), 640);
  EXPECT_EQ(v.at("height").as_int64(), 480);
  EXPECT_EQ(v.at("placeholder").as_string(), m.placeholder);
  EXPECT_EQ(v.at("thumbnail").as_object().at("width").as_int64(), 320);
  EXPECT_EQ(v.find("sha256"), v.end());
}

}  // namespace
}  // namespace parley::chat
