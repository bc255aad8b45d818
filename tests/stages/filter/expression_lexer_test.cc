#include "stages/filter/expression_lexer.h"

#include <gtest/gtest.h>

#include <vector>

namespace sluice {
namespace {

std::vector<Token> lex(std::string_view text) {
  std::vector<Token> tokens;
  Status s = tokenize(text, tokens);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.to_string());
  return tokens;
}

TEST(ExpressionLexerTest, TokensCarryKindsTextAndColumns) {
  auto tokens = lex(R"(a.b >= -1.5 and name =~ 'x\'y')");
  ASSERT_EQ(tokens.size(), 8u);
  EXPECT_EQ(tokens[0].kind, TokenKind::kIdent);
  EXPECT_EQ(tokens[0].text, "a.b");
  EXPECT_EQ(tokens[0].column, 1);
  EXPECT_EQ(tokens[1].kind, TokenKind::kGe);
  EXPECT_EQ(tokens[1].column, 5);
  EXPECT_EQ(tokens[2].kind, TokenKind::kNumber);
  EXPECT_EQ(tokens[2].text, "-1.5");
  EXPECT_EQ(tokens[2].column, 8);
  EXPECT_EQ(tokens[3].kind, TokenKind::kAnd);
  EXPECT_EQ(tokens[3].column, 13);
  EXPECT_EQ(tokens[4].kind, TokenKind::kIdent);
  EXPECT_EQ(tokens[5].kind, TokenKind::kMatch);
  EXPECT_EQ(tokens[6].kind, TokenKind::kString);
  EXPECT_EQ(tokens[6].text, "x'y");
  EXPECT_EQ(tokens[6].column, 25);
  EXPECT_EQ(tokens[7].kind, TokenKind::kEnd);
  EXPECT_EQ(tokens[7].column, 31);
}

TEST(ExpressionLexerTest, KeywordsAreWholeWords) {
  auto tokens = lex("or order not notes in index true truer null nullable");
  std::vector<TokenKind> kinds;
  for (const Token& t : tokens) {
    kinds.push_back(t.kind);
  }
  EXPECT_EQ(kinds, (std::vector<TokenKind>{TokenKind::kOr, TokenKind::kIdent, TokenKind::kNot,
                                           TokenKind::kIdent, TokenKind::kIn, TokenKind::kIdent,
                                           TokenKind::kTrue, TokenKind::kIdent, TokenKind::kNull,
                                           TokenKind::kIdent, TokenKind::kEnd}));
}

TEST(ExpressionLexerTest, StringEscapes) {
  auto tokens = lex(R"("q\" s\' b\\ n\n t\t r\r d\d")");
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].text, "q\" s' b\\ n\n t\t r\r d\\d");
}

TEST(ExpressionLexerTest, NumbersWithSignAndExponent) {
  auto tokens = lex("+1 -2 3.25 4e2 5E-1");
  ASSERT_EQ(tokens.size(), 6u);
  EXPECT_EQ(tokens[0].text, "+1");
  EXPECT_EQ(tokens[1].text, "-2");
  EXPECT_EQ(tokens[2].text, "3.25");
  EXPECT_EQ(tokens[3].text, "4e2");
  EXPECT_EQ(tokens[4].text, "5E-1");
}

TEST(ExpressionLexerTest, DescribeNamesTokensForErrors) {
  auto tokens = lex(R"(== ( x "s" 5 or)");
  EXPECT_EQ(describe(tokens[0]), "'=='");
  EXPECT_EQ(describe(tokens[1]), "'('");
  EXPECT_EQ(describe(tokens[2]), "'x'");
  EXPECT_EQ(describe(tokens[3]), "string \"s\"");
  EXPECT_EQ(describe(tokens[4]), "number 5");
  EXPECT_EQ(describe(tokens[5]), "'or'");
  EXPECT_EQ(describe(tokens[6]), "end of expression");
}

TEST(ExpressionLexerTest, UnterminatedStringReportsItsOpeningQuote) {
  std::vector<Token> tokens;
  Status s = tokenize("ab 'cd", tokens);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "unterminated string");
  EXPECT_EQ(s.column(), 4);
}

TEST(ExpressionLexerTest, LoneMinusIsAnError) {
  std::vector<Token> tokens;
  Status s = tokenize("a == -x", tokens);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "unexpected character '-'");
  EXPECT_EQ(s.column(), 6);
}

TEST(ExpressionLexerTest, LexerReusesOneTokenAndRepeatsTheEnd) {
  // The parser reads tokens one at a time into the same Token: each read replaces the last one
  // whole (no text left over from a longer token), and past the text every read is the end.
  Lexer lexer("name 'long string' (");
  Token token;
  ASSERT_TRUE(lexer.next(token).ok());
  EXPECT_EQ(token.kind, TokenKind::kIdent);
  ASSERT_TRUE(lexer.next(token).ok());
  EXPECT_EQ(token.kind, TokenKind::kString);
  EXPECT_EQ(token.text, "long string");
  ASSERT_TRUE(lexer.next(token).ok());
  EXPECT_EQ(token.kind, TokenKind::kLParen);
  EXPECT_EQ(token.text, "");
  EXPECT_EQ(token.column, 20);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(lexer.next(token).ok());
    EXPECT_EQ(token.kind, TokenKind::kEnd);
    EXPECT_EQ(token.column, 21);
  }
}

TEST(ExpressionLexerTest, LexerReportsAnErrorOnlyWhenItReachesIt) {
  Lexer lexer("a # b");
  Token token;
  ASSERT_TRUE(lexer.next(token).ok());
  EXPECT_EQ(token.text, "a");
  Status s = lexer.next(token);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "unexpected character '#'");
  EXPECT_EQ(s.column(), 3);
}

}  // namespace
}  // namespace sluice
