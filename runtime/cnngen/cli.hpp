// The command line every model program shares (build/bin/<model>):
//   <model> --help | --version
//   <model> summary  [--freeze-through LAYER]
//   <model> train    [--data DIR] [--epochs N] [--batch-size N] [--lr X] [--seed N] [--threads N]
//                    [--checkpoint FILE] [--resume] [--augment off|on|LIST] [--producers N] [--verbose]
//                    [--lr-schedule constant|cosine] [--bn-estimate on|off] [--sync-bn on|off] [--micro-batch M]
//                    [--ensemble N] [--classes L,...] [--per-class N] [--init-from FILE]
//                    [--freeze-through LAYER] [--cache-features]
// Under mpirun, train and evaluate run data-parallel across the job's processes (communicator.hpp).
//   <model> evaluate [--data DIR|FILE.h5] [--checkpoint FILE]... [--tta off|mirror|ten] [--classes L,...] [--threads N]
//   <model> predict  IMAGE... [--checkpoint FILE]... [--tta off|mirror|ten] [--threads N]
//   <model> plot     FILE.svg|FILE.png|FILE.dot [--show-shapes]
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "kernel_table.hpp"
#include "loss.hpp"

namespace cnngen {

struct Program {
  std::string name;           // the program's name, and the default checkpoint's (<name>.ckpt)
  GraphView graph;
  const KernelTable& kernels;
  LossKind loss;
  // The data `--data` names: a folder of SIGNS images (train/ and test/ of {label}_IMG_{id}.jpg) or
  // the course's HDF5 files, or a folder of MNIST-like IDX files (train-* and t10k-*).
  enum class Data { signs, idx } data = Data::signs;
  std::string default_data;   // the data set when neither --data nor $CNNGEN_DATA gives one; empty: none
  int data_classes = 6;       // labels in the data set
  std::vector<std::pair<int, int>> relabel;  // empty: use every class as is
  std::string task;           // one line on what the data task is, for --help
  int epochs = 10, batch_size = 32;
  double learning_rate = 1e-3;
  // The training method's defaults (FitOptions): what reaches the model's accuracy on its data.
  std::string augment = "off";  // --augment's: off, on, or a list (augment.hpp)
  bool cosine_decay = false, estimate_batch_norm = false;
};

int run_program(int argc, char** argv, const Program& program);

// Parses and checks a command line as run_program does (the command, its options, every number's
// range) without running it: 0 where run_program would start the command, else 2, the message on
// stderr. The command-line fuzzer's entry.
int check_command_line(int argc, char** argv, const Program& program);

}  // namespace cnngen
