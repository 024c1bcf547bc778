#include "server/media/documents.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace parley::media {
namespace {

std::string name(std::string_view raw) {
  auto r = sanitize_file_name(raw);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : std::string();
}

TEST(FileName, KeepsOrdinaryNames) {
  EXPECT_EQ(name("report.pdf"), "report.pdf");
  EXPECT_EQ(name("R\xC3\xA9sum\xC3\xA9 (final).docx"), "R\xC3\xA9sum\xC3\xA9 (final).docx");
}

TEST(FileName, DropsPathsControlAndBidiCharacters) {
  EXPECT_EQ(name("../../etc/passwd"), "passwd");
  EXPECT_EQ(name("C:\\Users\\eve\\evil.exe"), "evil.exe");
  EXPECT_EQ(name(std::string("a\0b\r\n\tc.txt", 11)), "abc.txt");
  EXPECT_EQ(name("\xC2\x85x.txt"), "x.txt");  // C1 NEL
  // "invoice<RLO>fdp.exe" shows as "invoiceexe.pdf" with the override in place.
  EXPECT_EQ(name("invoice\xE2\x80\xAE" "fdp.exe"), "invoicefdp.exe");
  EXPECT_EQ(name("a\xE2\x81\xA6" "b\xE2\x81\xA9" "c\xE2\x80\x8F" "d\xEF\xBB\xBF"), "abcd");
}

TEST(FileName, TrimsDotsAndSpacesAndNeverEmpty) {
  EXPECT_EQ(name("  .hidden  "), "hidden");
  EXPECT_EQ(name(".."), "file");
  EXPECT_EQ(name(""), "file");
  EXPECT_EQ(name("dir/"), "file");
  EXPECT_EQ(name("name.txt. . "), "name.txt");
}

TEST(FileName, LongNamesAreCutAtACharacterBoundaryKeepingTheExtension) {
  std::string e_acute = "\xC3\xA9";
  std::string raw;
  for (int i = 0; i < 200; ++i) raw += e_acute;  // 400 bytes
  std::string got = name(raw + ".pdf");
  EXPECT_LE(got.size(), kMaxFileNameBytes);
  EXPECT_EQ(got.substr(got.size() - 4), ".pdf");
  EXPECT_EQ(got.size(), 254u);  // 125 two-byte characters and ".pdf"
  std::string no_ext(300, 'x');
  EXPECT_EQ(name(no_ext).size(), kMaxFileNameBytes);
}

TEST(FileName, RefusesInvalidUtf8) {
  auto r = sanitize_file_name("a\xFF.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidUtf8);
  EXPECT_FALSE(sanitize_file_name("\xC0\xAF").ok());  // overlong '/'
}

TEST(DocumentMime, BytesWinOverTheDeclaredType) {
  EXPECT_EQ(document_mime("%PDF-1.7\n", "text/html"), "application/pdf");
  EXPECT_EQ(document_mime("\x89PNG\r\n\x1A\n....", "application/pdf"), "image/png");
  EXPECT_EQ(document_mime("PK\x03\x04rest", ""), "application/zip");
  EXPECT_EQ(document_mime("PK\x03\x04rest",
                          "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
}

TEST(DocumentMime, DeclaredTypeWhenTheBytesAreUnknownAndItIsNotALie) {
  EXPECT_EQ(document_mime("<html><script>", "Text/HTML; charset=utf-8"), "text/html");
  EXPECT_EQ(document_mime("hello", "text/plain"), "text/plain");
  EXPECT_EQ(document_mime("<html>", "application/pdf"), "application/octet-stream");
  EXPECT_EQ(document_mime("hello", ""), "application/octet-stream");
  EXPECT_EQ(document_mime("hello", "text/plain\r\nX-Evil: 1"), "application/octet-stream");
  EXPECT_EQ(document_mime("hello", "noslash"), "application/octet-stream");
  EXPECT_EQ(document_mime("hello", "a/b/c"), "application/octet-stream");
}

class VoiceFile : public ::testing::Test {
 protected:
  std::string write(const std::string& bytes) {
    std::ofstream(path_, std::ios::binary) << bytes;
    return path_;
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string path_ = (std::filesystem::temp_directory_path() /
                       ("parley-voice-" + std::to_string(::getpid()))).string();
};

// One Ogg page with `payload` (a single segment of < 255 bytes).
std::string ogg_page(std::string_view payload, unsigned char flags) {
  std::string p = "OggS";
  p += '\0';
  p += static_cast<char>(flags);
  p += std::string(8 + 4 + 4 + 4, '\0');  // granule, serial, sequence, checksum
  p += '\x01';
  p += static_cast<char>(payload.size());
  p += payload;
  return p;
}

const std::string kOpusHead = std::string("OpusHead\x01\x01\x38\x01\x80\xBB\0\0\0\0\0", 19);

TEST_F(VoiceFile, AcceptsOggOpusPageByPage) {
  auto r = check_voice(write(ogg_page(kOpusHead, 2) + ogg_page("OpusTags\0\0\0\0\0\0\0\0", 0) +
                             ogg_page("\xF8\xFF\xFE", 4)));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, "audio/ogg");
}

TEST_F(VoiceFile, RefusesTruncatedOrForeignStreams) {
  std::string whole = ogg_page(kOpusHead, 2) + ogg_page("abcdef", 4);
  auto truncated = check_voice(write(whole.substr(0, whole.size() - 2)));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code, Errc::kCorruptMedia);
  auto padded = check_voice(write(whole + "xx"));
  ASSERT_FALSE(padded.ok());
  EXPECT_EQ(padded.error().code, Errc::kCorruptMedia);
  auto vorbis = check_voice(write(ogg_page("\x01vorbis" + std::string(23, '\0'), 2)));
  ASSERT_FALSE(vorbis.ok());
  EXPECT_EQ(vorbis.error().code, Errc::kUnsupportedMedia);
  auto pdf = check_voice(write("%PDF-1.4"));
  ASSERT_FALSE(pdf.ok());
  EXPECT_EQ(pdf.error().code, Errc::kUnsupportedMedia);
}

TEST_F(VoiceFile, AcceptsAWebmOpusHeaderOnly) {
  std::string ebml = std::string("\x1A\x45\xDF\xA3\x9F\x42\x82\x84webm", 12);
  EXPECT_EQ(*check_voice(write(ebml + std::string("\x86\x86" "A_OPUS", 8))), "audio/webm");
  EXPECT_FALSE(check_voice(write(ebml + std::string("\x86\x88" "V_VP8xxx", 10))).ok());
}

}  // namespace
}  // namespace parley::media
