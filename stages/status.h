// Status and Result: errors a user can cause (bad config, bad expression, unreadable file) travel
// as values, never as exceptions. A Status carries an optional position (line, column, 1-based)
// so the boundary can print one `FILE:LINE:COL: message` line. Success costs one null pointer.
#pragma once

#include <cassert>
#include <memory>
#include <string>
#include <utility>
#include <variant>

namespace sluice {

class Status {
 public:
  Status() = default;  // OK

  static Status error(std::string message, int line = 0, int column = 0) {
    Status s;
    s.rep_ = std::make_shared<Rep>(Rep{std::move(message), line, column});
    return s;
  }

  bool ok() const { return rep_ == nullptr; }

  const std::string& message() const {
    assert(!ok());
    return rep_->message;
  }
  int line() const { return rep_ ? rep_->line : 0; }
  int column() const { return rep_ ? rep_->column : 0; }

  // Returns a copy whose position is shifted: used when an expression embedded in a YAML scalar
  // reports a column relative to the expression text.
  Status at(int line, int column) const {
    if (ok()) {
      return *this;
    }
    return error(rep_->message, line, column);
  }

  // "LINE:COL: message", or just the message when there is no position.
  std::string to_string() const;

 private:
  struct Rep {
    std::string message;
    int line;
    int column;
  };
  std::shared_ptr<const Rep> rep_;
};

// A value or the Status saying why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }

  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

  const Status& status() const {
    assert(!ok());
    return std::get<Status>(v_);
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sluice
