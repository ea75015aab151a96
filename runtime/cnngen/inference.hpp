// Inference over a data set as evaluate and predict run it, with the course's two competition
// tricks: test-time crops (each sample's views averaged as probabilities) and ensembles (several
// independently trained checkpoints of one model, their probabilities averaged). The samples go
// through the input pipeline, whose producers make the views while the members compute.
#pragma once
#include <span>
#include <vector>

#include "model.hpp"

namespace cnngen {

// Probabilities (n x classes, row-major) averaged over options.views and over the members. With
// ranks, each runs its share of every batch and every rank gets the whole result.
std::vector<float> predict_averaged(std::span<Model* const> members, const Dataset& data, const InferenceOptions& options);

// Keras's loss and accuracy of probabilities: categorical cross-entropy -log p_y, or binary
// cross-entropy of p, with p clipped to [1e-7, 1 - 1e-7] as Keras clips it; accuracy of the argmax,
// or of p > 0.5.
Evaluation score(std::span<const float> probabilities, std::span<const int> labels, int classes, LossKind loss);

// Throws std::invalid_argument unless every member is the same model (name, parameter names and sizes).
void check_ensemble(std::span<Model* const> members);

}  // namespace cnngen
