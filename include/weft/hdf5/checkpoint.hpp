// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::checkpoint_writer: several named fields written into a temporary
// file and made visible together, under the checkpoint's name, by one atomic
// rename, so that a run killed or failing while writing leaves the previous
// checkpoint whole.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../detail/profiling.hpp"
#include "../distributed/communicator.hpp"
#include "../distributed/grid.hpp"
#include "../distributed/vector.hpp"
#include "../error.hpp"
#include "detail/dataset.hpp"
#include "detail/h5.hpp"
#include "detail/xdmf.hpp"
#include "file.hpp"

#include <fcntl.h>
#include <mpi.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace weft {

struct checkpoint_options {
  /// Make the checkpoint durable before it becomes visible: every rank syncs
  /// the values it wrote (MPI_File_sync), rank 0 fsyncs the file once its
  /// metadata is written, and fsyncs the directory after the rename. Then a
  /// machine that loses power, not only a run that is killed, keeps a whole
  /// checkpoint. Without it, a killed run is still safe; the operating
  /// system writes the data when it chooses.
  bool sync = true;
  /// Read every field back from the temporary file after writing it and
  /// compare checksums (see weft::save_options::verify), so that a
  /// checkpoint that lost data never replaces the previous one.
  bool verify = true;
};

namespace detail {

/// "<path>.tmp.<pid of rank 0>-<random>", the same on every rank: in the same
/// directory, so the final rename stays within one file system.
inline std::string temporary_name(const communicator& comm, const std::string& path) {
  std::string name;
  if (comm.rank() == 0) {
    std::random_device random;
    char suffix[48];
    std::snprintf(suffix, sizeof suffix, ".tmp.%ld-%08x", static_cast<long>(::getpid()),
                  static_cast<unsigned>(random()));
    name = path + suffix;
  }
  return broadcast_string(comm, name, "weft::checkpoint_writer");
}

/// fsync of a file or directory, by path; returns what went wrong, or "".
inline std::string fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return "cannot open '" + path + "' to sync it: " + std::strerror(errno);
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0) return "fsync of '" + path + "' failed: " + std::strerror(saved);
  return {};
}

}  // namespace detail

/// Writes a checkpoint: several named fields (distributed vectors and grids)
/// and attributes, made visible together by commit(). Until then they go to
/// a temporary file beside the checkpoint, "<path>.tmp.<id>"; commit() renames
/// it to `path` on rank 0 once every field is written (and, by default,
/// read back and checked). POSIX rename is atomic: `path` names either the
/// previous checkpoint or the new one, whole, whenever the run dies (killed,
/// out of time, crashed) or fails (a full disk, a write error: weft::error
/// on every rank, the previous checkpoint untouched). A writer destroyed
/// without commit() (an exception) deletes its temporary file; a run killed
/// while writing leaves the temporary file behind, never under the final
/// name. Every member function, the destructor included, is collective over
/// comm. Grids of scalar (and 3-vector) types also get an XDMF sidecar
/// "<path without .h5>.<field>.xmf" (see commit()).
///   weft::checkpoint_writer ckpt(comm, "run/checkpoint.h5");
///   ckpt.write("u", u, {{"time", t}});
///   ckpt.write_attribute("step", step);
///   ckpt.commit();
class checkpoint_writer {
 public:
  checkpoint_writer(const communicator& comm, const std::string& path, checkpoint_options options = {})
      : comm_(comm),
        path_(agreed_path(comm, path, options)),
        options_(options),
        temporary_(detail::temporary_name(comm, path)),
        file_(comm, temporary_, hdf5_file::create) {}

  checkpoint_writer(const checkpoint_writer&) = delete;
  checkpoint_writer& operator=(const checkpoint_writer&) = delete;

  ~checkpoint_writer() {
    if (committed_) return;
    file_.close();
    if (comm_.rank() == 0) {
      std::remove(temporary_.c_str());
      for (const auto& field : sidecars_) std::remove(sidecar_temporary(field).c_str());
    }
    MPI_Barrier(comm_.native());  // gone for every rank once this returns
  }

  /// Writes x as the field `name` of the checkpoint, with attributes (see
  /// weft::save); a name already written is an error. Collective over the
  /// ranks of x, which must be those of comm.
  template <class X>
  requires(distributed<X>) void write(const std::string& name, const X& x, const attributes& extra = {}) {
    const detail::profiling_region region("weft::checkpoint_writer::write");
    const detail::h5_write_settings settings{.overwrite = false, .verify = options_.verify, .sync = options_.sync};
    if (auto field = detail::h5_write(file_, name, x, extra, settings, "weft::checkpoint_writer::write"))
      sidecars_.push_back(*field);
  }

  /// Sets an attribute of the checkpoint file (its root group), e.g. the step.
  void write_attribute(const std::string& name, const attribute_value& value) { file_.write_attribute(name, value); }

  /// The temporary file, for anything else to store in the checkpoint.
  hdf5_file& file() noexcept { return file_; }
  /// The checkpoint's name, and the temporary file's.
  const std::string& path() const noexcept { return path_; }
  const std::string& temporary_path() const noexcept { return temporary_; }
  bool committed() const noexcept { return committed_; }

  /// Makes the checkpoint visible under path(), replacing the previous one
  /// atomically. Collective. Everything that can fail is done first: the
  /// sync (checkpoint_options::sync) and the XDMF sidecars, written beside
  /// their final names; any failure there throws weft::error on every rank
  /// with the previous checkpoint (and its sidecars) untouched. Then rank 0
  /// renames the file over path() (a failure there too leaves the previous
  /// checkpoint), renames the sidecars into place and syncs the directory.
  /// Only those last two steps can fail with the new checkpoint already
  /// visible (renames within the directory just written in, and its sync);
  /// the weft::error then says "committed, but ...", and committed() is true.
  void commit() {
    const detail::profiling_region region("weft::checkpoint_writer::commit");
    const char* algorithm = "weft::checkpoint_writer::commit";
    detail::require(!committed_, algorithm, ": '", path_, "' is already committed");
    file_.close();
    // Every rank has finished with the checkpoint before it becomes visible.
    detail::check_mpi(MPI_Barrier(comm_.native()), "MPI_Barrier", algorithm);
    std::string problem;
    if (comm_.rank() == 0) problem = prepare();
    detail::agree_with_root(comm_, problem, algorithm);
    int renamed = 0;
    if (comm_.rank() == 0) problem = publish(renamed);
    detail::check_mpi(MPI_Bcast(&renamed, 1, MPI_INT, 0, comm_.native()), "MPI_Bcast", algorithm);
    committed_ = renamed != 0;
    detail::agree_with_root(comm_, problem, algorithm);
  }

 private:
  static std::string agreed_path(const communicator& comm, const std::string& path, const checkpoint_options& options) {
    const char* algorithm = "weft::checkpoint_writer";
    detail::collective_check check(algorithm);
    detail::io_arguments arguments;
    arguments.text("the checkpoint's name", path)
        .integer("checkpoint_options::sync", options.sync)
        .integer("checkpoint_options::verify", options.verify);
    arguments.compare(comm, check, algorithm);
    check.require(!path.empty(), algorithm, ": empty path");
    check.settle(comm);
    return path;
  }

  std::string sidecar_temporary(const detail::xdmf_field& field) const {
    return detail::xdmf_path(path_, field.dataset) + temporary_.substr(path_.size());
  }

  // Rank 0, before the rename: the sync and the sidecars beside their names.
  std::string prepare() const {
    const char* algorithm = "weft::checkpoint_writer::commit";
    const std::string where = std::string(algorithm) + ": '" + path_ + "': ";
    if (options_.sync) {
      if (auto problem = detail::fsync_path(temporary_, false); !problem.empty()) return where + problem;
    }
    for (const auto& field : sidecars_) {
      if (auto problem = detail::write_text_file(sidecar_temporary(field), detail::xdmf_text(path_, field), algorithm);
          !problem.empty())
        return problem;
      if (options_.sync) {
        if (auto problem = detail::fsync_path(sidecar_temporary(field), false); !problem.empty())
          return where + problem;
      }
    }
    return {};
  }

  // Rank 0: the rename, then the directory's sync and the sidecars into
  // place; `renamed` says whether the new checkpoint is visible.
  std::string publish(int& renamed) const {
    const std::string where = "weft::checkpoint_writer::commit: '" + path_ + "': ";
    if (std::rename(temporary_.c_str(), path_.c_str()) != 0) {
      const std::string problem = where + "cannot rename '" + temporary_ + "' to it: " + std::strerror(errno);
      for (const auto& field : sidecars_) std::remove(sidecar_temporary(field).c_str());
      return problem;
    }
    renamed = 1;
    std::string problem;
    for (const auto& field : sidecars_) {
      const std::string from = sidecar_temporary(field), to = detail::xdmf_path(path_, field.dataset);
      if (std::rename(from.c_str(), to.c_str()) != 0 && problem.empty())
        problem = where + "committed, but its XDMF sidecar '" + to + "' could not be put in place: cannot rename '" +
                  from + "': " + std::strerror(errno);
    }
    if (options_.sync) {
      std::filesystem::path directory = std::filesystem::path(path_).parent_path();
      if (directory.empty()) directory = ".";
      if (auto sync = detail::fsync_path(directory.string(), true); !sync.empty() && problem.empty())
        problem = where + "committed, but " + sync;
    }
    return problem;
  }

  communicator comm_;
  std::string path_;
  checkpoint_options options_;
  std::string temporary_;
  hdf5_file file_;
  std::vector<detail::xdmf_field> sidecars_;
  bool committed_ = false;
};

}  // namespace weft
