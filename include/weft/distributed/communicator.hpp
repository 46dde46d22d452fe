#pragma once
// weft::communicator, weft::mpi_error, and the checked MPI calls every
// distributed algorithm goes through.

#include "../error.hpp"

#include <mpi.h>

#include <memory>
#include <string>
#include <utility>

namespace weft {

/// An MPI call inside weft failed. Carries the call, the rank and the MPI
/// library's own error string.
class mpi_error : public error {
 public:
  mpi_error(const std::string& what, int code) : error(what), code_(code) {}
  /// The MPI error code the call returned.
  int code() const noexcept { return code_; }

 private:
  int code_;
};

namespace detail {

inline int world_rank_or_unknown() {
  int initialized = 0, finalized = 0, rank = -1;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

/// Throws weft::mpi_error unless `code` is MPI_SUCCESS. weft's communicators
/// return errors rather than abort (MPI_ERRORS_RETURN), so this sees them.
inline void check_mpi(int code, const char* call, const char* algorithm) {
  if (code == MPI_SUCCESS) [[likely]]
    return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw mpi_error(std::string(algorithm) + ": " + call + " failed on rank " +
                      std::to_string(world_rank_or_unknown()) + ": " + std::string(text, length),
                  code);
}

}  // namespace detail

/// weft's handle on an MPI communicator. Constructing one duplicates the
/// communicator it is given, so weft's messages never meet the user's, and
/// switches it to MPI_ERRORS_RETURN so that failures become weft::mpi_error.
/// Copies share the duplicate; the last one frees it (if MPI is still up).
///   weft::communicator comm(MPI_COMM_WORLD);
class communicator {
 public:
  explicit communicator(MPI_Comm comm) {
    MPI_Comm dup = MPI_COMM_NULL;
    detail::check_mpi(MPI_Comm_dup(comm, &dup), "MPI_Comm_dup", "weft::communicator");
    comm_ = std::shared_ptr<MPI_Comm>(new MPI_Comm(dup), [](MPI_Comm* c) {
      int finalized = 0;
      MPI_Finalized(&finalized);
      if (!finalized) MPI_Comm_free(c);
      delete c;
    });
    detail::check_mpi(MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler",
                      "weft::communicator");
    detail::check_mpi(MPI_Comm_rank(dup, &rank_), "MPI_Comm_rank", "weft::communicator");
    detail::check_mpi(MPI_Comm_size(dup, &size_), "MPI_Comm_size", "weft::communicator");
  }

  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }
  /// The duplicated MPI communicator weft sends on.
  MPI_Comm native() const noexcept { return *comm_; }

  /// Same underlying duplicate (copies of one communicator).
  friend bool operator==(const communicator& a, const communicator& b) {
    return a.comm_ == b.comm_;
  }

 private:
  std::shared_ptr<MPI_Comm> comm_;
  int rank_ = 0;
  int size_ = 1;
};

namespace detail {

/// Collective: every rank learns whether any rank failed a check, so all of
/// them throw together instead of some waiting in the next collective.
/// `message` is thrown on the ranks that failed; the others throw a note that
/// names the first failing rank.
inline void agree(const communicator& comm, bool ok, const std::string& message,
                  const char* algorithm) {
  int failed_rank = ok ? comm.size() : comm.rank();
  int first_failed = comm.size();
  check_mpi(MPI_Allreduce(&failed_rank, &first_failed, 1, MPI_INT, MPI_MIN, comm.native()),
            "MPI_Allreduce", algorithm);
  if (first_failed == comm.size()) return;
  if (!ok) throw error(message);
  fail(algorithm, ": failed on rank ", first_failed, " (see the error raised there)");
}

}  // namespace detail
}  // namespace weft
