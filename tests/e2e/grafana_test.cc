// The shipped dashboard and alert rules (grafana/) against the real thing: `promtool check rules`
// and `promtool test rules` (tests/grafana/alerts_test.yaml), and the Debian `prometheus` server,
// started here on 127.0.0.1, scraping the real sluice every second while every dashboard
// expression and every alert rule is evaluated through its HTTP API. A renamed metric or a broken
// query fails here rather than as an empty panel in production.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/http_util.h"
#include "tests/e2e/metrics_util.h"

namespace sluice::e2e {
namespace {

std::string dashboard_path() { return source_dir() + "/grafana/sluice-dashboard.json"; }
std::string alerts_path() { return source_dir() + "/grafana/alerts.yaml"; }

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

struct PanelQuery {
  std::string panel;
  std::string expr;
};

// Every target expression of every panel, with the dashboard's variables given the values a
// Grafana would: the test's pipeline and a rate window of a few scrapes.
std::vector<PanelQuery> dashboard_queries() {
  simdjson::dom::parser parser;
  simdjson::padded_string json = simdjson::padded_string::load(dashboard_path());
  simdjson::dom::element dashboard = parser.parse(json);
  std::vector<PanelQuery> queries;
  for (simdjson::dom::element panel : dashboard["panels"].get_array()) {
    for (simdjson::dom::element target : panel["targets"].get_array()) {
      std::string expr(target["expr"].get_string().value());
      replace_all(expr, "$pipeline", kMetricsPipeline);
      replace_all(expr, "$__rate_interval", "5s");
      queries.push_back({std::string(panel["title"].get_string().value()), expr});
    }
  }
  return queries;
}

TEST(Grafana, AlertRulesPassPromtoolCheckAndTheirUnitTests) {
  TempDir dir;
  RunResult check = run_program({"promtool", "check", "rules", alerts_path()}, dir);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("SUCCESS: 8 rules found"), std::string::npos) << check.out;
  RunResult test = run_program(
      {"promtool", "test", "rules", source_dir() + "/tests/grafana/alerts_test.yaml"}, dir);
  EXPECT_EQ(test.exit_code, 0) << test.out << test.err;
}

// The dashboard is the current Grafana model: timeseries and stat panels only, every datasource
// the `${datasource}` variable (no UID of one installation), and a `pipeline` variable.
TEST(Grafana, DashboardUsesCurrentPanelsAndNoHardCodedDatasource) {
  simdjson::dom::parser parser;
  simdjson::padded_string json = simdjson::padded_string::load(dashboard_path());
  simdjson::dom::element dashboard = parser.parse(json);
  EXPECT_GE(int64_t(dashboard["schemaVersion"]), 36);
  std::vector<std::string> variables;
  for (simdjson::dom::element v : dashboard["templating"]["list"].get_array()) {
    variables.emplace_back(v["name"].get_string().value());
  }
  EXPECT_EQ(variables, (std::vector<std::string>{"datasource", "pipeline"}));
  int panels = 0;
  for (simdjson::dom::element panel : dashboard["panels"].get_array()) {
    std::string type(panel["type"].get_string().value());
    EXPECT_TRUE(type == "timeseries" || type == "stat") << type;
    EXPECT_EQ(std::string_view(panel["datasource"]["uid"]), "${datasource}");
    for (simdjson::dom::element target : panel["targets"].get_array()) {
      EXPECT_EQ(std::string_view(target["datasource"]["uid"]), "${datasource}");
    }
    ++panels;
  }
  EXPECT_GE(panels, 10);
}

// Prometheus scrapes the real daemon: the target comes up and the SPEC's series are queryable.
TEST(PrometheusScrape, TargetComesUpAndServesSluiceSeries) {
  TempDir dir;
  MetricsDaemon daemon(dir, 2000);
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  PrometheusServer prometheus(dir, daemon.port(), {});
  ASSERT_TRUE(prometheus.started());
  ASSERT_TRUE(prometheus.wait_target_up()) << prometheus.log();
  HttpResponse build = prometheus.query("sluice_build_info");
  EXPECT_TRUE(has_data(build)) << build.body;
  EXPECT_NE(build.body.find("\"version\":\"0.1.0\""), std::string::npos) << build.body;
  HttpResponse in =
      prometheus.query("sluice_events_in_total{pipeline=\"web\",stage=\"ingest\"} > 0");
  EXPECT_TRUE(has_data(in)) << in.body;
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
}

// Every panel's every expression returns data (the Kafka lag and TCP connection panels excepted:
// without a Kafka or tcp source there is no partition or connection, so they must only evaluate
// without error), and every alert rule,
// loaded by the server, has been evaluated with health "ok" and none fires for a healthy daemon.
TEST(PrometheusScrape, EveryDashboardQueryAndAlertRuleEvaluates) {
  TempDir dir;
  MetricsDaemon daemon(dir, 2000);
  ASSERT_TRUE(daemon.wait_ready()) << daemon.err();
  PrometheusServer prometheus(dir, daemon.port(), {alerts_path()});
  ASSERT_TRUE(prometheus.wait_target_up()) << prometheus.log();
  // A 5s rate needs two scrapes in its window: wait (bounded) until the first rate has data.
  ASSERT_TRUE(wait_until(
      [&] {
        return has_data(
            prometheus.query("rate(sluice_event_latency_seconds_count{pipeline=\"web\"}[5s]) > 0"));
      },
      400))
      << prometheus.log();

  std::vector<PanelQuery> queries = dashboard_queries();
  ASSERT_GE(queries.size(), 15u);
  for (const PanelQuery& q : queries) {
    HttpResponse r = prometheus.query(q.expr);
    ASSERT_EQ(r.status, 200) << q.panel << ": " << q.expr << "\n" << r.body;
    EXPECT_NE(r.body.find("\"status\":\"success\""), std::string::npos) << q.expr << r.body;
    if (q.panel == "Kafka consumer lag" || q.panel == "TCP connections") {
      continue;  // no Kafka or tcp source here: an empty vector is the right answer
    }
    EXPECT_TRUE(has_data(r)) << q.panel << ": " << q.expr << "\n" << r.body;
  }
  HttpResponse pipelines =
      prometheus.get("/api/v1/label/pipeline/values?match[]=sluice_events_in_total");
  EXPECT_NE(pipelines.body.find("\"web\""), std::string::npos) << pipelines.body;

  // Rules are evaluated every second; wait (bounded) until each has been evaluated once.
  simdjson::dom::parser parser;
  std::vector<std::string> healths;
  ASSERT_TRUE(wait_until(
      [&] {
        healths.clear();
        HttpResponse r = prometheus.get("/api/v1/rules");
        simdjson::dom::element doc;
        if (r.status != 200 || parser.parse(r.body).get(doc) != simdjson::SUCCESS) {
          return false;
        }
        for (simdjson::dom::element group : doc["data"]["groups"].get_array()) {
          for (simdjson::dom::element rule : group["rules"].get_array()) {
            std::string_view last_error;  // absent while healthy
            if (rule["lastError"].get(last_error) != simdjson::SUCCESS) {
              last_error = "";
            }
            healths.emplace_back(std::string(rule["name"].get_string().value()) + ": " +
                                 std::string(rule["health"].get_string().value()) + " " +
                                 std::string(last_error));
          }
        }
        for (const std::string& h : healths) {
          if (h.find(": unknown") != std::string::npos) {
            return false;
          }
        }
        return !healths.empty();
      },
      400))
      << prometheus.log();
  EXPECT_EQ(healths.size(), 8u);
  for (const std::string& h : healths) {
    EXPECT_NE(h.find(": ok"), std::string::npos) << h;
  }
  HttpResponse alerts = prometheus.get("/api/v1/alerts");
  EXPECT_EQ(alerts.body.find("\"state\":\"firing\""), std::string::npos) << alerts.body;
  EXPECT_EQ(daemon.stop(), 0) << daemon.err();
}

}  // namespace
}  // namespace sluice::e2e
