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

#include <cstdint>
#include <optional>
#include <string>
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

/// The selections of this rank's block: in the file, and in memory (its storage).
inline void h5_select(const h5_block& b, hid_t file_space, h5_handle& memory_space, h5_calls& calls) {
  const int rank = static_cast<int>(b.global.size());
  if (b.empty()) {
    calls(H5Sselect_none(file_space), "H5Sselect_none");
    const hsize_t one = 1;
    memory_space = h5_handle(calls(H5Screate_simple(1, &one, nullptr), "H5Screate_simple"), H5Sclose);
    calls(H5Sselect_none(memory_space.get()), "H5Sselect_none");
    return;
  }
  calls(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, b.start.data(), nullptr, b.count.data(), nullptr),
        "H5Sselect_hyperslab");
  memory_space = h5_handle(calls(H5Screate_simple(rank, b.storage.data(), nullptr), "H5Screate_simple"), H5Sclose);
  calls(H5Sselect_hyperslab(memory_space.get(), H5S_SELECT_SET, b.storage_start.data(), nullptr, b.count.data(),
                            nullptr),
        "H5Sselect_hyperslab");
}

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

  // The owned block in host memory: the storage itself on host spaces, a
  // copy of it otherwise (ghosts and halo included; the selection skips them).
  Kokkos::fence();
  const auto& storage = h5_storage_of(x);
  const auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, storage);
  if (!host.span_is_contiguous()) calls.fail("the storage is not contiguous");

  const hid_t f = file.native();
  if (h5_exists(f, name)) calls(H5Ldelete(f, name.c_str(), H5P_DEFAULT), "H5Ldelete");
  calls.agree();
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
  h5_handle memory_space;
  h5_select(b, file_space.get(), memory_space, calls);
  const h5_handle transfer = h5_collective_transfer(calls);
  calls.agree();
  if (!b.nothing_global())
    calls(H5Dwrite(set.get(), type.get(), memory_space.get(), file_space.get(), transfer.get(), host.data()),
          "H5Dwrite");
  calls.agree();

  // Attributes: what the dataset is, then the user's; none depends on the layout.
  using value = std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>>;
  const std::string version = std::to_string(WEFT_VERSION_MAJOR) + "." + std::to_string(WEFT_VERSION_MINOR) + "." +
                              std::to_string(WEFT_VERSION_PATCH);
  const std::pair<const char*, value> own[] = {{"extents", b.extents()},
                                               {"value_type", h5_type_name(type.get())},
                                               {"weft_object", std::string(b.kind)},
                                               {"weft_version", version}};
  for (const auto& [key, v] : own) {
    h5_write_attribute(set.get(), key, v, calls);
    calls.agree();
  }
  std::optional<double> time;
  for (const auto& a : extra) {
    std::visit([&](const auto& v) { h5_write_attribute(set.get(), a.name, v, calls); }, a.value.get());
    calls.agree();
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

  // Into host memory: the storage itself on host spaces; otherwise a copy of
  // it (so ghosts and halo survive), read into, then copied back.
  Kokkos::fence();
  const auto& storage = h5_storage_of(x);
  const auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, storage);
  if (!host.span_is_contiguous()) calls.fail("the storage is not contiguous");
  h5_handle memory_space;
  h5_select(b, file_space.get(), memory_space, calls);
  const h5_handle transfer = h5_collective_transfer(calls);
  calls.agree();
  if (!b.nothing_global())
    calls(H5Dread(set.get(), type.get(), memory_space.get(), file_space.get(), transfer.get(), host.data()),
          "H5Dread");
  calls.agree();
  if (host.data() != storage.data()) Kokkos::deep_copy(storage, host);
}

}  // namespace weft::detail
