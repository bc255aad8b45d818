#include "config/exactly_once_checks.h"

#include <filesystem>
#include <string>

#include "stages/ingest/file_source.h"
#include "stages/sinks/file_sink_options.h"

namespace sluice {
namespace {

const SinkConfig* exactly_once_sink_named(const Config& config, const std::string& name) {
  for (const SinkConfig& sink : config.sinks) {
    if (sink.name == name) {
      return &sink;
    }
  }
  return nullptr;
}

// Two spellings of one path ("out/a.log", "./out//a.log") name the same file.
std::string exactly_once_file_key(const SinkConfig& sink) {
  return std::filesystem::path(sink_options<FileSinkOptions>(sink).path)
      .lexically_normal()
      .string();
}

void check_exactly_once_source(YamlReader& reader, const PipelineConfig& pipeline,
                               const std::string& path) {
  const std::string& type = pipeline.source.type;
  if (type != "file") {
    reader.report(pipeline.delivery_position,
                  path +
                      ": exactly_once needs a source that resumes where it stopped (a file "
                      "source with follow: true); a " +
                      type + " source cannot be read again from a recorded position");
    return;
  }
  if (!pipeline.source.options.has_value() ||
      !source_options<FileSourceOptions>(pipeline.source).follow) {
    reader.report(pipeline.delivery_position,
                  path +
                      ": exactly_once needs follow: true on the file source (without follow "
                      "it keeps no positions, so a restart reads its files again from the "
                      "start)");
  }
}

void check_exactly_once_sinks(YamlReader& reader, const Config& config, size_t index,
                              const LoadRecord& record) {
  const PipelineConfig& pipeline = config.pipelines[index];
  const std::string line = std::to_string(pipeline.delivery_position.line);
  for (const SinkRef& ref : record.pipeline_sinks[index]) {
    const SinkConfig* sink = exactly_once_sink_named(config, ref.name);
    if (sink == nullptr) {
      continue;  // reported as an unknown sink
    }
    if (sink->type != "file") {
      reader.report(ref.at, "sink '" + ref.name + "' is a " + sink->type + " sink, but pipeline '" +
                                pipeline.name + "' has delivery: exactly_once (line " + line +
                                "), which writes to file sinks only: a restart can cut a file "
                                "back to its recorded length, not take back what was sent");
      continue;
    }
    if (!sink->options.has_value()) {
      continue;  // its path was reported
    }
    const std::string key = exactly_once_file_key(*sink);
    // Another pipeline writing the same file, through this sink or another one with its path.
    for (size_t other = 0; other < config.pipelines.size(); ++other) {
      if (other == index || other >= record.pipeline_sinks.size()) {
        continue;
      }
      for (const SinkRef& theirs : record.pipeline_sinks[other]) {
        const SinkConfig* their_sink = exactly_once_sink_named(config, theirs.name);
        if (their_sink == nullptr || their_sink->type != "file" ||
            !their_sink->options.has_value() || exactly_once_file_key(*their_sink) != key) {
          continue;
        }
        reader.report(ref.at, "sink '" + ref.name + "' writes " +
                                  sink_options<FileSinkOptions>(*sink).path + ", which pipeline '" +
                                  config.pipelines[other].name + "' also writes; pipeline '" +
                                  pipeline.name + "' has delivery: exactly_once (line " + line +
                                  "), and cutting the file back on a restart would cut the "
                                  "other pipeline's lines too");
        break;
      }
    }
  }
  // Two sinks of this pipeline on one file: each would cut the other's lines.
  const std::vector<SinkRef>& refs = record.pipeline_sinks[index];
  for (size_t a = 0; a < refs.size(); ++a) {
    const SinkConfig* first = exactly_once_sink_named(config, refs[a].name);
    if (first == nullptr || first->type != "file" || !first->options.has_value()) {
      continue;
    }
    for (size_t b = a + 1; b < refs.size(); ++b) {
      const SinkConfig* second = exactly_once_sink_named(config, refs[b].name);
      if (second != nullptr && second != first && second->type == "file" &&
          second->options.has_value() &&
          exactly_once_file_key(*first) == exactly_once_file_key(*second)) {
        reader.report(refs[b].at, "sinks '" + refs[a].name + "' and '" + refs[b].name +
                                      "' write the same file, which delivery: exactly_once "
                                      "(line " +
                                      line + ") cannot cut back for each of them");
      }
    }
  }
}

}  // namespace

void check_exactly_once(YamlReader& reader, const Config& config, const LoadRecord& record) {
  for (size_t i = 0; i < config.pipelines.size(); ++i) {
    const PipelineConfig& pipeline = config.pipelines[i];
    if (!pipeline.exactly_once) {
      continue;
    }
    const std::string path = "pipelines." + pipeline.name + ".delivery";
    check_exactly_once_source(reader, pipeline, path);
    if (pipeline.drop_newest) {
      reader.report(pipeline.delivery_position,
                    path +
                        ": exactly_once cannot go with queue.on_full: drop_newest, which "
                        "drops events on purpose; use on_full: block");
    }
    if (i < record.pipeline_sinks.size()) {
      check_exactly_once_sinks(reader, config, i, record);
    }
  }
}

}  // namespace sluice
