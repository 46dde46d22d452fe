// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// HDF5 plumbing for weft::hdf5: owned handles, HDF5's error stack turned
// into weft::error and agreed across ranks, and decisions rank 0 makes alone.

#include "../../distributed/communicator.hpp"
#include "../../error.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <mpi.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <sstream>
#include <string>
#include <type_traits>
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

/// The HDF5 calls of one collective weft operation. Each call's result goes
/// through operator(), which records the first failure on this rank (with
/// HDF5's message) and lets later calls run on harmlessly with invalid
/// identifiers; the caller settles problem() across ranks (on_root
/// broadcasts rank 0's, so no rank is left waiting inside HDF5 or MPI).
/// Silences HDF5's error printing while it lives.
class h5_calls {
 public:
  /// `context` starts every message: "weft::save: file 'out.h5', dataset 'u'".
  explicit h5_calls(std::string context) : context_(std::move(context)) {}

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
  /// This rank's first failure, or "".
  const std::string& problem() const noexcept { return message_; }

 private:
  std::string context_;
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

/// MPI's text for an error code.
inline std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, static_cast<std::size_t>(length));
}

/// Collective: a new communicator of comm's ranks in the same order, with
/// no topology, for MPI-IO (free it with MPI_Comm_free). Open MPI 4.1's
/// OMPIO groups I/O by a Cartesian topology when the communicator has one,
/// and lost data in collective writes that way (a 37 x 23 grid at 3 ranks).
inline MPI_Comm h5_plain_communicator(const communicator& comm, const char* algorithm) {
  MPI_Comm plain = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split(comm.native(), 0, comm.rank(), &plain), "MPI_Comm_split", algorithm);
  check_mpi(MPI_Comm_set_errhandler(plain, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler", algorithm);
  return plain;
}

/// Whether `path` is an HDF5 file (quietly).
inline bool h5_is_hdf5(const std::string& path) {
  h5_quiet quiet;
#if H5_VERSION_GE(1, 12, 0)
  const htri_t is_hdf5 = H5Fis_accessible(path.c_str(), H5P_DEFAULT);
#else
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
#endif
  H5Eclear2(H5E_DEFAULT);
  return is_hdf5 > 0;
}

/// A file access property list for rank 0's own, serial, access to a file
/// (HDF5's default sec2 driver): every object closed with the file (so that
/// H5Fclose writes everything and reports whether it could), and HDF5's file
/// locking kept where the file system has it.
inline h5_handle h5_serial_access(h5_calls& calls) {
  h5_handle access(calls(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate"), H5Pclose);
  calls(H5Pset_fclose_degree(access.get(), H5F_CLOSE_STRONG), "H5Pset_fclose_degree");
#if H5_VERSION_GE(1, 10, 7)
  calls(H5Pset_file_locking(access.get(), true, true), "H5Pset_file_locking");
#endif
  return access;
}

/// Rank 0, before HDF5 writes to an existing file: `bytes` more allocated
/// past its end (Linux fallocate), so that a full disk, a quota or a
/// file-size limit shows here, before HDF5 holds anything it must write,
/// rather than inside H5Fclose (HDF5 1.10 cannot close a file whose metadata
/// it failed to write, and crashes at MPI_Finalize). HDF5 cuts the file back
/// to what it used when it closes it; the values of a new dataset, written
/// later with MPI-IO, land in blocks reserved here. Where the file system
/// cannot allocate ahead (EOPNOTSUPP), nothing is reserved. Returns what
/// went wrong, or "".
inline std::string h5_reserve(const std::string& path, std::uint64_t bytes) {
#if defined(__linux__)
  const int fd = ::open(path.c_str(), O_RDWR);
  if (fd < 0) return "cannot open the file to reserve space in it: " + std::string(std::strerror(errno));
  struct stat st {};
  int rc = ::fstat(fd, &st);
  if (rc == 0 && bytes > 0) rc = ::fallocate(fd, 0, st.st_size, static_cast<off_t>(bytes));
  const int saved = errno;
  if (rc != 0) (void)!::ftruncate(fd, st.st_size);  // whatever was allocated before the failure
  ::close(fd);
  if (rc != 0 && saved != EOPNOTSUPP && saved != ENOSYS)
    return "cannot reserve " + std::to_string(bytes) + " bytes at the end of the file: " + std::strerror(saved);
#else
  (void)path;
  (void)bytes;
#endif
  return {};
}

/// Rank 0: a new, empty HDF5 file at `path` (an existing one is replaced):
/// built in memory by HDF5 (the core driver, no backing store) and written
/// out by weft, so that a full disk fails a checked write() here and never
/// an HDF5 close. Returns what went wrong, or "".
inline std::string h5_create_empty_file(const std::string& path, h5_calls& calls) {
  const h5_handle access(calls(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate"), H5Pclose);
  calls(H5Pset_fapl_core(access.get(), 1 << 16, false), "H5Pset_fapl_core");
  std::vector<char> image;
  {
    h5_handle file(calls(H5Fcreate("weft-empty-file-image", H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), "H5Fcreate"),
                   H5Fclose);
    calls(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "H5Fflush");
    const ssize_t size = calls(H5Fget_file_image(file.get(), nullptr, 0), "H5Fget_file_image");
    if (size > 0) {
      image.resize(static_cast<std::size_t>(size));
      calls(H5Fget_file_image(file.get(), image.data(), image.size()), "H5Fget_file_image");
    }
    calls(file.reset(), "H5Fclose");
  }
  if (!calls.ok()) return calls.problem();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0) return "cannot create the file: " + std::string(std::strerror(errno));
  std::size_t written = 0;
  while (written < image.size()) {
    const ssize_t n = ::write(fd, image.data() + written, image.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  const int saved = errno;
  const bool closed = ::close(fd) == 0;
  if (written < image.size() || !closed)
    return "cannot write the new file: " + std::string(std::strerror(written < image.size() ? saved : errno));
  return {};
}

/// Values that travel as bytes from rank 0 to every rank (see on_root).
template <class R>
std::string to_bytes(const R& value) {
  if constexpr (std::is_same_v<R, std::string>) {
    return value;
  } else if constexpr (requires {
                         typename R::value_type;
                         value.data();
                         value.size();
                       }) {
    static_assert(std::is_trivially_copyable_v<typename R::value_type>);
    return std::string(reinterpret_cast<const char*>(value.data()), value.size() * sizeof(typename R::value_type));
  } else {
    static_assert(std::is_trivially_copyable_v<R>, "weft: a value rank 0 sends must be trivially copyable");
    return std::string(reinterpret_cast<const char*>(&value), sizeof(R));
  }
}
template <class R>
R from_bytes(const std::string& bytes) {
  if constexpr (std::is_same_v<R, std::string>) {
    return bytes;
  } else if constexpr (requires(R r) {
                         typename R::value_type;
                         r.resize(0);
                         r.data();
                       }) {
    R value(bytes.size() / sizeof(typename R::value_type));
    if (!bytes.empty()) std::memcpy(value.data(), bytes.data(), bytes.size());
    return value;
  } else {
    R value{};
    std::memcpy(&value, bytes.data(), sizeof(R));
    return value;
  }
}

/// Collective: rank 0 runs f(calls) alone (typically HDF5 calls on a file
/// that only rank 0 has open, so that no failure can leave another rank
/// waiting inside HDF5 or MPI-IO); every rank then returns f's result, or
/// throws weft::error with rank 0's message if a call or check failed there
/// (or f threw). The result is a string, a vector of trivially copyable
/// values, or one trivially copyable value. Two broadcasts.
template <class F>
auto on_root(const communicator& comm, const std::string& context, const char* algorithm, F&& f) {
  using R = std::remove_cvref_t<std::invoke_result_t<F&, h5_calls&>>;
  std::string problem, payload;
  if (comm.rank() == 0) {
    h5_calls calls(context);
    try {
      payload = to_bytes(f(calls));
    } catch (const error& e) {
      calls.fail(e.what());
    } catch (const std::exception& e) {
      calls.fail(e.what());
    }
    problem = calls.problem();
    if (!problem.empty()) payload.clear();
  }
  std::int64_t lengths[2] = {static_cast<std::int64_t>(problem.size()), static_cast<std::int64_t>(payload.size())};
  check_mpi(MPI_Bcast(lengths, 2, MPI_INT64_T, 0, comm.native()), "MPI_Bcast", algorithm);
  std::string both = problem + payload;
  both.resize(static_cast<std::size_t>(lengths[0] + lengths[1]));
  if (!both.empty())
    check_mpi(MPI_Bcast(both.data(), static_cast<int>(both.size()), MPI_CHAR, 0, comm.native()), "MPI_Bcast",
              algorithm);
  if (lengths[0] > 0) throw error(both.substr(0, static_cast<std::size_t>(lengths[0])));
  return from_bytes<R>(both.substr(static_cast<std::size_t>(lengths[0])));
}

/// Arguments of a collective I/O call that must be exactly the same on every
/// rank (file and dataset names, modes, options, attribute names and
/// values). compare() sends rank 0's to every rank (two broadcasts) and
/// records, on a rank whose differ, which one and both values in the
/// collective_check; its settle() then throws on every rank. Texts are
/// compared in full and numbers bitwise: nothing is hashed.
class io_arguments {
 public:
  io_arguments& text(const char* what, const std::string& value) { return add(what, 't', value); }
  io_arguments& integer(const char* what, std::int64_t value) { return add(what, 'i', to_bytes(value)); }
  io_arguments& unsigned_integer(const char* what, std::uint64_t value) { return add(what, 'u', to_bytes(value)); }
  io_arguments& number(const char* what, double value) { return add(what, 'd', to_bytes(value)); }

  /// Collective over comm: see the class comment.
  void compare(const communicator& comm, collective_check& check, const char* algorithm) const {
    std::string mine;
    for (const auto& f : fields_) {
      const std::uint64_t length = f.bytes.size();
      mine += f.kind;
      mine.append(reinterpret_cast<const char*>(&length), sizeof length);
      mine += f.bytes;
    }
    std::int64_t length = static_cast<std::int64_t>(mine.size());
    check_mpi(MPI_Bcast(&length, 1, MPI_INT64_T, 0, comm.native()), "MPI_Bcast", algorithm);
    std::string root = comm.rank() == 0 ? mine : std::string(static_cast<std::size_t>(length), '\0');
    if (length > 0)
      check_mpi(MPI_Bcast(root.data(), static_cast<int>(length), MPI_CHAR, 0, comm.native()), "MPI_Bcast", algorithm);
    if (comm.rank() == 0 || root == mine) return;
    // The first field that differs, read off rank 0's bytes.
    std::size_t at = 0;
    for (const auto& f : fields_) {
      std::string theirs;
      char kind = '?';
      if (at + 1 + sizeof(std::uint64_t) <= root.size()) {
        kind = root[at];
        std::uint64_t n = 0;
        std::memcpy(&n, root.data() + at + 1, sizeof n);
        at += 1 + sizeof n;
        theirs = root.substr(at, static_cast<std::size_t>(n));
        at += static_cast<std::size_t>(n);
      }
      if (kind != f.kind || theirs != f.bytes) {
        check.require(false, algorithm, ": ranks disagree on ", f.what, ": ", show(kind, theirs), " on rank 0, ",
                      show(f.kind, f.bytes), " on rank ", comm.rank(), "; every rank must pass the same");
        return;
      }
    }
    check.require(false, algorithm, ": ranks disagree on the number of arguments; every rank must pass the same");
  }

 private:
  struct field {
    const char* what;
    char kind;
    std::string bytes;
  };
  io_arguments& add(const char* what, char kind, std::string bytes) {
    fields_.push_back({what, kind, std::move(bytes)});
    return *this;
  }
  static std::string show(char kind, const std::string& bytes) {
    std::ostringstream s;
    if (kind == 't') {
      s << "'" << (bytes.size() > 200 ? bytes.substr(0, 200) + "..." : bytes) << "'";
    } else if (kind == 'i' && bytes.size() == 8) {
      s << from_bytes<std::int64_t>(bytes);
    } else if (kind == 'u' && bytes.size() == 8) {
      s << from_bytes<std::uint64_t>(bytes);
    } else if (kind == 'd' && bytes.size() == 8) {
      s.precision(17);
      s << from_bytes<double>(bytes);
    } else {
      s << "(another kind of value)";
    }
    return s.str();
  }
  std::vector<field> fields_;
};

}  // namespace weft::detail
