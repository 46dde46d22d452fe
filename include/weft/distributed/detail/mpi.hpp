// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// MPI plumbing shared by the distributed algorithms: element datatypes,
// all-gathers of per-rank partial results, GPU-aware MPI detection.

#include "../../detail/fold.hpp"
#include "../../detail/reproducible.hpp"
#include "../../error.hpp"
#include "../communicator.hpp"

#include <Kokkos_Core.hpp>
#include <mpi.h>
#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h>  // MPIX_Query_cuda_support, where the MPI has it
#endif

#include <algorithm>
#include <array>
#include <climits>
#include <complex>
#include <concepts>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace weft::detail {

/// An MPI datatype of one T, as raw bytes: counts are in elements, so a
/// message may hold up to INT_MAX elements rather than INT_MAX bytes.
/// Created and committed once per process and type (MPI frees it at
/// MPI_Finalize), not on every call.
template <class T>
class mpi_element_type {
  static_assert(std::is_trivially_copyable_v<T>,
                "weft: distributed algorithms send values as bytes; the value type must be "
                "trivially copyable.");

 public:
  explicit mpi_element_type(const char* algorithm) : algorithm_(algorithm) {}
  MPI_Datatype get() const {
    static const MPI_Datatype type = [this] {
      MPI_Datatype t = MPI_DATATYPE_NULL;
      check_mpi(MPI_Type_contiguous(static_cast<int>(sizeof(T)), MPI_BYTE, &t), "MPI_Type_contiguous", algorithm_);
      check_mpi(MPI_Type_commit(&t), "MPI_Type_commit", algorithm_);
      return t;
    }();
    return type;
  }

 private:
  const char* algorithm_;
};

/// The most bytes weft puts in one message: 1 GiB, so any count of any type
/// fits MPI's int, and larger transfers go as several messages
/// (message_pieces). WEFT_MESSAGE_PIECE_BYTES=n sets a smaller piece (tests
/// use it to send many pieces); it must be the same on every rank.
inline std::int64_t message_piece_bytes() {
  constexpr std::int64_t most = std::int64_t(1) << 30;
  if (const char* env = std::getenv("WEFT_MESSAGE_PIECE_BYTES"); env && std::atoll(env) > 0)
    return std::min<std::int64_t>(most, std::atoll(env));
  return most;
}

/// The elements of T in one piece of a message, and how many pieces carry
/// `count` elements: both sides of a transfer derive the same from the same
/// count, and MPI keeps messages between two ranks on one tag in order.
template <class T>
std::int64_t message_piece_elements() {
  return std::max<std::int64_t>(1, message_piece_bytes() / std::int64_t(sizeof(T)));
}
template <class T>
std::int64_t message_pieces(std::int64_t count) {
  const std::int64_t piece = message_piece_elements<T>();
  return (count + piece - 1) / piece;
}

/// Posts the messages that move elements [0, count) of `data` to or from
/// `peer` (message_pieces<T>(count) of them, appended to `requests`).
template <class T>
void post_in_pieces(bool send, T* data, std::int64_t count, int peer, MPI_Datatype type, int tag, MPI_Comm comm,
                    std::vector<MPI_Request>& requests, const char* algorithm) {
  const std::int64_t piece = message_piece_elements<T>();
  for (std::int64_t at = 0; at < count; at += piece) {
    const int n = static_cast<int>(std::min(piece, count - at));
    requests.emplace_back();
    if (send)
      check_mpi(MPI_Isend(data + at, n, type, peer, tag, comm, &requests.back()), "MPI_Isend", algorithm);
    else
      check_mpi(MPI_Irecv(data + at, n, type, peer, tag, comm, &requests.back()), "MPI_Irecv", algorithm);
  }
}

/// An element count as MPI's int, or weft::error naming the algorithm.
inline int mpi_count(std::int64_t n, const char* algorithm) {
  require(n >= 0 && n <= INT_MAX, algorithm, ": ", n, " elements in one message exceed MPI's int count");
  return static_cast<int>(n);
}

/// Collective: every rank's `mine`, in rank order, on every rank.
template <class T>
std::vector<T> all_gather_value(const communicator& comm, const T& mine, const char* algorithm) {
  static_assert(std::is_trivially_copyable_v<T>,
                "weft: distributed reductions exchange partial results as bytes; the value type "
                "must be trivially copyable.");
  std::vector<T> all(static_cast<std::size_t>(comm.size()));
  check_mpi(MPI_Allgather(&mine, sizeof(T), MPI_BYTE, all.data(), sizeof(T), MPI_BYTE, comm.native()),
            "MPI_Allgather", algorithm);
  return all;
}

/// Collective: every rank's `mine`, in rank order, on every rank. The same
/// MPI_Allgather settles `check`: if any rank's check failed (an exception
/// from the user's function, an allocation), every rank throws weft::error
/// with the message of the first rank that failed, before it uses anything
/// gathered.
template <class T>
std::vector<T> all_gather_checked(const communicator& comm, const collective_check& check, const T& mine,
                                  const char* algorithm) {
  struct contribution {
    T value;
    int failed;
  };
  const auto all = all_gather_value(comm, contribution{mine, check.problem().empty() ? 0 : 1}, algorithm);
  int first = -1, last = -1;
  for (std::size_t r = 0; r < all.size(); ++r) {
    if (!all[r].failed) continue;
    if (first < 0) first = static_cast<int>(r);
    last = static_cast<int>(r);
  }
  if (first >= 0) check.fail_across(comm, first, last);
  std::vector<T> values;
  values.reserve(all.size());
  for (const auto& c : all) values.push_back(c.value);
  return values;
}

/// Collective: rank r's counts[r] values (`mine` on this rank, which holds
/// counts[this rank] of them), concatenated in rank order, on every rank.
/// The same MPI_Allgatherv settles `check`: each rank's part carries
/// whether it failed, and if any did, every rank throws as
/// all_gather_checked does, before it uses anything gathered.
template <class T>
std::vector<T> all_gather_v_checked(const communicator& comm, const collective_check& check,
                                    const std::vector<T>& mine, const std::vector<std::int64_t>& counts,
                                    const char* algorithm) {
  static_assert(std::is_trivially_copyable_v<T>, "weft: values are sent as bytes; the type must be trivially copyable.");
  constexpr std::int64_t header = sizeof(std::int64_t);
  const std::size_t ranks = counts.size();
  std::vector<int> bytes(ranks), displs(ranks);
  std::int64_t total = 0, values = 0;
  for (std::size_t r = 0; r < ranks; ++r) {
    const std::int64_t b = header + counts[r] * static_cast<std::int64_t>(sizeof(T));
    bytes[r] = mpi_count(b, algorithm);
    displs[r] = mpi_count(total, algorithm);
    total += b;
    values += counts[r];
  }
  const std::int64_t failed = check.problem().empty() ? 0 : 1;
  std::vector<unsigned char> out(static_cast<std::size_t>(header) + mine.size() * sizeof(T)),
      in(static_cast<std::size_t>(total));
  std::memcpy(out.data(), &failed, sizeof failed);
  if (!mine.empty()) std::memcpy(out.data() + header, mine.data(), mine.size() * sizeof(T));
  check_mpi(MPI_Allgatherv(out.data(), static_cast<int>(out.size()), MPI_BYTE, in.data(), bytes.data(), displs.data(),
                           MPI_BYTE, comm.native()),
            "MPI_Allgatherv", algorithm);
  int first = -1, last = -1;
  for (std::size_t r = 0; r < ranks; ++r) {
    std::int64_t f = 0;
    std::memcpy(&f, in.data() + displs[r], sizeof f);
    if (!f) continue;
    if (first < 0) first = static_cast<int>(r);
    last = static_cast<int>(r);
  }
  if (first >= 0) check.fail_across(comm, first, last);
  std::vector<T> all(static_cast<std::size_t>(values));
  std::size_t at = 0;
  for (std::size_t r = 0; r < ranks; ++r) {
    if (counts[r] > 0)
      std::memcpy(static_cast<void*>(all.data() + at), in.data() + displs[r] + header,
                  static_cast<std::size_t>(counts[r]) * sizeof(T));
    at += static_cast<std::size_t>(counts[r]);
  }
  return all;
}

/// weft's one staging policy, for every mover of data (halo exchanges,
/// redistribution, the all-to-all exchange, MPI-IO): WEFT_MPI_STAGING=1
/// forces host staging even for host memory (tests use it to exercise the
/// staging path on CPUs).
inline bool staging_forced() {
  const char* force = std::getenv("WEFT_MPI_STAGING");
  return force && std::strcmp(force, "1") == 0;
}

/// Whether MPI can take pointers to this memory directly in messages. Host
/// memory always; device memory when the MPI is CUDA-aware
/// (MPIX_Query_cuda_support), or as WEFT_GPU_AWARE_MPI=0|1 says; never
/// when staging is forced.
template <class MemorySpace>
bool mpi_can_use_directly() {
  if (staging_forced()) return false;
  if constexpr (Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemorySpace>::accessible) {
    return true;
  } else {
    if (const char* env = std::getenv("WEFT_GPU_AWARE_MPI"); env && *env) return std::strcmp(env, "0") != 0;
#if defined(MPIX_CUDA_AWARE_SUPPORT) && MPIX_CUDA_AWARE_SUPPORT
    return MPIX_Query_cuda_support() == 1;
#else
    return false;
#endif
  }
}

/// Whether MPI-IO (parallel HDF5) can read and write this memory directly:
/// host memory only (a CUDA-aware MPI's messages do not make its MPI-IO
/// device-aware), and never when staging is forced.
template <class MemorySpace>
bool mpi_io_can_use_directly() {
  return Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemorySpace>::accessible && !staging_forced();
}

template <class T>
struct value_complex_parts : std::false_type {};
template <class R>
struct value_complex_parts<Kokkos::complex<R>> : std::true_type {
  using part = R;
};
template <class R>
struct value_complex_parts<std::complex<R>> : std::true_type {
  using part = R;
};

template <class T>
struct value_array_parts : std::false_type {};
template <class E, std::size_t N>
struct value_array_parts<std::array<E, N>> : std::true_type {
  using element = E;
  static constexpr std::size_t size = N;
};
template <class E, std::size_t N>
struct value_array_parts<E[N]> : std::true_type {
  using element = E;
  static constexpr std::size_t size = N;
};

/// Whether weft knows which bytes of a T make up its value, so that equal
/// values on two ranks have equal bytes there: floating point (every bit
/// but the padding of an 80-bit long double), types without padding
/// (std::has_unique_object_representations: integers, enums, structs of
/// them), and complex numbers and arrays of such types. Other types (a
/// struct of a double and an int: padding) are compared with operator==.
template <class T>
constexpr bool known_value_bytes() {
  if constexpr (std::is_floating_point_v<T> || std::has_unique_object_representations_v<T>) return true;
  else if constexpr (value_complex_parts<T>::value) return known_value_bytes<typename value_complex_parts<T>::part>();
  else if constexpr (value_array_parts<T>::value) return known_value_bytes<typename value_array_parts<T>::element>();
  else return false;
}

/// The bytes of a floating-point type that hold its value: all but the six
/// padding bytes of x87's 80-bit long double.
template <class F>
constexpr std::size_t floating_value_bytes() {
  return std::numeric_limits<F>::digits == 64 && sizeof(F) > 10 ? 10 : sizeof(F);
}

/// Records `bytes` of raw value as 64-bit words (the last padded with zeros).
inline void record_value_words(collective_check& check, const char* what, const unsigned char* bytes, std::size_t n,
                               std::int64_t& index) {
  for (std::size_t at = 0; at < n; at += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes + at, std::min<std::size_t>(8, n - at));
    check.same_word_part(what, index++, word);
  }
}

template <class T>
void record_value_parts(collective_check& check, const char* what, const T& value, std::int64_t& index) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    check.same_bits_part(what, index++, static_cast<double>(value));  // exact for float and double
  } else if constexpr (std::is_floating_point_v<T>) {
    record_value_words(check, what, reinterpret_cast<const unsigned char*>(&value), floating_value_bytes<T>(), index);
  } else if constexpr (value_complex_parts<T>::value) {
    record_value_parts(check, what, value.real(), index);
    record_value_parts(check, what, value.imag(), index);
  } else if constexpr (value_array_parts<T>::value) {
    for (std::size_t k = 0; k < value_array_parts<T>::size; ++k) record_value_parts(check, what, value[k], index);
  } else if constexpr (std::is_integral_v<T>) {
    check.same_part(what, index++, static_cast<std::int64_t>(value));  // unsigned 64-bit values wrap, still one-to-one
  } else {
    record_value_words(check, what, reinterpret_cast<const unsigned char*>(&value), sizeof(T), index);
  }
}

/// Records `value` in `check` as one that must be the same on every rank,
/// bitwise: integers and floating point as one value (a double shown as
/// such), other types of known value bytes (known_value_bytes) part by part
/// ("what [k]": the real and imaginary parts, array elements in order,
/// 64-bit words of the rest). A type with padding records nothing here:
/// agree_by_equality compares it once the check is settled.
template <class T>
void record_same_value(collective_check& check, const char* what, const T& value) {
  if constexpr (std::is_integral_v<T>) {
    check.same(what, static_cast<std::int64_t>(value));  // unsigned 64-bit values wrap, still one-to-one
  } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    check.same_bits(what, static_cast<double>(value));  // exact for float and double
  } else if constexpr (known_value_bytes<T>()) {
    std::int64_t index = 0;
    record_value_parts(check, what, value, index);
  }
}

/// Collective, after the ranks have settled on everything else: a value
/// of a type with padding bytes (so that equal values may differ in their
/// bytes) must equal rank 0's by operator== on every rank. One MPI_Bcast of
/// rank 0's value and one small MPI_Allreduce, for such types only; for
/// others, nothing (record_same_value compared them).
template <class T>
void agree_by_equality(const communicator& comm, const char* what, const T& value, const char* algorithm) {
  if constexpr (!known_value_bytes<T>()) {
    static_assert(std::equality_comparable<T>,
                  "weft: a value every rank must pass alike (a weft::constant boundary) whose type has padding "
                  "bytes is compared across ranks with operator==; give the type one (bool operator==(const T&) "
                  "const = default works), or use a type without padding.");
    static_assert(std::is_trivially_copyable_v<T>, "weft: values are sent as bytes; the type must be trivially copyable.");
    T reference = value;
    check_mpi(MPI_Bcast(&reference, static_cast<int>(sizeof(T)), MPI_BYTE, 0, comm.native()), "MPI_Bcast", algorithm);
    collective_check check(algorithm);
    check.require(static_cast<bool>(reference == value), algorithm, ": ranks disagree on ", what,
                  ": it differs from rank 0's (compared with operator==, as its type has padding bytes); every "
                  "rank must pass the same");
    check.settle(comm);
  }
}

}  // namespace weft::detail
