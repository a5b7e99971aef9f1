#include "core/interrupt.h"

#include <csignal>
#include <cstdlib>

namespace vedkit {
namespace {

volatile std::sig_atomic_t requested = 0;

void on_signal(int) {
  if (requested) std::_Exit(130);
  requested = 1;
}

}  // namespace

void install_interrupt_handler() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool interrupt_requested() { return requested != 0; }

void clear_interrupt() { requested = 0; }

}  // namespace vedkit
