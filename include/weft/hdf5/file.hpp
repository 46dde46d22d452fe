// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::hdf5_file: an HDF5 file used collectively by the ranks of a
// communicator, and attributes (numbers and strings) on it and on its
// datasets.
//
// How weft writes HDF5 so that no failure can hang a run: HDF5's own
// metadata (groups, dataset headers, attributes) is read and written by rank
// 0 alone, through HDF5's serial driver, with the file open only for that
// call; the other ranks wait for its answer in a broadcast that rank 0
// reaches whatever happened. The values of a dataset, the bulk of the bytes,
// go straight between each rank's memory and the dataset's place in the file
// by independent MPI-IO calls, each checked for a short transfer
// (detail/dataset.hpp). No rank ever waits inside a collective HDF5 or MPI-IO
// operation that another rank may have left on an error: parallel HDF5
// waits in such collectives (its metadata flush when a disk fills up on one
// rank), and Open MPI's OMPIO reports failed writes as successes and waits in
// collective writes after them.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../distributed/communicator.hpp"
#include "../error.hpp"
#include "detail/h5.hpp"
#include "types.hpp"

#include <hdf5.h>
#include <mpi.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace weft {

/// The value of an attribute: a signed integer (stored as int64), an
/// unsigned one (stored as uint64), a floating-point number (stored as
/// float64) or a string (variable-length UTF-8). Every value round-trips
/// exactly; a long double that float64 cannot hold exactly is refused when
/// the attribute is written.
class attribute_value {
 public:
  using variant_type = std::variant<std::int64_t, std::uint64_t, double, std::string>;

  template <std::signed_integral T>
  attribute_value(T v) : value_(static_cast<std::int64_t>(v)) {}
  template <std::unsigned_integral T>
  requires(!std::is_same_v<T, bool>) attribute_value(T v) : value_(static_cast<std::uint64_t>(v)) {}
  template <std::floating_point T>
  attribute_value(T v)
      : value_(static_cast<double>(v)), exact_(std::isnan(v) || static_cast<T>(static_cast<double>(v)) == v) {}
  attribute_value(std::string v) : value_(std::move(v)) {}
  attribute_value(const char* v) : value_(std::string(v)) {}

  const variant_type& get() const noexcept { return value_; }
  /// False for a long double that float64 cannot hold exactly.
  bool exact() const noexcept { return exact_; }

 private:
  variant_type value_;
  bool exact_ = true;
};

/// A named attribute, as passed to weft::save: {"step", 1000}.
struct attribute {
  std::string name;
  attribute_value value;
};

/// Attributes to store with a dataset: weft::save(f, "u", u, {{"step", 1000}, {"time", 0.5}}).
using attributes = std::vector<attribute>;

namespace detail {

/// What a name in a file refers to. `blocked`: a component before the last
/// is not a group, so nothing can be created there.
enum class h5_object { none, group, dataset, other, blocked };

/// What the link `name` ("u", "/fields/u") refers to, one path component at
/// a time (H5Lexists fails, rather than saying no, when a parent is missing).
inline h5_object h5_kind_of(hid_t file, const std::string& name) {
  if (name.empty() || name == "/" || name == ".") return h5_object::group;
  std::size_t at = name[0] == '/' ? 1 : 0;
  while (true) {
    const std::size_t end = name.find('/', at);
    const std::string prefix = name.substr(0, end);
    if (end != at) {
      if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return h5_object::none;
      }
      // The object's kind by opening it (H5Oget_info's signature differs
      // between HDF5 1.10 and 1.12).
      const h5_handle object(H5Oopen(file, prefix.c_str(), H5P_DEFAULT), H5Oclose);
      const H5I_type_t type = object.valid() ? H5Iget_type(object.get()) : H5I_BADID;
      H5Eclear2(H5E_DEFAULT);
      const bool last = end == std::string::npos || name.find_first_not_of('/', end) == std::string::npos;
      if (!last && type != H5I_GROUP) return h5_object::blocked;
      if (last)
        return type == H5I_GROUP ? h5_object::group : type == H5I_DATASET ? h5_object::dataset : h5_object::other;
    }
    at = end + 1;
  }
}

inline bool h5_exists(hid_t file, const std::string& name) {
  const h5_object kind = h5_kind_of(file, name);
  return kind != h5_object::none && kind != h5_object::blocked;
}

/// The attribute names weft keeps for its own description of a dataset; a
/// user's attribute of one of these names is refused rather than allowed to
/// replace weft's.
inline bool h5_reserved_attribute(const std::string& name) {
  return name == "extents" || name == "value_type" || name.rfind("weft_", 0) == 0;
}

using h5_attribute_data = std::variant<std::int64_t, std::uint64_t, double, std::string, std::vector<std::int64_t>>;

/// Writes (or replaces) one scalar attribute, or a 1-D int64 one, on an open object.
inline void h5_write_attribute(hid_t object, const std::string& name, const h5_attribute_data& value, h5_calls& calls) {
  if (calls(H5Aexists(object, name.c_str()), "H5Aexists") > 0) calls(H5Adelete(object, name.c_str()), "H5Adelete");
  h5_handle type, space;
  const void* data = nullptr;
  const char* text = nullptr;
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    type = h5_handle(calls(H5Tcopy(H5T_NATIVE_INT64), "H5Tcopy"), H5Tclose);
    data = i;
  } else if (const auto* u = std::get_if<std::uint64_t>(&value)) {
    type = h5_handle(calls(H5Tcopy(H5T_NATIVE_UINT64), "H5Tcopy"), H5Tclose);
    data = u;
  } else if (const auto* d = std::get_if<double>(&value)) {
    type = h5_handle(calls(H5Tcopy(H5T_NATIVE_DOUBLE), "H5Tcopy"), H5Tclose);
    data = d;
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    type = h5_handle(calls(H5Tcopy(H5T_C_S1), "H5Tcopy"), H5Tclose);
    calls(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size");
    calls(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset");
    text = s->c_str();
    data = &text;
  }
  if (const auto* v = std::get_if<std::vector<std::int64_t>>(&value)) {
    type = h5_handle(calls(H5Tcopy(H5T_NATIVE_INT64), "H5Tcopy"), H5Tclose);
    const hsize_t n = v->size();
    space = h5_handle(calls(H5Screate_simple(1, &n, nullptr), "H5Screate_simple"), H5Sclose);
    data = v->data();
  } else {
    space = h5_handle(calls(H5Screate(H5S_SCALAR), "H5Screate"), H5Sclose);
  }
  const h5_handle attr(
      calls(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), "H5Acreate2"),
      H5Aclose);
  calls(H5Awrite(attr.get(), type.get(), data), "H5Awrite");
}

/// A user's attribute as one of the arguments every rank must pass alike
/// (name, kind and value, bitwise), and its checks.
inline void h5_record_attribute(io_arguments& arguments, const std::string& name, const attribute_value& value) {
  arguments.text("an attribute name", name);
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::int64_t>)
          arguments.integer("the value of an integer attribute", v);
        else if constexpr (std::is_same_v<V, std::uint64_t>)
          arguments.unsigned_integer("the value of an unsigned attribute", v);
        else if constexpr (std::is_same_v<V, double>)
          arguments.number("the value of a floating-point attribute", v);
        else
          arguments.text("the value of a string attribute", v);
      },
      value.get());
}
/// Room HDF5's metadata may take when weft adds a dataset or an attribute
/// (object headers, group nodes, the heap of variable-length strings), on
/// top of 4 x the attributes' own bytes; reserved before rank 0 writes.
inline constexpr std::uint64_t h5_metadata_reserve = std::uint64_t{64} << 10;
inline std::uint64_t h5_attribute_bytes(const std::string& name, const attribute_value& value) {
  const auto* text = std::get_if<std::string>(&value.get());
  return 64 + name.size() + (text ? text->size() : 8);
}

/// What is wrong with a user's attribute, or "".
inline std::string h5_user_attribute_problem(const std::string& name, const attribute_value& value) {
  if (name.empty()) return "an attribute needs a name";
  if (h5_reserved_attribute(name))
    return "'" + name +
           "' is a name weft keeps for its own description of a dataset (extents, value_type, weft_*); "
           "choose another";
  if (!value.exact()) return "the value of attribute '" + name + "' is a long double that float64 cannot hold exactly";
  return {};
}

template <class T>
inline constexpr bool attribute_readable =
    (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) || std::is_same_v<T, std::string>;

/// `v` as T if T holds it exactly; otherwise a failure in `calls`.
template <class T, class V>
T h5_exactly(V v, h5_calls& calls) {
  if constexpr (std::is_integral_v<T>) {
    if (!std::in_range<T>(v)) calls.fail("the value " + std::to_string(v) + " does not fit the type asked for");
    return static_cast<T>(v);
  } else {
    // An integer into a floating-point type: exact below 2^digits, and
    // above it only if it converts back to itself (checked in range first).
    const T t = static_cast<T>(v);
    const T limit = std::ldexp(T(1), std::numeric_limits<V>::digits);
    const bool fits = t < limit && t >= -limit && static_cast<V>(t) == v;
    if (!fits) calls.fail("the integer " + std::to_string(v) + " is not exactly a value of the type asked for");
    return t;
  }
}

/// Reads one scalar attribute as T: an integer type from an integer
/// attribute whose value it holds; a floating-point type from an integer or
/// floating-point attribute whose value it holds exactly (NaN and infinities
/// included); std::string from a string. Anything else fails, never rounds.
template <class T>
T h5_read_attribute(hid_t object, const std::string& name, h5_calls& calls) {
  T result{};
  if (calls(H5Aexists(object, name.c_str()), "H5Aexists") == 0) {
    calls.fail("no such attribute");
    return result;
  }
  const h5_handle attr(calls(H5Aopen(object, name.c_str(), H5P_DEFAULT), "H5Aopen"), H5Aclose);
  const h5_handle stored(calls(H5Aget_type(attr.get()), "H5Aget_type"), H5Tclose);
  const h5_handle space(calls(H5Aget_space(attr.get()), "H5Aget_space"), H5Sclose);
  if (!calls.ok()) return result;
  if (H5Sget_simple_extent_npoints(space.get()) != 1) {
    calls.fail("the attribute holds " + std::to_string(H5Sget_simple_extent_npoints(space.get())) + " values, not one");
    return result;
  }
  const H5T_class_t kind = H5Tget_class(stored.get());
  const std::string stored_name = detail::h5_type_name(stored.get());
  const bool stored_unsigned = kind == H5T_INTEGER && H5Tget_sign(stored.get()) == H5T_SGN_NONE;
  if constexpr (std::is_same_v<T, std::string>) {
    if (kind != H5T_STRING) {
      calls.fail("the attribute is " + stored_name + ", not a string");
    } else if (H5Tis_variable_str(stored.get()) > 0) {
      char* text = nullptr;
      if (calls(H5Aread(attr.get(), stored.get(), &text), "H5Aread") >= 0 && text) result = text;
      H5free_memory(text);
    } else {
      std::string buffer(H5Tget_size(stored.get()), '\0');
      calls(H5Aread(attr.get(), stored.get(), buffer.data()), "H5Aread");
      result = buffer.substr(0, buffer.find('\0'));
    }
  } else if (kind == H5T_INTEGER && H5Tget_size(stored.get()) <= 8) {
    // Read in the stored signedness at full width (HDF5 would clamp a
    // conversion that overflows, silently), then check the range here.
    if (stored_unsigned) {
      std::uint64_t v = 0;
      if (calls(H5Aread(attr.get(), H5T_NATIVE_UINT64, &v), "H5Aread") >= 0) result = h5_exactly<T>(v, calls);
    } else {
      std::int64_t v = 0;
      if (calls(H5Aread(attr.get(), H5T_NATIVE_INT64, &v), "H5Aread") >= 0) result = h5_exactly<T>(v, calls);
    }
  } else if constexpr (std::is_integral_v<T>) {
    calls.fail("the attribute is " + stored_name + ", not an integer");
  } else {
    long double v = 0;
    if (kind != H5T_FLOAT) {
      calls.fail("the attribute is " + stored_name + ", not a number");
    } else if (calls(H5Aread(attr.get(), H5T_NATIVE_LDOUBLE, &v), "H5Aread") >= 0) {
      // NaN and infinities carry over; a finite value must be one of T's.
      const bool fits = !std::isfinite(v) || std::fabs(v) <= static_cast<long double>(std::numeric_limits<T>::max());
      if (fits) result = static_cast<T>(v);
      if (!fits || (!std::isnan(v) && static_cast<long double>(result) != v)) {
        std::ostringstream shown;
        shown.precision(21);
        shown << v;
        calls.fail("the value " + shown.str() + " (" + stored_name + ") is not exactly a value of the type asked for" +
                   (fits ? "" : ": out of its range"));
      }
    }
  }
  return result;
}

/// Files this process has open through weft::hdf5_file (by device and
/// inode): any number of readers, or one writer. A file is not created or
/// written over while this program reads it, nor read while it is written.
struct h5_file_key {
  std::uint64_t device = 0, inode = 0;
  friend auto operator<=>(const h5_file_key&, const h5_file_key&) = default;
};
struct h5_open_files {
  std::mutex lock;
  std::map<h5_file_key, std::pair<int, int>> users;  // readers, writers
};
inline h5_open_files& h5_open_file_table() {
  static h5_open_files table;
  return table;
}

/// Rank 0's look at `path`: whether it exists, and its key.
struct h5_file_identity {
  std::int32_t exists = 0;
  h5_file_key key;
};
inline h5_file_identity h5_identify(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {1, {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)}};
}

}  // namespace detail

class hdf5_file;
namespace detail {
template <class F>
auto h5_on_file(const hdf5_file& file, const char* algorithm, const std::string& what, bool writable,
                std::uint64_t reserve, F&& f) -> std::remove_cvref_t<std::invoke_result_t<F&, hid_t, h5_calls&>>;
}  // namespace detail

/// An HDF5 file used by every rank of a communicator: created, or opened
/// read-only or for adding datasets. Every member function is collective: all
/// ranks of the communicator call it, with the same arguments (compared
/// exactly: a name or value that differs between ranks throws weft::error
/// on every rank), in the same order. Failures (a missing file, an
/// unwritable directory, a full disk, HDF5 errors) throw weft::error on every
/// rank, naming the file; none leaves a rank waiting. weft::save /
/// weft::load move distributed vectors and grids in and out.
///
/// The file is not held open between calls: each call opens it on rank 0
/// for HDF5's metadata (see the header comment) and with MPI-IO on every
/// rank for a dataset's values, and closes it before returning, so
/// everything a call wrote is in the file when it returns. Within one
/// program, a file is open through hdf5_file for reading any number of
/// times, or for writing (create, read_write) once: a second writer, or a
/// reader while it is written, throws weft::error.
///   weft::hdf5_file f(comm, "fields.h5", weft::hdf5_file::create);
///   weft::save(f, "u", u, {{"step", 1000}});
class hdf5_file {
 public:
  /// create: a new, empty file (an existing one is replaced, not atomically:
  /// see weft::checkpoint_writer); read: an existing file, read-only;
  /// read_write: an existing file, to add datasets and attributes.
  enum mode { create, read, read_write };

  /// Opens (or creates) `path` on every rank of comm. Rank 0 first checks
  /// that the file (read, read_write) or its directory (create) is there, so
  /// the common mistakes get a plain message.
  hdf5_file(const communicator& comm, const std::string& path, mode m) : comm_(comm), path_(path), mode_(m) {
    const char* algorithm = "weft::hdf5_file";
    {
      detail::collective_check check(algorithm);
      detail::io_arguments arguments;
      arguments.text("the file name", path).integer("the mode (0 create, 1 read, 2 read_write)", m);
      arguments.compare(comm_, check, algorithm);
      check.require(m == create || m == read || m == read_write, algorithm, ": '", path, "': unknown mode ",
                    static_cast<int>(m));
      check.settle(comm_);
    }
    // Rank 0 looks at the path; every rank checks its own open files
    // against it before anything touches the file.
    const auto before = detail::on_root(comm_, algorithm, algorithm, [&](detail::h5_calls& calls) {
      // problem_opening's messages start with "weft::hdf5_file: ", as calls' do.
      if (auto problem = problem_opening(path, m); !problem.empty())
        calls.fail(problem.substr(std::strlen(algorithm) + 2));
      return detail::h5_identify(path);
    });
    {
      detail::collective_check check(algorithm);
      if (before.exists) check.require(usable(before.key, m), conflict(m));
      check.settle(comm_);
    }
    const auto after =
        detail::on_root(comm_, std::string(algorithm) + ": '" + path + "'", algorithm, [&](detail::h5_calls& calls) {
          const detail::h5_handle access = detail::h5_serial_access(calls);
          if (m == create) {
            if (auto problem = detail::h5_create_empty_file(path, calls); !problem.empty()) calls.fail(problem);
          } else {
            detail::h5_handle file(
                calls(H5Fopen(path.c_str(), m == read ? H5F_ACC_RDONLY : H5F_ACC_RDWR, access.get()), "H5Fopen"),
                H5Fclose);
            calls(file.reset(), "H5Fclose");
          }
          return detail::h5_identify(path);
        });
    key_ = after.key;
    auto& table = detail::h5_open_file_table();
    std::lock_guard guard(table.lock);
    (m == read ? table.users[key_].first : table.users[key_].second) += 1;
    open_ = true;
  }

  hdf5_file(hdf5_file&& other) noexcept
      : comm_(other.comm_),
        path_(std::move(other.path_)),
        mode_(other.mode_),
        key_(other.key_),
        open_(std::exchange(other.open_, false)) {}
  hdf5_file& operator=(hdf5_file&&) = delete;
  hdf5_file(const hdf5_file&) = delete;
  hdf5_file& operator=(const hdf5_file&) = delete;

  ~hdf5_file() { release(); }

  /// Closes the file: nothing is left to write (each call wrote its part
  /// before returning); the file may be opened again, in any mode.
  /// Collective, as every member.
  void close() { release(); }

  /// Makes what was written durable: every rank syncs the file
  /// (MPI_File_sync, which on POSIX file systems is fsync) so that a power
  /// cut cannot lose it. Collective; weft::error on every rank if it fails.
  void flush() {
    const char* algorithm = "weft::hdf5_file::flush";
    detail::collective_check check(algorithm);
    check.require(open_, algorithm, ": '", path_, "': the file is closed");
    check.settle(comm_);
    MPI_Comm plain = detail::h5_plain_communicator(comm_, algorithm);
    MPI_File handle = MPI_FILE_NULL;
    const int opened = MPI_File_open(plain, path_.c_str(), MPI_MODE_RDWR, MPI_INFO_NULL, &handle);
    int synced = MPI_SUCCESS;
    if (opened == MPI_SUCCESS) {
      synced = MPI_File_sync(handle);
      MPI_File_close(&handle);
    }
    MPI_Comm_free(&plain);
    check.require(opened == MPI_SUCCESS && synced == MPI_SUCCESS, algorithm, ": '", path_,
                  "': ", opened != MPI_SUCCESS ? "MPI_File_open" : "MPI_File_sync",
                  " failed: ", detail::mpi_error_text(opened != MPI_SUCCESS ? opened : synced));
    check.settle(comm_);
  }

  bool is_open() const noexcept { return open_; }
  const std::string& path() const noexcept { return path_; }
  const communicator& comm() const noexcept { return comm_; }
  mode access_mode() const noexcept { return mode_; }

  /// Whether the file holds an object (a dataset or group) of this name.
  /// Collective.
  bool contains(const std::string& name) const {
    const char* algorithm = "weft::hdf5_file::contains";
    agree_on(algorithm, detail::io_arguments().text("the name", name));
    const auto found =
        detail::h5_on_file(*this, algorithm, "'" + path_ + "'", false, 0,
                           [&](hid_t file, detail::h5_calls&) { return std::int32_t(detail::h5_exists(file, name)); });
    return found != 0;
  }

  /// The extents of a dataset, e.g. to build a grid of the right size before
  /// loading it. Collective; weft::error if there is no such dataset.
  std::vector<std::int64_t> extents(const std::string& dataset) const {
    const char* algorithm = "weft::hdf5_file::extents";
    agree_on(algorithm, detail::io_arguments().text("the dataset name", dataset));
    return detail::h5_on_file(
        *this, algorithm, "dataset '" + dataset + "' in '" + path_ + "'", false, 0,
        [&](hid_t file, detail::h5_calls& calls) {
          std::vector<std::int64_t> result;
          if (detail::h5_kind_of(file, dataset) != detail::h5_object::dataset) {
            calls.fail("no such dataset");
            return result;
          }
          const detail::h5_handle set(calls(H5Dopen2(file, dataset.c_str(), H5P_DEFAULT), "H5Dopen2"), H5Dclose);
          const detail::h5_handle space(calls(H5Dget_space(set.get()), "H5Dget_space"), H5Sclose);
          const int rank = calls(H5Sget_simple_extent_ndims(space.get()), "H5Sget_simple_extent_ndims");
          if (rank >= 0) {
            std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
            calls(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), "H5Sget_simple_extent_dims");
            result.assign(dims.begin(), dims.end());
          }
          return result;
        });
  }

  /// Sets an attribute on the file (its root group), or on an object in it,
  /// replacing any of the same name. Every rank must pass the same name and
  /// value (compared exactly). The names weft keeps for itself (extents,
  /// value_type, weft_*) are refused. Collective.
  ///   f.write_attribute("step", 1000);   f.write_attribute("u", "units", "K");
  void write_attribute(const std::string& name, const attribute_value& value) { write_attribute("/", name, value); }
  void write_attribute(const std::string& object, const std::string& name, const attribute_value& value) {
    const char* algorithm = "weft::hdf5_file::write_attribute";
    const std::string where = context(object, name);
    {
      detail::collective_check check(algorithm);
      detail::io_arguments arguments;
      arguments.text("the object", object);
      detail::h5_record_attribute(arguments, name, value);
      arguments.compare(comm_, check, algorithm);
      check.require(open_, algorithm, ": ", where, ": the file is closed");
      check.require(mode_ != read, algorithm, ": ", where, ": the file is open read-only");
      const std::string problem = detail::h5_user_attribute_problem(name, value);
      check.require(problem.empty(), algorithm, ": ", where, ": ", problem);
      check.settle(comm_);
    }
    detail::h5_on_file(
        *this, algorithm, where, true, detail::h5_metadata_reserve + 4 * detail::h5_attribute_bytes(name, value),
        [&](hid_t file, detail::h5_calls& calls) {
          const detail::h5_handle target = open_object(file, object, calls);
          if (calls.ok())
            std::visit([&](const auto& v) { detail::h5_write_attribute(target.get(), name, v, calls); }, value.get());
          return std::int32_t(0);
        });
  }

  /// Reads an attribute of the file (its root group), or of an object in it,
  /// as T: an integer type (from an integer attribute whose value it holds),
  /// a floating-point type (from a number it holds exactly) or std::string;
  /// never rounded or clamped. Collective; weft::error on every rank if it
  /// is missing, of another kind, or does not fit T.
  ///   auto step = f.read_attribute<std::int64_t>("step");
  template <class T>
  T read_attribute(const std::string& name) const {
    return read_attribute<T>("/", name);
  }
  template <class T>
  T read_attribute(const std::string& object, const std::string& name) const {
    static_assert(detail::attribute_readable<T>,
                  "weft::hdf5_file::read_attribute: read attributes as an arithmetic type (not bool) or std::string.");
    const char* algorithm = "weft::hdf5_file::read_attribute";
    agree_on(algorithm, detail::io_arguments().text("the object", object).text("the attribute name", name));
    return detail::h5_on_file(*this, algorithm, context(object, name), false, 0,
                              [&](hid_t file, detail::h5_calls& calls) {
                                const detail::h5_handle target = open_object(file, object, calls);
                                return calls.ok() ? detail::h5_read_attribute<T>(target.get(), name, calls) : T{};
                              });
  }

 private:
  std::string context(const std::string& object, const std::string& name) const {
    return "attribute '" + name + "' of " + (object == "/" ? std::string("the file") : "'" + object + "'") + " '" +
           path_ + "'";
  }

  void agree_on(const char* algorithm, const detail::io_arguments& arguments) const {
    detail::collective_check check(algorithm);
    arguments.compare(comm_, check, algorithm);
    check.settle(comm_);
  }

  static detail::h5_handle open_object(hid_t file, const std::string& object, detail::h5_calls& calls) {
    if (!detail::h5_exists(file, object)) {
      calls.fail("no object '" + object + "' in the file");
      return {};
    }
    return detail::h5_handle(calls(H5Oopen(file, object.c_str(), H5P_DEFAULT), "H5Oopen"), H5Oclose);
  }

  // Whether this process may open the file `key` in mode m next to the
  // hdf5_file objects it has open.
  static bool usable(const detail::h5_file_key& key, mode m) {
    auto& table = detail::h5_open_file_table();
    std::lock_guard guard(table.lock);
    const auto it = table.users.find(key);
    if (it == table.users.end()) return true;
    const auto [readers, writers] = it->second;
    return m == read ? writers == 0 : readers == 0 && writers == 0;
  }
  std::string conflict(mode m) const {
    return std::string("weft::hdf5_file: cannot ") + (m == create ? "create" : "open") + " '" + path_ + "'" +
           (m == read ? " for reading: this program has it open for writing"
                      : ": this program has it open (through another weft::hdf5_file); close that first");
  }

  void release() noexcept {
    if (!open_) return;
    open_ = false;
    auto& table = detail::h5_open_file_table();
    std::lock_guard guard(table.lock);
    auto it = table.users.find(key_);
    if (it == table.users.end()) return;
    (mode_ == read ? it->second.first : it->second.second) -= 1;
    if (it->second.first <= 0 && it->second.second <= 0) table.users.erase(it);
  }

  // Rank 0's look before everyone opens: a plain message for the usual mistakes.
  static std::string problem_opening(const std::string& path, mode m) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const std::string where =
        "weft::hdf5_file: cannot " + std::string(m == create ? "create" : "open") + " '" + path + "': ";
    if (path.empty()) return where + "empty path";
    if (m == create) {
      fs::path directory = fs::path(path).parent_path();
      if (directory.empty()) directory = ".";
      if (!fs::exists(directory, ec)) return where + "directory '" + directory.string() + "' does not exist";
      if (!fs::is_directory(directory, ec)) return where + "'" + directory.string() + "' is not a directory";
      if (fs::is_directory(path, ec)) return where + "it is a directory";
      if (::access(directory.c_str(), W_OK) != 0)
        return where + "directory '" + directory.string() + "' is not writable (" + std::strerror(errno) + ")";
      return {};
    }
    if (!fs::exists(path, ec)) return where + "no such file";
    if (fs::is_directory(path, ec)) return where + "it is a directory";
    if (::access(path.c_str(), m == read ? R_OK : R_OK | W_OK) != 0)
      return where + std::string(m == read ? "not readable" : "not writable") + " (" + std::strerror(errno) + ")";
    if (!detail::h5_is_hdf5(path)) return where + "not an HDF5 file";
    return {};
  }

  communicator comm_;
  std::string path_;
  mode mode_;
  detail::h5_file_key key_;
  bool open_ = false;
};

namespace detail {

/// Collective: rank 0 opens `file` with HDF5 (read-only unless `writable`),
/// runs f(file id, calls) and closes it; every rank returns f's result, or
/// throws weft::error with rank 0's message (which starts with `algorithm:
/// what`). Before opening a file for writing, rank 0 reserves `reserve`
/// bytes past its end (h5_reserve): at least what f may add to it.
template <class F>
auto h5_on_file(const hdf5_file& file, const char* algorithm, const std::string& what, bool writable,
                std::uint64_t reserve, F&& f) -> std::remove_cvref_t<std::invoke_result_t<F&, hid_t, h5_calls&>> {
  return on_root(file.comm(), std::string(algorithm) + ": " + what, algorithm, [&](h5_calls& calls) {
    using R = std::remove_cvref_t<std::invoke_result_t<F&, hid_t, h5_calls&>>;
    R result{};
    if (!file.is_open()) {
      calls.fail("the file is closed");
      return result;
    }
    if (writable) {
      if (auto problem = h5_reserve(file.path(), reserve); !problem.empty()) {
        calls.fail(problem);
        return result;
      }
    }
    const h5_handle access = h5_serial_access(calls);
    h5_handle id(calls(H5Fopen(file.path().c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, access.get()), "H5Fopen"),
                 H5Fclose);
    if (calls.ok()) result = f(id.get(), calls);
    calls(id.reset(), "H5Fclose");  // writes everything; what h5_reserve did not foresee fails here
    return result;
  });
}

}  // namespace detail

}  // namespace weft
