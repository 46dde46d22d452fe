// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft::save and weft::load: distributed vectors and grids to and from HDF5
// datasets, through an open weft::hdf5_file or by file name.

#include "../detail/config.hpp"  // first: the C++20 check

#include "../distributed/grid.hpp"
#include "../distributed/vector.hpp"
#include "checkpoint.hpp"
#include "detail/dataset.hpp"
#include "detail/h5.hpp"
#include "file.hpp"

#include <string>

namespace weft {

/// Saves a distributed vector or grid as dataset `name` of `file` (replacing
/// one of that name): one dataset of the global shape (n, or the grid's
/// extents in row-major order) and value type, into which every rank writes
/// its owned block with collective MPI-IO; ghosts and halo are never
/// written, and nothing in the file depends on the number of ranks or the
/// partition. The dataset's attributes: `extents`, `value_type` (e.g.
/// "float64"), `weft_object`, `weft_version`, and `extra` (every rank must
/// pass the same). Device memory is staged through host memory. Grids of
/// scalar (and 3-vector) types also get an XDMF sidecar
/// "<file without .h5>.<name>.xmf" for ParaView. Value types: arithmetic,
/// complex, std::array and structs described by weft::hdf5_members.
/// Collective over the ranks of x, which must be those of the file; waits
/// for x's pending work (Kokkos::fence) first. weft::error on every rank if
/// anything fails.
///   weft::save(f, "u", u, {{"step", 1000}, {"time", 0.5}});
template <class X>
  requires(distributed<X> || grid<X>)
void save(hdf5_file& file, const std::string& name, const X& x, const attributes& extra = {}) {
  const auto field = detail::h5_write(file, name, x, extra, "weft::save");
  if (!field) return;  // the same on every rank: it depends on types only
  std::string problem;
  if (file.comm().rank() == 0) problem = detail::write_xdmf(file.path(), *field, "weft::save");
  detail::agree_with_root(file.comm(), problem, "weft::save");
}

/// Saves x alone into the file `path`, replacing it atomically (it is
/// written under a temporary name, then renamed: see
/// weft::checkpoint_writer). Collective over the ranks of x.
///   weft::save("u.h5", "u", u);
template <class X>
  requires(distributed<X> || grid<X>)
void save(const std::string& path, const std::string& name, const X& x, const attributes& extra = {}) {
  checkpoint_writer writer(x.comm(), path);
  writer.write(name, x, extra);
  writer.commit();
}

/// Loads dataset `name` of `file` into the owned elements of x; ghosts and
/// halo are left as they were (exchange them next). x may be laid out in any
/// way (another rank count, partition or process grid than the one that
/// saved it): each rank reads its own block, and the global data is
/// bitwise what was saved. Throws weft::error on every rank, before writing
/// anything into x, if the dataset is missing or differs from x in shape or
/// value type (the message names the file, the dataset and both shapes).
/// Collective over the ranks of x, which must be those of the file.
///   weft::load(f, "u", u);   u.exchange_halo(weft::periodic{});
template <class X>
  requires(distributed<X> || grid<X>)
void load(const hdf5_file& file, const std::string& name, const X& x) {
  detail::h5_read(file, name, x, "weft::load");
}

/// Opens `path` read-only on the ranks of x and loads dataset `name` into x.
///   weft::load("u.h5", "u", u);
template <class X>
  requires(distributed<X> || grid<X>)
void load(const std::string& path, const std::string& name, const X& x) {
  hdf5_file file(x.comm(), path, hdf5_file::read);
  load(file, name, x);
  file.close();
}

}  // namespace weft
