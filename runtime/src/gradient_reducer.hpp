// The gradient allreduce of a data-parallel training, in buckets started while backward still runs:
// the trainable parameters (but those a layer sums itself, Network::sums_own_gradients) are laid
// out in the order backward finishes them, last layer first, and cut into buckets of about
// kBucketFloats. When backward has finished every layer of a bucket, the bucket's gradients are
// packed and their sum over the ranks started (MPI_Iallreduce); finish() waits for every bucket and
// copies the sums back. Every rank lays out the same buckets, so their sums pair up.
#pragma once
#include <cnngen/network.hpp>

#include <vector>

namespace cnngen {

class GradientReducer {
 public:
  // 1 M floats (4 MB): a few dozen buckets for ResNet50's 23.5 M gradients, the first one started
  // after its last three layers (PyTorch's DistributedDataParallel cuts 25 MB buckets, 1 MB first).
  static constexpr size_t kBucketFloats = size_t{1} << 20;

  explicit GradientReducer(const Network& net, size_t bucket_floats = kBucketFloats);
  // Before a backward pass.
  void begin();
  // Node i's gradients are final.
  void node_done(Network& net, int node);
  // Sums what is not started yet, waits for every bucket and writes the sums into the gradients.
  void finish(Network& net);

 private:
  struct Bucket {
    std::vector<int> params;  // indices into net.parameters()
    std::vector<int> nodes;   // the layers they belong to
    FloatArray data;
    int waiting = 0;          // layers whose backward has not finished this pass
    bool started = false;
    Communicator::Request request = 0;
  };
  void start(Network& net, Bucket& b);

  std::vector<Bucket> buckets_;
  std::vector<int> bucket_of_node_;  // a layer's parameters all go to one bucket; -1: none
};

}  // namespace cnngen
