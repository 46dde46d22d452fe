#pragma once
// A Kokkos Tools recorder for the profiling tests: installs callbacks through
// Kokkos' tools interface (Kokkos::Tools::Experimental::set_*_callback, in
// Kokkos 3.4 and 4.x alike), records the regions weft pushes and pops and
// the kernels it launches with the regions open at each launch, and judges
// one weft call at a time (weft_test::profile).
//
// What it holds a weft call to:
// - regions balance: as many pops as pushes, never a pop with none open, and
//   none left open when the call returns or throws;
// - the call's outermost regions are the ones expected (weft::<algorithm>,
//   or none for algorithms of one kernel and no messages);
// - every kernel carries a label beginning "weft::" (Kokkos names an
//   unlabelled kernel after its functor's type: that fails), and with an
//   expected region it runs inside it.
// Kernels Kokkos runs inside a deep_copy (ViewFill, ViewCopy) belong to the
// copy, not to weft: they are counted as deep copies. Kokkos reports the
// initialisation and destruction of a view of a non-scalar type as a kernel
// named after the view, so they count as labelled when the view's label is
// ("Kokkos::View::initialization [weft::...]"); Kokkos 3.4 names the
// destruction of any such view allocated without initialising
// "Kokkos::View::destruction []", whatever its label, which counts too.

#include <Kokkos_Core.hpp>

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

namespace weft_test {

struct kernel_launch {
  std::string label;
  std::vector<std::string> regions;  // open when it was launched, outermost first
};

struct tool_record {
  std::int64_t pushes = 0, pops = 0, deep_copies = 0;
  bool popped_empty = false;        // a pop with no region open
  std::vector<std::string> open;    // the regions open now
  std::vector<std::string> outer;   // regions pushed with none open, in order
  std::vector<std::string> pushed;  // every region pushed, in order
  std::vector<kernel_launch> kernels;
  // The regions open at each MPI call a test observes (the distributed
  // test's PMPI wrappers record them; "MPI_Wait" etc. first).
  std::vector<std::vector<std::string>> mpi_calls;
  int in_deep_copy = 0;
};

inline tool_record& record() {
  static tool_record r;
  return r;
}

namespace tool_callbacks {
inline void push(const char* name) {
  auto& r = record();
  ++r.pushes;
  if (r.open.empty()) r.outer.emplace_back(name);
  r.pushed.emplace_back(name);
  r.open.emplace_back(name);
}
inline void pop() {
  auto& r = record();
  ++r.pops;
  if (r.open.empty()) {
    r.popped_empty = true;
    return;
  }
  r.open.pop_back();
}
inline void begin_kernel(const char* name, std::uint32_t, std::uint64_t* id) {
  auto& r = record();
  *id = 0;
  if (r.in_deep_copy > 0) return;  // ViewFill / ViewCopy: part of the copy
  r.kernels.push_back({name, r.open});
}
inline void end_kernel(std::uint64_t) {}
inline void begin_deep_copy(Kokkos::Tools::SpaceHandle, const char*, const void*, Kokkos::Tools::SpaceHandle,
                            const char*, const void*, std::uint64_t) {
  auto& r = record();
  ++r.deep_copies;
  ++r.in_deep_copy;
}
inline void end_deep_copy() { --record().in_deep_copy; }
}  // namespace tool_callbacks

/// Installs the callbacks for its lifetime (and removes them after: the
/// tests that share the executable run without a tool).
class tool_session {
 public:
  tool_session() {
    namespace x = Kokkos::Tools::Experimental;
    record() = {};
    x::set_push_region_callback(tool_callbacks::push);
    x::set_pop_region_callback(tool_callbacks::pop);
    x::set_begin_parallel_for_callback(tool_callbacks::begin_kernel);
    x::set_begin_parallel_reduce_callback(tool_callbacks::begin_kernel);
    x::set_begin_parallel_scan_callback(tool_callbacks::begin_kernel);
    x::set_end_parallel_for_callback(tool_callbacks::end_kernel);
    x::set_end_parallel_reduce_callback(tool_callbacks::end_kernel);
    x::set_end_parallel_scan_callback(tool_callbacks::end_kernel);
    x::set_begin_deep_copy_callback(tool_callbacks::begin_deep_copy);
    x::set_end_deep_copy_callback(tool_callbacks::end_deep_copy);
  }
  ~tool_session() {
    namespace x = Kokkos::Tools::Experimental;
    x::set_push_region_callback(nullptr);
    x::set_pop_region_callback(nullptr);
    x::set_begin_parallel_for_callback(nullptr);
    x::set_begin_parallel_reduce_callback(nullptr);
    x::set_begin_parallel_scan_callback(nullptr);
    x::set_end_parallel_for_callback(nullptr);
    x::set_end_parallel_reduce_callback(nullptr);
    x::set_end_parallel_scan_callback(nullptr);
    x::set_begin_deep_copy_callback(nullptr);
    x::set_end_deep_copy_callback(nullptr);
  }
  tool_session(const tool_session&) = delete;
  tool_session& operator=(const tool_session&) = delete;
};

/// What one call did, and what is wrong with it ("" when nothing).
struct call_profile {
  tool_record events;
  bool threw = false;
  std::string problems;
};

inline bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

/// A kernel label weft is answerable for: its own, or Kokkos' initialisation
/// or destruction of a view it labelled (see above).
inline bool weft_label(const std::string& label) {
  return starts_with(label, "weft::") || starts_with(label, "Kokkos::View::initialization [weft::") ||
         starts_with(label, "Kokkos::View::destruction [weft::") || label == "Kokkos::View::destruction []";
}

/// Runs f (one weft call) under a clean record and judges it. `regions`:
/// the outermost regions the call must open, in order (empty: none, for a
/// call of one kernel). An exception from f is caught (threw is set); the
/// regions must balance then too.
template <class F>
call_profile profile(const std::vector<std::string>& regions, F&& f) {
  auto& r = record();
  r = {};
  call_profile out;
  try {
    f();
  } catch (const std::exception&) {
    out.threw = true;
  }
  Kokkos::fence();
  out.events = r;
  std::string& p = out.problems;
  if (r.pushes != r.pops)
    p += "pushed " + std::to_string(r.pushes) + " regions but popped " + std::to_string(r.pops) + "; ";
  if (r.popped_empty) p += "popped a region with none open; ";
  if (!r.open.empty()) p += "left " + r.open.back() + " open; ";
  if (r.outer != regions) {
    p += "outermost regions [";
    for (const auto& s : r.outer) p += s + " ";
    p += "], expected [";
    for (const auto& s : regions) p += s + " ";
    p += "]; ";
  }
  for (const auto& k : r.kernels) {
    if (!weft_label(k.label)) p += "kernel '" + k.label + "' lacks the weft:: prefix; ";
    if (!regions.empty() && k.regions.empty()) p += "kernel '" + k.label + "' runs outside any weft region; ";
  }
  for (const auto& c : r.mpi_calls)
    if (!regions.empty() && c.size() < 2) p += c.front() + " outside any weft region; ";
  return out;
}

}  // namespace weft_test
