// Network's sums over the batch: the BatchNorm statistics' and the weight gradients', over the
// ranks of a data-parallel training, and in the deterministic mode per micro-batch, added in the
// global batch's order so that one process and many compute the same bits.
#include <cnngen/network.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace cnngen {

namespace {

// Samples [s.begin, s.end) of a dense batch tensor (its last dimension), as a buffer of its own
// whose batch starts at 0, as the kernels expect.
Buffer segment_view(const Buffer& b, Share s) {
  const int last = b.dimensions() - 1;
  std::vector<int> dims(b.dimensions());
  for (int d = 0; d < b.dimensions(); ++d) dims[d] = b.dim(d).extent();
  dims[last] = s.size();
  return Buffer(const_cast<float*>(b.data()) + static_cast<int64_t>(s.begin) * b.dim(last).stride(), dims);
}

}  // namespace

std::vector<Share> Network::segments() const {
  if (!deterministic()) return {Share{0, batch_}};
  if (micro_batches_.front().begin != 0 || micro_batches_.back().end != batch_)
    throw std::logic_error("the micro-batches set do not cover this batch of " + std::to_string(batch_) +
                           " (set_micro_batches before each training forward)");
  return micro_batches_;
}

std::vector<double> Network::sum_over_batch(std::span<const double> partials, int width) {
  if (!deterministic()) {
    std::vector<double> total(partials.begin(), partials.end());
    comm_->sum(total);
    return total;
  }
  // Every micro-batch's partial sums, in the global order (ranks hold theirs in rank order), added
  // one after the other.
  const std::vector<double> all = comm_->gather_all(partials);
  std::vector<double> total(all.begin(), all.begin() + width);
  for (size_t at = width; at < all.size(); at += width)
    for (int j = 0; j < width; ++j) total[j] += all[at + j];
  return total;
}

void Network::weight_gradient(KernelRef k, int node, const Buffer& in, const Buffer& g, int w, int b) {
  if (!deterministic()) {
    Buffer input = in, grad = g, dw = param_buffer(w, true), db = b >= 0 ? param_buffer(b, true) : Buffer();
    std::vector<void*> args{input.raw_buffer(), grad.raw_buffer(), dw.raw_buffer()};
    if (b >= 0) args.push_back(db.raw_buffer());
    run(k, "weight gradient", node, args);
    return;
  }
  if (packed_offset_.empty()) {  // every trainable parameter a weight-gradient kernel writes
    // Each at a multiple of 32 floats: the kernels store whole aligned vectors (AlignedAllocator).
    constexpr int64_t kAlign = AlignedAllocator<float>::alignment_floats;
    int64_t size = 0;
    for (const Parameter& p : params_) {
      const bool packed = p.trainable && !sums_own_gradients(p.node);
      packed_offset_.push_back(packed ? size : -1);
      if (packed) size += (p.size() + kAlign - 1) / kAlign * kAlign;
    }
    segment_grads_.clear();
    segment_grads_.resize(1, FloatArray(size));
  }
  const std::vector<Share> segs = segments();
  while (segment_grads_.size() < segs.size()) segment_grads_.emplace_back(segment_grads_[0].size());
  const auto view = [&](int index, size_t segment) {
    const Parameter& p = params_[index];
    if (packed_offset_[index] < 0) throw std::logic_error(p.name + ": a weight gradient of a parameter its layer sums itself");
    std::vector<int> dims(p.shape.rbegin(), p.shape.rend());
    return Buffer(segment_grads_[segment].data() + packed_offset_[index], dims);
  };
  for (size_t s = 0; s < segs.size(); ++s) {
    Buffer in_s = segment_view(in, segs[s]), g_s = segment_view(g, segs[s]);
    Buffer dw = view(w, s), db = b >= 0 ? view(b, s) : Buffer();
    std::vector<void*> args{in_s.raw_buffer(), g_s.raw_buffer(), dw.raw_buffer()};
    if (b >= 0) args.push_back(db.raw_buffer());
    run(k, "weight gradient", node, args);
  }
}

void Network::fold_segment_gradients() {
  if (!deterministic() || segment_grads_.empty()) return;
  const int rank = comm_->rank(), ranks = comm_->size();
  const size_t count = micro_batches_.size();
  // Rank 0 starts from its first micro-batch; rank r > 0 from the sum rank r - 1 sends, of every
  // micro-batch before its own.
  if (rank > 0) {
    fold_.resize(segment_grads_[0].size());
    comm_->receive(fold_, rank - 1);
  }
  FloatArray& sum = rank == 0 ? segment_grads_[0] : fold_;
  for (size_t s = rank == 0 ? 1 : 0; s < count; ++s) {
    const FloatArray& add = segment_grads_[s];
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += add[i];
  }
  if (rank + 1 < ranks) comm_->send(sum, rank + 1);
  comm_->broadcast(std::span<float>(sum), ranks - 1);
  for (size_t i = 0; i < params_.size(); ++i)
    if (packed_offset_[i] >= 0)
      std::copy_n(sum.begin() + packed_offset_[i], params_[i].size(), params_[i].grad.begin());
}

}  // namespace cnngen
