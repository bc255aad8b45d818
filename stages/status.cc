#include "stages/status.h"

namespace sluice {

std::string Status::to_string() const {
  if (ok()) {
    return "ok";
  }
  if (rep_->line > 0) {
    return std::to_string(rep_->line) + ":" + std::to_string(rep_->column) + ": " + rep_->message;
  }
  return rep_->message;
}

}  // namespace sluice
