// Data-parallel training: logistic regression by full-batch gradient descent.
//
//   mpiexec -n 4 train_logreg [samples] [epochs] [--reproducible]
//
// A synthetic data set of `samples` points with D features is spread over the
// ranks in a weft::distributed_vector. Sample i is generated from i alone (a
// counter-based hash), so the global data set is the same for any rank
// count. Each epoch, the loss and its gradient over all samples are ONE
// weft::transform_reduce with a user value type (grad) and a user operation:
// every rank folds its samples, and the ranks' partial gradients are
// combined, in rank order, into the same total on every rank. Every rank
// then takes the same step on its own copy of the model.
//
// With --reproducible each component of the gradient and the loss is a
// weft::transform_reduce with weft::reproducible_plus instead (D + 2
// reductions an epoch rather than one): the model is then bitwise the same
// at any rank and thread count, which the checksum it prints shows.
//
// Checks (exit 1 if any fails):
//   (a) every rank ends with the same model, bit for bit
//       (weft::check_replicated);
//   (b) the model matches a plain sequential training in double precision,
//       run on rank 0 over the same samples, to a relative 1e-9: the rank
//       count changes only the summation order;
//   (c) the loss went down and the accuracy is well above chance.
#include <weft/distributed.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

namespace {
constexpr int D = 8;  // features; the model has D weights and a bias

// One training example, as a data loader would hand it over: features in
// single precision, label 0 or 1.
struct sample {
  float x[D];
  float y;
};

// The model: weights w[0..D-1] and bias w[D]. Copied by value into kernels.
struct model {
  double w[D + 1];
};

// What one reduction gathers: the gradient of the summed loss and the
// summed loss. Trivially copyable, so weft can send it between ranks.
struct grad {
  double g[D + 1];
  double loss;
};

// The reduction's operation: element-wise sum (associative, which weft
// needs; weft knows no identity for it and does without one).
struct add_grad {
  KOKKOS_INLINE_FUNCTION grad operator()(const grad& a, const grad& b) const {
    grad c;
    for (int k = 0; k <= D; ++k) c.g[k] = a.g[k] + b.g[k];
    c.loss = a.loss + b.loss;
    return c;
  }
};

// The weights the labels are drawn from, bias last.
KOKKOS_INLINE_FUNCTION double true_weight(int k) {
  constexpr double w[D + 1] = {2.0, -1.5, 1.0, -0.5, 3.0, 0.0, -2.5, 1.0, 0.25};
  return w[k];
}

// SplitMix64's finaliser: a counter-based generator, random number (i, k)
// needs no state, so any rank can draw sample i's numbers on its own.
KOKKOS_INLINE_FUNCTION std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
// Uniform in [0, 1): the k-th random number of sample i.
KOKKOS_INLINE_FUNCTION double uniform(std::int64_t i, int k) {
  return double(mix(static_cast<std::uint64_t>(i) * (D + 1) + k) >> 11) * 0x1.0p-53;
}

KOKKOS_INLINE_FUNCTION double sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

// log(1 + e^z) without overflow for large |z|.
KOKKOS_INLINE_FUNCTION double softplus(double z) { return (z > 0 ? z : 0) + std::log1p(std::exp(-std::abs(z))); }

// Sample i: features uniform in [-1, 1), label drawn from
// Bernoulli(sigmoid(w_true . x + b_true)).
KOKKOS_INLINE_FUNCTION sample make_sample(std::int64_t i) {
  sample s;
  double z = true_weight(D);
  for (int k = 0; k < D; ++k) {
    s.x[k] = static_cast<float>(2 * uniform(i, k) - 1);
    z += true_weight(k) * s.x[k];
  }
  s.y = uniform(i, D) < sigmoid(z) ? 1.0f : 0.0f;
  return s;
}

KOKKOS_INLINE_FUNCTION double logit(const model& m, const sample& s) {
  double z = m.w[D];
  for (int k = 0; k < D; ++k) z += m.w[k] * s.x[k];
  return z;
}

// One sample's share of the loss and gradient. Loss: log(1 + e^z) - y z;
// its gradient: (sigmoid(z) - y) (x, 1).
KOKKOS_INLINE_FUNCTION grad sample_grad(const model& m, const sample& s) {
  const double z = logit(m, s);
  const double e = sigmoid(z) - s.y;
  grad g;
  for (int k = 0; k < D; ++k) g.g[k] = e * s.x[k];
  g.g[D] = e;
  g.loss = softplus(z) - s.y * z;
  return g;
}

// The gradient as D + 2 reproducible sums: each the same bits for any rank
// count, thread count and partition.
grad reproducible_gradient(const weft::distributed_vector<sample>& data, const model& m) {
  grad total;
  for (int k = 0; k <= D + 1; ++k) {
    const double sum = weft::transform_reduce(data, 0.0, weft::reproducible_plus{}, KOKKOS_LAMBDA(const sample& s) {
      const grad g = sample_grad(m, s);
      return k <= D ? g.g[k] : g.loss;
    });
    (k <= D ? total.g[k] : total.loss) = sum;
  }
  return total;
}

// Gradient descent step on the mean loss.
void step(model& m, const grad& total, std::int64_t n, double learning_rate) {
  for (int k = 0; k <= D; ++k) m.w[k] -= learning_rate * total.g[k] / double(n);
}

// FNV-1a over the model's bytes: equal checksums mean (all but surely)
// bit-identical models.
std::uint64_t checksum(const model& m) {
  unsigned char bytes[sizeof(model)];
  std::memcpy(bytes, &m, sizeof(model));
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

// The fraction of samples the model labels right (logit > 0 means 1): a
// weft reduction over a count.
double accuracy_of(const weft::distributed_vector<sample>& data, const model& m) {
  const std::int64_t correct =
      weft::transform_reduce(data, std::int64_t{0}, weft::plus{}, KOKKOS_LAMBDA(const sample& s) {
        return std::int64_t((logit(m, s) > 0) == (s.y > 0.5f));
      });
  return data.global_size() > 0 ? double(correct) / double(data.global_size()) : 0.0;
}

// The same training with plain loops on one process: the reference that the
// distributed result must match whatever the rank count.
model train_sequentially(std::int64_t n, int epochs, double learning_rate) {
  model m{};
  for (int epoch = 0; epoch < epochs; ++epoch) {
    grad total{};
    for (std::int64_t i = 0; i < n; ++i) total = add_grad{}(total, sample_grad(m, make_sample(i)));
    step(m, total, n, learning_rate);
  }
  return m;
}
}  // namespace

int main(int argc, char* argv[]) {
  weft::environment env(argc, argv);  // MPI, then Kokkos, until main returns
  const weft::communicator& comm = env.world();
  const bool root = comm.rank() == 0;
  bool reproducible = false;
  std::int64_t n = 200'000;
  int epochs = 50;
  for (int a = 1, position = 0; a < argc; ++a) {
    if (std::strcmp(argv[a], "--reproducible") == 0)
      reproducible = true;
    else if (position++ == 0)
      n = std::atoll(argv[a]);
    else
      epochs = std::atoi(argv[a]);
  }
  // The mean loss's Hessian is at most E[(x,1)(x,1)^T] / 4, whose largest
  // eigenvalue is 1/4 (the bias), so steps below 8 are stable.
  const double learning_rate = 4.0;

  // Each rank generates only its own block of the global data set.
  weft::distributed_vector<sample> data(comm, n);
  weft::for_each_index(
      data, KOKKOS_LAMBDA(std::int64_t i, sample & s) { s = make_sample(i); });
  if (root) {
    std::printf(
        "train_logreg: %lld samples, %d features, %d epochs, learning rate %g, %d ranks (%lld samples on "
        "rank 0)%s\n",
        static_cast<long long>(n), D, epochs, learning_rate, comm.size(), static_cast<long long>(data.local_size()),
        reproducible ? ", reproducible sums" : "");
  }

  Kokkos::Timer timer;
  model m{};  // every rank's own copy, all starting at zero
  double first_loss = 0;
  const int report_every = std::max(1, epochs / 10);
  for (int epoch = 0; epoch < epochs; ++epoch) {
    // The gradient reduced across ranks: one collective, the same total on
    // every rank. The lambda takes the model by value.
    const grad total =
        reproducible ? reproducible_gradient(data, m)
                     : weft::transform_reduce(
                           data, grad{}, add_grad{}, KOKKOS_LAMBDA(const sample& s) { return sample_grad(m, s); });
    const double loss = total.loss / double(n);  // at the model before this step
    if (epoch == 0) first_loss = loss;
    if (root && (epoch % report_every == 0 || epoch == epochs - 1))
      std::printf("  epoch %4d  mean loss %.12f\n", epoch, loss);
    step(m, total, n, learning_rate);
  }
  const double seconds = timer.seconds();

  // The final model's loss and accuracy: more reductions.
  auto sample_loss = KOKKOS_LAMBDA(const sample& s) { return sample_grad(m, s).loss; };
  const double last_loss = (reproducible ? weft::transform_reduce(data, 0.0, weft::reproducible_plus{}, sample_loss)
                                         : weft::transform_reduce(data, 0.0, weft::plus{}, sample_loss)) /
                           double(n);
  const double accuracy = accuracy_of(data, m);
  // For scale: the labels are random, so even the true model errs.
  model truth;
  for (int k = 0; k <= D; ++k) truth.w[k] = true_weight(k);
  const double best_accuracy = accuracy_of(data, truth);

  // (a) The same model on every rank, bit for bit: check_replicated throws
  // on every rank, naming the ranks and the first weight that differ.
  const std::uint64_t mine = checksum(m);
  bool same_everywhere = true;
  try {
    weft::check_replicated(comm, std::span<const double>(m.w), "the model");
  } catch (const weft::error& e) {
    same_everywhere = false;
    if (root) std::printf("%s\n", e.what());
  }

  // (b) The same model as a sequential run, up to summation order.
  int matches = 1;
  if (root) {
    const model reference = train_sequentially(n, epochs, learning_rate);
    double difference = 0, size = 0;
    for (int k = 0; k <= D; ++k) {
      difference = std::max(difference, std::abs(m.w[k] - reference.w[k]));
      size = std::max(size, std::abs(reference.w[k]));
    }
    const double relative = size > 0 ? difference / size : difference;
    matches = relative <= 1e-9;
    std::printf("model     ");
    for (int k = 0; k <= D; ++k) std::printf(" %8.4f", m.w[k]);
    std::printf("\ntrue model");
    for (int k = 0; k <= D; ++k) std::printf(" %8.4f", true_weight(k));
    std::printf("\n(a) model checksum %016llx on every rank: %s\n", static_cast<unsigned long long>(mine),
                same_everywhere ? "ok" : "RANKS DISAGREE");
    std::printf("(b) max relative difference from the sequential training %.3e: %s\n", relative,
                matches ? "ok" : "WRONG");
  }
  MPI_Bcast(&matches, 1, MPI_INT, 0, MPI_COMM_WORLD);

  // (c) It learned something.
  const bool learned = epochs > 0 && last_loss < first_loss && accuracy > 0.75;
  if (root) {
    std::printf("(c) mean loss %.6f -> %.6f, accuracy %.4f (the true model's: %.4f): %s\n", first_loss, last_loss,
                accuracy, best_accuracy, learned ? "ok" : "WRONG");
    std::printf("%.3f s training (%.1f ms per epoch)\n", seconds, epochs > 0 ? 1e3 * seconds / epochs : 0.0);
  }
  return same_everywhere && matches && learned ? 0 : 1;
}
