// json::KeyTable: the JSON parser's names and their lookup by a key's text, short keys (read in
// 16 bytes) and long ones (compared past them), from a padded line or a copy, and learning.
#include "stages/parse/json_key_table.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::json {
namespace {

// A key the way the parser meets it in a line: followed by more readable bytes (the padding).
std::string padded(const std::string& key) { return key + std::string(32, 'Z'); }

const KeyTable::Name* find(const KeyTable& table, const std::string& key, bool readable) {
  size_t entry = 0;
  if (readable) {
    const std::string line = padded(key);
    return table.find(std::string_view(line.data(), key.size()), true, entry);
  }
  return table.find(key, false, entry);
}

TEST(JsonKeyTableTest, AddReturnsTheSameNameForTheSameSpelling) {
  KeyTable table;
  table.add("status").slot = 3;
  KeyTable::Name& again = table.add("status");
  EXPECT_EQ(again.slot, 3);
  again.typed = true;
  table.seal();
  ASSERT_EQ(table.names().size(), 1u);
  EXPECT_TRUE(table.names()[0].typed);
}

TEST(JsonKeyTableTest, FindsShortAndLongNamesReadableOrNot) {
  KeyTable table;
  const std::string long_name = "a_name_longer_than_sixteen_bytes";
  table.add("ts");
  table.add("exactly_16_bytes");
  table.add(long_name).slot = 7;
  table.seal();
  for (bool readable : {true, false}) {
    ASSERT_NE(find(table, "ts", readable), nullptr) << readable;
    EXPECT_EQ(find(table, "ts", readable)->name, "ts");
    ASSERT_NE(find(table, "exactly_16_bytes", readable), nullptr) << readable;
    ASSERT_NE(find(table, long_name, readable), nullptr) << readable;
    EXPECT_EQ(find(table, long_name, readable)->slot, 7);
  }
}

TEST(JsonKeyTableTest, BytesPastTheKeyDoNotMatter) {
  KeyTable table;
  table.add("t");
  table.seal();
  // "ts" read from a line: the byte after "t" is 's', which must not make "t" unknown.
  const std::string line = padded("ts");
  size_t entry = 0;
  const KeyTable::Name* name = table.find(std::string_view(line.data(), 1), true, entry);
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->name, "t");
  EXPECT_EQ(table.find(std::string_view(line.data(), 2), true, entry), nullptr);
}

TEST(JsonKeyTableTest, LongNamesSharingTheirFirstSixteenBytesAreToldApart) {
  KeyTable table;
  table.add("request_header_user_agent").slot = 1;
  table.add("request_header_referer").slot = 2;
  table.seal();
  EXPECT_EQ(find(table, "request_header_user_agent", true)->slot, 1);
  EXPECT_EQ(find(table, "request_header_referer", true)->slot, 2);
  EXPECT_EQ(find(table, "request_header_accept", true), nullptr);
  EXPECT_EQ(find(table, "request_header_user_agenT", false), nullptr);
}

TEST(JsonKeyTableTest, EmptyKeyIsNeverFound) {
  KeyTable table;
  table.add("");
  table.add("a");
  table.seal();
  size_t entry = 99;
  EXPECT_EQ(table.find("", false, entry), nullptr);
  EXPECT_EQ(entry, 0u);
}

TEST(JsonKeyTableTest, TheFirstNamesGetABitEachInOrder) {
  KeyTable table;
  table.add("_raw");
  table.add("_source");
  table.add("x");
  table.seal();
  EXPECT_EQ(table.names()[0].bit, 1u);
  EXPECT_EQ(table.names()[1].bit, 2u);
  EXPECT_EQ(table.names()[2].bit, 4u);
}

TEST(JsonKeyTableTest, LearnedKeyIsFoundWithABitOfItsOwn) {
  KeyTable table;
  table.add("a");
  table.seal();
  EXPECT_EQ(find(table, "learned", true), nullptr);
  const KeyTable::Name* a = find(table, "a", true);
  table.learn("learned");
  table.learn("learned");  // once only
  ASSERT_EQ(table.names().size(), 2u);
  const KeyTable::Name* learned = find(table, "learned", true);
  ASSERT_NE(learned, nullptr);
  EXPECT_EQ(learned->slot, -1);
  EXPECT_FALSE(learned->typed);
  EXPECT_EQ(learned->bit, 2u);
  EXPECT_EQ(find(table, "a", true), a);  // a Name* stays valid while the table learns
}

TEST(JsonKeyTableTest, LearningStopsWhenTheBitsRunOut) {
  KeyTable table;
  table.seal();
  for (size_t i = 0; i < KeyTable::kNameBits + 10; ++i) {
    table.learn("k" + std::to_string(i));
  }
  EXPECT_EQ(table.names().size(), KeyTable::kNameBits);
  EXPECT_NE(find(table, "k63", true), nullptr);
  EXPECT_EQ(find(table, "k64", true), nullptr);
  table.learn("");
  EXPECT_EQ(table.names().size(), KeyTable::kNameBits);
}

}  // namespace
}  // namespace sluice::json
