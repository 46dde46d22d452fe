// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// HDF5 plumbing for weft::hdf5: owned handles, HDF5's error stack turned
// into weft::error and agreed across ranks, and decisions rank 0 makes alone.

#include "../../distributed/communicator.hpp"
#include "../../error.hpp"

#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#ifndef H5_HAVE_PARALLEL
#error "weft/hdf5.hpp needs a parallel (MPI) build of HDF5; this hdf5.h is serial"
#endif

namespace weft::detail {

/// An HDF5 identifier that closes itself. Negative identifiers (failed
/// calls) are held but never closed, so a sequence of calls can run on past
/// a failure and report it later.
class h5_handle {
 public:
  using closer = herr_t (*)(hid_t);
  h5_handle() = default;
  h5_handle(hid_t id, closer close) : id_(id), close_(close) {}
  h5_handle(h5_handle&& other) noexcept : id_(std::exchange(other.id_, -1)), close_(other.close_) {}
  h5_handle& operator=(h5_handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, -1);
      close_ = other.close_;
    }
    return *this;
  }
  h5_handle(const h5_handle&) = delete;
  h5_handle& operator=(const h5_handle&) = delete;
  ~h5_handle() { reset(); }

  hid_t get() const noexcept { return id_; }
  bool valid() const noexcept { return id_ >= 0; }
  /// Closes now; returns the close call's result (0 if nothing was open).
  herr_t reset() noexcept {
    herr_t result = 0;
    if (id_ >= 0 && close_) result = close_(id_);
    id_ = -1;
    return result;
  }

 private:
  hid_t id_ = -1;
  closer close_ = nullptr;
};

/// Silences HDF5's automatic error-stack printing while it lives: weft
/// probes (does this dataset exist?) and reports failures itself.
class h5_quiet {
 public:
  h5_quiet() {
    H5Eget_auto2(H5E_DEFAULT, &function_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~h5_quiet() { H5Eset_auto2(H5E_DEFAULT, function_, data_); }
  h5_quiet(const h5_quiet&) = delete;
  h5_quiet& operator=(const h5_quiet&) = delete;

 private:
  H5E_auto2_t function_ = nullptr;
  void* data_ = nullptr;
};

/// What HDF5's error stack says (the outermost call and the innermost
/// cause), then clears it.
inline std::string h5_error_text() {
  struct entry {
    std::string function, description, minor;
  };
  std::vector<entry> entries;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
        char minor[160] = {};
        H5Eget_msg(e->min_num, nullptr, minor, sizeof minor);
        static_cast<std::vector<entry>*>(data)->push_back(
            {e->func_name ? e->func_name : "", e->desc ? e->desc : "", minor});
        return 0;
      },
      &entries);
  H5Eclear2(H5E_DEFAULT);
  if (entries.empty()) return "no message on HDF5's error stack";
  auto text = [](const entry& e) {
    std::string s = e.description.empty() ? e.function : e.description;
    if (!e.minor.empty()) s += " (" + e.minor + ")";
    return s;
  };
  std::string out = text(entries.front());
  if (entries.size() > 1) out += "; innermost: " + text(entries.back());
  return out;
}

/// Collective: like detail::agree, but every rank throws the message of the
/// first rank that failed (usually all fail alike, reading the same file), so
/// each names the file, the dataset and the sizes.
inline void agree_and_share(const communicator& comm, bool ok, const std::string& message, const char* algorithm) {
  int failed_rank = ok ? comm.size() : comm.rank();
  int first_failed = comm.size();
  check_mpi(MPI_Allreduce(&failed_rank, &first_failed, 1, MPI_INT, MPI_MIN, comm.native()), "MPI_Allreduce",
            algorithm);
  if (first_failed == comm.size()) return;
  std::int64_t length = static_cast<std::int64_t>(message.size());
  check_mpi(MPI_Bcast(&length, 1, MPI_INT64_T, first_failed, comm.native()), "MPI_Bcast", algorithm);
  std::string shared = comm.rank() == first_failed ? message : std::string(static_cast<std::size_t>(length), '\0');
  check_mpi(MPI_Bcast(shared.data(), static_cast<int>(length), MPI_CHAR, first_failed, comm.native()), "MPI_Bcast",
            algorithm);
  if (comm.size() > 1) shared += " [on rank " + std::to_string(first_failed) + "]";
  throw error(shared);
}

/// The HDF5 calls of one collective weft operation. Each call's result goes
/// through operator(), which records the first failure on this rank (with
/// HDF5's message) and lets later calls run on harmlessly with invalid
/// identifiers. agree() — called before every collective HDF5 call and at the
/// end — makes every rank throw weft::error if any rank failed, so no rank
/// is left waiting inside HDF5 or MPI. Silences HDF5's error printing while
/// it lives.
class h5_calls {
 public:
  /// `context` starts every message: "weft::save: file 'out.h5', dataset 'u'".
  h5_calls(const communicator& comm, std::string context, const char* algorithm)
      : comm_(comm), context_(std::move(context)), algorithm_(algorithm) {}

  template <class Result>
  Result operator()(Result result, const char* call) {
    if (result < 0 && ok_) {
      ok_ = false;
      message_ = context_ + ": " + call + " failed: " + h5_error_text();
    } else if (result < 0) {
      H5Eclear2(H5E_DEFAULT);
    }
    return result;
  }

  /// A check of weft's own failed on this rank.
  void fail(const std::string& what) {
    if (!ok_) return;
    ok_ = false;
    message_ = context_ + ": " + what;
  }
  bool ok() const noexcept { return ok_; }
  const std::string& context() const noexcept { return context_; }

  /// Collective over the communicator: throws on every rank if any failed.
  void agree() const { agree_and_share(comm_, ok_, message_, algorithm_); }

 private:
  const communicator& comm_;
  std::string context_;
  const char* algorithm_;
  bool ok_ = true;
  std::string message_;
  h5_quiet quiet_;
};

/// Collective: rank 0 decided alone (e.g. whether a file exists); every rank
/// throws weft::error with rank 0's message if it found a problem.
inline void agree_with_root(const communicator& comm, const std::string& problem_on_root, const char* algorithm) {
  std::int64_t length = comm.rank() == 0 ? static_cast<std::int64_t>(problem_on_root.size()) : 0;
  check_mpi(MPI_Bcast(&length, 1, MPI_INT64_T, 0, comm.native()), "MPI_Bcast", algorithm);
  if (length == 0) return;
  std::string message = comm.rank() == 0 ? problem_on_root : std::string(static_cast<std::size_t>(length), '\0');
  check_mpi(MPI_Bcast(message.data(), static_cast<int>(length), MPI_CHAR, 0, comm.native()), "MPI_Bcast", algorithm);
  throw error(message);
}

/// A string rank 0 chose (e.g. a random name), on every rank.
inline std::string broadcast_string(const communicator& comm, std::string value, const char* algorithm) {
  std::int64_t length = static_cast<std::int64_t>(value.size());
  check_mpi(MPI_Bcast(&length, 1, MPI_INT64_T, 0, comm.native()), "MPI_Bcast", algorithm);
  value.resize(static_cast<std::size_t>(length));
  check_mpi(MPI_Bcast(value.data(), static_cast<int>(length), MPI_CHAR, 0, comm.native()), "MPI_Bcast", algorithm);
  return value;
}

/// Extents as "64 x 64".
inline std::string extents_text(const std::vector<std::int64_t>& extents) {
  if (extents.empty()) return "a scalar";
  std::ostringstream s;
  for (std::size_t d = 0; d < extents.size(); ++d) s << (d ? " x " : "") << extents[d];
  return s.str();
}

}  // namespace weft::detail
