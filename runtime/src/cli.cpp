#include <cnngen/cli.hpp>

#include <HalideRuntime.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include <cnngen/checkpoint.hpp>
#include <cnngen/data.hpp>
#include <cnngen/model.hpp>

namespace fs = std::filesystem;

namespace cnngen {

namespace {

void print_profile(Model& model);

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  bool resume = false;
};

const char* const kValueOptions[] = {"--data", "--epochs", "--batch-size", "--lr", "--seed", "--threads", "--checkpoint",
                                     "--augment", "--lr-schedule", "--bn-estimate"};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--resume") {
      a.resume = true;
    } else if (s == "-h" || s == "--help") {
      a.command = "help";
    } else if (s.rfind("--", 0) == 0) {
      if (std::find(std::begin(kValueOptions), std::end(kValueOptions), s) == std::end(kValueOptions))
        throw UsageError("unknown option " + s);
      if (i + 1 >= argc) throw UsageError(s + " needs a value");
      a.options[s] = argv[++i];
    } else if (a.command.empty()) {
      a.command = s;
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

int int_option(const Args& a, const std::string& name, int fallback, int min) {
  auto it = a.options.find(name);
  if (it == a.options.end()) return fallback;
  try {
    size_t used = 0;
    const int v = std::stoi(it->second, &used);
    if (used == it->second.size() && v >= min) return v;
  } catch (const std::exception&) {
  }
  throw UsageError(name + " takes a whole number >= " + std::to_string(min) + ", not '" + it->second + "'");
}

double double_option(const Args& a, const std::string& name, double fallback) {
  auto it = a.options.find(name);
  if (it == a.options.end()) return fallback;
  try {
    size_t used = 0;
    const double v = std::stod(it->second, &used);
    if (used == it->second.size() && v > 0) return v;
  } catch (const std::exception&) {
  }
  throw UsageError(name + " takes a positive number, not '" + it->second + "'");
}

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
      << "                         [--checkpoint FILE] [--resume] [--augment on|off]\n"
      << "                         [--lr-schedule constant|cosine] [--bn-estimate on|off]\n"
      << "       " << p.name << " evaluate [--data DIR|FILE.h5] [--checkpoint FILE] [--threads N]\n"
      << "       " << p.name << " predict  IMAGE... [--checkpoint FILE] [--threads N]\n\n"
      << "Model " << p.graph.name << ". " << p.task << "\n"
      << "--data: " << data_help(p) << " (default " << (p.default_data.empty() ? default_data_dir() : p.default_data)
      << ")" << (p.data == Program::Data::signs ? ",\n        or for evaluate the course's test_signs.h5" : "") << ".\n"
      << "--checkpoint: written after every epoch of train, read by evaluate and predict (default " << p.name
      << ".ckpt).\n"
      << "Defaults: --epochs " << p.epochs << " --batch-size " << p.batch_size << " --lr " << p.learning_rate
      << " --seed 0 --threads " << std::thread::hardware_concurrency() << " --augment " << on_off(p.augment)
      << " --lr-schedule " << (p.cosine_decay ? "cosine" : "constant") << " --bn-estimate " << on_off(p.estimate_batch_norm)
      << "\n--augment: random mirror and shifts of up to 4 pixels; --lr-schedule cosine: decay to 0 over the\n"
      << "training; --bn-estimate: BatchNorm statistics re-estimated on the training set before each evaluation.\n";
}

std::string data_dir(const Program& p, const Args& a) {
  auto it = a.options.find("--data");
  const std::string dir = it != a.options.end() ? it->second : p.default_data.empty() ? default_data_dir() : p.default_data;
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw DataError("data " + dir + " not found: pass --data DIR, " + data_help(p));
  return dir;
}

Dataset task_data(const Program& p, Dataset d) { return p.relabel.empty() ? d : select_classes(d, p.relabel); }

Dataset load_split(const Program& p, const std::string& root, const std::string& split) {
  const Shape s = p.graph.input_shape();
  if (p.data == Program::Data::idx) return task_data(p, load_idx(root, split == "train" ? "train" : "t10k", s.h, s.w, p.data_classes));
  if (fs::is_regular_file(root) && fs::path(root).extension() == ".h5")
    return task_data(p, load_h5(root, split + "_set", s.h, s.w, p.data_classes));
  return task_data(p, load_image_folder((fs::path(root) / split).string(), s.h, s.w, p.data_classes));
}

std::string checkpoint_path(const Program& p, const Args& a) {
  auto it = a.options.find("--checkpoint");
  return it != a.options.end() ? it->second : p.name + ".ckpt";
}

void print_evaluation(const Evaluation& e) {
  std::printf("Loss = %.12g\nTest Accuracy = %.12g\n", e.loss, e.accuracy);
}

int train(const Program& p, const Args& a) {
  const std::string root = data_dir(p, a);
  const Dataset train = load_split(p, root, "train"), test = load_split(p, root, "test");
  std::cout << "number of training examples = " << train.n << "\nnumber of test examples = " << test.n << std::endl;

  Model model(p.graph, p.kernels);
  const uint64_t seed = static_cast<uint64_t>(int_option(a, "--seed", 0, 0));
  model.network().initialize(seed);
  model.compile(std::make_unique<Adam>(double_option(a, "--lr", p.learning_rate)), p.loss);
  const std::string ckpt = checkpoint_path(p, a);
  FitOptions fit{.epochs = int_option(a, "--epochs", p.epochs, 1), .batch_size = int_option(a, "--batch-size", p.batch_size, 1),
                 .validation = &test, .seed = seed};
  fit.mirror = switch_option(a, "--augment", p.augment);
  fit.shift = fit.mirror ? 4 : 0;
  fit.cosine_decay = switch_option(a, "--lr-schedule", p.cosine_decay, "cosine", "constant");
  fit.estimate_batch_norm = switch_option(a, "--bn-estimate", p.estimate_batch_norm);
  if (a.resume) {
    fit.initial_epoch = load_checkpoint(ckpt, model.network(), model.optimizer()).epochs_done;
    std::cout << "Resuming from " << ckpt << " after epoch " << fit.initial_epoch << std::endl;
  }
  fit.on_epoch_end = [&](const EpochLogs& logs) { save_checkpoint(ckpt, model.network(), model.optimizer(), {logs.epoch}); };
  model.fit(train, fit);
  print_evaluation(model.evaluate(test, fit.batch_size));
  print_profile(model);
  return 0;
}

Model trained_model(const Program& p, const Args& a) {
  Model model(p.graph, p.kernels);
  model.compile(std::make_unique<Adam>(), p.loss);
  const std::string ckpt = checkpoint_path(p, a);
  if (!fs::exists(ckpt))
    throw CheckpointError(ckpt + ": no such checkpoint: train first (" + p.name + " train) or pass --checkpoint FILE");
  load_checkpoint(ckpt, model.network(), nullptr);
  return model;
}

int predict(const Program& p, const Args& a) {
  if (a.positional.empty()) throw UsageError("predict needs at least one IMAGE");
  Model model = trained_model(p, a);
  const Shape s = p.graph.input_shape();
  for (const std::string& path : a.positional) {
    const std::vector<float> x = to_input(read_image(path), s.h, s.w);
    const std::vector<float> probs = model.predict(x.data(), 1);
    std::printf("%s\n", path.c_str());
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

std::string default_data_dir() {
#ifdef CNNGEN_SOURCE_DIR
  return (fs::path(CNNGEN_SOURCE_DIR) / ".." / "shared" / "datasets" / "signs").lexically_normal().string();
#else
  return "../shared/datasets/signs";
#endif
}

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
    const int threads = int_option(a, "--threads", static_cast<int>(std::thread::hardware_concurrency()), 1);
    halide_set_num_threads(threads);
    if (a.command == "summary") {
      Model model(p.graph, p.kernels);
      std::cout << model.summary();
      return 0;
    }
    if (a.command == "train") return train(p, a);
    if (a.command == "evaluate") {
      Model model = trained_model(p, a);
      print_evaluation(model.evaluate(load_split(p, data_dir(p, a), "test")));
      return 0;
    }
    if (a.command == "predict") return predict(p, a);
    throw UsageError("unknown command '" + a.command + "'");
  } catch (const UsageError& e) {
    std::cerr << p.name << ": " << e.what() << "\n";
    usage(p, std::cerr);
    return 2;
  } catch (const std::exception& e) {
    std::cerr << p.name << ": error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace cnngen
