#include "config/env_expansion.h"

#include <gtest/gtest.h>

#include <map>

#include "config/reference_shield.h"
#include "stages/ingest/generate_source.h"

namespace sluice {
namespace {

EnvLookup lookup_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

TEST(EnvExpansion, NoReferenceIsUnchanged) {
  Expansion e = expand_environment("plain $ text $x", lookup_of({}));
  EXPECT_EQ(e.text, "plain $ text $x");
  EXPECT_FALSE(e.changed);
  EXPECT_TRUE(e.errors.empty());
}

TEST(EnvExpansion, SetVariable) {
  Expansion e = expand_environment("a${X}b", lookup_of({{"X", "123"}}));
  EXPECT_EQ(e.text, "a123b");
  EXPECT_TRUE(e.changed);
  EXPECT_EQ(e.origin, (std::vector<uint32_t>{0, 1, 1, 1, 5, 6}));
}

TEST(EnvExpansion, DefaultWhenUnset) {
  Expansion e = expand_environment("${X:-localhost:9092}", lookup_of({}));
  EXPECT_EQ(e.text, "localhost:9092");
  EXPECT_TRUE(e.errors.empty());
}

TEST(EnvExpansion, DefaultWhenEmpty) {
  Expansion e = expand_environment("${X:-d}", lookup_of({{"X", ""}}));
  EXPECT_EQ(e.text, "d");
}

TEST(EnvExpansion, ValueWinsOverDefault) {
  Expansion e = expand_environment("${X:-d}", lookup_of({{"X", "v"}}));
  EXPECT_EQ(e.text, "v");
}

TEST(EnvExpansion, EmptyDefault) {
  Expansion e = expand_environment("[${X:-}]", lookup_of({}));
  EXPECT_EQ(e.text, "[]");
  EXPECT_TRUE(e.errors.empty());
}

TEST(EnvExpansion, UnsetWithoutDefaultIsAnError) {
  Expansion e = expand_environment("ab${KAFKA}", lookup_of({}));
  ASSERT_EQ(e.errors.size(), 1u);
  EXPECT_EQ(e.errors[0].offset, 2u);
  EXPECT_EQ(e.errors[0].message, "environment variable KAFKA is not set");
}

TEST(EnvExpansion, EveryUnsetVariableIsReported) {
  Expansion e = expand_environment("${A}-${B}", lookup_of({}));
  ASSERT_EQ(e.errors.size(), 2u);
  EXPECT_EQ(e.errors[0].offset, 0u);
  EXPECT_EQ(e.errors[1].offset, 5u);
}

TEST(EnvExpansion, DoubleDollarIsALiteralDollar) {
  Expansion e = expand_environment("cost $$5 and $${X}", lookup_of({}));
  EXPECT_EQ(e.text, "cost $5 and ${X}");
  EXPECT_TRUE(e.errors.empty());
}

TEST(EnvExpansion, Unterminated) {
  Expansion e = expand_environment("x${A", lookup_of({{"A", "1"}}));
  ASSERT_EQ(e.errors.size(), 1u);
  EXPECT_EQ(e.errors[0].offset, 1u);
  EXPECT_EQ(e.errors[0].message, "unterminated '${' (missing '}')");
}

TEST(EnvExpansion, InvalidName) {
  Expansion e = expand_environment("${1A}", lookup_of({}));
  ASSERT_EQ(e.errors.size(), 1u);
  EXPECT_EQ(e.errors[0].message,
            "invalid environment variable reference '${1A}' (expected ${NAME} or "
            "${NAME:-default})");
}

TEST(EnvExpansion, ValueIsNotExpandedAgain) {
  Expansion e = expand_environment("${A}", lookup_of({{"A", "${B}"}, {"B", "no"}}));
  EXPECT_EQ(e.text, "${B}");
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST(ReferenceShield, ReferencesInFlowMappingsParse) {
  LoadedConfig loaded = load_config(R"(pipelines:
  g:
    source: { type: generate, format: csv, count: ${COUNT}, seed: ${SEED:-3} }
    parse: { format: none }
    routes: [ { to: out } ]
sinks:
  out: { type: null }
)",
                                    [](const std::string& name) -> std::optional<std::string> {
                                      if (name == "COUNT") {
                                        return "25";
                                      }
                                      return std::nullopt;
                                    });
  ASSERT_TRUE(loaded.ok()) << (loaded.problems.empty() ? "" : loaded.problems[0].message);
  EXPECT_EQ(source_options<GenerateSourceOptions>(loaded.config.pipelines[0].source).count, 25u);
  EXPECT_EQ(source_options<GenerateSourceOptions>(loaded.config.pipelines[0].source).seed, 3u);
  EXPECT_EQ(loaded.config.sinks[0].type, "null");
}

TEST(ReferenceShield, RestoresOnlyItsOwnPlaceholders) {
  ReferenceShield shield("a: ${X}\nb: ${LONG_NAME:-x}\n");
  EXPECT_EQ(shield.shielded().size(), std::string("a: ${X}\nb: ${LONG_NAME:-x}\n").size());
  EXPECT_EQ(shield.shielded().find("${"), std::string::npos);
  std::string a = shield.shielded().substr(3, 4);
  EXPECT_EQ(shield.restore(a), "${X}");
  EXPECT_EQ(shield.restore("pre " + a + " post"), "pre ${X} post");
  EXPECT_EQ(shield.restore("plain text"), "plain text");
}

TEST(ReferenceShield, EscapedDollarStaysLiteral) {
  ReferenceShield shield("a: $${X}\n");
  EXPECT_EQ(shield.shielded(), "a: $${X}\n");
}

TEST(ReferenceShield, RepeatedReferenceSharesOnePlaceholder) {
  ReferenceShield shield("a: ${KAFKA}\nb: ${KAFKA}\n");
  EXPECT_EQ(shield.shielded().substr(3, 8), shield.shielded().substr(15, 8));
  EXPECT_EQ(shield.restore(shield.shielded()), "a: ${KAFKA}\nb: ${KAFKA}\n");
}

TEST(ReferenceShield, ShortReferencesAfterManyOthersStillParse) {
  // A placeholder must fit in its reference: `${C}` has room for one base-36 digit. Forty longer
  // references before it used to push its index past 35, leave it unshielded, and break the flow
  // mapping it sits in.
  std::string refs;
  std::map<std::string, std::string> vars{{"C", "7"}};
  for (int i = 0; i < 40; ++i) {
    std::string name = "D" + std::to_string(10 + i);
    refs += "${" + name + "}";
    vars[name] = "x";
  }
  LoadedConfig loaded = load_config("data_dir: /" + refs + R"(
pipelines:
  g:
    source: { type: generate, count: ${C} }
    routes: [ { to: out } ]
sinks:
  out: { type: stdout }
)",
                                    lookup_of(vars));
  ASSERT_TRUE(loaded.ok()) << format_problems(loaded.problems, "f.yaml");
  EXPECT_EQ(source_options<GenerateSourceOptions>(loaded.config.pipelines[0].source).count, 7u);
  EXPECT_EQ(loaded.config.data_dir, "/" + std::string(40, 'x'));
}

TEST(ReferenceShield, PlaceholderPrefixAvoidsTextOfTheFile) {
  ReferenceShield shield("ZA ZB ${X}");
  EXPECT_EQ(shield.shielded().find("ZA", 3), std::string::npos);
  EXPECT_EQ(shield.restore(shield.shielded()), "ZA ZB ${X}");
}

}  // namespace
}  // namespace sluice
