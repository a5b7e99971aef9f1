#pragma once

#include <boost/program_options.hpp>

#include <functional>
#include <string>
#include <vector>

#include "core/config.h"

namespace vedkit {

namespace po = boost::program_options;

// The options every config-driven app shares: --config, --set (repeatable), --print-config,
// --quiet.
void add_config_options(po::options_description& options);
Config load_config_from_args(const po::variables_map& args);

// --threads N (0, the default: every core), for the apps that take no config; use_threads_from
// applies it.
void add_threads_option(po::options_description& options);
void use_threads_from(const po::variables_map& args);

// Parses argv; --help prints usage and returns false. Bad arguments throw po::error.
bool parse_args(int argc, char** argv, const po::options_description& options,
                po::variables_map& args, const po::positional_options_description* positional = nullptr);

// Runs body, turning every error into one line on stderr prefixed with the app's name:
// exit 2 for bad arguments, 1 for everything else. body returns the exit code.
int run_app(const std::string& name, const std::function<int()>& body);

}  // namespace vedkit
