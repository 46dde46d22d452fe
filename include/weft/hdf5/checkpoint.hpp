// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::checkpoint_writer: several named fields written into a temporary
// file and made visible together, under the checkpoint's name, by one atomic
// rename, so that a run killed while writing leaves the previous checkpoint
// whole.

#include "../detail/config.hpp"  // first: the C++20 check

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
  /// the file (MPI_File_sync through H5Fflush), rank 0 fsyncs it once closed,
  /// and fsyncs the directory after the rename. Then a machine that loses
  /// power, not only a run that is killed, keeps a whole checkpoint. Without
  /// it, a killed run is still safe; the operating system writes the data
  /// when it chooses.
  bool sync = true;
};

namespace detail {

/// "<path>.tmp.<pid of rank 0>-<random>", the same on every rank: in the same
/// directory, so the final rename stays within one file system.
inline std::string temporary_name(const communicator& comm, const std::string& path) {
  std::string name;
  if (comm.rank() == 0) {
    std::random_device random;
    char suffix[48];
    std::snprintf(suffix, sizeof suffix, ".tmp.%ld-%08x", static_cast<long>(::getpid()), static_cast<unsigned>(random()));
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
/// a temporary file beside the checkpoint, "<path>.tmp.<id>"; commit() closes
/// it once every rank's data is written and renames it to `path` on rank 0.
/// POSIX rename is atomic: `path` names either the previous checkpoint or the
/// new one, whole, whenever the run dies (killed, out of time, crashed). A
/// writer destroyed without commit() (an exception) deletes its temporary
/// file and leaves the previous checkpoint as it was; a run killed while
/// writing leaves the temporary file behind, never under the final name.
/// Every member function, the destructor included, is collective over comm.
/// Grids of scalar (and 3-vector) types also get an XDMF sidecar
/// "<path without .h5>.<field>.xmf", written after the rename.
///   weft::checkpoint_writer ckpt(comm, "run/checkpoint.h5");
///   ckpt.write("u", u, {{"time", t}});
///   ckpt.write_attribute("step", step);
///   ckpt.commit();
class checkpoint_writer {
 public:
  checkpoint_writer(const communicator& comm, const std::string& path, checkpoint_options options = {})
      : comm_(comm),
        path_(path),
        options_(options),
        temporary_(detail::temporary_name(comm, path)),
        file_(comm, temporary_, hdf5_file::create) {}

  checkpoint_writer(const checkpoint_writer&) = delete;
  checkpoint_writer& operator=(const checkpoint_writer&) = delete;

  ~checkpoint_writer() {
    if (committed_) return;
    try {
      file_.close();
    } catch (...) {
    }
    if (comm_.rank() == 0) std::remove(temporary_.c_str());
    MPI_Barrier(comm_.native());  // gone for every rank once this returns
  }

  /// Writes x as the field `name` of the checkpoint, with attributes (see
  /// weft::save). Collective over the ranks of x, which must be those of comm.
  template <class X>
    requires(distributed<X> || grid<X>)
  void write(const std::string& name, const X& x, const attributes& extra = {}) {
    if (auto field = detail::h5_write(file_, name, x, extra, "weft::checkpoint_writer::write")) sidecars_.push_back(*field);
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
  /// atomically: closes the file (every rank's data is then written), waits
  /// for every rank, and renames it on rank 0. Collective; throws weft::error
  /// on every rank if any step fails, and the previous checkpoint stays.
  void commit() {
    const char* algorithm = "weft::checkpoint_writer::commit";
    detail::require(!committed_, algorithm, ": '", path_, "' is already committed");
    if (options_.sync) file_.flush();
    file_.close();
    detail::check_mpi(MPI_Barrier(comm_.native()), "MPI_Barrier", algorithm);
    std::string problem;
    if (comm_.rank() == 0) problem = publish();
    detail::agree_with_root(comm_, problem, algorithm);
    committed_ = true;
    // The sidecars describe data that now exists under its final name.
    if (comm_.rank() == 0) {
      for (const auto& field : sidecars_) {
        problem = detail::write_xdmf(path_, field, algorithm);
        if (!problem.empty()) break;
      }
    }
    detail::agree_with_root(comm_, problem, algorithm);
  }

 private:
  // Rank 0: the rename (and the syncs around it).
  std::string publish() const {
    const std::string where = "weft::checkpoint_writer::commit: '" + path_ + "': ";
    if (options_.sync) {
      if (auto problem = detail::fsync_path(temporary_, false); !problem.empty()) return where + problem;
    }
    if (std::rename(temporary_.c_str(), path_.c_str()) != 0)
      return where + "cannot rename '" + temporary_ + "' to it: " + std::strerror(errno);
    if (options_.sync) {
      std::filesystem::path directory = std::filesystem::path(path_).parent_path();
      if (directory.empty()) directory = ".";
      if (auto problem = detail::fsync_path(directory.string(), true); !problem.empty()) return where + problem;
    }
    return {};
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
