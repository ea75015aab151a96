#include <cnngen/cli.hpp>
#include <cnngen/dispatch.hpp>

#include <HalideRuntime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include <cnngen/checkpoint.hpp>
#include <cnngen/communicator.hpp>
#include <cnngen/data.hpp>
#include <cnngen/inference.hpp>
#include <cnngen/model.hpp>
#include <cnngen/plot.hpp>
#include <cnngen/summary.hpp>
#include <cnngen/version.hpp>

namespace fs = std::filesystem;

namespace cnngen {

namespace {

void print_profile(Model& model);

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// An error every rank of an MPI job met alike (Communicator::agree): rank 0 reports it, every rank
// ends with it. An error one rank alone meets ends the job (Communicator::abort).
struct AgreedError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs f on every rank; if it throws on any, every rank throws the lowest failing rank's message.
template <class F>
void on_every_rank(Communicator& comm, F&& f) {
  std::string error;
  try {
    f();
  } catch (const std::exception& e) {
    error = e.what();
  }
  error = comm.agree(error);
  if (!error.empty()) throw AgreedError(error);
}

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  std::vector<std::string> checkpoints;  // every --checkpoint, in order (evaluate and predict take several)
};

// The options each command takes; any other is refused, not ignored.
const std::map<std::string, std::vector<std::string>> kCommandOptions = {
    {"summary", {"--freeze-through"}},
    {"train", {"--data", "--epochs", "--batch-size", "--lr", "--seed", "--threads", "--checkpoint", "--resume", "--augment",
               "--lr-schedule", "--bn-estimate", "--sync-bn", "--micro-batch", "--producers", "--verbose", "--ensemble",
               "--init-from", "--freeze-through", "--cache-features", "--classes", "--per-class"}},
    {"evaluate", {"--data", "--checkpoint", "--threads", "--tta", "--producers", "--classes"}},
    {"predict", {"--checkpoint", "--threads", "--tta"}},
    {"plot", {"--show-shapes"}},
};
const char* const kFlags[] = {"--resume", "--verbose", "--show-shapes", "--cache-features"};  // options without a value

bool known_option(const std::string& s) {
  for (const auto& [command, options] : kCommandOptions)
    if (std::find(options.begin(), options.end(), s) != options.end()) return true;
  return false;
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "-h" || s == "--help" || s == "--version") {
      a.command = s == "--version" ? "version" : "help";
      return a;
    }
    if (s.rfind("--", 0) == 0) {
      if (!known_option(s)) throw UsageError("unknown option " + s);
      if (std::find(std::begin(kFlags), std::end(kFlags), s) != std::end(kFlags)) {
        a.options[s] = "";
        continue;
      }
      if (i + 1 >= argc) throw UsageError(s + " needs a value");
      if (s == "--checkpoint") a.checkpoints.push_back(argv[i + 1]);
      if (a.options.count(s) && s != "--checkpoint") throw UsageError(s + " given twice");
      a.options[s] = argv[++i];
    } else if (a.command.empty()) {
      a.command = s;
    } else {
      a.positional.push_back(s);
    }
  }
  if (a.command.empty()) return a;
  const auto allowed = kCommandOptions.find(a.command);
  if (allowed == kCommandOptions.end()) throw UsageError("unknown command '" + a.command + "'");
  for (const auto& [option, value] : a.options)
    if (std::find(allowed->second.begin(), allowed->second.end(), option) == allowed->second.end())
      throw UsageError(a.command + " takes no option " + option);
  if (a.command == "train" && a.checkpoints.size() > 1)
    throw UsageError("train writes one --checkpoint (with --ensemble N, its members beside it)");
  const size_t max_arguments = a.command == "predict" ? SIZE_MAX : a.command == "plot" ? 1 : 0;
  if (a.positional.size() > max_arguments)
    throw UsageError(a.command + " takes no argument '" + a.positional[max_arguments] + "'");
  return a;
}

// A whole number in [min, max]: a flag out of range is refused before anything runs.
int64_t int_option(const Args& a, const std::string& name, int64_t fallback, int64_t min, int64_t max) {
  auto it = a.options.find(name);
  if (it == a.options.end()) return fallback;
  try {
    size_t used = 0;
    const long long v = std::stoll(it->second, &used);
    if (used == it->second.size() && v >= min && v <= max) return v;
  } catch (const std::exception&) {
  }
  throw UsageError(name + " takes a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ", not '" +
                   it->second + "'");
}

// A finite positive number.
double positive_option(const Args& a, const std::string& name, double fallback) {
  auto it = a.options.find(name);
  if (it == a.options.end()) return fallback;
  try {
    size_t used = 0;
    const double v = std::stod(it->second, &used);
    if (used == it->second.size() && std::isfinite(v) && v > 0) return v;
  } catch (const std::exception&) {
  }
  throw UsageError(name + " takes a positive finite number, not '" + it->second + "'");
}

// The flags' ranges: beyond them a value is a typo, not a training.
constexpr int64_t kMaxEpochs = 1'000'000, kMaxBatch = 1 << 20, kMaxThreads = 1024, kMaxSeed = 4294967295;

// --NAME on|off (or, for --lr-schedule, cosine|constant).
bool switch_option(const Args& a, const std::string& name, bool fallback, const char* on = "on", const char* off = "off") {
  auto it = a.options.find(name);
  if (it == a.options.end()) return fallback;
  if (it->second == on) return true;
  if (it->second == off) return false;
  throw UsageError(name + " takes " + on + " or " + off + ", not '" + it->second + "'");
}

const char* on_off(bool v) { return v ? "on" : "off"; }

std::string data_help(const Program& p) {
  return p.data == Program::Data::idx ? "a folder with the IDX files {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz"
                                      : "a folder with train/ and test/ of {label}_IMG_{id}.jpg images (the SIGNS data set)";
}

void usage(const Program& p, std::ostream& out) {
  out << "usage: " << p.name << " summary\n"
      << "       " << p.name << " train    [--data DIR] [--epochs N] [--batch-size N] [--lr X] [--seed N] [--threads N]\n"
      << "                         [--checkpoint FILE] [--resume] [--augment off|on|LIST] [--producers N]\n"
      << "                         [--lr-schedule constant|cosine] [--bn-estimate on|off] [--sync-bn on|off]\n"
      << "                         [--micro-batch M] [--ensemble N] [--verbose]\n"
      << "       " << p.name << " evaluate [--data DIR|FILE.h5] [--checkpoint FILE]... [--tta off|mirror|ten] [--threads N]\n"
      << "       " << p.name << " predict  IMAGE... [--checkpoint FILE]... [--tta off|mirror|ten] [--threads N]\n"
      << "       " << p.name << " plot     FILE.svg|FILE.png|FILE.dot [--show-shapes]\n\n"
      << "Model " << p.graph.name << ". " << p.task << "\n"
      << "--data: " << data_help(p) << (p.data == Program::Data::signs ? ", or for evaluate the course's test_signs.h5" : "")
      << ".\n        Default: $CNNGEN_DATA, else " << (p.default_data.empty() ? "none" : p.default_data) << ".\n"
      << "--checkpoint: written after every epoch of train, read by evaluate and predict (default " << p.name
      << ".ckpt).\n"
      << "Defaults: --epochs " << p.epochs << " --batch-size " << p.batch_size << " --lr " << p.learning_rate
      << " --seed 0 --threads " << std::thread::hardware_concurrency() << " --augment " << p.augment
      << " --lr-schedule " << (p.cosine_decay ? "cosine" : "constant") << " --bn-estimate " << on_off(p.estimate_batch_norm)
      << " --producers 1 --tta off\n"
      << "--augment: off, on (= " << default_augmentation().describe() << "), or a list of mirror, crop[=P] (pad and crop,\n"
      << "default 4 pixels), zoom[=Z] (random-scale crops resized back, default 0.2), color[=C] (per-channel offsets,\n"
      << "default 0.1), pca[=S] (AlexNet's PCA colour augmentation, default 0.1); --producers: the input pipeline's\n"
      << "threads; --lr-schedule cosine: decay to 0 over the training; --bn-estimate: BatchNorm statistics\n"
      << "re-estimated on the training set before each evaluation; --verbose: the time train waited on its input.\n"
      << "--ensemble N: N members trained one after another with seeds S, S+1, ..., each its own checkpoint\n"
      << "(FILE-1.ckpt, ...); evaluate and predict average the probabilities of every --checkpoint given.\n"
      << "--tta: test-time crops averaged as probabilities: mirror (the image and its mirror) or ten (AlexNet's\n"
      << "four corners and centre at the training crops' scale, and their mirrors).\n"
      << "Under mpirun -np N, train and evaluate split every batch across the N processes (--batch-size is the\n"
      << "global batch); --sync-bn on (default) computes BatchNorm's statistics over the global batch, off per\n"
      << "process. --threads defaults to this machine's cores shared among its processes. --micro-batch M: the\n"
      << "deterministic mode, every sum over a batch taken per M samples and added in order, so that any number\n"
      << "of processes (up to the batch's micro-batches) trains bit for bit as one does.\n";
}

// --data, else $CNNGEN_DATA, else the program's own default (a program built in this repository
// knows where its data set lies; an installed library knows no source tree).
std::string data_dir(const Program& p, const Args& a) {
  const auto it = a.options.find("--data");
  const char* env = std::getenv("CNNGEN_DATA");
  const std::string dir = it != a.options.end() ? it->second : env && *env ? env : p.default_data;
  const std::string how = "pass --data DIR or set CNNGEN_DATA=DIR (DIR: " + data_help(p) + ")";
  if (dir.empty()) throw DataError("no data set given: " + how);
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw DataError("data " + dir + " not found: " + how);
  return dir;
}

// The classes a task keeps, renumbered: the program's own, or --classes's.
Dataset task_data(const std::vector<std::pair<int, int>>& relabel, Dataset d) {
  return relabel.empty() ? d : select_classes(d, relabel);
}

Dataset load_split(const Program& p, const std::string& root, const std::string& split,
                   const std::vector<std::pair<int, int>>& relabel) {
  const Shape s = p.graph.input_shape();
  if (p.data == Program::Data::idx)
    return task_data(relabel, load_idx(root, split == "train" ? "train" : "t10k", s.h, s.w, p.data_classes));
  if (fs::is_regular_file(root) && fs::path(root).extension() == ".h5")
    return task_data(relabel, load_h5(root, split + "_set", s.h, s.w, p.data_classes));
  return task_data(relabel, load_image_folder((fs::path(root) / split).string(), s.h, s.w, p.data_classes));
}

std::vector<std::string> checkpoint_paths(const Program& p, const Args& a) {
  return a.checkpoints.empty() ? std::vector<std::string>{p.name + ".ckpt"} : a.checkpoints;
}

// Ensemble member k of N (1-based) beside `path`: model.ckpt -> model-2.ckpt; the path itself for one.
std::string member_path(const std::string& path, int k, int members) {
  if (members == 1) return path;
  const fs::path f(path);
  return (f.parent_path() / (f.stem().string() + "-" + std::to_string(k) + f.extension().string())).string();
}

void print_evaluation(const Evaluation& e) {
  std::printf("Loss = %.12g\nTest Accuracy = %.12g\n", e.loss, e.accuracy);
}

// --classes 3,4,5: the data set's labels to keep, renumbered 0, 1, 2 in that order; as many as the
// model has outputs.
std::vector<std::pair<int, int>> classes_option(const Program& p, const std::string& text) {
  if (!p.relabel.empty()) throw UsageError("--classes: " + p.name + "'s task fixes its classes");
  std::vector<std::pair<int, int>> relabel;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    const std::string item = text.substr(at, comma - at);
    int label = -1;
    try {
      size_t used = 0;
      label = std::stoi(item, &used);
      if (used != item.size()) label = -1;
    } catch (const std::exception&) {
    }
    if (label < 0) throw UsageError("--classes takes labels separated by commas, not '" + text + "'");
    if (label >= p.data_classes)
      throw UsageError("--classes: label " + std::to_string(label) + " is not in the data set (labels 0 to " + std::to_string(p.data_classes - 1) + ")");
    for (const auto& [from, to] : relabel)
      if (from == label) throw UsageError("--classes names label " + std::to_string(label) + " twice");
    relabel.push_back({label, static_cast<int>(relabel.size())});
    at = comma + 1;
  }
  const int outputs = std::max(2, p.graph.output_shape().c);
  if (static_cast<int>(relabel.size()) != outputs)
    throw UsageError("--classes names " + std::to_string(relabel.size()) + " labels; " + std::string(p.graph.name) + " here has " +
                     std::to_string(outputs) + " classes");
  return relabel;
}

// Runs f, whose std::invalid_argument is a mistake on the command line.
template <class F>
auto usage_checked(F&& f) {
  try {
    return f();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

// A command line's every value, checked: what parse() and the ranges accept, before anything runs.
struct Settings {
  int threads = 1;
  std::vector<std::string> checkpoints;      // evaluate and predict: an ensemble's members
  std::vector<std::pair<int, int>> relabel;  // --classes, else the program's
  std::string freeze_through;                // a layer's name; empty: nothing frozen
  int producers = 1;                         // the input pipeline's threads
  TtaCrops tta = TtaCrops::none;
  // train
  int ensemble = 1;
  std::string init_from;
  int per_class = 0;                         // 0: every training sample
  double lr = 0;
  bool lr_given = false;
  bool sync_bn = true;
  int micro_batch = 0;  // 0: not the deterministic mode
  FitOptions fit;
};

Settings settings(const Program& p, const Args& a) {
  Settings s;
  // The cores are shared among the processes an MPI job runs on this machine.
  const int local = launched_by_mpi() ? world().local_size() : 1;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  s.threads = static_cast<int>(int_option(a, "--threads", std::max(1, cores / local), 1, kMaxThreads));
  s.checkpoints = checkpoint_paths(p, a);
  s.relabel = p.relabel;
  if (const auto it = a.options.find("--classes"); it != a.options.end()) s.relabel = classes_option(p, it->second);
  const int outputs = std::max(2, p.graph.output_shape().c);
  if (s.relabel.empty() && p.data_classes > outputs && (a.command == "train" || a.command == "evaluate"))
    throw UsageError(std::string(p.graph.name) + " here has " + std::to_string(outputs) + " classes, the data set " +
                     std::to_string(p.data_classes) + ": pass --classes with " + std::to_string(outputs) + " of its labels");
  if (const auto it = a.options.find("--freeze-through"); it != a.options.end()) {
    s.freeze_through = it->second;
    usage_checked([&] { return freeze_point(p.graph, s.freeze_through); });  // before anything is read
  }
  s.producers = static_cast<int>(int_option(a, "--producers", 1, 1, 64));
  if (a.command == "predict" && a.positional.empty()) throw UsageError("predict needs at least one IMAGE");
  if (a.command == "plot" && a.positional.empty()) throw UsageError("plot needs the picture's FILE (.svg, .png or .dot)");
  if (const auto it = a.options.find("--tta"); it != a.options.end()) s.tta = usage_checked([&] { return parse_tta(it->second); });
  if (a.command != "train") return s;
  s.lr = positive_option(a, "--lr", p.learning_rate);
  s.lr_given = a.options.count("--lr") > 0;
  FitOptions& fit = s.fit;
  fit.seed = static_cast<uint64_t>(int_option(a, "--seed", 0, 0, kMaxSeed));
  fit.epochs = static_cast<int>(int_option(a, "--epochs", p.epochs, 1, kMaxEpochs));
  fit.batch_size = static_cast<int>(int_option(a, "--batch-size", p.batch_size, 1, kMaxBatch));
  const Shape in = p.graph.input_shape();
  const auto augment = a.options.find("--augment");
  fit.augmentation = usage_checked([&] { return parse_augmentation(augment != a.options.end() ? augment->second : p.augment); });
  usage_checked([&] {
    check_augmentation(fit.augmentation, in.h, in.w, in.c);
    return 0;
  });
  fit.producers = s.producers;
  fit.report_input_wait = a.options.count("--verbose") > 0;
  s.ensemble = static_cast<int>(int_option(a, "--ensemble", 1, 1, 100));
  s.per_class = static_cast<int>(int_option(a, "--per-class", 0, 1, 1 << 24));
  if (const auto it = a.options.find("--init-from"); it != a.options.end()) s.init_from = it->second;
  fit.cache_features = a.options.count("--cache-features") > 0;
  if (fit.cache_features && s.freeze_through.empty()) throw UsageError("--cache-features needs --freeze-through LAYER (the part to compute once)");
  if (fit.cache_features && fit.augmentation.any())
    throw UsageError("--cache-features computes the frozen part once, without augmentation: add --augment off");
  fit.cosine_decay = switch_option(a, "--lr-schedule", p.cosine_decay, "cosine", "constant");
  fit.estimate_batch_norm = switch_option(a, "--bn-estimate", p.estimate_batch_norm);
  s.sync_bn = switch_option(a, "--sync-bn", true);
  s.micro_batch = static_cast<int>(int_option(a, "--micro-batch", 0, 1, kMaxBatch));
  if (s.micro_batch > 0 && !s.sync_bn) throw UsageError("--micro-batch needs --sync-bn on (the deterministic mode sums BatchNorm's statistics too)");
  return s;
}

Evaluation evaluate_ensemble(const Program& p, const Settings& s, const Dataset& test, int batch_size);

// Rank 0 claims `ckpt` (CheckpointLock): a path that cannot be written fails before any work.
void lock_checkpoint(std::optional<CheckpointLock>& lock, const std::string& ckpt) {
  lock.reset();  // one at a time: the last member's
  on_every_rank(world(), [&] {
    if (world().rank() == 0) lock.emplace(ckpt);
  });
}

// --init-from: rank 0 copies the matching layers (the others get them from broadcast_state), and
// says what it copied.
void init_from(Model& model, const std::string& path) {
  InitReport report;
  on_every_rank(world(), [&] {
    if (world().rank() == 0) report = init_from_checkpoint(path, model.network());
  });
  std::cout << "Initialised from " << path << " (" << report.source_model << "): " << report.copied.size() << " of "
            << model.network().parameters().size() << " parameters copied (" << thousands(report.copied_values) << " values)";
  for (size_t i = 0; i < report.not_copied.size(); ++i) std::cout << (i ? ", " : "; initialised instead: ") << report.not_copied[i];
  std::cout << std::endl;
}

// Rank 0's colour decomposition on every rank: the one a resumed checkpoint kept (`saved`), else
// the training set's.
PcaColor pca_on_every_rank(const Dataset& train, const std::string& saved) {
  PcaColor pca;
  on_every_rank(world(), [&] {
    if (world().rank() == 0) pca = saved.empty() ? fit_pca_color(train) : parse_pca_color(saved);
  });
  std::vector<float> packed(pca.eigenvalues.begin(), pca.eigenvalues.end());
  for (const auto& axis : pca.eigenvectors) packed.insert(packed.end(), axis.begin(), axis.end());
  world().broadcast(std::span<float>(packed), 0);
  std::copy_n(packed.begin(), 3, pca.eigenvalues.begin());
  for (int k = 0; k < 3; ++k) std::copy_n(packed.begin() + 3 + 3 * k, 3, pca.eigenvectors[k].begin());
  std::cout << "PCA colour augmentation: eigenvalues " << pca.eigenvalues[0] << " " << pca.eigenvalues[1] << " " << pca.eigenvalues[2]
            << (saved.empty() ? " (of the training set)" : " (from the checkpoint)") << std::endl;
  return pca;
}

// The training and test sets of the task: --classes's labels, and --per-class's share of the
// training images.
void load_task_data(const Program& p, const Args& a, const Settings& s, Dataset& train, Dataset& test) {
  const std::string dir = data_dir(p, a), train_dir = (fs::path(dir) / "train").string();
  train = load_split(p, dir, "train", s.relabel), test = load_split(p, dir, "test", s.relabel);
  const int classes = s.relabel.empty() ? p.data_classes : static_cast<int>(s.relabel.size());
  for (int c = 0; c < classes && !s.relabel.empty(); ++c) {
    const auto have = std::count(train.y.begin(), train.y.end(), c);
    if (have == 0 || have < s.per_class)
      throw DataError(train_dir + ": label " + std::to_string(s.relabel[c].first) + " has " + std::to_string(have) + " training images" +
                      (s.per_class > 0 ? ", fewer than --per-class " + std::to_string(s.per_class) : ""));
  }
  if (s.per_class > 0) train = per_class(train, s.per_class, classes, 0, train_dir);
}

// Trains one model into `ckpt` (one ensemble member, or the only one), whose lock the caller holds.
// With ranks (mpirun), every rank reads the data and trains its share of each batch; rank 0 alone
// writes the checkpoint and prints (run_program silences the others).
void train_one(const Program& p, const Settings& s, FitOptions fit, const std::string& ckpt, bool resume,
               const Dataset& train, const Dataset& test) {
  Communicator& comm = world();
  const bool root = comm.rank() == 0;
  Model model(p.graph, p.kernels);
  model.freeze_through(s.freeze_through);
  model.set_communicator(comm, s.sync_bn);
  model.set_micro_batch(s.micro_batch);
  model.network().initialize(fit.seed);
  model.compile(std::make_unique<Adam>(s.lr), p.loss);
  if (!s.init_from.empty() && !resume) init_from(model, s.init_from);
  std::string saved_pca;  // the colour decomposition a resumed training's checkpoint kept
  if (resume) {
    double done = 0;
    on_every_rank(comm, [&] {
      if (!root) return;
      const TrainingProgress progress = load_checkpoint(ckpt, model.network(), model.optimizer());
      done = progress.epochs_done;
      if (const auto it = progress.settings.find("pca"); it != progress.settings.end()) saved_pca = it->second;
      const auto frozen = progress.settings.find("freeze-through");
      const std::string was = frozen == progress.settings.end() ? "" : frozen->second;
      if (was != s.freeze_through)
        throw CheckpointError(ckpt + ": its training froze " + (was.empty() ? "nothing" : "through " + was) + ", this one " +
                              (s.freeze_through.empty() ? "nothing" : "through " + s.freeze_through) + ": resume with the same --freeze-through");
    });
    comm.broadcast(std::span(&done, 1), 0);
    fit.initial_epoch = static_cast<int>(done);
    std::cout << "Resuming from " << ckpt << " after epoch " << fit.initial_epoch << std::endl;
    // A resumed training keeps its learning rate unless --lr says otherwise, and then says so.
    const double saved = model.optimizer()->learning_rate;
    if (s.lr_given && s.lr != saved)
      std::cout << "Learning rate " << s.lr << " from --lr; the checkpoint's training used " << saved << std::endl;
    if (root) model.set_learning_rate(s.lr_given ? s.lr : saved);
  }
  if (fit.augmentation.pca > 0) fit.pca = pca_on_every_rank(train, saved_pca);
  model.broadcast_state(0);  // every rank starts from rank 0's parameters and optimizer state
  std::map<std::string, std::string> kept{{"augment", fit.augmentation.describe()}};
  if (fit.augmentation.pca > 0) kept["pca"] = to_text(fit.pca);
  if (!s.freeze_through.empty()) kept["freeze-through"] = s.freeze_through;
  fit.on_epoch_end = [&](const EpochLogs& logs) {
    on_every_rank(comm, [&] {
      if (root) save_checkpoint(ckpt, model.network(), model.optimizer(), {logs.epoch, kept});
    });
  };
  on_every_rank(comm, [&] { model.check_fit(train, fit); });
  if (fit.initial_epoch < fit.epochs) model.fit(train, fit);
  print_evaluation(model.evaluate(test, fit.batch_size));
  print_profile(model);
}

int train(const Program& p, const Args& a, Settings s) {
  Communicator& comm = world();
  const std::string& ckpt = s.checkpoints.front();
  std::optional<CheckpointLock> lock;  // before the data is read
  lock_checkpoint(lock, member_path(ckpt, 1, s.ensemble));
  Dataset train, test;
  on_every_rank(comm, [&] { load_task_data(p, a, s, train, test); });
  std::cout << "number of training examples = " << train.n << "\nnumber of test examples = " << test.n << std::endl;
  std::cout << isa_report(p.kernels.isas, p.kernels.library) << std::endl;
  if (!s.relabel.empty()) {
    std::cout << "Classes:";
    for (const auto& [from, to] : s.relabel) std::cout << " " << from << " as " << to;
    std::cout << (s.per_class > 0 ? ", " + std::to_string(s.per_class) + " training images each" : "") << std::endl;
  }
  if (!s.freeze_through.empty())
    std::cout << "Frozen through " << s.freeze_through << (s.fit.cache_features ? ", its output computed once and cached" : "")
              << std::endl;
  if (comm.size() > 1)
    std::cout << "Data parallel: " << comm.size() << " processes x " << s.threads << " threads, global batch "
              << s.fit.batch_size << ", BatchNorm statistics " << (s.sync_bn ? "synchronised" : "per process") << std::endl;
  if (s.micro_batch > 0)
    std::cout << "Deterministic: sums over each batch taken per micro-batch of " << s.micro_batch << " and added in order"
              << std::endl;
  if (s.fit.augmentation.any())
    std::cout << "Augmentation: " << s.fit.augmentation.describe() << " (" << s.producers << " producer thread"
              << (s.producers > 1 ? "s" : "") << ")" << std::endl;
  s.fit.validation = &test;
  for (int k = 1; k <= s.ensemble; ++k) {
    FitOptions fit = s.fit;
    fit.seed = s.fit.seed + static_cast<uint64_t>(k - 1);
    const std::string member = member_path(ckpt, k, s.ensemble);
    if (k > 1) lock_checkpoint(lock, member);
    if (s.ensemble > 1) std::cout << "Ensemble member " << k << "/" << s.ensemble << ": seed " << fit.seed << ", " << member << std::endl;
    // A resumed ensemble continues each member where it stopped; those not begun yet begin.
    bool resume = a.options.count("--resume") > 0;
    if (resume && k > 1) {
      double exists = comm.rank() == 0 && fs::exists(member);
      comm.broadcast(std::span(&exists, 1), 0);
      resume = exists != 0;
    }
    train_one(p, s, fit, member, resume, train, test);
  }
  lock.reset();
  if (s.ensemble == 1) return 0;
  std::vector<std::string> members;
  for (int k = 1; k <= s.ensemble; ++k) members.push_back(member_path(ckpt, k, s.ensemble));
  Settings ensemble = s;
  ensemble.checkpoints = members;
  std::cout << "Ensemble of " << s.ensemble << " (probabilities averaged):" << std::endl;
  print_evaluation(evaluate_ensemble(p, ensemble, test, s.fit.batch_size));
  return 0;
}

// Rank 0 reads the checkpoint; with ranks, the others get its parameters.
std::unique_ptr<Model> trained_model(const Program& p, const std::string& ckpt, TrainingProgress* progress = nullptr) {
  auto model = std::make_unique<Model>(p.graph, p.kernels);
  Communicator& comm = world();
  model->set_communicator(comm);
  model->compile(std::make_unique<Adam>(), p.loss);
  on_every_rank(comm, [&] {
    if (comm.rank() != 0) return;
    if (!fs::exists(ckpt))
      throw CheckpointError(ckpt + ": no such checkpoint: train first (" + p.name + " train) or pass --checkpoint FILE");
    const TrainingProgress read = load_checkpoint(ckpt, model->network(), nullptr);
    if (progress) *progress = read;
  });
  model->broadcast_state(0);
  return model;
}

// The members of every --checkpoint, and the test-time views of the first one's training crops.
struct Ensemble {
  std::vector<std::unique_ptr<Model>> models;
  std::vector<Model*> members;
  InferenceOptions options;
};

Ensemble load_ensemble(const Program& p, const Settings& s, int batch_size) {
  Ensemble e;
  Augmentation trained_with;
  for (const std::string& path : s.checkpoints) {
    TrainingProgress progress;
    e.models.push_back(trained_model(p, path, &progress));
    e.members.push_back(e.models.back().get());
    if (e.members.size() > 1) continue;
    on_every_rank(world(), [&] {  // the first member's training crops set the test-time crops' scale
      if (!progress.settings.count("augment")) return;  // on rank 0 alone, which read the file
      try {
        trained_with = parse_augmentation(progress.settings.at("augment"));
      } catch (const std::invalid_argument& error) {
        throw CheckpointError(path + ": its training's augmentation: " + error.what());
      }
    });
  }
  // Rank 0 read the checkpoints: every rank takes its crops.
  std::vector<float> crop{float(trained_with.crop), trained_with.zoom};
  world().broadcast(std::span<float>(crop), 0);
  trained_with.crop = static_cast<int>(crop[0]), trained_with.zoom = crop[1];
  const Shape in = p.graph.input_shape();
  e.options.views = tta_views(s.tta, trained_with, in.h, in.w);
  e.options.batch_size = batch_size;
  e.options.producers = s.producers;
  return e;
}

Evaluation evaluate_ensemble(const Program& p, const Settings& s, const Dataset& test, int batch_size) {
  Ensemble e = load_ensemble(p, s, batch_size);
  const std::vector<float> probs = predict_averaged(e.members, test, e.options);
  return score(probs, test.y, e.members[0]->network().classes(), p.loss);
}

int evaluate(const Program& p, const Args& a, const Settings& s) {
  Dataset test;
  on_every_rank(world(), [&] { test = load_split(p, data_dir(p, a), "test", s.relabel); });
  if (s.checkpoints.size() == 1 && s.tta == TtaCrops::none) {  // the model's own loss, from its logits
    print_evaluation(trained_model(p, s.checkpoints.front())->evaluate(test));
    return 0;
  }
  std::cout << s.checkpoints.size() << " checkpoint(s), test-time crops " << tta_name(s.tta) << std::endl;
  print_evaluation(evaluate_ensemble(p, s, test, 32));
  return 0;
}

int predict(const Program& p, const Args& a, const Settings& settings) {
  Ensemble e = load_ensemble(p, settings, 32);
  const Shape s = p.graph.input_shape();
  Dataset images;
  images.h = s.h, images.w = s.w, images.c = s.c;
  for (const std::string& path : a.positional) {
    const std::vector<float> x = to_input(read_image(path), s.h, s.w);
    images.x.insert(images.x.end(), x.begin(), x.end());
    images.y.push_back(0);
    images.n++;
  }
  const std::vector<float> all = predict_averaged(e.members, images, e.options);
  const size_t classes = static_cast<size_t>(p.graph.output_shape().c);
  for (size_t i = 0; i < a.positional.size(); ++i) {
    const std::span<const float> probs(all.data() + i * classes, classes);
    std::printf("%s\n", a.positional[i].c_str());
    if (probs.size() > 1) {  // the course's line for a multi-class model
      std::printf("class prediction vector [");
      for (size_t c = 0; c < probs.size(); ++c) std::printf(c ? ", p(%zu)" : "p(%zu)", c);
      std::printf("] = \n");
    }
    std::printf("[[");
    for (size_t c = 0; c < probs.size(); ++c) std::printf(c ? " %.8g" : "%.8g", probs[c]);
    std::printf("]]\n");
  }
  return 0;
}

}  // namespace

namespace {

// CNNGEN_PROFILE=1: where the time went, kernel by kernel, at the end of the command.
void print_profile(Model& model) {
  if (std::getenv("CNNGEN_PROFILE")) std::cerr << model.network().profile_report();
}

}  // namespace

int run_program(int argc, char** argv, const Program& p) {
  try {
    const Args a = parse(argc, argv);
    if (a.command.empty() || a.command == "help") {
      usage(p, a.command.empty() ? std::cerr : std::cout);
      return a.command.empty() ? 2 : 0;
    }
    if (a.command == "version") {
      std::cout << p.name << " (cnngen " << kVersion << ")\n";
      return 0;
    }
    const Settings s = settings(p, a);
    halide_set_num_threads(s.threads);
    // Under mpirun, rank 0 alone speaks on standard output (the errors of every rank still show).
    if (world().rank() != 0 && !std::freopen("/dev/null", "w", stdout)) std::cout.setstate(std::ios::badbit);
    if (a.command == "summary") {
      Model model(p.graph, p.kernels);
      model.freeze_through(s.freeze_through);
      std::cout << model.summary() << isa_report(p.kernels.isas, p.kernels.library) << "\n";
      return 0;
    }
    if (a.command == "train") return train(p, a, s);
    if (a.command == "evaluate") return evaluate(p, a, s);
    if (a.command == "plot") {
      plot_model(p.graph, a.positional.front(), {.show_shapes = a.options.count("--show-shapes") > 0});
      std::cout << "Wrote " << a.positional.front() << std::endl;
      return 0;
    }
    return predict(p, a, s);  // parse() refused every other command
  } catch (const UsageError& e) {
    std::cerr << p.name << ": " << e.what() << "\n";
    usage(p, std::cerr);
    return 2;
  } catch (const AgreedError& e) {  // every rank has it: one says it
    if (world().rank() == 0) std::cerr << p.name << ": error: " << e.what() << "\n";
    return 1;
  } catch (const TrainingDiverged& e) {  // from the summed loss and gradients: every rank has it too
    if (world().rank() == 0) std::cerr << p.name << ": error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    Communicator* comm = nullptr;
    try {
      comm = &world();
    } catch (const std::exception&) {  // MPI itself failed to start: this process is alone
    }
    if (!comm || comm->size() == 1) {
      std::cerr << p.name << ": error: " << e.what() << "\n";
      return 1;
    }
    // One rank's error: the others would wait for it forever in their next collective.
    std::cerr << p.name << ": error on rank " << comm->rank() << " of " << comm->size() << ": " << e.what() << "\n";
    comm->abort(1);
    return 1;  // not reached
  }
}

int check_command_line(int argc, char** argv, const Program& p) {
  try {
    const Args a = parse(argc, argv);
    if (!a.command.empty() && a.command != "help" && a.command != "version") settings(p, a);
    return a.command.empty() ? 2 : 0;
  } catch (const UsageError& e) {
    std::cerr << p.name << ": " << e.what() << "\n";
    return 2;
  }
}

}  // namespace cnngen
