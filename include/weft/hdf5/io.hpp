// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::save and weft::load: distributed vectors and grids to and from HDF5
// datasets, through an open weft::hdf5_file or by file name.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../detail/profiling.hpp"
#include "../distributed/grid.hpp"
#include "../distributed/vector.hpp"
#include "checkpoint.hpp"
#include "detail/dataset.hpp"
#include "detail/h5.hpp"
#include "file.hpp"

#include <hdf5.h>

#include <filesystem>
#include <string>
#include <vector>

namespace weft {

/// How weft::save writes (every rank must pass the same).
struct save_options {
  /// Replace a dataset of the same name: the new one is written whole under
  /// a temporary name first, and takes the name only once it is complete
  /// (and verified), so a failure leaves the old one. Without it, a dataset
  /// of that name is an error. Anything that is not a dataset (a group) is
  /// never replaced, with or without it. For weft::save(path, ...): replace
  /// the file even if it holds more than this one dataset.
  bool overwrite = false;
  /// Read the values back from the file after writing them, and compare the
  /// checksum of what came back with the checksum of the data: weft::error
  /// on every rank if they differ (the file system or MPI-IO lost or changed
  /// data), and nothing is saved under the name. Costs one read of the data,
  /// usually from the page cache.
  bool verify = true;
};

/// How weft::load reads (every rank must pass the same).
struct load_options {
  /// Compare the checksum of the values loaded with the one weft stored with
  /// the dataset: weft::error on every rank if they differ (the file was
  /// damaged, or changed by another program). Datasets written by other
  /// programs, or by weft before 0.2, carry no checksum and are loaded
  /// unchecked.
  bool verify = true;
};

/// Saves a distributed vector or grid as dataset `name` of `file` (groups in
/// the name, "fields/u", are created): one dataset of the global shape (n,
/// or the grid's extents in row-major order) and value type, into which
/// every rank writes its owned block; ghosts and halo are never written, and
/// nothing in the file depends on the number of ranks or the partition.
/// What save replaces: nothing, unless options.overwrite, and then only a
/// dataset of this name; a group or other object in the way is an error.
/// The dataset's attributes: `extents`, `value_type` (e.g. "float64"),
/// `weft_object`, `weft_version`, `weft_checksum` (see load_options) and
/// `weft_checksum_algorithm`, and `extra` (names other than these; every
/// rank must pass the same). Device memory is staged through host memory.
/// Grids of scalar (and 3-vector) types also get an XDMF sidecar
/// "<file without .h5>.<name>.xmf" for ParaView. Value types: arithmetic,
/// complex, std::array and structs described by weft::hdf5_members.
/// Collective over the ranks of x, which must be those of the file; waits
/// for x's pending work (Kokkos::fence) first. weft::error on every rank if
/// anything fails (a full disk included), with `name` as it was.
///   weft::save(f, "u", u, {{"step", 1000}, {"time", 0.5}});
///   weft::save(f, "u", u, {}, {.overwrite = true});
template <class X>
requires(distributed<X>) void save(hdf5_file& file, const std::string& name, const X& x, const attributes& extra = {},
                                   const save_options& options = {}) {
  const detail::profiling_region region("weft::save");
  const detail::h5_write_settings settings{.overwrite = options.overwrite, .verify = options.verify, .sync = false};
  const auto field = detail::h5_write(file, name, x, extra, settings, "weft::save");
  if (!field) return;  // the same on every rank: it depends on types only
  std::string problem;
  if (file.comm().rank() == 0) problem = detail::write_xdmf(file.path(), *field, "weft::save");
  detail::agree_with_root(file.comm(), problem, "weft::save");
}

namespace detail {

/// Collective, for weft::save(path, name, ...): weft::error on every rank
/// unless `path` is absent, or holds nothing but dataset `name` (what an
/// earlier save of that name wrote), or may be overwritten.
inline void h5_check_replaceable(const communicator& comm, const std::string& path, const std::string& name,
                                 bool overwrite, const char* algorithm) {
  {
    collective_check check(algorithm);
    io_arguments arguments;
    arguments.text("the file name", path).text("the dataset name", name).integer("save_options::overwrite", overwrite);
    arguments.compare(comm, check, algorithm);
    check.settle(comm);
  }
  on_root(comm, std::string(algorithm) + ": '" + path + "'", algorithm, [&](h5_calls& calls) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (overwrite || !fs::exists(path, ec) || fs::is_directory(path, ec)) return 0;  // directories: hdf5_file says
    const std::string advice = "; pass weft::save_options{.overwrite = true} to replace it";
    if (!h5_is_hdf5(path)) {
      calls.fail("it exists and is not an HDF5 file" + advice);
      return 0;
    }
    const h5_handle access = h5_serial_access(calls);
    const h5_handle file(calls(H5Fopen(path.c_str(), H5F_ACC_RDONLY, access.get()), "H5Fopen"), H5Fclose);
    if (!calls.ok()) return 0;
    // Every link must lead to `name`, and the file may have no attributes.
    struct visit {
      std::string name;
      std::vector<std::string> others;
    } seen{name.substr(name.find_first_not_of('/') == std::string::npos ? 0 : name.find_first_not_of('/')), {}};
    H5Lvisit(
        file.get(), H5_INDEX_NAME, H5_ITER_NATIVE,
        [](hid_t, const char* link, const H5L_info_t*, void* data) -> herr_t {
          auto& v = *static_cast<visit*>(data);
          const std::string here = link;
          const bool on_the_way = v.name == here || v.name.rfind(here + "/", 0) == 0;
          if (!on_the_way) v.others.push_back(here);
          return 0;
        },
        &seen);
    int root_attributes = 0;
    H5Aiterate2(
        file.get(), H5_INDEX_NAME, H5_ITER_NATIVE, nullptr,
        [](hid_t, const char*, const H5A_info_t*, void* data) -> herr_t {
          ++*static_cast<int*>(data);
          return 0;
        },
        &root_attributes);
    H5Eclear2(H5E_DEFAULT);
    if (!seen.others.empty())
      calls.fail("it exists and holds more than dataset '" + name + "' (" + seen.others.front() +
                 (seen.others.size() > 1 ? " and " + std::to_string(seen.others.size() - 1) + " more" : "") + ")" +
                 advice);
    else if (root_attributes > 0)
      calls.fail("it exists and holds attributes besides dataset '" + name + "'" + advice);
    else if (h5_kind_of(file.get(), name) == h5_object::group)
      calls.fail("it exists and '" + name + "' in it is a group" + advice);
    return 0;
  });
}

}  // namespace detail

/// Saves x alone into the file `path`, replacing it atomically (it is
/// written under a temporary name, then renamed: see
/// weft::checkpoint_writer). An existing file is replaced only if it holds
/// nothing but dataset `name` (what an earlier save of it wrote), or with
/// options.overwrite: then whatever it held is gone. Collective over the
/// ranks of x.
///   weft::save("u.h5", "u", u);
template <class X>
requires(distributed<X>) void save(const std::string& path, const std::string& name, const X& x,
                                   const attributes& extra = {}, const save_options& options = {}) {
  const detail::profiling_region region("weft::save");
  detail::h5_check_replaceable(x.comm(), path, name, options.overwrite, "weft::save");
  checkpoint_writer writer(x.comm(), path, {.sync = true, .verify = options.verify});
  writer.write(name, x, extra);
  writer.commit();
}

/// Loads dataset `name` of `file` into the owned elements of x; ghosts and
/// halo are left as they were (exchange them next). x may be laid out in any
/// way (another rank count, partition or process grid than the one that
/// saved it): each rank reads its own block, and the global data is
/// bitwise what was saved. Throws weft::error on every rank, before writing
/// anything into x, if the dataset is missing or differs from x in shape or
/// value type (the message names the file, the dataset and both shapes);
/// and after loading, if the values do not match the checksum stored with
/// them (see load_options; x then holds what the file held).
/// Collective over the ranks of x, which must be those of the file.
///   weft::load(f, "u", u);   u.exchange_halo(weft::periodic{});
template <class X>
requires(distributed<X>) void load(const hdf5_file& file, const std::string& name, const X& x,
                                   const load_options& options = {}) {
  const detail::profiling_region region("weft::load");
  detail::h5_read(file, name, x, options.verify, "weft::load");
}

/// Opens `path` read-only on the ranks of x and loads dataset `name` into x.
///   weft::load("u.h5", "u", u);
template <class X>
requires(distributed<X>) void load(const std::string& path, const std::string& name, const X& x,
                                   const load_options& options = {}) {
  const detail::profiling_region region("weft::load");
  hdf5_file file(x.comm(), path, hdf5_file::read);
  detail::h5_read(file, name, x, options.verify, "weft::load");
  file.close();
}

}  // namespace weft
