// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// Writing and reading one distributed vector or grid as one global HDF5
// dataset. Rank 0 alone creates or inspects the dataset with HDF5 (its
// header and attributes: h5_on_file); every rank moves its own block
// of values (ghosts and halo left out) between its memory and the dataset's
// place in the file with independent MPI-IO calls, each checked for a short
// transfer, and the checksum of the global values (detail/checksum.hpp)
// shows whether what arrived is what left. Datasets that are not stored as
// one contiguous run of the value type (written by other tools: chunked,
// compressed, another byte order) are read through parallel HDF5.

#include "../../detail/policy.hpp"
#include "../../distributed/communicator.hpp"
#include "../../distributed/detail/copy_engine.hpp"
#include "../../distributed/detail/mpi.hpp"
#include "../../distributed/grid.hpp"
#include "../../distributed/vector.hpp"
#include "../../version.hpp"
#include "../file.hpp"
#include "../types.hpp"
#include "checksum.hpp"
#include "h5.hpp"
#include "xdmf.hpp"

#include <Kokkos_Core.hpp>
#include <hdf5.h>
#include <mpi.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace weft::detail {

/// Where one rank's block lies in the global dataset, and in its storage.
struct h5_block {
  std::vector<hsize_t> global, start, count;    // in the dataset
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

template <distributed_1d X>
h5_block h5_block_of(const X& x) {
  const auto g = static_cast<hsize_t>(x.halo_width());
  return {{static_cast<hsize_t>(x.global_size())},
          {static_cast<hsize_t>(x.offset())},
          {static_cast<hsize_t>(x.local_size())},
          {static_cast<hsize_t>(x.with_halo().extent(0))},
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
  if constexpr (distributed_1d<X>)
    return x.with_halo();
  else
    return x.with_halo();
}

template <class X>
std::string h5_object_text(const X&) {
  if constexpr (distributed_1d<X>)
    return "the vector";
  else
    return "the grid";
}

/// The file's communicator and the object's must span the same processes:
/// every rank of the object takes part in the file's collective calls.
template <class X>
void h5_check_communicator(const hdf5_file& file, const X& x, const std::string& context, const char* algorithm) {
  int result = MPI_UNEQUAL;
  check_mpi(MPI_Comm_compare(file.comm().native(), x.comm().native(), &result), "MPI_Comm_compare", algorithm);
  agree(x.comm(), result != MPI_UNEQUAL,
        context + ": the file is open on other processes than " + h5_object_text(x) + " lives on", algorithm);
}

/// Bytes of the host buffer a block moves through when it is staged: 4 MiB,
/// or WEFT_HDF5_STAGING_BYTES (tests make it tiny to move blocks in many
/// rounds).
inline std::size_t h5_staging_bytes() {
  if (const char* env = std::getenv("WEFT_HDF5_STAGING_BYTES"); env && std::atoll(env) > 0)
    return static_cast<std::size_t>(std::atoll(env));
  return std::size_t{4} << 20;
}

template <class X>
constexpr int h5_rank_of() {
  if constexpr (grid<X>)
    return X::rank;
  else
    return 1;
}

/// A block of a row-major array of `sizes` (up to three dimensions: the
/// dataset in the file, or a rank's storage) as the copy engine's box.
inline std::array<std::int64_t, 3> h5_padded(const std::vector<hsize_t>& sizes) {
  std::array<std::int64_t, 3> e{1, 1, 1};
  for (std::size_t d = 0; d < sizes.size(); ++d) e[3 - sizes.size() + d] = static_cast<std::int64_t>(sizes[d]);
  return e;
}
inline storage_box h5_box(const std::vector<hsize_t>& counts, const std::vector<hsize_t>& starts) {
  storage_box box;
  box.lo = h5_padded(starts);
  box.extent = h5_padded(counts);
  if (starts.size() < 3) box.lo[0] = 0;
  if (starts.size() < 2) box.lo[1] = 0;
  return box;
}

/// The committed MPI subarray of a block (the copy engine's box_subarray),
/// or an error if an extent does not fit MPI's int (the caller has checked).
inline mpi_owned_type h5_subarray(const std::vector<hsize_t>& sizes, const std::vector<hsize_t>& counts,
                                  const std::vector<hsize_t>& starts, MPI_Datatype element, const char* algorithm) {
  return box_subarray(h5_box(counts, starts), h5_padded(sizes), element, algorithm);
}

inline bool h5_fits_int(const std::vector<hsize_t>& values) {
  for (auto v : values)
    if (v > static_cast<hsize_t>(INT_MAX)) return false;
  return true;
}

/// How one rank's block travels: in slabs of whole rows (ranges of the
/// first index; for vectors, ranges of elements), each either straight from
/// or into x's storage (host memory with long rows: vectors, grids without
/// halo, rows of 8 KiB or more) or packed in a host buffer of about
/// h5_staging_bytes() (short rows, and device memory). (Open MPI's MPI-IO
/// moves a strided memory selection one piece at a time, about a
/// microsecond each: a 256^3 grid's 65536 rows of 2 KiB read three times
/// slower than contiguous memory, staged 1.6 times; 2048^2 rows of 16 KiB
/// read as fast directly.) A direct slab is at most 1 GiB, so that every
/// transfer's count and datatype size fit MPI's int.
template <class X>
class h5_slabs {
  using T = typename X::value_type;
  using memory_space = typename X::memory_space;
  static constexpr int rank = h5_rank_of<X>();
  static constexpr bool host_memory = Kokkos::SpaceAccessibility<Kokkos::HostSpace, memory_space>::accessible;

 public:
  /// staged_only: every slab through the host buffer (to read a block back
  /// without touching x).
  h5_slabs(const X& x, const h5_block& b, MPI_Datatype element, const char* algorithm, bool staged_only = false)
      : x_(x), b_(b), element_(element), algorithm_(algorithm) {
    bool long_rows = true;
    if constexpr (grid<X>) long_rows = x.halo_width() == 0 || b.count[rank - 1] * sizeof(T) >= 8192;
    // weft's staging policy (WEFT_MPI_STAGING=1 stages host memory too, as
    // for MPI messages, so that tests on CPUs take the staged path).
    direct_ = detail::mpi_io_can_use_directly<memory_space>() && long_rows && !staged_only;
    for (std::size_t d = 1; d < static_cast<std::size_t>(rank); ++d) inner_ *= b.count[d];
    const std::size_t row_bytes = std::max<std::size_t>(1, inner_ * sizeof(T));
    const std::size_t budget = direct_ ? (std::size_t{1} << 30) : h5_staging_bytes();
    slab_rows_ = std::max<std::size_t>(1, budget / row_bytes);
    slabs_ = b.empty() ? 0 : (b.count[0] + slab_rows_ - 1) / slab_rows_;
    if (!direct_ && slabs_ > 0) {
      host_ = host_view(Kokkos::view_alloc(std::string("weft::hdf5::staging"), Kokkos::WithoutInitializing),
                        std::min<std::size_t>(slab_rows_, b.count[0]) * inner_);
      if constexpr (!host_memory)
        device_ = device_view(Kokkos::view_alloc(std::string("weft::hdf5::staging"), Kokkos::WithoutInitializing),
                              host_.extent(0));
    }
  }

  std::size_t count() const { return slabs_; }
  std::size_t first_row(std::size_t s) const { return s * slab_rows_; }
  std::size_t rows(std::size_t s) const { return std::min<std::size_t>(slab_rows_, b_.count[0] - first_row(s)); }
  std::size_t elements(std::size_t s) const { return rows(s) * inner_; }
  /// Where slab s starts among the block's elements in row-major order (its
  /// position in the file view of the block).
  std::uint64_t view_offset(std::size_t s) const { return first_row(s) * inner_; }
  bool direct() const { return direct_; }

  /// The memory MPI-IO moves slab s from or to: {address, count, datatype}.
  struct memory {
    void* address;
    int count;
    mpi_owned_type owned;  // a subarray of the storage, when there is one
    MPI_Datatype type;
  };
  memory memory_of(std::size_t s) const {
    if (!direct_) return {host_.data(), static_cast<int>(elements(s)), {}, element_};
    const auto& storage = h5_storage_of(x_);
    if constexpr (rank == 1) {
      return {storage.data() + b_.storage_start[0] + first_row(s), static_cast<int>(elements(s)), {}, element_};
    } else {
      std::vector<hsize_t> counts = b_.count, starts = b_.storage_start;
      counts[0] = rows(s);
      starts[0] += first_row(s);
      mpi_owned_type type = h5_subarray(b_.storage, counts, starts, element_, algorithm_);
      const MPI_Datatype raw = type.get();
      return {storage.data(), 1, std::move(type), raw};
    }
  }

  /// Before writing staged slab s: its rows packed into the host buffer.
  void pack(std::size_t s) {
    if (direct_) return;
    if constexpr (host_memory) {
      copy_rows(s, host_.data(), true);
    } else {
      copy_rows(s, device_.data(), true);
      Kokkos::deep_copy(host_piece(s), device_piece(s));
    }
  }
  /// After reading staged slab s into the host buffer: its rows into x.
  void unpack(std::size_t s) {
    if (direct_) return;
    if constexpr (host_memory) {
      copy_rows(s, host_.data(), false);
    } else {
      Kokkos::deep_copy(device_piece(s), host_piece(s));
      copy_rows(s, device_.data(), false);
    }
  }
  /// The host buffer (staged slabs), e.g. to check what was read back.
  const T* host_buffer() const { return host_.data(); }

 private:
  using host_view = Kokkos::View<T*, Kokkos::HostSpace>;
  using device_view = Kokkos::View<T*, memory_space>;
  using unmanaged_host = Kokkos::View<T*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  using unmanaged_device = Kokkos::View<T*, memory_space, Kokkos::MemoryTraits<Kokkos::Unmanaged>>;
  unmanaged_host host_piece(std::size_t s) const { return unmanaged_host(host_.data(), elements(s)); }
  unmanaged_device device_piece(std::size_t s) const { return unmanaged_device(device_.data(), elements(s)); }

  // Slab s's rows between x's storage and a packed buffer in x's memory
  // space, by the copy engine's box kernels (the slab is one box of the
  // storage); waits for the copy.
  void copy_rows(std::size_t s, T* buffer, bool to_buffer) const {
    typename box_list<Kokkos::HostSpace>::builder slab;
    std::vector<hsize_t> counts = b_.count, starts = b_.storage_start;
    counts[0] = rows(s);
    starts[0] += first_row(s);
    slab.append(h5_box(counts, starts));
    const auto e = h5_padded(b_.storage);
    const auto& storage = h5_storage_of(x_);
    const unmanaged_device whole(storage.data(), static_cast<std::size_t>(e[0] * e[1] * e[2]));
    const unmanaged_device packed(buffer, elements(s));
    if constexpr (host_memory) {
      // A serial loop: a slab is a few MiB, cache-sized, and short parallel
      // regions (dozens per block) stall whenever a core is busy elsewhere.
      const Kokkos::View<const device_box*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> boxes(
          slab.boxes.data(), 1);
      if (to_buffer) {
        const box_pack_functor<unmanaged_device, unmanaged_device, decltype(boxes)> f{packed, whole, boxes, e[1], e[2]};
        for (std::int64_t u = 0; u < slab.units; ++u) f(u);
      } else {
        const box_unpack_functor<unmanaged_device, unmanaged_device, decltype(boxes)> f{packed, whole, boxes, e[1],
                                                                                        e[2]};
        for (std::int64_t u = 0; u < slab.units; ++u) f(u);
      }
    } else {
      using exec = typename X::execution_space;
      Kokkos::deep_copy(slab_box_,
                        Kokkos::View<const device_box*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(
                            slab.boxes.data(), 1));
      if (to_buffer)
        Kokkos::parallel_for("weft::hdf5::stage", range_policy<exec>(exec(), 0, slab.units),
                             box_pack_functor<unmanaged_device, unmanaged_device, decltype(slab_box_)>{
                                 packed, whole, slab_box_, e[1], e[2]});
      else
        Kokkos::parallel_for("weft::hdf5::stage", range_policy<exec>(exec(), 0, slab.units),
                             box_unpack_functor<unmanaged_device, unmanaged_device, decltype(slab_box_)>{
                                 packed, whole, slab_box_, e[1], e[2]});
      exec().fence();
    }
  }

  const X& x_;
  const h5_block& b_;
  MPI_Datatype element_;
  const char* algorithm_;
  bool direct_ = true;
  std::size_t inner_ = 1, slab_rows_ = 1, slabs_ = 0;
  host_view host_;
  device_view device_;
  Kokkos::View<device_box*, memory_space> slab_box_{"weft::hdf5::slab box", 1};  // device memory: the slab's box
};

/// A dataset's values in the file, seen through MPI-IO by every rank: the
/// file open on a plain communicator of the ranks, each rank's view its own
/// block of the dataset (which starts at byte `offset`). Transfers are
/// independent (no rank waits for another inside MPI-IO, whatever fails),
/// and each is checked for a short count: Open MPI's OMPIO returns success
/// from a write that the file system refused and reports only the bytes
/// moved. Every failure is recorded in `check`, which the caller settles;
/// the collective steps (open, view, sync, close) run on every rank
/// whatever happened before. A process reads back what it wrote through the
/// same handle (MPI-IO's consistency for one process).
class h5_raw_file {
 public:
  enum access { read_only, write_only, read_write };

  h5_raw_file(const communicator& comm, const std::string& path, access how, std::uint64_t offset, const h5_block& b,
              MPI_Datatype element, std::size_t element_bytes, collective_check& check, const std::string& context,
              const char* algorithm)
      : check_(check), context_(context), algorithm_(algorithm), element_(element), element_bytes_(element_bytes) {
    MPI_Comm plain = h5_plain_communicator(comm, algorithm);
    const int mode = how == read_only ? MPI_MODE_RDONLY : how == write_only ? MPI_MODE_WRONLY : MPI_MODE_RDWR;
    const int opened = MPI_File_open(plain, path.c_str(), mode, MPI_INFO_NULL, &file_);
    MPI_Comm_free(&plain);
    // MPI_File_open is collective and fails alike on every rank in the MPIs
    // weft is tested with; a rank that failed alone would leave the others
    // in the collective calls below.
    if (opened != MPI_SUCCESS) {
      file_ = MPI_FILE_NULL;
      check_.require(false, context_, ": MPI_File_open failed: ", mpi_error_text(opened));
      return;
    }
    MPI_Offset displacement = static_cast<MPI_Offset>(offset);
    if (b.empty()) {
      view_ = mpi_owned_type();
    } else if (b.global.size() == 1) {
      displacement += static_cast<MPI_Offset>(b.start[0] * element_bytes);
    } else if (h5_fits_int(b.global)) {
      view_ = h5_subarray(b.global, b.count, b.start, element, algorithm);
    } else {
      check_.require(false, context_, ": an extent exceeds MPI's int; MPI-IO cannot describe the block");
    }
    const int viewed =
        MPI_File_set_view(file_, displacement, element, view_.get() != MPI_DATATYPE_NULL ? view_.get() : element,
                          "native", MPI_INFO_NULL);
    if (viewed != MPI_SUCCESS) check_.require(false, context_, ": MPI_File_set_view failed: ", mpi_error_text(viewed));
  }
  h5_raw_file(const h5_raw_file&) = delete;
  h5_raw_file& operator=(const h5_raw_file&) = delete;
  ~h5_raw_file() {
    if (file_ != MPI_FILE_NULL) MPI_File_close(&file_);
  }

  bool usable() const { return file_ != MPI_FILE_NULL && !check_.failed_here(); }

  /// Writes or reads `count` items of `type` at element `at` of this rank's
  /// view; they must be `elements` elements.
  void write(std::uint64_t at, const void* data, int count, MPI_Datatype type, std::size_t elements) {
    transfer(true, at, const_cast<void*>(data), count, type, elements);
  }
  void read(std::uint64_t at, void* data, int count, MPI_Datatype type, std::size_t elements) {
    transfer(false, at, data, count, type, elements);
  }

  /// Collective: what this rank wrote, on the storage device.
  void sync() {
    if (file_ == MPI_FILE_NULL) return;
    const int synced = MPI_File_sync(file_);
    if (synced != MPI_SUCCESS) check_.require(false, context_, ": MPI_File_sync failed: ", mpi_error_text(synced));
  }

  /// Collective.
  void close() {
    if (file_ == MPI_FILE_NULL) return;
    const int closed = MPI_File_close(&file_);
    file_ = MPI_FILE_NULL;
    if (closed != MPI_SUCCESS) check_.require(false, context_, ": MPI_File_close failed: ", mpi_error_text(closed));
  }

 private:
  void transfer(bool writing, std::uint64_t at, void* data, int count, MPI_Datatype type, std::size_t elements) {
    if (!usable() || elements == 0) return;
    MPI_Status status;
    const int rc = writing ? MPI_File_write_at(file_, static_cast<MPI_Offset>(at), data, count, type, &status)
                           : MPI_File_read_at(file_, static_cast<MPI_Offset>(at), data, count, type, &status);
    const std::uint64_t expected = elements * element_bytes_;
    MPI_Count moved = 0;
    if (rc == MPI_SUCCESS) MPI_Get_elements_x(&status, type, &moved);
    if (rc != MPI_SUCCESS)
      check_.require(false, context_, ": ", writing ? "MPI_File_write_at" : "MPI_File_read_at", " failed on rank ",
                     world_rank_or_unknown(), ": ", mpi_error_text(rc));
    else if (moved < 0 || static_cast<std::uint64_t>(moved) != expected)
      check_.require(false, context_, ": ", writing ? "wrote " : "read ", moved < 0 ? 0 : moved, " of ", expected,
                     " bytes on rank ", world_rank_or_unknown(),
                     writing ? " (is the file system full?)" : " (is the file shorter than its dataset?)");
  }

  collective_check& check_;
  std::string context_;
  const char* algorithm_;
  MPI_Datatype element_;
  std::size_t element_bytes_;
  MPI_File file_ = MPI_FILE_NULL;
  mpi_owned_type view_;
};

/// This rank's part of the checksum of packed slab s of block b (host memory).
template <class T>
std::uint64_t h5_checksum_of_slab(const T* data, const h5_block& b, std::size_t first_row, std::size_t rows,
                                  const h5_element_hash<T>& hash) {
  const std::size_t rank = b.global.size();
  std::uint64_t sum = 0;
  if (rank == 1) {
    const std::uint64_t first = b.start[0] + first_row;
    for (std::size_t i = 0; i < rows; ++i) sum += hash(data[i], first + i);
  } else if (rank == 2) {
    for (std::size_t i = 0; i < rows; ++i) {
      const std::uint64_t row = (b.start[0] + first_row + i) * b.global[1] + b.start[1];
      for (std::size_t j = 0; j < b.count[1]; ++j) sum += hash(*data++, row + j);
    }
  } else {
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t j = 0; j < b.count[1]; ++j) {
        const std::uint64_t row =
            ((b.start[0] + first_row + i) * b.global[1] + b.start[1] + j) * b.global[2] + b.start[2];
        for (std::size_t k = 0; k < b.count[2]; ++k) sum += hash(*data++, row + k);
      }
  }
  return sum;
}

/// How weft::save writes one dataset (see weft::save_options).
struct h5_write_settings {
  bool overwrite = false;  // replace a dataset of the same name
  bool verify = true;      // read the values back and compare checksums
  bool sync = false;       // MPI_File_sync the values before closing
};

/// What rank 0 tells every rank about a dataset it created or found.
struct h5_dataset_facts {
  std::uint64_t offset = 0;    // where the values start in the file (HADDR_UNDEF: not stored contiguously)
  std::uint64_t token = 0;     // the temporary name's suffix (writes)
  std::uint64_t checksum = 0;  // the stored checksum (reads)
  std::int32_t raw = 0;        // reads: the values are one contiguous run of the memory type
  std::int32_t has_checksum = 0;
};

inline std::string h5_temporary_dataset(const std::string& name, std::uint64_t token) {
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".weft-saving-%016llx", static_cast<unsigned long long>(token));
  return name + suffix;
}

inline std::string h5_hex(std::uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

/// Collective: the checksum of x's global values, and the element hash it
/// was made with (detail/checksum.hpp).
template <class X>
std::pair<h5_element_hash<typename X::value_type>, std::uint64_t> h5_global_checksum(const X& x,
                                                                                     const std::string& context,
                                                                                     const char* algorithm) {
  h5_element_hash<typename X::value_type> hash{};
  std::uint64_t mine = 0;
  collective_check check(algorithm);
  check.attempt([&] {
    h5_calls calls(context);
    hash = h5_element_hash_for<typename X::value_type>(calls);
    if (!calls.ok()) throw error(calls.problem());
    Kokkos::fence();  // x's pending work
    mine = h5_local_checksum(x, hash);
  });
  check.settle(x.comm());
  return {hash, h5_sum_over_ranks(x.comm(), mine, algorithm)};
}

/// Rank 0, the file open for writing: a new dataset for block b's global
/// shape under a temporary name beside `name`, with weft's attributes (the
/// checksum among them) and the user's. Checks first that `name` is free, or
/// a dataset and `overwrite`.
template <class T>
h5_dataset_facts h5_create_dataset(hid_t f, h5_calls& calls, const std::string& name, const h5_block& b, bool overwrite,
                                   std::uint64_t checksum, const attributes& extra) {
  h5_dataset_facts facts;
  switch (h5_kind_of(f, name)) {
    case h5_object::none:
      break;
    case h5_object::dataset:
      if (!overwrite)
        calls.fail(
            "the file already holds a dataset of this name; pass weft::save_options{.overwrite = true} to "
            "replace it");
      break;
    case h5_object::blocked:
      calls.fail("a part of the name before the last is not a group");
      break;
    default:
      calls.fail("the name is a group (or another object that is not a dataset), which save never replaces");
  }
  if (!calls.ok()) return facts;
  facts.token = std::random_device{}() * 0x100000001ull ^ std::random_device{}();
  const std::string temporary = h5_temporary_dataset(name, facts.token);
  const h5_handle type = h5_memory_type<T>(calls);
  const h5_handle file_space(
      calls(H5Screate_simple(static_cast<int>(b.global.size()), b.global.data(), nullptr), "H5Screate_simple"),
      H5Sclose);
  // Contiguous and allocated now: the values go straight to their place
  // with MPI-IO; nothing to fill first (it is all written).
  const h5_handle create(calls(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate"), H5Pclose);
  calls(H5Pset_layout(create.get(), H5D_CONTIGUOUS), "H5Pset_layout");
  calls(H5Pset_alloc_time(create.get(), H5D_ALLOC_TIME_EARLY), "H5Pset_alloc_time");
  calls(H5Pset_fill_time(create.get(), H5D_FILL_TIME_NEVER), "H5Pset_fill_time");
  const h5_handle link(calls(H5Pcreate(H5P_LINK_CREATE), "H5Pcreate"), H5Pclose);
  calls(H5Pset_create_intermediate_group(link.get(), 1), "H5Pset_create_intermediate_group");
  if (!calls.ok()) return facts;
  const h5_handle set(
      calls(H5Dcreate2(f, temporary.c_str(), type.get(), file_space.get(), link.get(), create.get(), H5P_DEFAULT),
            "H5Dcreate2"),
      H5Dclose);
  if (!calls.ok()) return facts;
  const std::string version = std::to_string(WEFT_VERSION_MAJOR) + "." + std::to_string(WEFT_VERSION_MINOR) + "." +
                              std::to_string(WEFT_VERSION_PATCH);
  const std::pair<const char*, h5_attribute_data> own[] = {
      {"extents", b.extents()},
      {"value_type", h5_type_name(type.get())},
      {"weft_object", std::string(b.kind)},
      {"weft_version", version},
      {h5_checksum_attribute, checksum},
      {h5_checksum_algorithm_attribute, std::string(h5_checksum_algorithm)}};
  for (const auto& [key, v] : own) h5_write_attribute(set.get(), key, v, calls);
  for (const auto& a : extra)
    std::visit([&](const auto& v) { h5_write_attribute(set.get(), a.name, v, calls); }, a.value.get());
  const haddr_t offset = b.nothing_global() ? 0 : H5Dget_offset(set.get());
  if (offset == HADDR_UNDEF) calls.fail("HDF5 gave the new dataset no place in the file");
  facts.offset = offset;
  return facts;
}

/// Collective: every rank writes its block b of x into the dataset whose
/// values start at byte `offset` of the file, then (settings.verify) reads
/// it back through the same handle into a host buffer (x is not touched)
/// and returns the checksum of what came back, summed over the ranks (0
/// without verify). weft::error on every rank if a transfer fails.
template <class X>
std::uint64_t h5_write_values(const hdf5_file& file, const X& x, const h5_block& b, std::uint64_t offset,
                              const h5_write_settings& settings, const h5_element_hash<typename X::value_type>& hash,
                              const std::string& context, const char* algorithm) {
  using T = typename X::value_type;
  mpi_element_type<T> element(algorithm);
  collective_check check(algorithm);
  h5_raw_file raw(file.comm(), file.path(), settings.verify ? h5_raw_file::read_write : h5_raw_file::write_only, offset,
                  b, element.get(), sizeof(T), check, context, algorithm);
  {
    std::optional<h5_slabs<X>> slabs;
    check.attempt([&] { slabs.emplace(x, b, element.get(), algorithm); });
    for (std::size_t s = 0; slabs && s < slabs->count() && raw.usable(); ++s) {
      check.attempt([&] { slabs->pack(s); });
      const auto m = slabs->memory_of(s);
      raw.write(slabs->view_offset(s), m.address, m.count, m.type, slabs->elements(s));
    }
  }
  if (settings.sync) raw.sync();
  std::uint64_t back = 0;
  if (settings.verify) {
    std::optional<h5_slabs<X>> slabs;
    check.attempt([&] { slabs.emplace(x, b, element.get(), algorithm, true); });
    for (std::size_t s = 0; slabs && s < slabs->count() && raw.usable(); ++s) {
      const auto m = slabs->memory_of(s);
      raw.read(slabs->view_offset(s), m.address, m.count, m.type, slabs->elements(s));
      if (raw.usable()) back += h5_checksum_of_slab(slabs->host_buffer(), b, slabs->first_row(s), slabs->rows(s), hash);
    }
  }
  raw.close();
  check.settle(file.comm());
  return settings.verify ? h5_sum_over_ranks(file.comm(), back, algorithm) : 0;
}

/// Writes x as dataset `name` of `file`, with weft's attributes and the
/// user's. Returns what an XDMF sidecar needs, for grids of types XDMF knows.
/// Collective. In order, each step agreed across ranks before the next:
///  1. the arguments are compared across ranks (exactly) and checked;
///  2. the checksum of x's values is computed where they live;
///  3. rank 0 creates the dataset, with its attributes and checksum, under a
///     temporary name beside `name` ("<name>.weft-saving-<hex>");
///  4. every rank writes its block into the dataset's place in the file;
///  5. (settings.verify) every rank reads its block back from the file, and
///     the checksum of what came back must be the one of step 2;
///  6. rank 0 renames the dataset to `name` (replacing the old one, with
///     settings.overwrite).
/// A failure at any step throws weft::error on every rank; after step 3,
/// rank 0 first removes the temporary dataset, so that `name` holds what it
/// held before.
template <class X>
std::optional<xdmf_field> h5_write(hdf5_file& file, const std::string& name, const X& x, const attributes& extra,
                                   const h5_write_settings& settings, const char* algorithm) {
  using T = typename X::value_type;
  const communicator& comm = file.comm();
  const std::string context = std::string(algorithm) + ": dataset '" + name + "' in '" + file.path() + "'";
  h5_check_communicator(file, x, context, algorithm);
  // 1. The arguments, the same on every rank, and their checks.
  {
    collective_check check(algorithm);
    io_arguments arguments;
    arguments.text("the dataset name", name)
        .integer("save_options::overwrite", settings.overwrite)
        .integer("save_options::verify", settings.verify)
        .integer("the number of attributes", static_cast<std::int64_t>(extra.size()));
    for (const auto& a : extra) h5_record_attribute(arguments, a.name, a.value);
    arguments.compare(comm, check, algorithm);
    check.require(file.is_open(), context, ": the file is closed");
    check.require(file.access_mode() != hdf5_file::read, context, ": the file is open read-only");
    check.require(!name.empty() && name.find_first_not_of('/') != std::string::npos, context,
                  ": a dataset needs a name");
    for (std::size_t k = 0; k < extra.size(); ++k) {
      const std::string problem = h5_user_attribute_problem(extra[k].name, extra[k].value);
      check.require(problem.empty(), context, ": ", problem);
      for (std::size_t j = 0; j < k; ++j)
        check.require(extra[j].name != extra[k].name, context, ": attribute '", extra[k].name, "' is given twice");
    }
    check.settle(comm);
  }

  // 2. The checksum of the values, where they live.
  const h5_block b = h5_block_of(x);
  const auto global = h5_global_checksum(x, context, algorithm);
  const std::uint64_t checksum = global.second;

  // 3. Rank 0: the dataset, under a temporary name.
  // Room for the values and the metadata, reserved before HDF5 opens the file.
  std::uint64_t reserve = h5_metadata_reserve + 4 * name.size();
  std::uint64_t values = sizeof(T);
  for (auto n : b.global) values *= n;
  reserve += values;
  for (const auto& a : extra) reserve += 4 * h5_attribute_bytes(a.name, a.value);
  const h5_dataset_facts made = h5_on_file(
      file, algorithm, "dataset '" + name + "' in '" + file.path() + "'", true, reserve, [&](hid_t f, h5_calls& calls) {
        return h5_create_dataset<T>(f, calls, name, b, settings.overwrite, checksum, extra);
      });
  const std::string temporary = h5_temporary_dataset(name, made.token);

  try {
    // 4. and 5.
    if (!b.nothing_global()) {
      const std::uint64_t read_back =
          h5_write_values(file, x, b, made.offset, settings, global.first, context, algorithm);
      require(!settings.verify || read_back == checksum, context,
              ": the values read back from the file are not those written (checksum ", h5_hex(read_back), ", expected ",
              h5_hex(checksum), "): the file system or MPI-IO lost or changed data; nothing was saved under this name");
    }
    // 6. Rank 0: the dataset under its name.
    h5_on_file(file, algorithm, "dataset '" + name + "' in '" + file.path() + "'", true,
               h5_metadata_reserve + 4 * name.size(), [&](hid_t f, h5_calls& calls) {
                 if (settings.overwrite && h5_kind_of(f, name) == h5_object::dataset)
                   calls(H5Ldelete(f, name.c_str(), H5P_DEFAULT), "H5Ldelete");
                 if (calls.ok())
                   calls(H5Lmove(f, temporary.c_str(), f, name.c_str(), H5P_DEFAULT, H5P_DEFAULT), "H5Lmove");
                 return std::int32_t(0);
               });
  } catch (...) {
    // Every rank is here (each step throws on all of them); rank 0 removes
    // the temporary dataset if it can (the file may be unwritable now).
    // (Not if no room can be reserved for the change: HDF5 must never fail
    // to write its metadata.)
    if (comm.rank() == 0 && h5_reserve(file.path(), h5_metadata_reserve).empty()) {
      h5_calls calls(context);
      const h5_handle access = h5_serial_access(calls);
      h5_handle f(H5Fopen(file.path().c_str(), H5F_ACC_RDWR, access.get()), H5Fclose);
      if (f.valid() && h5_exists(f.get(), temporary)) H5Ldelete(f.get(), temporary.c_str(), H5P_DEFAULT);
      f.reset();
      H5Eclear2(H5E_DEFAULT);
    }
    throw;
  }

  if constexpr (grid<X>) {
    auto field = xdmf_type_of<T>();
    if (field) {
      field->dataset = name;
      field->extents = b.extents();
      for (const auto& a : extra) {
        if (a.name != "time") continue;
        if (const auto* d = std::get_if<double>(&a.value.get())) field->time = *d;
        if (const auto* i = std::get_if<std::int64_t>(&a.value.get())) field->time = static_cast<double>(*i);
        if (const auto* u = std::get_if<std::uint64_t>(&a.value.get())) field->time = static_cast<double>(*u);
      }
    }
    return field;
  } else {
    return std::nullopt;
  }
}

/// Reads x's block of a dataset that is not one contiguous run of the
/// memory type (another tool's: chunked, compressed, another byte order)
/// through parallel HDF5, slab by slab into the host buffer, with
/// independent transfers and independent metadata reads, so that nothing
/// waits on another rank inside HDF5. Failures go into `check`.
template <class X>
void h5_read_through_hdf5(const hdf5_file& file, const std::string& name, const X& x, const h5_block& b,
                          MPI_Datatype element, collective_check& check, const std::string& context,
                          const char* algorithm) {
  using T = typename X::value_type;
  h5_calls calls(context);
  std::optional<h5_slabs<X>> slabs;
  check.attempt([&] { slabs.emplace(x, b, element, algorithm, true); });
  MPI_Comm plain = h5_plain_communicator(file.comm(), algorithm);
  const h5_handle access(calls(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate"), H5Pclose);
  calls(H5Pset_fapl_mpio(access.get(), plain, MPI_INFO_NULL), "H5Pset_fapl_mpio");
  MPI_Comm_free(&plain);
  const h5_handle f(calls(H5Fopen(file.path().c_str(), H5F_ACC_RDONLY, access.get()), "H5Fopen"), H5Fclose);
  {
    const h5_handle set(calls(H5Dopen2(f.get(), name.c_str(), H5P_DEFAULT), "H5Dopen2"), H5Dclose);
    const h5_handle file_space(calls(H5Dget_space(set.get()), "H5Dget_space"), H5Sclose);
    const h5_handle type = h5_memory_type<T>(calls);
    const h5_handle transfer(calls(H5Pcreate(H5P_DATASET_XFER), "H5Pcreate"), H5Pclose);
    calls(H5Pset_dxpl_mpio(transfer.get(), H5FD_MPIO_INDEPENDENT), "H5Pset_dxpl_mpio");
    for (std::size_t s = 0; slabs && calls.ok() && s < slabs->count(); ++s) {
      std::vector<hsize_t> start = b.start, count = b.count;
      start[0] += slabs->first_row(s);
      count[0] = slabs->rows(s);
      const hsize_t n = slabs->elements(s);
      calls(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
            "H5Sselect_hyperslab");
      const h5_handle memory(calls(H5Screate_simple(1, &n, nullptr), "H5Screate_simple"), H5Sclose);
      calls(H5Dread(set.get(), type.get(), memory.get(), file_space.get(), transfer.get(),
                    const_cast<T*>(slabs->host_buffer())),
            "H5Dread");
      if (calls.ok()) check.attempt([&] { slabs->unpack(s); });
    }
  }
  check.require(calls.ok(), calls.problem());
}

/// Reads dataset `name` of `file` into x's owned elements, after checking on
/// every rank that its shape and value type are x's: nothing is overwritten
/// unless they are. Ghosts and halo are left as they were. With `verify`, the
/// checksum of what was loaded must be the one stored with the dataset
/// (datasets weft wrote carry one); otherwise weft::error on every rank, and
/// x holds what the file held. Collective.
template <class X>
void h5_read(const hdf5_file& file, const std::string& name, const X& x, bool verify, const char* algorithm) {
  using T = typename X::value_type;
  const communicator& comm = file.comm();
  const std::string context = std::string(algorithm) + ": dataset '" + name + "' in '" + file.path() + "'";
  h5_check_communicator(file, x, context, algorithm);
  {
    collective_check check(algorithm);
    io_arguments arguments;
    arguments.text("the dataset name", name).integer("load_options::verify", verify);
    arguments.compare(comm, check, algorithm);
    check.settle(comm);
  }

  const h5_block b = h5_block_of(x);
  // Rank 0: is it there, of x's shape and type, and how is it stored?
  const h5_dataset_facts facts = h5_on_file(
      file, algorithm, "dataset '" + name + "' in '" + file.path() + "'", false, 0, [&](hid_t f, h5_calls& calls) {
        h5_dataset_facts found;
        if (h5_kind_of(f, name) != h5_object::dataset) {
          calls.fail("no such dataset");
          return found;
        }
        const h5_handle set(calls(H5Dopen2(f, name.c_str(), H5P_DEFAULT), "H5Dopen2"), H5Dclose);
        const h5_handle space(calls(H5Dget_space(set.get()), "H5Dget_space"), H5Sclose);
        const h5_handle stored(calls(H5Dget_type(set.get()), "H5Dget_type"), H5Tclose);
        const h5_handle type = h5_memory_type<T>(calls);
        const h5_handle create(calls(H5Dget_create_plist(set.get()), "H5Dget_create_plist"), H5Pclose);
        if (!calls.ok()) return found;
        const int rank = H5Sget_simple_extent_ndims(space.get());
        std::vector<hsize_t> dims(rank > 0 ? static_cast<std::size_t>(rank) : 0);
        if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
        const bool same_shape = dims == b.global;
        const bool same_type = h5_types_match(stored.get(), type.get());
        if (!same_shape || !same_type) {
          calls.fail("the file holds " + extents_text({dims.begin(), dims.end()}) + " " + h5_type_name(stored.get()) +
                     " values, but " + h5_object_text(x) + " is " + extents_text(b.extents()) + " " +
                     h5_type_name(type.get()) + (same_shape ? " (the value types differ)" : " (the shapes differ)"));
          return found;
        }
        // Values stored as one run of exactly the memory type go straight to
        // each rank's memory with MPI-IO; anything else goes through HDF5.
        const haddr_t offset = H5Dget_offset(set.get());
        found.raw = H5Pget_layout(create.get()) == H5D_CONTIGUOUS && offset != HADDR_UNDEF &&
                    H5Tequal(stored.get(), type.get()) > 0;
        found.offset = found.raw ? offset : 0;
        H5Eclear2(H5E_DEFAULT);
        // A checksum of an algorithm this weft does not know (a later one) is
        // not checked.
        if (H5Aexists(set.get(), h5_checksum_attribute) > 0 &&
            H5Aexists(set.get(), h5_checksum_algorithm_attribute) > 0 &&
            h5_read_attribute<std::string>(set.get(), h5_checksum_algorithm_attribute, calls) ==
                h5_checksum_algorithm) {
          found.checksum = h5_read_attribute<std::uint64_t>(set.get(), h5_checksum_attribute, calls);
          found.has_checksum = 1;
        }
        return found;
      });
  if (b.nothing_global()) return;

  collective_check check(algorithm);
  Kokkos::fence();  // x's pending work, before its memory is written
  mpi_element_type<T> element(algorithm);
  if (facts.raw) {
    std::optional<h5_slabs<X>> slabs;
    check.attempt([&] { slabs.emplace(x, b, element.get(), algorithm); });
    h5_raw_file raw(comm, file.path(), h5_raw_file::read_only, facts.offset, b, element.get(), sizeof(T), check,
                    context, algorithm);
    for (std::size_t s = 0; slabs && s < slabs->count() && raw.usable(); ++s) {
      const auto m = slabs->memory_of(s);
      raw.read(slabs->view_offset(s), m.address, m.count, m.type, slabs->elements(s));
      if (raw.usable()) check.attempt([&] { slabs->unpack(s); });
    }
    raw.close();
  } else {
    h5_read_through_hdf5(file, name, x, b, element.get(), check, context, algorithm);
  }
  check.settle(comm);

  if (verify && facts.has_checksum) {
    const std::uint64_t loaded = h5_global_checksum(x, context, algorithm).second;
    require(loaded == facts.checksum, context, ": the values loaded do not match the checksum stored with them ",
            "(checksum ", h5_hex(loaded), ", stored ", h5_hex(facts.checksum),
            "): the file was damaged, or changed by another program, after weft wrote it; ",
            "weft::load_options{.verify = false} loads it anyway");
  }
}

}  // namespace weft::detail
