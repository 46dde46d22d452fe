// Data- and model-parallel training of a small neural network on the UCI
// handwritten digits.
//
//   mpiexec -n 4 train_digits [--layout DxM] [--epochs E] [--hidden H] [--batch B]
//                             [--reproducible] [--data FILE | --synthetic N]
//                             [--min-accuracy A] [--csv PREFIX]
//
// The network: 64 inputs (8 x 8 pixels / 16), H hidden ReLU units (256),
// 10 softmax outputs; cross-entropy loss, mini-batch SGD with momentum.
// The data: Debian python3-sklearn's digits.csv.gz (1,797 images); sample i
// of the file is a test sample when i % 4 == 3 (449), a training sample
// otherwise (1,348), the training samples in a fixed shuffled order. Where
// the file is missing, synthetic digits stand in (a note says so).
//
// The ranks form D data groups x M model groups (--layout DxM; the default
// is P x 1, plain data parallelism), over two sub-communicators:
//   - model_comm, the M ranks of one data group: they hold the same samples
//     and split the hidden units. The model is a weft::distributed_vector of
//     hidden units over model_comm (unit j: row j of the first layer, its
//     bias, column j of the second layer), so each rank holds its rows of
//     the first layer and its columns of the second. Each forward pass, the
//     ranks' partial logits are summed with weft::all_reduce over
//     model_comm; the backward pass is local (every rank has the whole
//     output error).
//   - data_comm, the D ranks with the same hidden units: the training and
//     test sets are weft::distributed_vectors over data_comm, each data
//     group holding a block of them. Mini-batch t takes the training
//     samples i with i % batches == t, so every batch is spread over the
//     data groups; the gradient of each rank's units is summed over
//     data_comm with one weft::all_reduce per batch.
// The kernels are weft::for_each_index over 1-D and 2-D views (batch x
// hidden units, batch x classes); the epoch's loss and the test accuracy
// are weft reductions of per-sample values over data_comm.
//
// --reproducible: every sum the ranks split (the logits over hidden units,
// the gradient over samples) is made of terms rounded to multiples of
// 2^-40 and added as 64-bit integers, which is exact, so the model is the
// same bits for any layout, rank count, thread count; the loss is summed
// with weft::reproducible_plus. Without it the sums are in double, and the
// layout changes their rounding only.
//
// Checks (exit 1 if any fails):
//   (a) every data group holds the same model, bit for bit (weft::check_replicated);
//   (b) the model equals a plain sequential training on rank 0: bitwise with
//       --reproducible, otherwise to a relative 1e-6;
//   (c) the training loss fell (last epoch's mean below half the first's) and
//       the test accuracy is at least --min-accuracy (0.95).
// --csv PREFIX writes PREFIX-curves.csv (per epoch: loss, accuracy, time) and
// PREFIX-predictions.csv (test images with their predicted labels), which
// scripts/plot_digits.py draws.
#include <weft/distributed.hpp>

#include "digits_io.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>
#include <span>
#include <string>
#include <vector>

namespace {
constexpr int F = digits_io::pixels;   // inputs
constexpr int C = digits_io::classes;  // outputs
constexpr int P = F + 1 + C;           // parameters of one hidden unit
using digit = digits_io::digit;

// One hidden unit: its row of the first layer, its bias, its column of the
// second layer.
struct unit {
  double w1[F];
  double b1;
  double w2[C];
};
KOKKOS_INLINE_FUNCTION double& parameter(unit& u, int k) { return k < F ? u.w1[k] : k == F ? u.b1 : u.w2[k - F - 1]; }
KOKKOS_INLINE_FUNCTION double parameter(const unit& u, int k) {
  return k < F ? u.w1[k] : k == F ? u.b1 : u.w2[k - F - 1];
}

// Fixed-point terms for --reproducible: multiples of 2^-40, as integers.
// Every term here is far below 2^23 in size, so sums of a few thousand stay
// far from 2^63.
constexpr double fixed_scale = 0x1p40, fixed_unit = 0x1p-40;
KOKKOS_INLINE_FUNCTION std::int64_t fixed(double v) {
  return static_cast<std::int64_t>(std::nearbyint(v * fixed_scale));
}

// SplitMix64: initial weights drawn from the global index alone.
KOKKOS_INLINE_FUNCTION std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
KOKKOS_INLINE_FUNCTION double uniform(std::uint64_t i) { return double(mix(i) >> 11) * 0x1.0p-53; }

// Unit j's initial parameters: uniform in +-sqrt(6 / fan-in) (He) for the
// first layer, +-sqrt(6 / (H + C)) (Glorot) for the second, zero biases.
KOKKOS_INLINE_FUNCTION unit initial_unit(std::int64_t j, std::int64_t hidden) {
  unit u;
  const double a = std::sqrt(6.0 / F), b = std::sqrt(6.0 / double(hidden + C));
  for (int k = 0; k < F; ++k) u.w1[k] = a * (2 * uniform(std::uint64_t(j) * P + k) - 1);
  u.b1 = 0;
  for (int c = 0; c < C; ++c) u.w2[c] = b * (2 * uniform(std::uint64_t(j) * P + F + 1 + c) - 1);
  return u;
}

// The arithmetic shared by the distributed kernels and the sequential
// reference, so that both round alike.
KOKKOS_INLINE_FUNCTION double input(const digit& d, int k) { return d.x[k] / 16.0; }
KOKKOS_INLINE_FUNCTION double activation(const unit& u, const digit& d) {
  double s = u.b1;
  for (int k = 0; k < F; ++k) s += u.w1[k] * input(d, k);
  return s > 0 ? s : 0;
}
// Softmax of the logits z[0..C-1] minus the one-hot label: the loss's
// gradient with respect to the logits, into dz; returns the sample's loss.
KOKKOS_INLINE_FUNCTION double output_error(const double* z, int label, double* dz) {
  double top = z[0];
  for (int c = 1; c < C; ++c) top = z[c] > top ? z[c] : top;
  double sum = 0;
  for (int c = 0; c < C; ++c) sum += std::exp(z[c] - top);
  for (int c = 0; c < C; ++c) dz[c] = std::exp(z[c] - top) / sum - (c == label ? 1.0 : 0.0);
  return std::log(sum) - (z[label] - top);
}
KOKKOS_INLINE_FUNCTION int arg_max(const double* z) {
  int best = 0;
  for (int c = 1; c < C; ++c)
    if (z[c] > z[best]) best = c;
  return best;
}
// The gradient's term for parameter k of a unit from one sample: a = the
// unit's activation, da = the loss's derivative with respect to it.
KOKKOS_INLINE_FUNCTION double gradient_term(int k, const digit& d, double a, double da, const double* dz) {
  return k < F ? da * input(d, k) : k == F ? da : dz[k - F - 1] * a;
}
// Momentum SGD on one parameter; g is the batch's summed gradient.
KOKKOS_INLINE_FUNCTION void sgd(double& w, double& v, double g, double count, double rate, double momentum) {
  v = momentum * v - rate * (g / count);
  w += v;
}

struct options {
  int data_groups = 0, model_groups = 1;  // 0: as many data groups as ranks
  int epochs = 30, batch = 64;
  std::int64_t hidden = 256;
  double rate = 0.05, momentum = 0.9, min_accuracy = 0.95;
  bool reproducible = false;
  std::string data = digits_io::default_path(), csv;
  std::int64_t synthetic = 0;  // > 0: that many synthetic digits instead
};

// The fixed split: test samples are those with i % 4 == 3; the training
// samples follow in a fixed pseudo-random order.
void split(const std::vector<digit>& all, std::vector<digit>& train, std::vector<digit>& test) {
  std::vector<std::int64_t> order;
  for (std::int64_t i = 0; i < std::int64_t(all.size()); ++i)
    (i % 4 == 3 ? test.push_back(all[i]), void() : order.push_back(i));
  std::stable_sort(order.begin(), order.end(), [](std::int64_t a, std::int64_t b) { return mix(a) < mix(b); });
  for (std::int64_t i : order) train.push_back(all[i]);
}

std::int64_t batch_count(std::int64_t n, int batch) { return std::max<std::int64_t>(1, n / std::max(1, batch)); }

// What one epoch left behind, as the curves show it.
struct epoch_record {
  double loss, accuracy, seconds;
};

// One rank's share of the network and its training, as described above.
class network {
 public:
  network(const weft::communicator& model_comm, const weft::communicator& data_comm, const options& o,
          const std::vector<digit>& train, const std::vector<digit>& test, std::int64_t n_train, std::int64_t n_test)
      : o_(o),
        model_comm_(model_comm),
        data_comm_(data_comm),
        units_(model_comm, o.hidden),
        velocity_("velocity", std::size_t(units_.local_size())),
        b2_("b2", C),
        vb2_("vb2", C),
        // train and test are read on rank 0 of data_comm only.
        train_(weft::scatter(data_comm, train, weft::partition::block(n_train, data_comm.size()), 0)),
        test_(weft::scatter(data_comm, test, weft::partition::block(n_test, data_comm.size()), 0)),
        sample_loss_(data_comm, train_.partition()),
        correct_(data_comm, test_.partition()),
        predicted_(data_comm, test_.partition()) {
    const std::int64_t hidden = o.hidden;
    weft::for_each_index(
        units_, KOKKOS_LAMBDA(std::int64_t j, unit & u) { u = initial_unit(j, hidden); });
    // The local training samples of each batch, in order: batch t's are
    // order_[start_[t] .. start_[t + 1]).
    const std::int64_t n = train_.global_size(), batches = batch_count(n, o.batch), offset = train_.offset();
    std::vector<std::int64_t> start(std::size_t(batches + 1), 0), order;
    for (std::int64_t t = 0; t < batches; ++t) {
      start[std::size_t(t)] = std::int64_t(order.size());
      for (std::int64_t i = 0; i < train_.local_size(); ++i)
        if ((offset + i) % batches == t) order.push_back(i);
      batch_size_.push_back(n / batches + (t < n % batches ? 1 : 0));
    }
    start[std::size_t(batches)] = std::int64_t(order.size());
    order_ = to_view(order, "order");
    start_ = start;
  }

  // One epoch of mini-batch SGD; returns the mean training loss over the
  // epoch (each sample's loss as its batch met it).
  double train_epoch() {
    for (std::size_t t = 0; t + 1 < start_.size(); ++t) step(start_[t], start_[t + 1], double(batch_size_[t]));
    const double total = o_.reproducible ? weft::reduce(sample_loss_, 0.0, weft::reproducible_plus{})
                                         : weft::reduce(sample_loss_, 0.0, weft::plus{});
    return total / double(train_.global_size());
  }

  // The fraction of test samples classified right (and the predictions kept).
  double test_accuracy() {
    const auto samples = test_.local();
    const std::int64_t n = test_.local_size();
    Kokkos::View<std::int64_t*> all("all", std::size_t(n));
    weft::for_each_index(
        all, KOKKOS_LAMBDA(std::int64_t i, std::int64_t & v) { v = i; });
    forward(samples, all);
    const auto z = logits_n_;
    const auto correct = correct_.local();
    const auto predicted = predicted_.local();
    weft::for_each_index(
        predicted, KOKKOS_LAMBDA(std::int64_t b, int& p) {
          p = arg_max(&z(b, 0));
          correct(b) = p == samples(b).label ? 1 : 0;
        });
    return double(weft::reduce(correct_, std::int64_t{0}, weft::plus{})) /
           double(std::max<std::int64_t>(1, test_.global_size()));
  }

  // The whole model (units in order, then b2) on rank 0 of model_comm.
  std::vector<double> gather_model() const {
    const auto all = weft::gather(units_, 0);
    std::vector<double> flat;
    for (const unit& u : all)
      for (int k = 0; k < P; ++k) flat.push_back(parameter(u, k));
    const auto b2 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, b2_);
    for (int c = 0; c < C; ++c) flat.push_back(b2(c));
    return model_comm_.rank() == 0 ? flat : std::vector<double>{};
  }
  // This rank's parameters: the same on every rank of data_comm.
  std::vector<double> local_model() const {
    const auto local = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, units_.local());
    std::vector<double> flat;
    for (std::size_t j = 0; j < local.extent(0); ++j)
      for (int k = 0; k < P; ++k) flat.push_back(parameter(local(j), k));
    const auto b2 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace{}, b2_);
    for (int c = 0; c < C; ++c) flat.push_back(b2(c));
    return flat;
  }
  const weft::distributed_vector<int>& predictions() const { return predicted_; }

  // Public, not private: nvcc compiles device lambdas only in functions
  // that are accessible from outside their class.
  template <class T>
  static Kokkos::View<T*> to_view(const std::vector<T>& v, const char* label) {
    Kokkos::View<T*> out(std::string(label), v.size());
    auto host = Kokkos::create_mirror_view(out);
    for (std::size_t i = 0; i < v.size(); ++i) host(i) = v[i];
    Kokkos::deep_copy(out, host);
    return out;
  }

  // Activations a_ (batch x local units) and full logits logits_ (batch x C)
  // of samples(which(b)) for b in [0, count).
  template <class Samples>
  void forward(const Samples& samples, const Kokkos::View<std::int64_t*>& which) {
    const auto n = which.extent(0);
    const auto u = units_.local();
    const std::size_t units = u.extent(0);
    if (a_.extent(0) < n) {  // room for the largest set seen; views of its first n rows below
      a_ = Kokkos::View<double**>("activations", n, units);
      da_ = Kokkos::View<double**>("activation errors", n, units);
      logits_ = Kokkos::View<double**>("logits", n, C);
      dz_ = Kokkos::View<double**>("output errors", n, C);
    }
    const std::pair<std::size_t, std::size_t> rows(0, n);
    a_n_ = Kokkos::subview(a_, rows, Kokkos::ALL);
    da_n_ = Kokkos::subview(da_, rows, Kokkos::ALL);
    logits_n_ = Kokkos::subview(logits_, rows, Kokkos::ALL);
    dz_n_ = Kokkos::subview(dz_, rows, Kokkos::ALL);
    if (partial_.extent(0) != n * C) {
      partial_ = Kokkos::View<double*>("partial logits", n * C);
      fixed_partial_ = Kokkos::View<std::int64_t*>("fixed partial logits", n * C);
    }
    const auto a = a_n_;
    weft::for_each_index(
        a, KOKKOS_LAMBDA(std::int64_t b, std::int64_t j, double& v) { v = activation(u(j), samples(which(b))); });
    // This rank's share of the logits, then their sum over model_comm.
    const auto z = logits_n_;
    const auto b2 = b2_;
    if (o_.reproducible) {
      const auto partial = fixed_partial_;
      weft::for_each_index(
          partial, KOKKOS_LAMBDA(std::int64_t i, std::int64_t & s) {
            s = 0;
            for (std::size_t j = 0; j < units; ++j) s += fixed(u(j).w2[i % C] * a(i / C, j));
          });
      weft::all_reduce(model_comm_, partial);
      weft::for_each_index(
          z, KOKKOS_LAMBDA(std::int64_t b, std::int64_t c, double& v) {
            v = b2(c) + double(partial(b * C + c)) * fixed_unit;
          });
    } else {
      const auto partial = partial_;
      weft::for_each_index(
          partial, KOKKOS_LAMBDA(std::int64_t i, double& s) {
            s = 0;
            for (std::size_t j = 0; j < units; ++j) s += u(j).w2[i % C] * a(i / C, j);
          });
      weft::all_reduce(model_comm_, partial);
      weft::for_each_index(
          z, KOKKOS_LAMBDA(std::int64_t b, std::int64_t c, double& v) { v = b2(c) + partial(b * C + c); });
    }
  }

  // One SGD step on the local samples order_[first .. last) of a batch of
  // `count` samples over all data groups.
  void step(std::int64_t first, std::int64_t last, double count) {
    const auto which = Kokkos::subview(order_, std::pair<std::int64_t, std::int64_t>(first, last));
    const auto samples = train_.local();
    forward(samples, which);
    const auto u = units_.local();
    const std::size_t units = u.extent(0);
    const auto a = a_n_, da = da_n_, z = logits_n_, dz = dz_n_;
    const auto loss = sample_loss_.local();
    weft::for_each_index(
        which, KOKKOS_LAMBDA(std::int64_t b, std::int64_t & i) {
          loss(i) = output_error(&z(b, 0), samples(i).label, &dz(b, 0));
        });
    // Backward, all local: every rank has the whole output error.
    weft::for_each_index(
        da, KOKKOS_LAMBDA(std::int64_t b, std::int64_t j, double& v) {
          double s = 0;
          for (int c = 0; c < C; ++c) s += u(j).w2[c] * dz(b, c);
          v = a(b, j) > 0 ? s : 0;
        });
    // The gradient of this rank's parameters over its samples of the batch
    // (units x P, then b2), summed over data_comm.
    const std::int64_t n = std::int64_t(which.extent(0));
    const auto rate = o_.rate, momentum = o_.momentum;
    const auto velocity = velocity_;
    const auto b2 = b2_, vb2 = vb2_;
    // (Not generic: nvcc compiles no device lambda inside a generic lambda.)
    auto update = [&](const Kokkos::View<double*>& gradient, double scale) {
      weft::for_each_index(
          u, KOKKOS_LAMBDA(std::int64_t j, unit & w) {
            for (int k = 0; k < P; ++k)
              sgd(parameter(w, k), parameter(velocity(j), k), double(gradient(j * P + k)) * scale, count, rate,
                  momentum);
          });
      const std::int64_t at = std::int64_t(units) * P;
      weft::for_each_index(
          b2, KOKKOS_LAMBDA(std::int64_t c, double& w) {
            sgd(w, vb2(c), double(gradient(at + c)) * scale, count, rate, momentum);
          });
    };
    auto term = KOKKOS_LAMBDA(std::int64_t i, std::int64_t b) {
      const std::int64_t j = i / P;
      return j < std::int64_t(units) ? gradient_term(int(i % P), samples(which(b)), a(b, j), da(b, j), &dz(b, 0))
                                     : dz(b, i - std::int64_t(units) * P);
    };
    if (o_.reproducible) {
      Kokkos::View<std::int64_t*> g("gradient", units * P + C);
      weft::for_each_index(
          g, KOKKOS_LAMBDA(std::int64_t i, std::int64_t & s) {
            s = 0;
            for (std::int64_t b = 0; b < n; ++b) s += fixed(term(i, b));
          });
      weft::all_reduce(data_comm_, g);
      Kokkos::View<double*> gd("gradient (double)", g.extent(0));
      weft::for_each_index(
          gd, KOKKOS_LAMBDA(std::int64_t i, double& v) { v = double(g(i)); });
      update(gd, fixed_unit);
    } else {
      Kokkos::View<double*> g("gradient", units * P + C);
      weft::for_each_index(
          g, KOKKOS_LAMBDA(std::int64_t i, double& s) {
            s = 0;
            for (std::int64_t b = 0; b < n; ++b) s += term(i, b);
          });
      weft::all_reduce(data_comm_, g);
      update(g, 1.0);
    }
  }

 private:
  options o_;
  weft::communicator model_comm_, data_comm_;
  weft::distributed_vector<unit> units_;
  Kokkos::View<unit*> velocity_;
  Kokkos::View<double*> b2_, vb2_;
  weft::distributed_vector<digit> train_, test_;
  weft::distributed_vector<double> sample_loss_;
  weft::distributed_vector<std::int64_t> correct_;
  weft::distributed_vector<int> predicted_;
  Kokkos::View<std::int64_t*> order_;
  std::vector<std::int64_t> start_, batch_size_;
  using rows_view =
      decltype(Kokkos::subview(Kokkos::View<double**>(), std::pair<std::size_t, std::size_t>(), Kokkos::ALL));
  Kokkos::View<double**> a_, da_, logits_, dz_;  // allocated for the largest set
  rows_view a_n_, da_n_, logits_n_, dz_n_;       // their rows for the current one
  Kokkos::View<double*> partial_;
  Kokkos::View<std::int64_t*> fixed_partial_;
};

// The same training with plain loops, one sample at a time, on one process.
std::vector<double> train_sequentially(const options& o, const std::vector<digit>& train) {
  const std::int64_t h = o.hidden, n = std::int64_t(train.size()), batches = batch_count(n, o.batch);
  std::vector<unit> units(static_cast<std::size_t>(h)), velocity(static_cast<std::size_t>(h), unit{});
  for (std::int64_t j = 0; j < h; ++j) units[std::size_t(j)] = initial_unit(j, h);
  double b2[C] = {}, vb2[C] = {};
  std::vector<double> a(static_cast<std::size_t>(h)), da(static_cast<std::size_t>(h));
  std::vector<double> gd(static_cast<std::size_t>(h * P + C));
  std::vector<std::int64_t> gi(gd.size());
  for (int epoch = 0; epoch < o.epochs; ++epoch)
    for (std::int64_t t = 0; t < batches; ++t) {
      std::fill(gd.begin(), gd.end(), 0.0);
      std::fill(gi.begin(), gi.end(), 0);
      std::int64_t count = 0;
      for (std::int64_t i = t; i < n; i += batches, ++count) {
        const digit& d = train[std::size_t(i)];
        double z[C], dz[C];
        for (std::int64_t j = 0; j < h; ++j) a[std::size_t(j)] = activation(units[std::size_t(j)], d);
        for (int c = 0; c < C; ++c) {
          if (o.reproducible) {
            std::int64_t s = 0;
            for (std::int64_t j = 0; j < h; ++j) s += fixed(units[std::size_t(j)].w2[c] * a[std::size_t(j)]);
            z[c] = b2[c] + double(s) * fixed_unit;
          } else {
            double s = 0;
            for (std::int64_t j = 0; j < h; ++j) s += units[std::size_t(j)].w2[c] * a[std::size_t(j)];
            z[c] = b2[c] + s;
          }
        }
        output_error(z, d.label, dz);
        for (std::int64_t j = 0; j < h; ++j) {
          double s = 0;
          for (int c = 0; c < C; ++c) s += units[std::size_t(j)].w2[c] * dz[c];
          da[std::size_t(j)] = a[std::size_t(j)] > 0 ? s : 0;
        }
        for (std::int64_t i2 = 0; i2 < h * P + C; ++i2) {
          const std::int64_t j = i2 / P;
          const double v =
              j < h ? gradient_term(int(i2 % P), d, a[std::size_t(j)], da[std::size_t(j)], dz) : dz[i2 - h * P];
          if (o.reproducible)
            gi[std::size_t(i2)] += fixed(v);
          else
            gd[std::size_t(i2)] += v;
        }
      }
      auto g = [&](std::int64_t i2) {
        return o.reproducible ? double(gi[std::size_t(i2)]) * fixed_unit : gd[std::size_t(i2)];
      };
      for (std::int64_t j = 0; j < h; ++j)
        for (int k = 0; k < P; ++k)
          sgd(parameter(units[std::size_t(j)], k), parameter(velocity[std::size_t(j)], k), g(j * P + k), double(count),
              o.rate, o.momentum);
      for (int c = 0; c < C; ++c) sgd(b2[c], vb2[c], g(h * P + c), double(count), o.rate, o.momentum);
    }
  std::vector<double> flat;
  for (const unit& u : units)
    for (int k = 0; k < P; ++k) flat.push_back(parameter(u, k));
  for (int c = 0; c < C; ++c) flat.push_back(b2[c]);
  return flat;
}

// FNV-1a over the model's bytes.
std::uint64_t checksum(const std::vector<double>& m) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (double v : m) {
    unsigned char bytes[sizeof(double)];
    std::memcpy(bytes, &v, sizeof v);
    for (unsigned char b : bytes) h = (h ^ b) * 0x100000001b3ull;
  }
  return h;
}

bool parse(int argc, char* argv[], options& o) {
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    const bool has_value = a + 1 < argc;
    if (arg == "--reproducible") {
      o.reproducible = true;
    } else if (arg == "--layout" && has_value) {
      if (std::sscanf(argv[++a], "%dx%d", &o.data_groups, &o.model_groups) != 2) return false;
    } else if (arg == "--epochs" && has_value) {
      o.epochs = std::atoi(argv[++a]);
    } else if (arg == "--hidden" && has_value) {
      o.hidden = std::atoll(argv[++a]);
    } else if (arg == "--batch" && has_value) {
      o.batch = std::atoi(argv[++a]);
    } else if (arg == "--rate" && has_value) {
      o.rate = std::atof(argv[++a]);
    } else if (arg == "--data" && has_value) {
      o.data = argv[++a];
    } else if (arg == "--synthetic" && has_value) {
      o.synthetic = std::atoll(argv[++a]);
    } else if (arg == "--min-accuracy" && has_value) {
      o.min_accuracy = std::atof(argv[++a]);
    } else if (arg == "--csv" && has_value) {
      o.csv = argv[++a];
    } else {
      return false;
    }
  }
  return o.epochs >= 1 && o.batch >= 1 && o.hidden >= 1;
}
}  // namespace

int main(int argc, char* argv[]) {
  weft::environment env(argc, argv);  // MPI, then Kokkos, until main returns
  const weft::communicator& world = env.world();
  const bool root = world.rank() == 0;
  options o;
  if (!parse(argc, argv, o)) {
    if (root)
      std::fprintf(stderr,
                   "usage: train_digits [--layout DxM] [--epochs E] [--hidden H] [--batch B] [--rate R] "
                   "[--reproducible] [--data FILE | --synthetic N] [--min-accuracy A] [--csv PREFIX]\n");
    return 2;
  }
  if (o.data_groups == 0) o.data_groups = world.size() / std::max(1, o.model_groups);
  if (o.data_groups * o.model_groups != world.size() || o.model_groups < 1) {
    if (root)
      std::fprintf(stderr, "train_digits: --layout %dx%d needs %d ranks, not %d\n", o.data_groups, o.model_groups,
                   o.data_groups * o.model_groups, world.size());
    return 2;
  }

  // Rank 0 reads the digits (or draws synthetic ones) and splits them; the
  // sets reach the ranks that scatter them (rank 0 of each data_comm).
  std::vector<digit> all, train, test;
  std::string source;
  int read_ok = 1;
  if (root) {
    try {
      if (o.synthetic > 0) {
        all = digits_io::synthetic_digits(o.synthetic);
        source = "synthetic digits";
      } else {
        all = digits_io::read_digits(o.data);
        source = o.data;
      }
    } catch (const std::exception& e) {
      const bool missing = o.synthetic == 0 && std::ifstream(o.data).fail();
      if (missing) {
        all = digits_io::synthetic_digits(1797);
        source = "synthetic digits (" + o.data + " is missing: install python3-sklearn for the real ones)";
      } else {
        std::fprintf(stderr, "train_digits: %s\n", e.what());
        read_ok = 0;
      }
    }
    split(all, train, test);
  }
  MPI_Bcast(&read_ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (!read_ok) return 1;

  // Rank r: data group r / M, model group r % M. The splits and broadcasts
  // here go over MPI_COMM_WORLD, not weft's duplicate of it.
  const int d = world.rank() / o.model_groups, m = world.rank() % o.model_groups;
  MPI_Comm raw_model = MPI_COMM_NULL, raw_data = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, d, m, &raw_model);
  MPI_Comm_split(MPI_COMM_WORLD, m, d, &raw_data);
  // Rank 0 of each data_comm scatters the sets over it: rank 0 sends them
  // to the others (the ranks of model_comm in data group 0).
  std::int64_t sizes[2] = {std::int64_t(train.size()), std::int64_t(test.size())};
  MPI_Bcast(sizes, 2, MPI_INT64_T, 0, MPI_COMM_WORLD);
  if (d == 0) {
    train.resize(std::size_t(sizes[0]));
    test.resize(std::size_t(sizes[1]));
    MPI_Bcast(train.data(), int(sizes[0] * sizeof(digit)), MPI_BYTE, 0, raw_model);
    MPI_Bcast(test.data(), int(sizes[1] * sizeof(digit)), MPI_BYTE, 0, raw_model);
  }
  const weft::communicator model_comm(raw_model), data_comm(raw_data);  // weft duplicates them
  MPI_Comm_free(&raw_model);
  MPI_Comm_free(&raw_data);
  if (root)
    std::printf(
        "train_digits: %s, %lld training and %lld test samples; 64-%lld-10 network, %d epochs, batches of %d, "
        "%d ranks as %d data x %d model groups%s\n",
        source.c_str(), static_cast<long long>(sizes[0]), static_cast<long long>(sizes[1]),
        static_cast<long long>(o.hidden), o.epochs, o.batch, world.size(), o.data_groups, o.model_groups,
        o.reproducible ? ", reproducible sums" : "");

  network net(model_comm, data_comm, o, train, test, sizes[0], sizes[1]);
  std::vector<epoch_record> curves;
  double training_seconds = 0;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    Kokkos::Timer timer;
    const double loss = net.train_epoch();
    Kokkos::fence();
    const double seconds = timer.seconds();
    training_seconds += seconds;
    const double accuracy = net.test_accuracy();
    curves.push_back({loss, accuracy, seconds});
    if (root)
      std::printf("  epoch %3d  loss %.6f  test accuracy %.4f  %.1f ms\n", epoch, loss, accuracy, 1e3 * seconds);
  }

  // (a) the same model in every data group.
  bool same_everywhere = true;
  const auto mine = net.local_model();
  try {
    weft::check_replicated(data_comm, std::span<const double>(mine), "the model");
  } catch (const weft::error& e) {
    same_everywhere = false;
    if (root) std::printf("%s\n", e.what());
  }
  // (b) the same model as the sequential training.
  const auto model = d == 0 ? net.gather_model() : std::vector<double>{};
  int matches = 1;
  if (root) {
    const auto reference = train_sequentially(o, train);
    double difference = 0, size = 0;
    bool bitwise = model.size() == reference.size();
    for (std::size_t k = 0; bitwise && k < model.size(); ++k) {
      difference = std::max(difference, std::abs(model[k] - reference[k]));
      size = std::max(size, std::abs(reference[k]));
      bitwise = bitwise && std::memcmp(&model[k], &reference[k], sizeof(double)) == 0;
    }
    const double relative = size > 0 ? difference / size : difference;
    matches = o.reproducible ? bitwise : model.size() == reference.size() && relative <= 1e-6;
    std::printf("(a) the same model in every data group: %s\n", same_everywhere ? "ok" : "WRONG");
    std::printf("(b) model checksum %016llx, the sequential training's %016llx; max relative difference %.3e: %s\n",
                static_cast<unsigned long long>(checksum(model)), static_cast<unsigned long long>(checksum(reference)),
                relative, matches ? (bitwise ? "ok, bitwise" : "ok") : "WRONG");
  }
  MPI_Bcast(&matches, 1, MPI_INT, 0, MPI_COMM_WORLD);

  // (c) it learned.
  const double first = curves.front().loss, last = curves.back().loss, accuracy = curves.back().accuracy;
  const bool learned = last < 0.5 * first && accuracy >= o.min_accuracy;
  const auto predictions = weft::gather(net.predictions(), 0);  // collective over data_comm
  if (root) {
    std::printf("(c) mean training loss %.4f -> %.4f, test accuracy %.4f (bound %.2f): %s\n", first, last, accuracy,
                o.min_accuracy, learned ? "ok" : "WRONG");
    std::printf("%.3f s training, %.1f ms per epoch (%d ranks, %d x %d)\n", training_seconds,
                1e3 * training_seconds / o.epochs, world.size(), o.data_groups, o.model_groups);
    if (!o.csv.empty()) {
      std::ofstream curves_file(o.csv + "-curves.csv");
      curves_file << "epoch,loss,test_accuracy,seconds\n";
      for (std::size_t e = 0; e < curves.size(); ++e)
        curves_file << e + 1 << ',' << curves[e].loss << ',' << curves[e].accuracy << ',' << curves[e].seconds << '\n';
      std::ofstream predictions_file(o.csv + "-predictions.csv");
      predictions_file << "label,predicted";
      for (int k = 0; k < F; ++k) predictions_file << ",p" << k;
      predictions_file << '\n';
      for (std::size_t i = 0; i < test.size(); ++i) {
        predictions_file << test[i].label << ',' << predictions[i];
        for (int k = 0; k < F; ++k) predictions_file << ',' << test[i].x[k];
        predictions_file << '\n';
      }
      std::printf("wrote %s-curves.csv and %s-predictions.csv\n", o.csv.c_str(), o.csv.c_str());
    }
  }
  return same_everywhere && matches && learned ? 0 : 1;
}
