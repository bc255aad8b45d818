#include "stages/filter/expression_program.h"

#include <string>

namespace sluice {
namespace {

// Scratch text for values that have no bytes of their own in the batch (_source, lowercased
// text for a regex). One per thread, so its capacity is reused and evaluation never allocates
// once warm.
std::string& source_scratch() {
  thread_local std::string scratch;
  return scratch;
}
std::string& lower_scratch() {
  thread_local std::string scratch;
  return scratch;
}

Value field_value(const Batch& batch, const Field& field) {
  Value v;
  v.text = batch.str(field.value);
  switch (field.type) {
    case FieldType::kString:
    case FieldType::kJson:
      v.kind = Value::Kind::kString;
      break;
    case FieldType::kInt:
      v.kind = Value::Kind::kInt;
      v.i = field.num.i;
      break;
    case FieldType::kFloat:
      v.kind = Value::Kind::kFloat;
      v.f = field.num.f;
      break;
    case FieldType::kBool:
      v.kind = Value::Kind::kBool;
      v.i = field.num.i != 0 ? 1 : 0;
      break;
    case FieldType::kTimestamp:
      v.kind = Value::Kind::kTimestamp;
      v.i = field.num.i;
      break;
    case FieldType::kNull:
      v.kind = Value::Kind::kNull;
      break;
  }
  return v;
}

Value text_value(std::string_view text) {
  Value v;
  v.kind = Value::Kind::kString;
  v.text = text;
  return v;
}

}  // namespace

bool Expression::Program::test(uint32_t n, const Batch& batch, const Event& event) const {
  const Node& node = nodes[n];
  switch (node.kind) {
    case NodeKind::kOr:
      return test(node.a, batch, event) || test(node.b, batch, event);
    case NodeKind::kAnd:
      return test(node.a, batch, event) && test(node.b, batch, event);
    case NodeKind::kOrChain:
    case NodeKind::kAndChain: {
      // A loop, not a recursion per term: a chain of any length costs one stack frame. The first
      // term that decides (true for `or`, false for `and`) ends it, in the order written; when
      // none before it did, the last term's answer is the chain's.
      const bool decides = node.kind == NodeKind::kOrChain;
      const uint32_t* term = chain_terms.data() + node.aux;
      const uint32_t* const last = term + node.b - 1;
      for (; term != last; ++term) {
        if (test(*term, batch, event) == decides) {
          return decides;
        }
      }
      return test(*last, batch, event);
    }
    case NodeKind::kNot:
      return !test(node.a, batch, event);
    case NodeKind::kCompare:
      return compare(eval(node.a, batch, event), node.op, eval(node.b, batch, event));
    case NodeKind::kCompareFieldConst: {
      const Field* field = batch.field(event, node.aux);
      const Value& constant = constants[node.b];
      if (field != nullptr && field->type == FieldType::kInt &&
          constant.kind == Value::Kind::kInt) {
        return compare_ints(field->num.i, node.op, constant.i);  // what compare() would do
      }
      return compare(field == nullptr ? Value::missing() : field_value(batch, *field), node.op,
                     constant);
    }
    case NodeKind::kIn: {
      Value v = eval(node.a, batch, event);
      if (v.kind == Value::Kind::kString && v.numeric == Value::Numeric::kUnknown) {
        parse_number(v.text, v);  // once, not once per numeric list element
      }
      bool found = false;
      for (uint32_t i = 0; i < node.b && !found; ++i) {
        const Node& item = nodes[list_items[node.aux + i]];
        found = item.kind == NodeKind::kConst
                    ? compare(v, CompareOp::kEq, constants[item.aux])
                    : compare(v, CompareOp::kEq, eval(list_items[node.aux + i], batch, event));
      }
      return found != node.negate;
    }
    case NodeKind::kMatch: {
      if (nodes[node.a].kind == NodeKind::kField) {
        // A field's text as it is: what eval() would give, without building a Value.
        const Field* field = batch.field(event, nodes[node.a].aux);
        if (field == nullptr) {
          return node.negate;
        }
        return regexes[node.aux]->match(batch.str(field->value)) != node.negate;
      }
      Value v = eval(node.a, batch, event);
      if (v.kind == Value::Kind::kMissing) {
        return node.negate;
      }
      std::string_view text = v.text;
      if (v.lower) {
        std::string& scratch = lower_scratch();
        scratch.assign(text);
        for (char& c : scratch) {
          c = ascii_lower(c);
        }
        text = scratch;
      }
      return regexes[node.aux]->match(text) != node.negate;
    }
    case NodeKind::kStartsWith:
    case NodeKind::kContains: {
      Value v = eval(node.a, batch, event);
      if (v.kind == Value::Kind::kMissing) {
        return false;
      }
      Value s = eval(node.b, batch, event);
      if (s.kind == Value::Kind::kMissing) {
        return false;
      }
      return node.kind == NodeKind::kStartsWith ? text_starts_with(v.text, v.lower, s.text, s.lower)
                                                : text_contains(v.text, v.lower, s.text, s.lower);
    }
    case NodeKind::kExists:
      return eval(node.a, batch, event).kind != Value::Kind::kMissing;
    case NodeKind::kSample:
      return counters[node.b].fetch_add(1, std::memory_order_relaxed) % node.aux == 0;
    case NodeKind::kField:
    case NodeKind::kMeta:
    case NodeKind::kConst:
    case NodeKind::kLen:
    case NodeKind::kLower:
      return truthy(eval(n, batch, event));
  }
  return false;
}

Value Expression::Program::eval(uint32_t n, const Batch& batch, const Event& event) const {
  const Node& node = nodes[n];
  switch (node.kind) {
    case NodeKind::kField: {
      const Field* field = batch.field(event, node.aux);
      return field == nullptr ? Value::missing() : field_value(batch, *field);
    }
    case NodeKind::kMeta:
      switch (static_cast<MetaField>(node.aux)) {
        case MetaField::kRaw:
          return text_value(batch.str(event.raw));
        case MetaField::kError:
          return event.error.len == 0 ? Value::missing() : text_value(batch.str(event.error));
        case MetaField::kSource: {
          std::string& scratch = source_scratch();
          scratch.clear();
          batch.append_source(event, scratch);
          return text_value(scratch);
        }
        case MetaField::kNone:
          break;
      }
      return Value::missing();
    case NodeKind::kConst:
      return constants[node.aux];
    case NodeKind::kLen: {
      Value v = eval(node.a, batch, event);
      if (v.kind == Value::Kind::kMissing || v.kind == Value::Kind::kNull) {
        return Value::missing();
      }
      Value len;
      len.kind = Value::Kind::kInt;
      len.i = static_cast<int64_t>(v.text.size());
      return len;
    }
    case NodeKind::kLower: {
      Value v = eval(node.a, batch, event);
      if (v.kind == Value::Kind::kMissing || v.kind == Value::Kind::kNull) {
        return v;
      }
      Value lowered = text_value(v.text);
      lowered.lower = true;
      return lowered;
    }
    default:
      return Value::boolean(test(n, batch, event));
  }
}

}  // namespace sluice
