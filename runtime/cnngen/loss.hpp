// Losses fused with the output activation, computed from logits for numerical stability, and the
// accuracy metric. Labels are class indices (0 or 1 for binary cross-entropy).
#pragma once
#include <span>
#include <vector>

#include "network.hpp"

namespace cnngen {

enum class LossKind { binary_crossentropy, categorical_crossentropy };

struct LossResult {
  double loss = 0;   // mean over the batch
  int correct = 0;   // samples whose predicted class is the label
};

// logits: (classes, n). Writes d_logits (same shape): the gradient of the batch-mean loss.
//   binary:      loss = max(z, 0) - z y + log(1 + e^-|z|),  dz = (sigmoid(z) - y) / n
//   categorical: loss = logsumexp(z) - z_y,                  dz = (softmax(z) - onehot(y)) / n
// With mean_over, the gradient is that of a mean over mean_over samples, these n among them (one
// rank's share of a global batch), instead of n.
LossResult loss_and_gradient(LossKind kind, const Buffer& logits, std::span<const int> labels, Buffer* d_logits,
                             int mean_over = 0);

// The loss a model with auxiliary outputs trains on, as Keras's loss_weights weigh it: the main
// head's loss plus each auxiliary head's times its weight, of the last training forward (of the
// main head alone after an inference forward). `correct` counts the main head's right answers.
// With d_logits, fills one gradient per head, weighted, for Network::backward.
struct ModelLoss {
  double loss = 0;
  int correct = 0;
  std::vector<LossResult> heads;  // each head's own, unweighted
};
ModelLoss model_loss(LossKind kind, const Network& net, std::span<const int> labels, std::vector<Buffer>* d_logits,
                     int mean_over = 0);

// Probabilities from logits: sigmoid or softmax per sample, as the model's head activation.
void probabilities(Act head, const Buffer& logits, std::span<float> out);

}  // namespace cnngen
