// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Writing and reading one distributed vector or grid as one global HDF5
// dataset: each rank selects its owned block (a hyperslab) in the file and in
// its own storage, ghosts and halo left out, and all transfer together with
// collective MPI-IO.

#include "../../distributed/communicator.hpp"
#include "../../distributed/grid.hpp"
#include "../../distributed/vector.hpp"
#include "../../version.hpp"
#include "../file.hpp"
#include "../types.hpp"
#include "h5.hpp"
#include "xdmf.hpp"

#include <Kokkos_Core.hpp>
#include <hdf5.h>
#include <mpi.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace weft::detail {

/// Where one rank's block lies in the global dataset, and in its storage.
struct h5_block {
  std::vector<hsize_t> global, start, count;  // in the dataset
  std::vector<hsize_t> storage, storage_start;  // in the local storage (with ghosts or halo)
  const char* kind = "";

  bool empty() const {
    for (auto c : count)
      if (c == 0) return true;
    return false;
  }
  // No data anywhere: HDF5 allocates no storage, and refuses transfers.
  bool nothing_global() const {
    for (auto n : global)
      if (n == 0) return true;
    return false;
  }
  std::vector<std::int64_t> extents() const { return {global.begin(), global.end()}; }
};

template <distributed X>
h5_block h5_block_of(const X& x) {
  const auto g = static_cast<hsize_t>(x.ghost_width());
  return {{static_cast<hsize_t>(x.global_size())},
          {static_cast<hsize_t>(x.offset())},
          {static_cast<hsize_t>(x.local_size())},
          {static_cast<hsize_t>(x.local_with_ghosts().extent(0))},
          {g},
          "distributed_vector"};
}

template <grid G>
h5_block h5_block_of(const G& g) {
  h5_block b;
  b.kind = "distributed_grid";
  for (int d = 0; d < G::rank; ++d) {
    b.global.push_back(static_cast<hsize_t>(g.global_extent(d)));
    b.start.push_back(static_cast<hsize_t>(g.offset(d)));
    b.count.push_back(static_cast<hsize_t>(g.local_extent(d)));
    b.storage.push_back(static_cast<hsize_t>(g.with_halo().extent(d)));
    b.storage_start.push_back(static_cast<hsize_t>(g.halo_width()));
  }
  return b;
}

template <class X>
const auto& h5_storage_of(const X& x) {
  if constexpr (distributed<X>) return x.local_with_ghosts();
  else return x.with_halo();
}

template <class X>
std::string h5_object_text(const X&) {
  if constexpr (distributed<X>) return "the vector";
  else return "the grid";
}

/// The file's communicator and the object's must span the same processes:
/// every rank of the object takes part in the file's collective calls.
template <class X>
void h5_check_communicator(const hdf5_file& file, const X& x, const std::string& context, const char* algorithm) {
  int result = MPI_UNEQUAL;
  check_mpi(MPI_Comm_compare(file.comm().native(), x.comm().native(), &result), "MPI_Comm_compare", algorithm);
  agree_and_share(x.comm(), result != MPI_UNEQUAL,
                  context + ": the file is open on other processes than " + h5_object_text(x) + " lives on",
                  algorithm);
}

/// Bytes of the host buffer a block moves through when it is staged: 4 MiB,
/// or WEFT_HDF5_STAGING_BYTES (tests make it tiny to move blocks in many
/// rounds).
inline std::size_t h5_staging_bytes() {
  if (const char* env = std::getenv("WEFT_HDF5_STAGING_BYTES"); env && std::atoll(env) > 0)
    return static_cast<std::size_t>(std::atoll(env));
  return std::size_t{4} << 20;
}

/// Copies whole rows (runs along the last dimension) between a slab of a
/// block in its storage (LayoutRight, with halo) and a packed buffer: one
/// work item per row, a plain loop inside. (Kokkos::deep_copy between these
/// layouts runs an MDRange over every point, several times slower.)
template <class T>
struct h5_copy_rows {
  T* storage;                     // the slab's first owned point in the storage
  T* buffer;                      // packed rows
  std::int64_t middle;            // rows per index of the first dimension (1 in 2-D)
  std::int64_t stride0, stride1;  // storage strides of the first two dimensions
  std::int64_t length;            // elements per row
  bool to_buffer;
  KOKKOS_INLINE_FUNCTION void operator()(std::int64_t row) const {
    const std::int64_t i = row / middle, j = row % middle;
    T* s = storage + i * stride0 + j * stride1;
    T* b = buffer + row * length;
    if (to_buffer) {
      for (std::int64_t k = 0; k < length; ++k) b[k] = s[k];
    } else {
      for (std::int64_t k = 0; k < length; ++k) s[k] = b[k];
    }
  }
};

template <class X>
constexpr int h5_rank_of() {
  if constexpr (grid<X>) return X::rank;
  else return 1;
}

/// Moves this rank's block between x and HDF5, as `rounds` collective
/// transfers (the same number on every rank; ranks with less to move make
/// empty ones). Direct, in one transfer from or to x's storage, where that
/// is in host memory and the block's rows (runs along the last dimension)
/// are long: vectors, grids without halo, grids with rows of 8 KiB or more.
/// Otherwise in slabs along the first dimension through a host buffer of
/// about h5_staging_bytes(), packed and unpacked a row per work item, so
/// that MPI-IO transfers contiguous memory. (Open MPI's MPI-IO reads and
/// writes a strided memory selection one piece at a time, about a
/// microsecond each: a 256^3 grid's 65536 rows of 2 KiB read three times
/// slower than contiguous memory, staged 1.6 times; 2048^2 rows of 16 KiB
/// read as fast directly. Device memory is always staged.)
template <class X>
class h5_mover {
  using T = typename X::value_type;
  using memory_space = typename X::memory_space;
  static constexpr int rank = h5_rank_of<X>();
  static constexpr bool host_memory = Kokkos::SpaceAccessibility<Kokkos::HostSpace, memory_space>::accessible;

 public:
  h5_mover(const X& x, const h5_block& b, const communicator& comm, const char* algorithm) : x_(x), b_(b) {
    bool long_rows = true;
    if constexpr (grid<X>) long_rows = x.halo_width() == 0 || b.count[rank - 1] * sizeof(T) >= 8192;
    // WEFT_MPI_STAGING=1 stages host memory too (as for MPI messages), so
    // that tests on CPUs take the staged path.
    const char* force = std::getenv("WEFT_MPI_STAGING");
    direct_ = host_memory && long_rows && !(force && std::strcmp(force, "1") == 0);
    if (direct_) {
      own_rounds_ = 1;
    } else {
      row_ = 1;
      for (std::size_t d = 1; d < static_cast<std::size_t>(rank); ++d) row_ *= b.count[d];
      slab_rows_ = std::max<std::size_t>(1, h5_staging_bytes() / sizeof(T) / std::max<std::size_t>(1, row_));
      own_rounds_ = b.empty() ? 0 : (b.count[0] + slab_rows_ - 1) / slab_rows_;
      host_ = host_buffer("weft::hdf5::staging", slab_rows_ * row_);
      if constexpr (!host_memory) device_ = device_buffer("weft::hdf5::staging", slab_rows_ * row_);
    }
    std::int64_t mine = static_cast<std::int64_t>(own_rounds_), most = 0;
    check_mpi(MPI_Allreduce(&mine, &most, 1, MPI_INT64_T, MPI_MAX, comm.native()), "MPI_Allreduce", algorithm);
    rounds_ = static_cast<std::size_t>(most);
  }

  std::size_t rounds() const { return rounds_; }

  /// Selects round r's piece in the file and in memory, and returns the
  /// memory HDF5 transfers it from or to; for a write, fills it from x first.
  /// The caller waits for x's pending work (Kokkos::fence) before round 0.
  void* prepare(std::size_t r, hid_t file_space, h5_handle& memory_selection, h5_calls& calls, bool writing) {
    const hsize_t one = 1;
    if (r >= own_rounds_ || b_.empty()) {
      calls(H5Sselect_none(file_space), "H5Sselect_none");
      memory_selection = h5_handle(calls(H5Screate_simple(1, &one, nullptr), "H5Screate_simple"), H5Sclose);
      calls(H5Sselect_none(memory_selection.get()), "H5Sselect_none");
      return direct_ ? static_cast<void*>(h5_storage_of(x_).data()) : static_cast<void*>(host_.data());
    }
    if (direct_) {
      calls(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, b_.start.data(), nullptr, b_.count.data(), nullptr),
            "H5Sselect_hyperslab");
      memory_selection = h5_handle(calls(H5Screate_simple(rank, b_.storage.data(), nullptr), "H5Screate_simple"), H5Sclose);
      calls(H5Sselect_hyperslab(memory_selection.get(), H5S_SELECT_SET, b_.storage_start.data(), nullptr,
                                b_.count.data(), nullptr),
            "H5Sselect_hyperslab");
      return h5_storage_of(x_).data();
    }
    first_ = r * slab_rows_;
    rows_ = std::min<std::size_t>(slab_rows_, b_.count[0] - first_);
    std::vector<hsize_t> start = b_.start, count = b_.count;
    start[0] += first_;
    count[0] = rows_;
    calls(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
          "H5Sselect_hyperslab");
    memory_selection = h5_handle(calls(H5Screate_simple(rank, count.data(), nullptr), "H5Screate_simple"), H5Sclose);
    if (writing) {
      if constexpr (host_memory) {
        copy_rows(host_.data(), true);
      } else {
        copy_rows(device_.data(), true);
        Kokkos::deep_copy(host_slab(), device_slab());
      }
    }
    return host_.data();
  }

  /// After round r of a read: the piece goes into x.
  void finish_read(std::size_t r) {
    if (direct_ || r >= own_rounds_ || b_.empty()) return;
    if constexpr (host_memory) {
      copy_rows(host_.data(), false);
    } else {
      Kokkos::deep_copy(device_slab(), host_slab());
      copy_rows(device_.data(), false);
    }
  }

 private:
  using host_view = Kokkos::View<T*, Kokkos::HostSpace>;
  using device_view = Kokkos::View<T*, memory_space>;
  static host_view host_buffer(const char* label, std::size_t n) {
    return host_view(Kokkos::view_alloc(std::string(label), Kokkos::WithoutInitializing), n);
  }
  static device_view device_buffer(const char* label, std::size_t n) {
    return device_view(Kokkos::view_alloc(std::string(label), Kokkos::WithoutInitializing), n);
  }

  // Rows [first_, first_ + rows_) of the block, between x's storage and a
  // packed buffer in x's memory space; waits for the copy.
  void copy_rows(T* buffer, bool to_buffer) const {
    const auto& storage = h5_storage_of(x_);
    h5_copy_rows<T> f{storage.data(), buffer, 1, 0, 0, 1, to_buffer};
    std::int64_t rows = static_cast<std::int64_t>(rows_);
    if constexpr (rank == 1) {  // one element per work item
      f.storage += b_.storage_start[0] + first_;
      f.stride0 = 1;
    } else {
      std::int64_t at = 0;
      for (std::size_t d = 0; d < static_cast<std::size_t>(rank); ++d)
        at = at * std::int64_t(b_.storage[d]) + std::int64_t(b_.storage_start[d]) + (d == 0 ? std::int64_t(first_) : 0);
      f.storage += at;
      f.length = static_cast<std::int64_t>(b_.count[rank - 1]);
      f.stride1 = rank == 3 ? std::int64_t(b_.storage[2]) : 0;
      f.stride0 = rank == 3 ? std::int64_t(b_.storage[1] * b_.storage[2]) : std::int64_t(b_.storage[1]);
      f.middle = rank == 3 ? std::int64_t(b_.count[1]) : 1;
      rows *= f.middle;
    }
    if constexpr (host_memory) {
      // A serial loop: a slab is a few MiB, cache-sized, and short parallel
      // regions (dozens per block) stall whenever a core is busy elsewhere.
      for (std::int64_t row = 0; row < rows; ++row) f(row);
    } else {
      using exec = typename X::execution_space;
      Kokkos::parallel_for("weft::hdf5::stage", Kokkos::RangePolicy<exec>(exec(), 0, rows), f);
      exec().fence();
    }
  }

  using unmanaged_host = Kokkos::View<T*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  using unmanaged_device = Kokkos::View<T*, memory_space, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  unmanaged_host host_slab() const { return unmanaged_host(host_.data(), rows_ * row_); }
  unmanaged_device device_slab() const { return unmanaged_device(device_.data(), rows_ * row_); }

  const X& x_;
  const h5_block& b_;
  bool direct_ = true;
  std::size_t row_ = 1, slab_rows_ = 0, own_rounds_ = 0, rounds_ = 0, first_ = 0, rows_ = 0;
  host_view host_;
  device_view device_;
};

inline h5_handle h5_collective_transfer(h5_calls& calls) {
  h5_handle transfer(calls(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate"), H5Pclose);
  calls(H5Pset_dxpl_mpio(transfer.get(), H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio");
  return transfer;
}

/// Writes x as dataset `name` of `file` (replacing one of that name), with
/// weft's attributes and the user's. Returns what an XDMF sidecar needs, for
/// grids of types XDMF knows. Collective.
template <class X>
std::optional<xdmf_field> h5_write(hdf5_file& file, const std::string& name, const X& x, const attributes& extra,
                                   const char* algorithm) {
  using T = typename X::value_type;
  const std::string context = std::string(algorithm) + ": dataset '" + name + "' in '" + file.path() + "'";
  h5_check_communicator(file, x, context, algorithm);
  h5_calls calls(file.comm(), context, algorithm);
  if (!file.is_open()) calls.fail("the file is closed");
  else if (file.access_mode() == hdf5_file::read) calls.fail("the file is open read-only");
  else if (name.empty() || name == "/") calls.fail("a dataset needs a name");
  const h5_block b = h5_block_of(x);
  const h5_handle type = h5_memory_type<T>(calls);
  calls.agree();


  const hid_t f = file.native();
  if (h5_exists(f, name)) calls(H5Ldelete(f, name.c_str(), H5P_DEFAULT), "H5Ldelete");
  const h5_handle file_space(
      calls(H5Screate_simple(static_cast<int>(b.global.size()), b.global.data(), nullptr), "H5Screate_simple"),
      H5Sclose);
  // Contiguous: one checkpoint write, read back whole, maps each rank's
  // block straight onto MPI-IO; nothing to fill first (it is all written).
  const h5_handle create(calls(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate"), H5Pclose);
  calls(H5Pset_layout(create.get(), H5D_CONTIGUOUS), "H5Pset_layout");
  calls(H5Pset_alloc_time(create.get(), H5D_ALLOC_TIME_EARLY), "H5Pset_alloc_time");
  calls(H5Pset_fill_time(create.get(), H5D_FILL_TIME_NEVER), "H5Pset_fill_time");
  const h5_handle link(calls(H5Pcreate(H5P_LINK_CREATE), "H5Pcreate"), H5Pclose);
  calls(H5Pset_create_intermediate_group(link.get(), 1), "H5Pset_create_intermediate_group");
  calls.agree();
  h5_handle set(
      calls(H5Dcreate2(f, name.c_str(), type.get(), file_space.get(), link.get(), create.get(), H5P_DEFAULT),
            "H5Dcreate2"),
      H5Dclose);
  const h5_handle transfer = h5_collective_transfer(calls);
  calls.agree();
  if (!b.nothing_global()) {
    Kokkos::fence();  // x's pending work
    h5_mover<X> mover(x, b, file.comm(), algorithm);
    for (std::size_t r = 0; r < mover.rounds(); ++r) {
      h5_handle memory_space;
      const void* data = mover.prepare(r, file_space.get(), memory_space, calls, true);
      calls.agree();
      calls(H5Dwrite(set.get(), type.get(), memory_space.get(), file_space.get(), transfer.get(), data), "H5Dwrite");
    }
  }
  calls.agree();

  // Attributes: what the dataset is, then the user's; none depends on the layout.
  using value = std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>>;
  const std::string version = std::to_string(WEFT_VERSION_MAJOR) + "." + std::to_string(WEFT_VERSION_MINOR) + "." +
                              std::to_string(WEFT_VERSION_PATCH);
  const std::pair<const char*, value> own[] = {{"extents", b.extents()},
                                               {"value_type", h5_type_name(type.get())},
                                               {"weft_object", std::string(b.kind)},
                                               {"weft_version", version}};
  // Metadata only: HDF5 synchronises it when the file is flushed or closed,
  // so one agreement after all of them will do.
  for (const auto& [key, v] : own) h5_write_attribute(set.get(), key, v, calls);
  std::optional<double> time;
  for (const auto& a : extra) {
    std::visit([&](const auto& v) { h5_write_attribute(set.get(), a.name, v, calls); }, a.value.get());
    if (a.name == "time") {
      if (const auto* d = std::get_if<double>(&a.value.get())) time = *d;
      if (const auto* i = std::get_if<std::int64_t>(&a.value.get())) time = static_cast<double>(*i);
    }
  }
  calls(set.reset(), "H5Dclose");
  calls.agree();

  if constexpr (grid<X>) {
    auto field = xdmf_type_of<T>();
    if (field) {
      field->dataset = name;
      field->extents = b.extents();
      field->time = time;
    }
    return field;
  } else {
    return std::nullopt;
  }
}

/// Reads dataset `name` of `file` into x's owned elements, after checking on
/// every rank that its shape and value type are x's: nothing is overwritten
/// unless they are. Ghosts and halo are left as they were. Collective.
template <class X>
void h5_read(const hdf5_file& file, const std::string& name, const X& x, const char* algorithm) {
  using T = typename X::value_type;
  const std::string context = std::string(algorithm) + ": dataset '" + name + "' in '" + file.path() + "'";
  h5_check_communicator(file, x, context, algorithm);
  h5_calls calls(file.comm(), context, algorithm);
  if (!file.is_open()) calls.fail("the file is closed");
  else if (!h5_exists(file.native(), name)) calls.fail("no such dataset");
  calls.agree();

  const h5_block b = h5_block_of(x);
  const h5_handle set(calls(H5Dopen2(file.native(), name.c_str(), H5P_DEFAULT), "H5Dopen2"), H5Dclose);
  const h5_handle file_space(calls(H5Dget_space(set.get()), "H5Dget_space"), H5Sclose);
  const h5_handle stored(calls(H5Dget_type(set.get()), "H5Dget_type"), H5Tclose);
  const h5_handle type = h5_memory_type<T>(calls);
  if (calls.ok()) {
    const int rank = H5Sget_simple_extent_ndims(file_space.get());
    std::vector<hsize_t> dims(rank > 0 ? static_cast<std::size_t>(rank) : 0);
    if (rank > 0) H5Sget_simple_extent_dims(file_space.get(), dims.data(), nullptr);
    const bool same_shape = dims == b.global;
    const bool same_type = h5_types_match(stored.get(), type.get());
    if (!same_shape || !same_type) {
      calls.fail("the file holds " + extents_text({dims.begin(), dims.end()}) + " " + h5_type_name(stored.get()) +
                 " values, but " + h5_object_text(x) + " is " + extents_text(b.extents()) + " " +
                 h5_type_name(type.get()) + (same_shape ? " (the value types differ)" : " (the shapes differ)"));
    }
  }
  calls.agree();

  const h5_handle transfer = h5_collective_transfer(calls);
  calls.agree();
  if (!b.nothing_global()) {
    Kokkos::fence();  // x's pending work, before its memory is written
    h5_mover<X> mover(x, b, file.comm(), algorithm);
    for (std::size_t r = 0; r < mover.rounds(); ++r) {
      h5_handle memory_space;
      void* data = mover.prepare(r, file_space.get(), memory_space, calls, false);
      calls.agree();
      calls(H5Dread(set.get(), type.get(), memory_space.get(), file_space.get(), transfer.get(), data), "H5Dread");
      calls.agree();
      mover.finish_read(r);
    }
  }
  calls.agree();
}

}  // namespace weft::detail
