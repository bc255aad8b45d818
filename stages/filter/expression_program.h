// Expression::Program: the compiled form of a filter or route expression. A flat vector of nodes
// (children by index, the root last) evaluated by one switch per node: no virtual calls, no name
// lookups, no allocation per event. A chain of `or` / `and` is one node evaluated by a loop, so
// evaluation recurses only as deep as the expression's real nesting, which the parser bounds.
// Constants are converted once, regexes compiled once. Immutable after compile except for sample()
// counters, which are relaxed atomics, so test() may run from any number of threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "stages/batch.h"
#include "stages/filter/expression.h"
#include "stages/filter/expression_regex.h"
#include "stages/filter/expression_value.h"

namespace sluice {

enum class NodeKind : uint8_t {
  // Conditions.
  kOr,                 // a or b: a chain of two terms
  kAnd,                // a and b: a chain of two terms
  kOrChain,            // any of the b (> 2) terms at chain_terms[aux...], tested in order
  kAndChain,           // all of the b (> 2) terms at chain_terms[aux...], tested in order
  kNot,                // not a
  kCompare,            // a op b
  kCompareFieldConst,  // field in slot aux op constants[b]: the common case, without two evals
  kIn,                 // a in list; aux = first of `list_items`, b = count; negate for `not in`
  kMatch,              // a =~ regexes[aux]; negate for !~
  kStartsWith,         // starts_with(a, b)
  kContains,           // contains(a, b)
  kExists,             // exists(a), a a field node
  kSample,             // sample(aux): counters[b]
  // Values.
  kField,  // the field in slot aux
  kMeta,   // a metadata field: aux = MetaField
  kConst,  // constants[aux]
  kLen,    // len(a)
  kLower,  // lower(a)
};

struct Node {
  NodeKind kind;
  CompareOp op = CompareOp::kEq;
  bool negate = false;
  uint32_t a = 0;
  uint32_t b = 0;
  uint32_t aux = 0;
};

struct Expression::Program {
  std::vector<Node> nodes;
  uint32_t root = 0;
  std::vector<Value> constants;            // texts view into `constant_texts`
  std::deque<std::string> constant_texts;  // a deque: growing it never moves an element
  std::vector<uint32_t> list_items;        // node indexes of `in` list elements
  std::vector<uint32_t> chain_terms;       // node indexes of kOrChain / kAndChain terms
  std::vector<std::unique_ptr<ExpressionRegex>> regexes;
  // sample() state: the only thing evaluation writes (relaxed atomics, exact 1-in-N overall).
  mutable std::deque<std::atomic<uint64_t>> counters;

  uint32_t add(Node node) {
    nodes.push_back(node);
    return static_cast<uint32_t>(nodes.size() - 1);
  }

  // The truth of node n: conditions directly, values by truthiness.
  bool test(uint32_t n, const Batch& batch, const Event& event) const;
  // The value of node n; conditions evaluate to a bool value.
  Value eval(uint32_t n, const Batch& batch, const Event& event) const;
};

}  // namespace sluice
