#include "stages/ingest/file_source.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include "stages/delivery/position_tracker.h"
#include "stages/log.h"

namespace sluice {
namespace {

size_t default_max_open_files() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return 1024;
  }
  return std::clamp<size_t>(static_cast<size_t>(limit.rlim_cur) / 4, 8, 1024);
}

// Whether one of the `exclude` patterns matches `path`: a pattern with a '/' the whole path (a
// '*' does not cross a '/'), one without only the file's name, so "*.gz" excludes archives in
// every directory the globs reach.
bool excluded(const std::string& path, const std::vector<std::string>& exclude) {
  const size_t slash = path.rfind('/');
  const char* name = path.c_str() + (slash == std::string::npos ? 0 : slash + 1);
  return std::any_of(exclude.begin(), exclude.end(), [&](const std::string& pattern) {
    const bool whole_path = pattern.find('/') != std::string::npos;
    return ::fnmatch(pattern.c_str(), whole_path ? path.c_str() : name,
                     whole_path ? FNM_PATHNAME : 0) == 0;
  });
}

bool same_inode(const FileIdentity& a, const struct stat& st) {
  return a.dev == st.st_dev && a.ino == st.st_ino;
}

// Why `fd` (with `st`) is not the file `entry` describes up to its offset; empty when it is.
std::string checkpoint_mismatch(int fd, const struct stat& st, const FileCheckpoint& entry) {
  if (!same_inode(entry.identity, st)) {
    return "another file (device, inode)";
  }
  if (static_cast<uint64_t>(st.st_size) < entry.offset) {
    return "shorter than the checkpoint's offset " + std::to_string(entry.offset);
  }
  if (!fingerprint_matches(fd, entry.identity)) {
    return "its first bytes changed";
  }
  uint64_t tail = 0;
  if (entry.tail_length > 0 &&
      (!hash_bytes_at(fd, static_cast<off_t>(entry.offset - entry.tail_length), entry.tail_length,
                      tail) ||
       tail != entry.tail)) {
    return "the bytes before offset " + std::to_string(entry.offset) + " changed";
  }
  return "";
}

// The regular file in the directory of `path` with the (device, inode) of `identity`: where a
// rotation renamed it. Empty when none is there (deleted, or moved to another directory).
std::string rotated_name_of(const std::string& path, const FileIdentity& identity) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir.empty() ? "." : dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string candidate = it->path().string();
    struct stat st {};
    if (::lstat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && same_inode(identity, st)) {
      return candidate;
    }
  }
  return "";
}

}  // namespace

struct FileSource::TrackedFile {
  uint64_t id = 0;
  std::string path;  // where it was last seen
  int fd = -1;
  bool done = false;    // read to its end (without follow), failed for good, or released
  bool failed = false;  // could not be read (counted once)
  bool warned = false;  // its open failure was logged
  // Identity of the file (once opened), and where reading resumes when it is closed.
  bool known = false;
  FileIdentity identity;
  off_t offset = 0;
  // Before the first open: where the stream starts (a checkpoint, read_from: end).
  bool positioned = false;
  bool from_checkpoint = false;  // `offset` is a checkpoint's (not read_from: end's)
  uint64_t start_lines = 0;
  uint64_t last_used = 0;
  bool seen = false;      // matched by the latest glob scan
  int gone_rounds = 0;    // scans since no glob match named it (rotated away or deleted)
  bool released = false;  // done after being read to its end while gone
  std::unique_ptr<StreamReader> reader;

  // Checkpoints: the delivered position, what is known at each emitted range's end (its lines
  // and the hash of the bytes before it), and which emission of the file a batch belongs to.
  struct Mark {
    uint64_t lines;
    uint32_t tail_length;
    uint64_t tail;
  };
  PositionTracker tracker;
  std::map<uint64_t, Mark> marks;
  uint64_t generation = 0;
  bool reported_blocked = false;
  // The loaded checkpoint this file resumes from, saved as it is until the file is opened (a save
  // before then must not forget it).
  std::optional<FileCheckpoint> resume_entry;

  // exactly_once: the file's position at the cut, the first batch of its current generation
  // (batches before it were of content the file no longer holds), and its batches the cut has not
  // passed yet (it is forgotten only after).
  std::optional<int64_t> cut_offset;
  uint64_t generation_first_batch = 0;
  uint64_t behind_cut = 0;

  ~TrackedFile() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

FileSource::FileSource(FileSourceOptions options, FramerFactory make_framer)
    : options_(std::move(options)), make_framer_(std::move(make_framer)) {
  if (options_.max_open_files == 0) {
    options_.max_open_files = default_max_open_files();
  }
  checkpointing_ = options_.follow && !options_.checkpoint_file.empty();
  exactly_once_ = checkpointing_ && !options_.exactly_once_outputs.empty();
  if (checkpointing_) {
    store_ = std::make_unique<FileCheckpointStore>(options_.checkpoint_file);
    inbox_ = std::make_shared<AckInbox>();
  }
}

FileSource::~FileSource() { AckInbox::outlive_batches(inbox_); }

Status FileSource::load_checkpoints() {
  if (!checkpointing_) {
    return Status();
  }
  bool exists = false;
  std::vector<SinkFileLength> recorded;
  Result<std::vector<FileCheckpoint>> loaded = store_->load(&exists, &recorded);
  had_checkpoints_ = exists;
  if (!loaded.ok()) {
    if (exactly_once_) {
      // Starting over would write again what the sink files already hold: refused, with what
      // to do about it.
      return Status::error("file source: " + loaded.status().message() +
                           "; with delivery: exactly_once sluice cannot tell where the sink "
                           "files end, so it does not start: move the file away to start over "
                           "(the sources then read their files again, the sinks keep theirs)");
    }
    log_warning("file source: " + loaded.status().message() +
                "; starting without checkpoints (files are read from their start)");
    return Status();
  }
  resume_ = std::move(loaded.value());
  if (exactly_once_) {
    return cut_back_outputs(exists, recorded);
  }
  return Status();
}

Status FileSource::cut_back_outputs(bool record_exists,
                                    const std::vector<SinkFileLength>& recorded) {
  const std::vector<std::string>& outputs = options_.exactly_once_outputs;
  std::vector<uint64_t> lengths(outputs.size(), 0);
  std::vector<SinkFileLength> initial;
  for (size_t t = 0; t < outputs.size(); ++t) {
    const std::string& path = outputs[t];
    auto entry = std::find_if(recorded.begin(), recorded.end(),
                              [&](const SinkFileLength& r) { return r.path == path; });
    if (entry != recorded.end()) {
      Result<SinkCutBack> cut = cut_back_sink_file(*entry);
      if (!cut.ok()) {
        return Status::error("file source: " + cut.status().message());
      }
      const SinkCutBack& done = cut.value();
      switch (done.kind) {
        case SinkCutBack::Kind::kUnchanged:
          break;
        case SinkCutBack::Kind::kCut:
          log_info("file source: cut " + path + " back from " + std::to_string(done.size_before) +
                   " to " + std::to_string(entry->length) +
                   " bytes, its length at the last checkpoint (exactly_once)");
          break;
        case SinkCutBack::Kind::kShorter:
          log_warning("file source: " + path + " is shorter (" + std::to_string(done.size_before) +
                      " bytes) than at the last checkpoint (" + std::to_string(entry->length) +
                      "): something else truncated it; lines written before are not restored");
          break;
        case SinkCutBack::Kind::kReplaced:
          log_warning("file source: " + path +
                      " is not the file the last checkpoint recorded (moved away or replaced); "
                      "it is not cut back, and the moved file may end with lines written again "
                      "here");
          break;
      }
    }
    // The cut starts at the length the file has now (0 when missing).
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      lengths[t] = static_cast<uint64_t>(st.st_size);
    }
    if (!record_exists && !path.empty()) {
      Result<SinkFileLength> synced = sync_sink_file(path, lengths[t]);
      if (!synced.ok()) {
        return Status::error("file source: " + synced.status().message());
      }
      initial.push_back(std::move(synced.value()));
    }
  }
  cut_ = std::make_unique<ConsistentCut>(std::move(lengths));
  if (!record_exists) {
    // A first run records where the sink files start, so a crash before the first save still
    // finds what to cut back.
    if (Status s = store_->save({}, initial); !s.ok()) {
      return Status::error("file source: " + s.message());
    }
  }
  return Status();
}

FileSource::TrackedFile& FileSource::track(const std::string& path) {
  auto file = std::make_unique<TrackedFile>();
  file->id = next_file_id_++;
  file->path = path;
  file->seen = true;
  file->reader = std::make_unique<StreamReader>(
      make_framer_(), std::make_shared<const std::string>(path), options_.reader);
  if (checkpointing_) {
    TrackedFile* f = file.get();
    file->reader->set_emit_hook(
        [this, f](Batch& batch, uint64_t first, uint64_t end, uint64_t lines) {
          on_emit(*f, batch, first, end, lines);
        });
  }
  if (options_.follow) {
    file->reader->set_verify_reads(true);
  }
  files_.push_back(std::move(file));
  return *files_.back();
}

void FileSource::discover(bool first_scan, bool rescan) {
  for (auto& f : files_) {
    f->seen = false;
  }
  for (const std::string& pattern : options_.paths) {
    glob_t g{};
    int rc = ::glob(pattern.c_str(), GLOB_NOSORT | GLOB_BRACE, nullptr, &g);
    if (rc != 0) {
      if (first_scan && !options_.follow) {
        log_warning("file source: no file matches '" + pattern + "'");
      }
      ::globfree(&g);
      continue;
    }
    std::vector<std::string> matches(g.gl_pathv, g.gl_pathv + g.gl_pathc);
    ::globfree(&g);
    std::sort(matches.begin(), matches.end());
    for (const std::string& path : matches) {
      // Not seen, as if no glob named it: a followed file renamed to an excluded name is finished
      // like one renamed out of the globs.
      if (excluded(path, options_.exclude)) {
        continue;
      }
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) {
        continue;
      }
      // The same file under this name or another (renamed within the globs): it goes on.
      auto same = std::find_if(files_.begin(), files_.end(), [&](const auto& f) {
        if (f->released) {
          return false;
        }
        return f->known ? same_inode(f->identity, st) : f->path == path;
      });
      if (same != files_.end()) {
        (*same)->seen = true;
        (*same)->gone_rounds = 0;
        (*same)->path = path;
        continue;
      }
      TrackedFile& file = track(path);
      if (!S_ISREG(st.st_mode)) {
        continue;  // opening it says why it cannot be read
      }
      // A checkpoint for this file (by identity, wherever it was last seen).
      auto entry = std::find_if(resume_.begin(), resume_.end(), [&](const FileCheckpoint& e) {
        return same_inode(e.identity, st);
      });
      if (entry != resume_.end()) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        std::string why =
            fd < 0 ? std::string(std::strerror(errno)) : checkpoint_mismatch(fd, st, *entry);
        if (fd >= 0) {
          ::close(fd);
        }
        if (why.empty()) {
          file.offset = static_cast<off_t>(entry->offset);
          file.start_lines = entry->lines;
          file.from_checkpoint = true;
          file.identity = entry->identity;
          file.known = true;
          file.resume_entry = *entry;
          file.resume_entry->path = path;
        } else {
          log_info("file source: " + path + " does not match its checkpoint (" + why +
                   "); reading it from the start");
        }
        resume_.erase(entry);
      } else if (first_scan && options_.read_from_end && !had_checkpoints_) {
        file.known = true;
        file.identity.dev = st.st_dev;
        file.identity.ino = st.st_ino;
        file.offset = st.st_size;
      }
    }
  }
  if (first_scan) {
    std::vector<FileCheckpoint> rest = std::move(resume_);
    resume_.clear();
    for (const FileCheckpoint& entry : rest) {
      resume_rotated(entry);
    }
    return;
  }
  if (!rescan) {
    return;
  }
  // What no glob names any more was rotated away or deleted: read to its end, then released.
  for (auto& f : files_) {
    if (f->seen || f->done) {
      continue;
    }
    if (f->fd >= 0) {
      ++f->gone_rounds;
    } else if (!f->known || !f->positioned) {
      // Never opened: there is no identity to look for and no position to go on from.
      f->done = true;
      f->released = true;
    } else if (!follow_rotated(*f)) {
      // Closed while idle (more files followed than max_open_files) and then deleted or moved
      // out of its directory: nothing is left to read it through.
      log_warning("file source: " + f->path + " is gone (deleted, or moved out of its directory) " +
                  "while it was closed for want of a descriptor (max_open_files " +
                  std::to_string(options_.max_open_files) + "); lines appended to it after " +
                  "offset " + std::to_string(f->offset) + " could not be read");
      f->done = true;
      f->released = true;
    }
  }
}

bool FileSource::follow_rotated(TrackedFile& file) {
  const std::string rotated = rotated_name_of(file.path, file.identity);
  if (rotated.empty()) {
    return false;
  }
  int fd = ::open(rotated.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  struct stat st {};
  const bool same = fd >= 0 && ::fstat(fd, &st) == 0 && same_inode(file.identity, st) &&
                    st.st_size >= file.offset && fingerprint_matches(fd, file.identity);
  if (fd >= 0) {
    ::close(fd);
  }
  if (!same) {
    return false;  // a new file on a reused inode: the one followed is gone
  }
  if (rotated != file.path) {
    log_info("file source: " + file.path + " was rotated to " + rotated +
             " while closed; reading it to its end from offset " + std::to_string(file.offset));
    file.path = rotated;
    // Gone from the globs: read to its end and released, like a rotated file that stayed open.
    file.gone_rounds = std::max(file.gone_rounds, 1);
    file.seen = false;
  } else if (file.gone_rounds == 0) {
    return true;  // still where it was (a scan that failed to list it): followed on as it is
  }
  // Without a descriptor now, the next scan finds it again and retries.
  open_file(file);
  return true;
}

void FileSource::resume_rotated(const FileCheckpoint& entry) {
  const std::string candidate = rotated_name_of(entry.path, entry.identity);
  if (candidate.empty()) {
    return;
  }
  int fd = ::open(candidate.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  struct stat st {};
  if (fd < 0) {
    return;
  }
  const std::string why = ::fstat(fd, &st) != 0 ? std::string(std::strerror(errno))
                                                : checkpoint_mismatch(fd, st, entry);
  ::close(fd);
  if (!why.empty()) {
    return;  // a new file on a reused inode: not the one the checkpoint names
  }
  log_info("file source: " + entry.path + " was rotated to " + candidate +
           " since the checkpoint; reading it to its end from offset " +
           std::to_string(entry.offset));
  TrackedFile& file = track(candidate);
  file.seen = false;
  file.gone_rounds = 1;
  file.offset = static_cast<off_t>(entry.offset);
  file.start_lines = entry.lines;
  file.from_checkpoint = true;
  file.identity = entry.identity;
  file.known = true;
  file.resume_entry = entry;
  file.resume_entry->path = candidate;
}

void FileSource::fail_file(TrackedFile& file, const std::string& reason) {
  if (!file.warned) {
    log_warning("file source: " + reason);
    file.warned = true;
  }
  if (!options_.follow && !file.failed) {
    file.failed = true;
    file.done = true;
    if (failed_++ == 0) {
      first_failure_ = reason;
    }
  }
}

bool FileSource::evict_idle_file(const TrackedFile* keep) {
  TrackedFile* oldest = nullptr;
  for (auto& f : files_) {
    // A gone file cannot be reopened by its name: it keeps its descriptor until released.
    if (f->fd >= 0 && f.get() != keep && f->gone_rounds == 0 &&
        (oldest == nullptr || f->last_used < oldest->last_used)) {
      oldest = f.get();
    }
  }
  if (oldest == nullptr) {
    return false;
  }
  close_file(*oldest);
  return true;
}

void FileSource::close_file(TrackedFile& file) {
  if (file.fd < 0) {
    return;
  }
  file.reader->rewind(file.fd);
  off_t pos = ::lseek(file.fd, 0, SEEK_CUR);
  file.offset = pos < 0 ? 0 : pos;
  if (!refresh_fingerprint(file.fd, file.offset, file.identity)) {
    file.identity.print_length = 0;
  }
  ::close(file.fd);
  file.fd = -1;
  --open_count_;
}

bool FileSource::has_news(TrackedFile& file) {
  struct stat st {};
  if (::stat(file.path.c_str(), &st) != 0) {
    return false;  // gone for now; a rescan may bring it back
  }
  if (!file.known) {
    return true;
  }
  return !same_inode(file.identity, st) || st.st_size != file.offset;
}

void FileSource::restart_file(TrackedFile& file, const std::string& why) {
  log_info("file source: " + file.path + " " + why + "; reading from the start");
  file.reader->reset();
  file.offset = 0;
  file.identity.print_length = 0;
  file.identity.print = 0;
  ++file.generation;
  file.tracker.reset();
  file.marks.clear();
  file.resume_entry.reset();
  file.cut_offset.reset();
  file.generation_first_batch = next_cookie_;
  if (file.fd >= 0) {
    ::lseek(file.fd, 0, SEEK_SET);
  }
  dirty_ = true;
}

bool FileSource::open_file(TrackedFile& file) {
  if (open_count_ >= options_.max_open_files && !evict_idle_file(&file)) {
    return false;
  }
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer, in a call nothing can end.
  int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0 && (errno == EMFILE || errno == ENFILE) && evict_idle_file(&file)) {
    fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  }
  if (fd < 0) {
    const int err = errno;
    if (err == EMFILE || err == ENFILE) {
      // Out of descriptors with nothing of ours to close: wait for a later round.
      if (!warned_descriptors_) {
        log_warning("file source: out of file descriptors (" + std::string(std::strerror(err)) +
                    "); files are read as descriptors free up");
        warned_descriptors_ = true;
      }
      return false;
    }
    fail_file(file, "cannot open " + file.path + ": " + std::strerror(err));
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail_file(file, file.path + " is not a regular file; skipped");
    return false;
  }
  if (file.known && file.positioned && !same_inode(file.identity, st) &&
      !rotated_name_of(file.path, file.identity).empty()) {
    // Another file has the path now because this one was rotated while closed: it is followed
    // where it went, to its end; the next scan takes the new file as a new one.
    ::close(fd);
    return follow_rotated(file) && file.fd >= 0;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  file.fd = fd;
  ++open_count_;
  const bool same = file.known && same_inode(file.identity, st) && st.st_size >= file.offset &&
                    fingerprint_matches(fd, file.identity);
  if (file.known && !same) {
    // Another file now has this path (truncated and rewritten, or replaced while closed).
    file.identity.dev = st.st_dev;
    file.identity.ino = st.st_ino;
    restart_file(file, "was replaced or truncated");
    file.positioned = true;
    return true;
  }
  file.known = true;
  file.identity.dev = st.st_dev;
  file.identity.ino = st.st_ino;
  if (!file.positioned) {
    file.positioned = true;
    const auto offset = static_cast<uint64_t>(file.offset);
    if (!file.reader->start_at(fd, offset, file.start_lines, file.from_checkpoint)) {
      restart_file(file, "could not be read at its checkpoint");
      return true;
    }
    file.resume_entry.reset();
    if (checkpointing_ && offset > 0) {
      // The position starts here: a save keeps it even before anything new is delivered.
      file.tracker.reset(static_cast<int64_t>(offset));
      file.cut_offset = static_cast<int64_t>(offset);
      TrackedFile::Mark mark{file.start_lines, 0, 0};
      mark.tail_length = static_cast<uint32_t>(std::min<uint64_t>(kTailCheckBytes, offset));
      hash_bytes_at(fd, static_cast<off_t>(offset - mark.tail_length), mark.tail_length, mark.tail);
      file.marks[offset] = mark;
      refresh_fingerprint(fd, st.st_size, file.identity);
      dirty_ = true;
    }
    return true;
  }
  ::lseek(fd, file.offset, SEEK_SET);
  return true;
}

void FileSource::on_emit(TrackedFile& file, Batch& batch, uint64_t first, uint64_t end,
                         uint64_t lines) {
  const uint64_t cookie = next_cookie_++;
  batch.set_ack(inbox_.get(), cookie, exactly_once_);
  inbox_->emitted();
  file.tracker.emitted(static_cast<int64_t>(first), static_cast<int64_t>(end) - 1);
  if (exactly_once_) {
    cut_->emitted(cookie, file.id, static_cast<int64_t>(end));
    ++file.behind_cut;
  }
  TrackedFile::Mark mark{lines, 0, 0};
  mark.tail_length = static_cast<uint32_t>(std::min<uint64_t>(kTailCheckBytes, end));
  hash_bytes_at(file.fd, static_cast<off_t>(end - mark.tail_length), mark.tail_length, mark.tail);
  file.marks[end] = mark;
  refresh_fingerprint(file.fd, static_cast<off_t>(end), file.identity);
  in_flight_.emplace(cookie, InFlight{file.id, file.generation, static_cast<int64_t>(first)});
  // Between two batches of a long read: positions move on, and are saved, while it goes on.
  settle(std::chrono::milliseconds(0));
  save_checkpoints(false);
}

void FileSource::settle(std::chrono::milliseconds wait) {
  if (!checkpointing_) {
    return;
  }
  if (exactly_once_) {
    // A batch's lengths come with or before its settlement: applied first.
    inbox_->take(settled_, lengths_taken_, wait);
    for (const AckInbox::OutputLength& l : lengths_taken_) {
      if (l.target < options_.exactly_once_outputs.size()) {
        cut_->output_written(l.target, l.cookie, l.length);
      }
    }
    lengths_taken_.clear();
  } else {
    inbox_->take(settled_, wait);
  }
  for (const AckInbox::Settled& s : settled_) {
    if (exactly_once_ && cut_->settle(s.cookie, s.delivered, passed_)) {
      apply_cut();
    }
    auto it = in_flight_.find(s.cookie);
    if (it == in_flight_.end()) {
      continue;
    }
    const InFlight f = it->second;
    in_flight_.erase(it);
    auto file = std::find_if(files_.begin(), files_.end(),
                             [&](const auto& t) { return t->id == f.file_id; });
    if (file == files_.end() || (*file)->generation != f.generation) {
      continue;  // the file started again since: this range is no longer its position
    }
    TrackedFile& t = **file;
    if (s.delivered) {
      dirty_ |= t.tracker.complete(f.first) == PositionTracker::Change::kAdvanced;
    } else if (t.tracker.abandon(f.first) == PositionTracker::Change::kBlocked &&
               !t.reported_blocked) {
      t.reported_blocked = true;
      log_error("file source: " + t.path + ": bytes from offset " + std::to_string(f.first) +
                " were not delivered by every sink nor dead-lettered; its checkpoint stays "
                "before them until sluice restarts");
    }
  }
  settled_.clear();
}

void FileSource::apply_cut() {
  for (const ConsistentCut::Passed& p : passed_) {
    auto file = std::find_if(files_.begin(), files_.end(),
                             [&](const auto& t) { return t->id == p.stream; });
    if (file == files_.end()) {
      continue;
    }
    TrackedFile& t = **file;
    --t.behind_cut;
    if (p.batch >= t.generation_first_batch) {
      t.cut_offset = p.end;
    }
  }
  passed_.clear();
  dirty_ = true;
}

void FileSource::save_checkpoints(bool now) {
  if (!checkpointing_) {
    return;
  }
  if (saver_->has_completions()) {
    apply_saved();
  }
  if (!dirty_) {
    return;
  }
  const auto clock = std::chrono::steady_clock::now();
  if (!now && clock - last_save_ < std::chrono::milliseconds(options_.checkpoint_interval_ms)) {
    return;
  }
  CheckpointSave save;
  for (auto& f : files_) {
    if (f->resume_entry) {
      save.entries.push_back(*f->resume_entry);  // not opened yet: where it resumes is unchanged
      continue;
    }
    auto position = exactly_once_ ? f->cut_offset : f->tracker.committable();
    if (!f->known || !position) {
      continue;
    }
    const auto offset = static_cast<uint64_t>(*position);
    auto mark = f->marks.find(offset);
    if (mark == f->marks.end()) {
      continue;  // cannot happen: every range end has its mark
    }
    f->marks.erase(f->marks.begin(), mark);  // what is behind the position is needed no more
    FileCheckpoint e;
    e.path = f->path;
    e.identity = f->identity;
    e.offset = offset;
    e.lines = mark->second.lines;
    e.tail_length = mark->second.tail_length;
    e.tail = mark->second.tail;
    save.entries.push_back(std::move(e));
  }
  if (exactly_once_) {
    // The saver syncs each sink file before it writes the record (save_durably); the lengths
    // are the cut's now, which the files have reached (they only grow).
    for (size_t t = 0; t < options_.exactly_once_outputs.size(); ++t) {
      if (!options_.exactly_once_outputs[t].empty()) {
        save.sinks.push_back({options_.exactly_once_outputs[t], cut_->lengths()[t]});
      }
    }
  }
  // A released file that is settled now has its last position in this save: it may be
  // forgotten once this save (or a newer one, which has it too) is durable.
  std::vector<uint64_t> forgettable;
  for (const auto& f : files_) {
    if (releasable(*f)) {
      forgettable.push_back(f->id);
    }
  }
  const uint64_t seq = saver_->submit(std::move(save));
  forgettable_.emplace_back(seq, std::move(forgettable));
  // Moved positions are saved again only if the save fails (apply_saved) or they move again.
  dirty_ = false;
  last_save_ = clock;
}

void FileSource::apply_saved() {
  saved_.clear();
  saver_->take_completions(saved_);
  for (CheckpointSaver::Completion& c : saved_) {
    // The ids this save's snapshot let go of; those of older saves it replaced are in it too.
    std::vector<uint64_t> ids;
    while (!forgettable_.empty() && forgettable_.front().first <= c.seq) {
      if (forgettable_.front().first == c.seq) {
        ids = std::move(forgettable_.front().second);
      }
      forgettable_.pop_front();
    }
    if (!c.status.ok()) {
      if (!warned_save_) {
        log_warning("file source: cannot save checkpoints: " + c.status.message() +
                    " (retried; a restart may read again what was delivered since the last save)");
        warned_save_ = true;
      }
      dirty_ = true;  // saved again at the next interval
      continue;
    }
    warned_save_ = false;
    forget_released(ids);
  }
}

void FileSource::finish_saving() {
  // A failed save still unreported makes the last one retry; then that one is waited for.
  saver_->flush();
  apply_saved();
  save_checkpoints(true);
  saver_->flush();
  apply_saved();
}

bool FileSource::releasable(const TrackedFile& f) {
  return f.released && f.fd < 0 && f.tracker.in_flight() == 0 && f.behind_cut == 0;
}

void FileSource::forget_released(const std::vector<uint64_t>& ids) {
  std::erase_if(files_, [&](const auto& f) {
    return releasable(*f) && std::find(ids.begin(), ids.end(), f->id) != ids.end();
  });
}

bool FileSource::wait_for_change(SourceContext& ctx, FileWatch::Wake& wake) {
  // While batches are in flight, their acknowledgements are taken every slice, so a position is
  // saved soon after it moves rather than after the next change or rescan.
  constexpr auto kSlice = std::chrono::milliseconds(20);
  for (;;) {
    const bool acks_due = checkpointing_ && !in_flight_.empty();
    wake = watch_->wait(ctx, acks_due ? kSlice : FileWatch::kNoLimit);
    if (wake == FileWatch::Wake::kStopping) {
      return false;
    }
    if (wake != FileWatch::Wake::kTimedOut) {
      return true;
    }
    settle(std::chrono::milliseconds(0));
    save_checkpoints(false);
  }
}

bool FileSource::read_file(TrackedFile& file, SourceContext& ctx) {
  if (file.fd < 0) {
    if (options_.follow && file.known && file.positioned && !has_news(file)) {
      return true;  // closed and idle: one stat, no descriptor
    }
    if (!open_file(file)) {
      return true;
    }
  }
  file.last_used = ++clock_;
  bool final = !options_.follow;
  if (options_.follow) {
    struct stat st {};
    const auto pos = static_cast<off_t>(file.reader->read_offset());
    if (::fstat(file.fd, &st) != 0) {
      return true;
    }
    if (st.st_nlink == 0 && file.gone_rounds == 0) {
      file.gone_rounds = 1;  // deleted: no glob will name it again
    }
    if (st.st_size < pos) {
      restart_file(file, "was truncated");
    } else if (st.st_size > pos && !file.reader->still_holds_read_bytes(file.fd)) {
      restart_file(file, "was truncated and rewritten");
    } else if (st.st_size == pos && file.reader->unframed_bytes() == 0) {
      // Nothing new: reading would take a read buffer from the memory budget (and maybe
      // wait for it) only to find the end of the file again. A gone file is done here.
      if (file.gone_rounds >= 2) {
        close_file(file);
        file.done = true;
        file.released = true;
      }
      return true;
    }
    // A file gone for good ends with its last record, terminated or not.
    final = file.gone_rounds >= 2;
  }
  auto outcome = file.reader->pump(file.fd, ctx, final);
  if (outcome == StreamReader::Outcome::kStopped) {
    return false;
  }
  if (outcome == StreamReader::Outcome::kReplaced) {
    restart_file(file, "was truncated and rewritten while being read");
    return true;
  }
  if (outcome == StreamReader::Outcome::kError) {
    std::string reason = "cannot read " + file.path + ": " + file.reader->error();
    close_file(file);
    fail_file(file, reason);
    file.done = true;
    return true;
  }
  if (!options_.follow || final) {
    // Read to its end: the descriptor and the reader's memory go now, not at the end of the
    // run.
    close_file(file);
    file.done = true;
    file.released = options_.follow;
  } else {
    // At the end of a followed file: its incomplete last record goes back to the file, so
    // an idle file holds no memory.
    file.reader->rewind(file.fd);
  }
  return true;
}

Status FileSource::run(SourceContext& ctx) {
  if (Status s = load_checkpoints(); !s.ok()) {
    return s;
  }
  if (checkpointing_) {
    // Saves are made durable on the saver's thread; this one reads on meanwhile.
    const FileCheckpointStore* store = store_.get();
    saver_ = std::make_unique<CheckpointSaver>(
        [store](const CheckpointSave& save) { return save_durably(*store, save); });
  }
  if (options_.follow) {
    // Watching starts before the first scan: whatever changes after it is seen.
    watch_ = std::make_unique<FileWatch>(options_.paths,
                                         std::chrono::milliseconds(options_.poll_interval_ms));
  }
  discover(/*first_scan=*/true, /*rescan=*/true);
  while (!ctx.stopping()) {
    // By index: reading may not add files, but a failed open may not remove them either.
    for (size_t i = 0; i < files_.size(); ++i) {
      TrackedFile& file = *files_[i];
      if (file.done) {
        continue;
      }
      if (!read_file(file, ctx)) {
        break;
      }
      settle(std::chrono::milliseconds(0));
      save_checkpoints(false);
    }
    if (ctx.stopping()) {
      break;
    }
    if (!options_.follow) {
      bool all_done =
          std::all_of(files_.begin(), files_.end(), [](const auto& f) { return f->done; });
      if (all_done) {
        break;
      }
      // Some files wait for a descriptor: another round, without sleeping long.
      if (!ctx.wait_for_stop(std::chrono::milliseconds(10))) {
        continue;
      }
      break;
    }
    FileWatch::Wake wake{};
    if (!wait_for_change(ctx, wake)) {
      break;
    }
    settle(std::chrono::milliseconds(0));
    save_checkpoints(false);
    // A write needs no scan: the files are read again. A new or vanished name does.
    if (wake != FileWatch::Wake::kWritten) {
      discover(/*first_scan=*/false, /*rescan=*/wake == FileWatch::Wake::kRescan);
    }
  }
  if (checkpointing_) {
    // Every emitted batch ends acknowledged or abandoned (after an abort they die without a
    // word reaching the sinks, so the wait ends there too); then the positions are saved.
    while (!in_flight_.empty() && !ctx.aborted()) {
      settle(std::chrono::milliseconds(50));
    }
    settle(std::chrono::milliseconds(0));
    finish_saving();
    saver_.reset();
  }
  if (failed_ > 0) {
    return Status::error("file source: " + std::to_string(failed_) + " of " +
                         std::to_string(files_.size()) +
                         " files could not be read (first: " + first_failure_ + ")");
  }
  return Status();
}

}  // namespace sluice
