#include "apps/cli.h"

#include <c10/util/Exception.h>

#include <iostream>

#include "core/error.h"
#include "core/runtime.h"

namespace vedkit {

void add_config_options(po::options_description& options) {
  options.add_options()
      ("config", po::value<std::string>()->required(), "the run's YAML file")
      ("set", po::value<std::vector<std::string>>()->composing(),
       "override a value: --set train.lr=0.001 (repeatable)")
      ("print-config", "print the resolved config and exit")
      ("quiet", "no progress output");
}

void add_threads_option(po::options_description& options) {
  options.add_options()
      ("threads", po::value<int64_t>()->default_value(0)->notifier([](int64_t n) {
         if (n < 0) {
           throw po::error("--threads " + std::to_string(n) +
                           ": expected 0 (every core) or a thread count");
         }
       }), "threads (0: every core)");
}

void use_threads_from(const po::variables_map& args) { use_threads(args["threads"].as<int64_t>()); }

Config load_config_from_args(const po::variables_map& args) {
  std::vector<std::string> overrides;
  if (args.count("set")) overrides = args["set"].as<std::vector<std::string>>();
  return Config::load(args["config"].as<std::string>(), overrides);
}

bool parse_args(int argc, char** argv, const po::options_description& options,
                po::variables_map& args, const po::positional_options_description* positional) {
  auto parser = po::command_line_parser(argc, argv).options(options);
  if (positional != nullptr) parser.positional(*positional);
  po::store(parser.run(), args);
  if (args.count("help")) {
    std::cout << options << "\n";
    return false;
  }
  po::notify(args);
  return true;
}

int run_app(const std::string& name, const std::function<int()>& body) {
  try {
    return body();
  } catch (const po::error& e) {
    std::cerr << name << ": " << e.what() << " (see " << name << " --help)\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 1;
  } catch (const c10::Error& e) {
    std::cerr << name << ": " << e.what_without_backtrace() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace vedkit
