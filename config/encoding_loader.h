// Loading a sink's encoding: `encoding: csv` with its options beside it in the sink, or
// `encoding: {codec: csv, ...}`; an option set in both places, or one that does not apply to the
// codec, is refused at its key. Internal to config/ (behind the yaml-cpp boundary); single-
// threaded, within one load_config call.
#pragma once

#include "config/cross_checks.h"
#include "config/yaml_reader.h"
#include "stages/sinks/encoder.h"

namespace sluice {

// Reads the encoding keys of the sink mapping `sink` into `options`; `check` learns where
// make_encoder's errors for this sink are to be reported.
void load_encoding(YamlReader& reader, const MapView& sink, EncoderOptions& options,
                   EncodingCheck& check);

}  // namespace sluice
