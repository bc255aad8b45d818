// Router: routes in order, first match wins unless `continue`, dead letters, unrouted counts.
#include "stages/route/router.h"

#include <gtest/gtest.h>

#include "stages/parse/parser.h"

namespace sluice {
namespace {

// One batch of single-column events "status" = each of `values`, plus a parse error at the end.
struct Fixture {
  Schema schema;
  Batch batch;

  void build(const std::vector<std::string>& values) {
    auto layout = std::make_shared<Layout>();
    layout->names = {"status"};
    layout->column_types = {FieldType::kString};
    layout->slot_to_column.assign(schema.size(), -1);
    if (auto s = schema.find("status")) {
      layout->slot_to_column[*s] = 0;
    }
    batch.layout = layout;
    for (const std::string& v : values) {
      Event e;
      e.raw = batch.append(v);
      e.first_field = static_cast<uint32_t>(batch.fields.size());
      e.field_count = 1;
      Field f;
      f.flags = Field::kNameInLayout;
      f.value = e.raw;
      batch.fields.push_back(f);
      e.slot_base = static_cast<uint32_t>(batch.slot_fields.size());
      for (Slot s = 0; s < schema.size(); ++s) {
        batch.slot_fields.push_back(
            layout->slot_to_column[s] == 0 ? static_cast<int32_t>(batch.fields.size() - 1) : -1);
      }
      e.state = EventState::kParsed;
      batch.events.push_back(e);
    }
    Event bad;
    bad.raw = batch.append("garbage");
    bad.state = EventState::kParseError;
    bad.slot_base = static_cast<uint32_t>(batch.slot_fields.size());
    batch.slot_fields.insert(batch.slot_fields.end(), schema.size(), -1);
    batch.events.push_back(bad);
  }

  Expression expr(const char* text) {
    auto e = Expression::compile(text, schema);
    EXPECT_TRUE(e.ok()) << text;
    return std::move(e.value());
  }
};

TEST(Router, FirstMatchWins) {
  Fixture f;
  std::vector<Route> routes(2);
  routes[0].when.emplace(f.expr("status >= 500"));
  routes[0].targets = {0};
  routes[1].targets = {1};
  f.build({"200", "503", "404"});
  Router router(std::move(routes), std::nullopt, 2);
  RouteCounts c = router.route(f.batch);
  EXPECT_EQ(f.batch.targets[0], (std::vector<uint32_t>{1}));
  EXPECT_EQ(f.batch.targets[1], (std::vector<uint32_t>{0, 2}));
  EXPECT_EQ(c.routed, 3u);
  EXPECT_EQ(c.unrouted, 0u);
  EXPECT_EQ(c.parse_errors_dropped, 1u);
}

TEST(Router, ContinueAlsoTriesLaterRoutes) {
  Fixture f;
  std::vector<Route> routes(2);
  routes[0].when.emplace(f.expr("status >= 500"));
  routes[0].targets = {0};
  routes[0].continue_ = true;
  routes[1].targets = {1};
  f.build({"200", "503"});
  Router router(std::move(routes), std::nullopt, 2);
  router.route(f.batch);
  EXPECT_EQ(f.batch.targets[0], (std::vector<uint32_t>{1}));
  EXPECT_EQ(f.batch.targets[1], (std::vector<uint32_t>{0, 1}));
}

TEST(Router, UnmatchedEventsAreCountedAsUnrouted) {
  Fixture f;
  std::vector<Route> routes(1);
  routes[0].when.emplace(f.expr("status == 200"));
  routes[0].targets = {0};
  f.build({"200", "500", "404"});
  Router router(std::move(routes), std::nullopt, 1);
  RouteCounts c = router.route(f.batch);
  EXPECT_EQ(c.routed, 1u);
  EXPECT_EQ(c.unrouted, 2u);
}

TEST(Router, ParseErrorsGoToTheDeadLetter) {
  Fixture f;
  std::vector<Route> routes(1);
  routes[0].targets = {0};
  f.build({"200"});
  Router router(std::move(routes), 1u, 2);
  RouteCounts c = router.route(f.batch);
  EXPECT_EQ(f.batch.targets[1], (std::vector<uint32_t>{1}));
  EXPECT_EQ(c.dead_lettered, 1u);
  EXPECT_EQ(c.parse_errors_dropped, 0u);
}

TEST(Router, FilteredEventsAreNotRouted) {
  Fixture f;
  std::vector<Route> routes(1);
  routes[0].targets = {0};
  f.build({"200", "201"});
  f.batch.events[0].state = EventState::kFiltered;
  Router router(std::move(routes), std::nullopt, 1);
  RouteCounts c = router.route(f.batch);
  EXPECT_EQ(f.batch.targets[0], (std::vector<uint32_t>{1}));
  EXPECT_EQ(c.routed, 1u);
}

TEST(Router, TwoRoutesToOneTargetDeliverOnce) {
  Fixture f;
  std::vector<Route> routes(2);
  routes[0].targets = {0};
  routes[0].continue_ = true;
  routes[1].targets = {0};
  f.build({"200"});
  Router router(std::move(routes), std::nullopt, 1);
  router.route(f.batch);
  EXPECT_EQ(f.batch.targets[0], (std::vector<uint32_t>{0}));
}

}  // namespace
}  // namespace sluice
