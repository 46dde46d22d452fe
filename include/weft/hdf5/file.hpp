// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::hdf5_file: an HDF5 file opened collectively over a communicator with
// the MPI-IO driver, and attributes (numbers and strings) on it and on its
// datasets.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../distributed/communicator.hpp"
#include "../error.hpp"
#include "detail/h5.hpp"
#include "types.hpp"

#include <hdf5.h>
#include <mpi.h>
#include <unistd.h>

#include <cerrno>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace weft {

/// The value of an attribute: an integer (stored as int64), a floating-point
/// number (stored as float64) or a string (variable-length UTF-8).
class attribute_value {
 public:
  template <std::integral T>
    requires(!std::is_same_v<T, bool>)
  attribute_value(T v) : value_(static_cast<std::int64_t>(v)) {}
  template <std::floating_point T>
  attribute_value(T v) : value_(static_cast<double>(v)) {}
  attribute_value(std::string v) : value_(std::move(v)) {}
  attribute_value(const char* v) : value_(std::string(v)) {}

  const std::variant<std::int64_t, double, std::string>& get() const noexcept { return value_; }

 private:
  std::variant<std::int64_t, double, std::string> value_;
};

/// A named attribute, as passed to weft::save: {"step", 1000}.
struct attribute {
  std::string name;
  attribute_value value;
};

/// Attributes to store with a dataset: weft::save(f, "u", u, {{"step", 1000}, {"time", 0.5}}).
using attributes = std::vector<attribute>;

namespace detail {

/// Whether the link `name` ("u", "/fields/u") exists, one path component at a
/// time (H5Lexists fails, rather than saying no, when a parent is missing).
/// Collective when the file's metadata reads are.
inline bool h5_exists(hid_t file, const std::string& name) {
  if (name.empty() || name == "/" || name == ".") return true;
  std::size_t at = name[0] == '/' ? 1 : 0;
  while (true) {
    const std::size_t end = name.find('/', at);
    const std::string prefix = name.substr(0, end);
    if (end != at && H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (end == std::string::npos) return true;
    at = end + 1;
  }
}

/// Writes (or replaces) one scalar attribute, or a 1-D int64 one, on an open object.
inline void h5_write_attribute(hid_t object, const std::string& name,
                               const std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>>& value,
                               h5_calls& calls) {
  if (calls(H5Aexists(object, name.c_str()), "H5Aexists") > 0) calls(H5Adelete(object, name.c_str()), "H5Adelete");
  h5_handle type, space;
  const void* data = nullptr;
  const char* text = nullptr;
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    type = h5_handle(calls(H5Tcopy(H5T_NATIVE_INT64), "H5Tcopy"), H5Tclose);
    data = i;
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
  const h5_handle attr(calls(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                             "H5Acreate2"),
                       H5Aclose);
  calls(H5Awrite(attr.get(), type.get(), data), "H5Awrite");
}

template <class T>
inline constexpr bool attribute_readable =
    (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) || std::is_same_v<T, std::string>;

/// Reads one scalar attribute as T (see hdf5_file::read_attribute).
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
    calls.fail("the attribute holds " + std::to_string(H5Sget_simple_extent_npoints(space.get())) +
               " values, not one");
    return result;
  }
  const H5T_class_t kind = H5Tget_class(stored.get());
  const std::string stored_name = detail::h5_type_name(stored.get());
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
  } else if constexpr (std::is_integral_v<T>) {
    std::int64_t v = 0;
    if (kind != H5T_INTEGER) {
      calls.fail("the attribute is " + stored_name + ", not an integer");
    } else if (calls(H5Aread(attr.get(), H5T_NATIVE_INT64, &v), "H5Aread") >= 0) {
      if (!std::in_range<T>(v)) calls.fail("the value " + std::to_string(v) + " does not fit the type asked for");
      result = static_cast<T>(v);
    }
  } else {
    double v = 0;
    if (kind != H5T_INTEGER && kind != H5T_FLOAT) calls.fail("the attribute is " + stored_name + ", not a number");
    else if (calls(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &v), "H5Aread") >= 0) result = static_cast<T>(v);
  }
  return result;
}

}  // namespace detail

/// An HDF5 file open on every rank of a communicator, through HDF5's MPI-IO
/// driver, with collective metadata operations. Every member function is
/// collective: all ranks of the communicator call it, with the same
/// arguments, in the same order. Failures (a missing file, an unwritable
/// directory, HDF5 errors) throw weft::error on every rank, naming the file.
/// weft::save / weft::load move distributed vectors and grids in and out.
///   weft::hdf5_file f(comm, "fields.h5", weft::hdf5_file::create);
///   weft::save(f, "u", u, {{"step", 1000}});
class hdf5_file {
 public:
  /// create: a new, empty file (an existing one is replaced, not atomically:
  /// see weft::checkpoint_writer); read: an existing file, read-only;
  /// read_write: an existing file, to add or replace datasets.
  enum mode { create, read, read_write };

  /// Opens (or creates) `path` on every rank of comm. Rank 0 first checks
  /// that the file (read, read_write) or its directory (create) is there, so
  /// the common mistakes get a plain message.
  hdf5_file(const communicator& comm, const std::string& path, mode m) : comm_(comm), path_(path), mode_(m) {
    const char* algorithm = "weft::hdf5_file";
    detail::agree_with_root(comm_, comm_.rank() == 0 ? problem_opening(path, m) : std::string(), algorithm);
    detail::h5_calls calls(comm_, std::string(algorithm) + ": '" + path + "'", algorithm);
    const detail::h5_handle access(calls(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate"), H5Pclose);
    MPI_Comm plain = MPI_COMM_NULL;
    detail::check_mpi(MPI_Comm_split(comm_.native(), 0, comm_.rank(), &plain), "MPI_Comm_split", algorithm);
    calls(H5Pset_fapl_mpio(access.get(), plain, MPI_INFO_NULL), "H5Pset_fapl_mpio");
    MPI_Comm_free(&plain);
    // Metadata read once and broadcast, and written collectively, rather
    // than every rank touching the file for it.
    calls(H5Pset_all_coll_metadata_ops(access.get(), true), "H5Pset_all_coll_metadata_ops");
    calls(H5Pset_coll_metadata_write(access.get(), true), "H5Pset_coll_metadata_write");
    calls.agree();
    if (m == create) {
      file_ = detail::h5_handle(
          calls(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), "H5Fcreate"), H5Fclose);
    } else {
      file_ = detail::h5_handle(
          calls(H5Fopen(path.c_str(), m == read ? H5F_ACC_RDONLY : H5F_ACC_RDWR, access.get()), "H5Fopen"),
          H5Fclose);
    }
    calls.agree();
  }

  hdf5_file(hdf5_file&&) noexcept = default;
  hdf5_file& operator=(hdf5_file&&) = delete;
  hdf5_file(const hdf5_file&) = delete;
  hdf5_file& operator=(const hdf5_file&) = delete;

  /// Closes the file if still open (collective); errors are swallowed here,
  /// so call close() to see them.
  ~hdf5_file() {
    try {
      close();
    } catch (...) {
    }
  }

  /// Flushes and closes the file. Collective; throws weft::error on every
  /// rank if HDF5 fails (e.g. the disk is full).
  void close() {
    if (!file_.valid()) return;
    detail::h5_calls calls(comm_, "weft::hdf5_file::close: '" + path_ + "'", "weft::hdf5_file::close");
    calls(file_.reset(), "H5Fclose");
    calls.agree();
  }

  /// Writes everything HDF5 holds in its caches to the file, and asks the
  /// file system to make it durable (MPI_File_sync). Collective.
  void flush() {
    detail::h5_calls calls(comm_, "weft::hdf5_file::flush: '" + path_ + "'", "weft::hdf5_file::flush");
    calls(H5Fflush(native(), H5F_SCOPE_GLOBAL), "H5Fflush");
    calls.agree();
  }

  bool is_open() const noexcept { return file_.valid(); }
  const std::string& path() const noexcept { return path_; }
  const communicator& comm() const noexcept { return comm_; }
  mode access_mode() const noexcept { return mode_; }
  /// The HDF5 file identifier, for anything weft does not wrap.
  hid_t native() const noexcept { return file_.get(); }

  /// Whether the file holds an object (a dataset or group) of this name.
  /// Collective.
  bool contains(const std::string& name) const {
    detail::h5_calls calls(comm_, "weft::hdf5_file::contains: '" + path_ + "'", "weft::hdf5_file::contains");
    if (!is_open()) calls.fail("the file is closed");
    const bool found = is_open() && detail::h5_exists(native(), name);
    calls.agree();
    return found;
  }

  /// The extents of a dataset, e.g. to build a grid of the right size before
  /// loading it. Collective; weft::error if there is no such dataset.
  std::vector<std::int64_t> extents(const std::string& dataset) const {
    detail::h5_calls calls(comm_, "weft::hdf5_file::extents: dataset '" + dataset + "' in '" + path_ + "'",
                           "weft::hdf5_file::extents");
    std::vector<std::int64_t> result;
    if (!is_open()) calls.fail("the file is closed");
    else if (!detail::h5_exists(native(), dataset)) calls.fail("no such dataset");
    calls.agree();
    const detail::h5_handle set(calls(H5Dopen2(native(), dataset.c_str(), H5P_DEFAULT), "H5Dopen2"), H5Dclose);
    const detail::h5_handle space(calls(H5Dget_space(set.get()), "H5Dget_space"), H5Sclose);
    const int rank = calls(H5Sget_simple_extent_ndims(space.get()), "H5Sget_simple_extent_ndims");
    if (rank >= 0) {
      std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
      calls(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), "H5Sget_simple_extent_dims");
      result.assign(dims.begin(), dims.end());
    }
    calls.agree();
    return result;
  }

  /// Sets an attribute on the file (its root group), or on an object in it,
  /// replacing any of the same name. Every rank must pass the same value.
  /// Collective.
  ///   f.write_attribute("step", 1000);   f.write_attribute("u", "units", "K");
  void write_attribute(const std::string& name, const attribute_value& value) { write_attribute("/", name, value); }
  void write_attribute(const std::string& object, const std::string& name, const attribute_value& value) {
    detail::h5_calls calls(comm_, context("weft::hdf5_file::write_attribute", object, name),
                           "weft::hdf5_file::write_attribute");
    const auto target = open_object(object, calls);
    if (calls.ok() && mode_ == read) calls.fail("the file is open read-only");
    calls.agree();
    std::visit([&](const auto& v) { detail::h5_write_attribute(target.get(), name, v, calls); }, value.get());
    calls.agree();
  }

  /// Reads an attribute of the file (its root group), or of an object in it,
  /// as T: an integer type (from an integer attribute whose value fits), a
  /// floating-point type (from any number) or std::string. Collective;
  /// weft::error on every rank if it is missing or of another kind.
  ///   auto step = f.read_attribute<std::int64_t>("step");
  template <class T>
  T read_attribute(const std::string& name) const {
    return read_attribute<T>("/", name);
  }
  template <class T>
  T read_attribute(const std::string& object, const std::string& name) const {
    static_assert(detail::attribute_readable<T>,
                  "weft::hdf5_file::read_attribute: read attributes as an arithmetic type (not bool) or std::string.");
    detail::h5_calls calls(comm_, context("weft::hdf5_file::read_attribute", object, name),
                           "weft::hdf5_file::read_attribute");
    const auto target = open_object(object, calls);
    calls.agree();
    T value = detail::h5_read_attribute<T>(target.get(), name, calls);
    calls.agree();
    return value;
  }

 private:
  std::string context(const char* algorithm, const std::string& object, const std::string& name) const {
    return std::string(algorithm) + ": attribute '" + name + "' of " +
           (object == "/" ? std::string("the file") : "'" + object + "'") + " '" + path_ + "'";
  }

  detail::h5_handle open_object(const std::string& object, detail::h5_calls& calls) const {
    if (!is_open()) {
      calls.fail("the file is closed");
      return {};
    }
    if (!detail::h5_exists(native(), object)) {
      calls.fail("no object '" + object + "' in the file");
      return {};
    }
    return detail::h5_handle(calls(H5Oopen(native(), object.c_str(), H5P_DEFAULT), "H5Oopen"), H5Oclose);
  }

  // Rank 0's look before everyone opens: a plain message for the usual mistakes.
  static std::string problem_opening(const std::string& path, mode m) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const std::string where = "weft::hdf5_file: cannot " + std::string(m == create ? "create" : "open") + " '" + path +
                              "': ";
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
    detail::h5_quiet quiet;
#if H5_VERSION_GE(1, 12, 0)
    const htri_t is_hdf5 = H5Fis_accessible(path.c_str(), H5P_DEFAULT);
#else
    const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
#endif
    H5Eclear2(H5E_DEFAULT);
    if (is_hdf5 <= 0) return where + "not an HDF5 file";
    return {};
  }

  communicator comm_;
  std::string path_;
  mode mode_;
  detail::h5_handle file_;
};

}  // namespace weft
